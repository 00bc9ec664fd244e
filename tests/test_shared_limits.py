"""Limits that hold across machines: the API's rate counts live in Django's cache, which is
Redis whenever one is configured (CACHE_URL, REDIS_URL or a redis:// broker), so two web
processes, here two separate Python processes, count one limit together."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time

import pytest

from tests.conftest import need_service
from tests.production_env import ROOT, production_env, python

SHOW_CACHE = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
import django
django.setup()
from django.conf import settings
print(json.dumps(settings.CACHES["default"]))
"""

# API requests' throttling as a web process does it, on `threads` threads, at a time the parent
# fixes (so every process counts in the same window, whatever the clock does meanwhile).
THROTTLE = """
import json, os, sys
from concurrent.futures import ThreadPoolExecutor
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
import django
django.setup()
from django.core.cache import caches
from django.test import RequestFactory
from rest_framework.request import Request
from approvals.api.throttles import UserThrottle

class Someone:
    is_authenticated = True
    def __init__(self, pk):
        self.pk = pk

user_id, at, requests, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def one(_):
    request = Request(RequestFactory().get("/api/versions/"))
    request.user = Someone(user_id)
    throttle = UserThrottle()
    throttle.timer = lambda: at
    return throttle.allow_request(request, None)

with ThreadPoolExecutor(threads) as pool:
    answers = list(pool.map(one, range(requests)))
print(json.dumps({"backend": type(caches["default"]).__module__, "answers": answers}))
"""


def cache_settings(tmp_path, **env: str) -> dict:
    environment = {k: v for k, v in production_env(tmp_path, **env).items() if k not in ("CACHE_URL", "REDIS_URL")}
    environment.update(env)
    result = python(environment, SHOW_CACHE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_redis_broker_is_the_cache_too(tmp_path):
    shown = cache_settings(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/4")

    assert shown["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["LOCATION"] == "redis://127.0.0.1:6379/4"
    assert shown["KEY_PREFIX"] == "pmr"  # apart from Celery's own keys


def test_cache_url_and_redis_url_win_over_the_broker(tmp_path):
    both = {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/4", "REDIS_URL": "redis://cache.internal:6379/2"}

    assert cache_settings(tmp_path, **both)["LOCATION"] == "redis://cache.internal:6379/2"
    assert cache_settings(tmp_path, **both, CACHE_URL="rediss://other:6380/1")["LOCATION"] == "rediss://other:6380/1"


def test_without_redis_the_cache_is_this_process_memory(tmp_path):
    shown = cache_settings(tmp_path, CELERY_BROKER_URL="filesystem://")

    assert shown["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.services
def test_two_web_processes_share_one_rate_limit_through_redis(tmp_path):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    need_service("Redis", broker.startswith("redis://"))
    env = {k: v for k, v in production_env(tmp_path).items() if k not in ("CACHE_URL", "REDIS_URL")}
    env |= {"CELERY_BROKER_URL": broker, "API_RATE_USER": "3/minute"}
    user_id, at = str(secrets.randbelow(2**62) + 10**12), str(time.time())  # a user no other run counts

    def process(requests: int) -> list[bool]:
        command = [sys.executable, "-c", THROTTLE, user_id, at, str(requests), "1"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        shown = json.loads(result.stdout.strip().splitlines()[-1])
        assert shown["backend"] == "django.core.cache.backends.redis"
        return shown["answers"]

    first, second = process(2), process(2)

    assert first == [True, True]
    assert second == [True, False]  # the third request of the minute passes, the fourth does not


@pytest.mark.services
def test_concurrent_requests_from_two_processes_are_each_counted_once(tmp_path):
    broker = os.environ.get("CELERY_BROKER_URL", "")
    need_service("Redis", broker.startswith("redis://"))
    env = {k: v for k, v in production_env(tmp_path).items() if k not in ("CACHE_URL", "REDIS_URL")}
    env |= {"CELERY_BROKER_URL": broker, "API_RATE_USER": "100/minute"}
    user_id, at = str(secrets.randbelow(2**62) + 10**12), str(time.time())
    command = [sys.executable, "-c", THROTTLE, user_id, at, "80", "8"]

    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    answers = [answer for out in outputs for answer in json.loads(out.strip().splitlines()[-1])["answers"]]
    # A read-modify-write of one list would lose some of 160 concurrent counts and let more through.
    assert (answers.count(True), answers.count(False)) == (100, 60)
