"""Overdue reviews through beat: a real worker process running beat in it (`celery worker -B`), on
the schedule in settings, records review.overdue once per version past its due time, however many
times beat runs the task, and tells the assignee or else the workspace's approvers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import timezone

from approvals.models import AuditEvent, ModelVersion, Notification, WorkspacePolicy
from approvals.services.reviews import review_assign
from registry_ui.celery import app
from tests.factories import make_model, make_user, make_version, make_workspace
from tests.fixtures_worker import WorkerProcess, database_url, wait_for

TASK = "approvals.tasks.record_overdue_reviews"


def runs(worker: WorkerProcess) -> int:
    """How many runs of the overdue task the worker finished (each one sent by beat)."""
    return sum(TASK in line and "succeeded" in line for line in worker.log.splitlines())


@pytest.fixture
def beat_worker(transactional_db, tmp_path) -> Iterator[WorkerProcess]:
    app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "REVIEW_OVERDUE_INTERVAL_SECONDS": "0.5",
        # Beat's other entries stay out of the way of this test.
        "PAI_SYNC_INTERVAL_SECONDS": "86400",
        "AUDIT_CHECKPOINT_INTERVAL_SECONDS": "86400",
    }
    args = ("-B", "-s", str(tmp_path / "beat-schedule"))
    worker = WorkerProcess(tmp_path / "worker.log", env, args).start()
    yield worker
    worker.stop()


def overdue_events() -> list[str]:
    return sorted(AuditEvent.objects.filter(action="review.overdue").values_list("version_name", flat=True))


def told() -> list[tuple[str, str]]:
    rows = Notification.objects.filter(kind="overdue").select_related("user", "event")
    return sorted((n.event.version_name, n.user.username) for n in rows)


def test_beat_in_a_real_worker_records_each_overdue_review_once(transactional_db, beat_worker):
    assert settings.CELERY_BEAT_SCHEDULE["record-overdue-reviews"]["task"] == TASK
    now = timezone.now()
    home = make_workspace(name="Speech", workspace_id="ws-beat")
    WorkspacePolicy.objects.create(workspace=home, review_hours=24)
    abe = make_user("abe", group="approver", workspace=home)
    make_user("ann", group="approver", workspace=home)
    make_user("otto", group="approver", workspace=make_workspace())
    model = make_model(home, model_id="m-beat", name="speech-asr")
    late = now - dt.timedelta(hours=25)
    make_version(model, version_name="1.0.0", pending_since=late)
    assigned = make_version(model, version_name="1.1.0", pending_since=late)
    review_assign(version_id=assigned.pk, user=abe, assignee="ann")
    fresh = make_version(model, version_name="2.0.0", pending_since=now - dt.timedelta(hours=1))
    make_version(model, version_name="0.9.0", pending_since=late, approval_status="Approved")

    wait_for(lambda: len(overdue_events()) == 2, timeout=60, what="beat to record the two overdue reviews")
    seen = runs(beat_worker)
    wait_for(lambda: runs(beat_worker) >= seen + 3, timeout=60, what="three more runs of the task by beat")
    assert overdue_events() == ["1.0.0", "1.1.0"]
    assert told() == [("1.0.0", "abe"), ("1.0.0", "ann"), ("1.1.0", "ann")]  # the assignee, else the approvers

    # A version that becomes overdue while beat runs is recorded at a later run, once too.
    ModelVersion.objects.filter(pk=fresh.pk).update(pending_since=late)
    wait_for(lambda: len(overdue_events()) == 3, timeout=60, what="the third overdue review")
    seen = runs(beat_worker)
    wait_for(lambda: runs(beat_worker) >= seen + 3, timeout=60, what="three more runs of the task by beat")
    assert overdue_events() == ["1.0.0", "1.1.0", "2.0.0"]
    assert told() == [("1.0.0", "abe"), ("1.0.0", "ann"), ("1.1.0", "ann"), ("2.0.0", "abe"), ("2.0.0", "ann")]
    assert "Scheduler: Sending due task record-overdue-reviews" in beat_worker.log
