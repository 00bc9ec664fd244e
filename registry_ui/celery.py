import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready
from django import db

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")

app = Celery("registry_ui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fixup closes a thread's database connections before and after every task
# unless DB_REUSE_MAX is set, whatever CONN_MAX_AGE says: each push opened a new PostgreSQL
# connection (a new server process), persistent connections asked for in DATABASE_URL
# included. With a reuse count it never reaches, the fixup leaves them be, and Django's own
# rule runs around each task instead, as around each request (below).
app.conf.update(CELERY_DB_REUSE_MAX=2**62)


@task_prerun.connect
@task_postrun.connect
def close_old_connections(task: Any = None, **kwargs: Any) -> None:
    """Close this thread's connections that are past CONN_MAX_AGE (at once with the default 0) or unusable."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's connection, maybe its transaction
    db.close_old_connections()


@worker_ready.connect
def close_startup_connections(**kwargs: Any) -> None:
    """Close what start-up opened in the main thread (Django's checks), as the fixup did when it installed."""
    db.connections.close_all()
