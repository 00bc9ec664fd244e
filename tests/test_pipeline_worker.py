"""The whole pipeline with a real Celery worker process and the live emulator:
what people save reaches PAI, in order, through failures, kills and a broker
that was down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from approvals import services, tasks
from approvals.models import AuditEvent, ModelVersion, PushState
from approvals.pai_clients import client_for
from approvals.services.audit import verify_chain
from tests.fixtures_worker import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker_process")]


def edit(version, user, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


def settled(version, state=PushState.DONE, timeout=30):
    def check():
        version.refresh_from_db()
        return version.push_state == state and version.pushed_revision == version.revision

    wait_for(check, timeout=timeout, what=f"{version} to be {state}")
    return version


def remote(version):
    return client_for().get_model_version(version.model.model_id, version.version_name)


def calls(emulator, action="UpdateModelVersion"):
    return emulator.injector.stats()["requests"].get(action, 0)


def test_an_edit_and_a_decision_reach_pai_through_the_worker(pending_version, editor, approver):
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-zh"}, "Metrics": {"cer": 0.1234}}]}
    edit(pending_version, editor, VersionDescription="中文描述：情感分析", Metrics=metrics)
    settled(pending_version)
    services.version_decide(version_id=pending_version.pk, user=approver, status="Approved", reason="better cer")
    settled(pending_version)
    held = remote(pending_version)
    assert (held["VersionDescription"], held["Metrics"], held["ApprovalStatus"]) == (
        "中文描述：情感分析",
        metrics,
        "Approved",
    )
    assert verify_chain().ok


def test_two_quick_edits_to_one_field_leave_pai_with_the_later(pending_version, editor):
    edit(pending_version, editor, VersionDescription="first")
    edit(pending_version, editor, VersionDescription="second")
    settled(pending_version)
    assert remote(pending_version)["VersionDescription"] == "second"


def test_a_task_delivered_twice_or_late_changes_nothing(pending_version, editor, pai_emulator):
    edit(pending_version, editor, VersionDescription="once")
    settled(pending_version)
    before, events = calls(pai_emulator), AuditEvent.objects.count()
    tasks.push_version.delay(pending_version.pk)
    tasks.push_version.delay(pending_version.pk)
    marker = AuditEvent.objects.count()
    # A later edit proves the duplicates were consumed before it (one queue, in order).
    edit(pending_version, editor, VersionDescription="twice")
    settled(pending_version)
    assert calls(pai_emulator) - before == 1
    assert AuditEvent.objects.filter(action="push.done").count() == 2
    assert marker == events


def test_service_unavailable_retries_until_pai_answers_and_ends_done(pending_version, editor, pai_emulator):
    pai_emulator.faults.unavailable_rate = 1.0
    edit(pending_version, editor, VersionDescription="through 503s")
    wait_for(lambda: AuditEvent.objects.filter(action="push.retrying").count() >= 2, timeout=30, what="two retries")
    pai_emulator.faults.unavailable_rate = 0.0
    settled(pending_version)
    assert remote(pending_version)["VersionDescription"] == "through 503s"
    retries = AuditEvent.objects.filter(action="push.retrying")
    assert retries.count() >= 2 and all("ServiceUnavailable" in e.payload["error"] for e in retries)
    assert AuditEvent.objects.filter(action="push.done").count() == 1


def test_a_400_ends_failed_with_pai_message(pending_version, editor, pai_emulator):
    edit(pending_version, editor, VersionDescription="to a deleted version")
    # Not possible through the form: PAI lost the version after the edit was accepted.
    with pai_emulator.store._lock:
        del pai_emulator.store._versions[pending_version.model.model_id][pending_version.version_name]
    wait_for(lambda: ModelVersion.objects.get(pk=pending_version.pk).push_state == PushState.FAILED, what="failed")
    pending_version.refresh_from_db()
    assert "ModelVersionNotFound" in pending_version.push_error


def test_a_timeout_after_pai_applied_converges_without_a_second_update(pending_version, editor, pai_emulator):
    pai_emulator.faults.stall_rate = 1.0
    pai_emulator.faults.stall_seconds = 3.0  # the worker's read timeout is 2 s
    edit(pending_version, editor, VersionDescription="applied, then stalled")
    wait_for(lambda: calls(pai_emulator) >= 1, what="the first update")
    wait_for(lambda: AuditEvent.objects.filter(action="push.retrying").exists(), what="a retry")
    pai_emulator.faults.stall_rate = 0.0
    settled(pending_version)
    assert calls(pai_emulator) == 1
    assert AuditEvent.objects.filter(action="push.done").count() == 1
    assert remote(pending_version)["VersionDescription"] == "applied, then stalled"


def test_a_field_changed_in_pai_after_the_base_ends_in_conflict_and_pai_keeps_its_value(
    pending_version, editor, pai_emulator
):
    pai_emulator.faults.latency_ms = 0
    client_for().update_model_version(
        pending_version.model.model_id, pending_version.version_name, {"VersionDescription": "console edit"}
    )
    edit(pending_version, editor, VersionDescription="dashboard edit")
    wait_for(lambda: ModelVersion.objects.get(pk=pending_version.pk).push_state == PushState.CONFLICT, what="conflict")
    assert remote(pending_version)["VersionDescription"] == "console edit"
    services.version_resolve_conflict(version_id=pending_version.pk, user=editor, keep={"VersionDescription": "yours"})
    settled(pending_version)
    assert remote(pending_version)["VersionDescription"] == "dashboard edit"


def test_a_broker_down_at_commit_time_loses_nothing(pending_version, editor, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(tasks.push_version, "delay", broker_down)
    edit(pending_version, editor, VersionDescription="saved while the broker was down")
    pending_version.refresh_from_db()
    assert pending_version.push_state == PushState.QUEUED  # saved, not lost
    monkeypatch.undo()
    # A minute later the beat's sweep finds it.
    ModelVersion.objects.filter(pk=pending_version.pk).update(revision_changed_at=timezone.now() - timedelta(minutes=2))
    assert tasks.sweep_overdue_pushes() == 1
    settled(pending_version)
    assert remote(pending_version)["VersionDescription"] == "saved while the broker was down"


def test_a_worker_killed_mid_push_still_delivers_the_change(
    pending_version, editor, pai_emulator, celery_worker_process
):
    pai_emulator.faults.latency_ms = 1500
    edit(pending_version, editor, VersionDescription="survives a kill")
    wait_for(lambda: ModelVersion.objects.get(pk=pending_version.pk).push_state == PushState.PUSHING, what="pushing")
    celery_worker_process.kill()
    pai_emulator.faults.latency_ms = 0
    celery_worker_process.start()
    # The dead worker's claim expires (5 s here); then the sweep hands the version on.
    ModelVersion.objects.filter(pk=pending_version.pk).update(revision_changed_at=timezone.now() - timedelta(minutes=2))
    wait_for(lambda: tasks.sweep_overdue_pushes() > 0 or pending_version_done(pending_version), timeout=20)
    settled(pending_version)
    assert remote(pending_version)["VersionDescription"] == "survives a kill"
    assert verify_chain().ok


def pending_version_done(version):
    version.refresh_from_db()
    return version.push_state == PushState.DONE
