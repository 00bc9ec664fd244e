"""gunicorn settings for the web process: `gunicorn registry_ui.wsgi` reads this file.

Every value can be set from the environment, so one image serves any machine size.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Production unless told otherwise; Django then refuses to start without its own secret key.
os.environ.setdefault("DEBUG", "0")
_DEBUG = os.environ["DEBUG"].strip().lower() in ("true", "on", "ok", "y", "yes", "1")  # as django-environ reads it
if not _DEBUG and not os.environ.get("DJANGO_SECRET_KEY"):
    sys.exit("gunicorn: set DJANGO_SECRET_KEY (a long random string) before starting the dashboard with DEBUG off.")

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: the views are short and write in short transactions; pushes to PAI
# happen in Celery, never in a request. Scale out with more machines, not threads.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
# A request slower than this is stuck: the worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Import the app before forking: a broken setting fails the start, not the first request.
preload_app = True
# Access and error log on stdout/stderr, for the container's log driver. Query strings
# carry only filters; tokens and passwords travel in headers and bodies, never logged.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Which proxies may set X-Forwarded-* for gunicorn itself (FORWARDED_ALLOW_IPS is read
# by gunicorn directly); Django's SECURE_PROXY_SSL_HEADER decides what Django trusts.
