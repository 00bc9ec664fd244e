"""A worker's database connection around its tasks: kept while CONN_MAX_AGE allows, closed otherwise.

Celery's Django fixup (installed in every worker) closed each thread's connection before and
after every task unless its reuse count was set, whatever CONN_MAX_AGE said: every push opened
a new PostgreSQL connection. registry_ui/celery.py sets the count out of reach and runs
Django's own rule (close_old_connections) around each task instead. These tests install the
fixup as a worker does and send the task signals a worker sends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from approvals import tasks
from registry_ui.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_fixup() -> Iterator[DjangoWorkerFixup]:
    fixup = DjangoWorkerFixup(app).install()
    yield fixup
    signals.beat_embedded_init.disconnect(fixup.close_database)
    signals.task_prerun.disconnect(fixup.on_task_prerun)
    signals.task_postrun.disconnect(fixup.on_task_postrun)
    signals.worker_process_init.disconnect(fixup.on_worker_process_init)


@pytest.fixture
def max_age() -> Iterator[None]:
    original = connection.settings_dict["CONN_MAX_AGE"]
    yield
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = original


def connected_with(max_age_seconds: int | None):
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = max_age_seconds
    connection.ensure_connection()
    return connection.connection


def run_task_signals() -> None:
    task = tasks.sweep_overdue_pushes
    signals.task_prerun.send(sender=task, task_id="t1", task=task, args=(), kwargs={})
    signals.task_postrun.send(sender=task, task_id="t1", task=task, args=(), kwargs={}, retval=0, state="SUCCESS")


def test_a_persistent_connection_outlives_the_task(worker_fixup, max_age):
    raw = connected_with(300)
    run_task_signals()
    run_task_signals()
    assert connection.connection is raw  # the same connection for the next task: no new server process
    assert connection.is_usable()


def test_without_conn_max_age_each_task_closes_its_connection(worker_fixup, max_age):
    connected_with(0)
    run_task_signals()
    assert connection.connection is None


def test_what_start_up_opened_is_closed_once_the_worker_is_ready(worker_fixup, max_age):
    connected_with(300)  # as Django's checks leave the main thread's connection at start-up
    signals.worker_ready.send(sender=None)
    assert connection.connection is None
