"""The Celery tasks: the beat schedule, the fan-out, and a real worker syncing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from approvals import tasks
from approvals.models import ModelVersion, SyncState, Workspace
from approvals.services import push
from registry_ui.celery import app
from tests.fixtures_worker import wait_for


def test_the_beat_schedule_syncs_every_workspace_at_the_configured_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["sync-pai-workspaces"]
    assert entry["task"] == tasks.sync_workspaces.name
    assert entry["schedule"] == float(settings.PAI_SYNC_INTERVAL_SECONDS)
    assert settings.CELERY_BEAT_SCHEDULE["sweep-overdue-pushes"]["task"] == tasks.sweep_overdue_pushes.name
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)


@pytest.mark.django_db
def test_sync_workspaces_queues_one_sync_per_workspace_creating_configured_ones(monkeypatch):
    existing = Workspace.objects.create(name="From admin", workspace_id="999")
    queued: list[int] = []
    monkeypatch.setattr(tasks.sync_workspace_task, "delay", queued.append)

    with override_settings(PAI_WORKSPACE_IDS=["118493"]):
        count = tasks.sync_workspaces()

    created = Workspace.objects.get(workspace_id="118493")
    assert count == 2
    assert sorted(queued) == sorted([existing.pk, created.pk])


@pytest.mark.django_db
def test_the_sync_task_syncs_the_workspace(pai_settings, pai_emulator):
    workspace = Workspace.objects.create(name="Speech", workspace_id="118493")

    outcome = tasks.sync_workspace_task(workspace.pk)

    assert outcome["ok"] is True
    assert outcome["versions"] == ModelVersion.objects.filter(workspace=workspace).count() > 0
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.OK


@pytest.mark.django_db
def test_the_sync_task_reports_a_failure_without_raising(pai_settings, pai_emulator, monkeypatch):
    monkeypatch.setattr("approvals.sync.fetch.RETRY_BASE_SECONDS", 0)
    pai_emulator.faults.update({"unavailable_rate": 1.0})
    workspace = Workspace.objects.create(name="Speech", workspace_id="118493")

    outcome = tasks.sync_workspace_task(workspace.pk)

    assert outcome["ok"] is False
    assert "ServiceUnavailable" in outcome["error"]
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.FAILED
    assert "ServiceUnavailable" in workspace.sync_error


@pytest.mark.django_db
def test_the_sync_task_for_a_deleted_workspace_does_nothing():
    assert tasks.sync_workspace_task(12345) == {"ok": False, "error": "the workspace no longer exists"}


def test_a_push_that_must_retry_is_queued_again_after_its_backoff(monkeypatch):
    monkeypatch.setattr(push, "push_version", lambda *, version_id: push.PushOutcome("retrying", retry_in=2.5))
    scheduled = []
    monkeypatch.setattr(tasks.push_version, "apply_async", lambda args, countdown: scheduled.append((args, countdown)))

    assert tasks.push_version(7) == "retrying"
    assert scheduled == [((7,), 2.5)]


def test_a_finished_push_is_not_queued_again(monkeypatch):
    monkeypatch.setattr(push, "push_version", lambda *, version_id: push.PushOutcome("done"))
    monkeypatch.setattr(tasks.push_version, "apply_async", lambda *a, **k: pytest.fail("queued again"))

    assert tasks.push_version(7) == "done"


def test_the_sweep_queues_every_overdue_push(monkeypatch):
    monkeypatch.setattr(push, "overdue_versions", lambda: [3, 5])
    queued: list[int] = []
    monkeypatch.setattr(tasks.push_version, "delay", queued.append)

    assert tasks.sweep_overdue_pushes() == 2
    assert queued == [3, 5]


def test_a_real_worker_syncs_every_workspace_when_beat_fires(celery_worker_process):
    workspaces = [Workspace.objects.create(name=w, workspace_id=w) for w in ("118493", "207651")]

    tasks.sync_workspaces.delay()

    def all_synced() -> bool:
        return all(w.sync_state == SyncState.OK for w in Workspace.objects.filter(pk__in=[w.pk for w in workspaces]))

    wait_for(all_synced, timeout=60, what="both workspaces synced by the worker")
    for workspace in workspaces:
        assert ModelVersion.objects.filter(workspace=workspace).exists()
        assert workspace.models.exists()
