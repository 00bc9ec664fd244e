"""A real Celery worker delivers notifications after commit, through failures, exactly once per id."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from approvals import tasks
from approvals.models import OutboxMessage
from registry_ui.celery import app
from tests.factories import make_event, make_model, make_version, make_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET, HecReceiver
from tests.fixtures_worker import WorkerProcess, database_url, wait_for
from tests.notify_helpers import approve_event, make_channel

HEC_TOKEN = "hec-token-of-the-worker-test-0123456789"


@pytest.fixture
def hec_receiver(settings) -> Iterator[HecReceiver]:
    receiver = HecReceiver(HEC_TOKEN).start()
    settings.AUDIT_STREAM_URL, settings.AUDIT_STREAM_TOKEN, settings.AUDIT_STREAM_BATCH = receiver.url, HEC_TOKEN, 1
    yield receiver
    receiver.stop()


@pytest.fixture
def notify_worker(transactional_db, tmp_path, settings) -> Iterator[WorkerProcess]:
    app.control.purge()
    stream = {"AUDIT_STREAM_URL": settings.AUDIT_STREAM_URL, "AUDIT_STREAM_TOKEN": settings.AUDIT_STREAM_TOKEN}
    env = {
        **stream,
        "AUDIT_STREAM_BATCH": str(settings.AUDIT_STREAM_BATCH),
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_RETRY_MAX_DELAY_SECONDS": "1",
        "NOTIFY_COALESCE_SECONDS": "0.2",
        "NOTIFY_TIMEOUT_SECONDS": "2",
        "DASHBOARD_URL": "https://review.example.com",
    }
    worker = WorkerProcess(tmp_path / "worker.log", env).start()
    yield worker
    worker.stop()


@pytest.fixture
def version(transactional_db):
    workspace = make_workspace(name="NLP", workspace_id="118493")
    return make_version(make_model(workspace, name="qwen-chat"), version_name="1.2.0")


def test_the_worker_delivers_each_message_once_after_the_receiver_recovers(notify_worker, version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    webhook_receiver.fail_first = 3  # the first three requests answer 500
    for _ in range(4):
        approve_event(version)  # each commits on its own and queues the channel's delivery
    rows = list(OutboxMessage.objects.filter(channel=channel).order_by("pk"))
    wait_for(
        lambda: not OutboxMessage.objects.filter(channel=channel, state="pending").exists(),
        timeout=60,
        what=f"delivery; worker log:\n{notify_worker.log[-3000:]}",
    )
    assert webhook_receiver.requests > len(rows)  # it did fail, and was retried
    assert sorted(webhook_receiver.ids()) == sorted(r.message_id for r in rows)  # each once: none lost, none twice
    assert not webhook_receiver.refused
    assert channel.attempts.filter(ok=False, status_code=500).count() == 3


def test_a_task_the_broker_lost_is_found_by_the_sweep(notify_worker, version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    notify_worker.stop()
    approve_event(version)
    app.control.purge()  # the queued delivery is lost
    notify_worker.log_path = notify_worker.log_path.with_name("worker-again.log")
    notify_worker.start()
    tasks.sweep_outbox.delay()  # what beat does every 30 s
    row = OutboxMessage.objects.get(channel=channel)
    wait_for(
        lambda: OutboxMessage.objects.filter(pk=row.pk, state="delivered").exists(),
        timeout=60,
        what=f"the swept delivery; worker log:\n{notify_worker.log[-3000:]}",
    )
    assert webhook_receiver.ids() == [row.message_id]


def test_the_worker_streams_every_event_in_order_through_a_failure(hec_receiver, notify_worker):
    hec_receiver.fail_requests = {2, 3}  # the second event's first two tries fail: the rest must wait
    events = [make_event(actor="abe", action="token.created", payload={"n": n}) for n in range(5)]
    wait_for(
        lambda: not OutboxMessage.objects.filter(sink="http", state="pending").exists(),
        timeout=60,
        what="the audit stream",
    )
    assert hec_receiver.seqs() == [e.seq for e in events]  # in order, each once, nothing lost
    assert hec_receiver.requests == len(events) + 2
