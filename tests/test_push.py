"""The push pipeline in-process against the live emulator: what reaches PAI, in
which order, and what happens when PAI fails, throttles or was edited elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import services
from approvals.errors import ApplicationError
from approvals.models import AuditEvent, Change, ModelVersion, PushState
from approvals.pai_clients import client_for
from approvals.services import push

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(pending_version):
    return pending_version


def remote(version):
    return client_for().get_model_version(version.model.model_id, version.version_name)


def edit(version, user, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


def update_calls(emulator) -> int:
    return emulator.injector.stats()["requests"].get("UpdateModelVersion", 0)


def test_an_edit_reaches_pai_and_the_version_is_done(version, editor, pai_emulator):
    change = edit(version, editor, VersionDescription="新的描述 new description")
    outcome = push.push_version(version_id=version.pk)
    version.refresh_from_db()
    change.refresh_from_db()
    assert outcome.state == PushState.DONE
    assert remote(version)["VersionDescription"] == "新的描述 new description"
    assert (version.push_state, version.pushed_revision) == (PushState.DONE, version.revision)
    assert change.pushed_at and change.push_request_id == version.last_request_id != ""
    event = AuditEvent.objects.filter(action="push.done", version_name=version.version_name).get()
    assert event.payload["request_id"] == version.last_request_id


def test_edits_to_different_fields_both_arrive_in_one_push(version, editor, pai_emulator):
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-1"}, "Metrics": {"f1": 0.93}}]}
    edit(version, editor, VersionDescription="first")
    edit(version, editor, Metrics=metrics)
    before = update_calls(pai_emulator)
    push.push_version(version_id=version.pk)
    held = remote(version)
    assert (held["VersionDescription"], held["Metrics"]) == ("first", metrics)
    assert update_calls(pai_emulator) - before == 1


def test_two_edits_to_one_field_arrive_as_the_later(version, editor):
    edit(version, editor, VersionDescription="older")
    edit(version, editor, VersionDescription="newer")
    push.push_version(version_id=version.pk)
    assert remote(version)["VersionDescription"] == "newer"


def test_a_duplicate_or_late_push_finds_nothing_to_do(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="once")
    push.push_version(version_id=version.pk)
    before = update_calls(pai_emulator)
    assert push.push_version(version_id=version.pk).state == "nothing to do"
    assert update_calls(pai_emulator) == before


def test_a_version_claimed_by_a_live_worker_is_not_pushed_twice(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="claimed")
    ModelVersion.objects.filter(pk=version.pk).update(
        lease_owner="other-worker", lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert push.push_version(version_id=version.pk).state == "nothing to do"
    ModelVersion.objects.filter(pk=version.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert remote(version)["VersionDescription"] == "claimed"


def test_a_decision_queued_behind_edits_reaches_pai_with_them(version, editor, approver, pai_emulator):
    edit(version, editor, VersionDescription="ready for review")
    services.version_decide(version_id=version.pk, user=approver, status="Approved", reason="looks good")
    before = update_calls(pai_emulator)
    push.push_version(version_id=version.pk)
    held = remote(version)
    assert (held["VersionDescription"], held["ApprovalStatus"]) == ("ready for review", "Approved")
    assert update_calls(pai_emulator) - before == 1


def test_a_field_changed_in_pai_meanwhile_puts_the_version_in_conflict(version, editor, pai_emulator):
    base = version.version_description
    edit(version, editor, VersionDescription="ours")
    client_for().update_model_version(version.model.model_id, version.version_name, {"VersionDescription": "theirs"})
    before = update_calls(pai_emulator)
    assert push.push_version(version_id=version.pk).state == PushState.CONFLICT
    version.refresh_from_db()
    assert version.push_state == PushState.CONFLICT
    assert version.conflict == {"VersionDescription": {"base": base, "theirs": "theirs", "yours": "ours"}}
    assert update_calls(pai_emulator) == before
    assert remote(version)["VersionDescription"] == "theirs"
    assert AuditEvent.objects.filter(action="push.conflict").count() == 1


def test_keeping_yours_after_a_conflict_sends_yours(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="ours")
    client_for().update_model_version(version.model.model_id, version.version_name, {"VersionDescription": "theirs"})
    push.push_version(version_id=version.pk)
    services.version_resolve_conflict(version_id=version.pk, user=editor, keep={"VersionDescription": "yours"})
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert remote(version)["VersionDescription"] == "ours"


def test_keeping_theirs_after_a_conflict_takes_pai_value_and_sends_nothing(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="ours")
    client_for().update_model_version(version.model.model_id, version.version_name, {"VersionDescription": "theirs"})
    push.push_version(version_id=version.pk)
    services.version_resolve_conflict(version_id=version.pk, user=editor, keep={"VersionDescription": "theirs"})
    before = update_calls(pai_emulator)
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    version.refresh_from_db()
    assert version.version_description == "theirs" and version.push_state == PushState.DONE
    assert update_calls(pai_emulator) == before


def test_pai_already_holding_our_value_is_not_a_conflict(version, editor, pai_emulator):
    # An earlier push that timed out after PAI applied it.
    edit(version, editor, VersionDescription="applied already")
    client_for().update_model_version(
        version.model.model_id, version.version_name, {"VersionDescription": "applied already"}
    )
    assert push.push_version(version_id=version.pk).state == PushState.DONE


def test_a_retryable_failure_shows_retrying_with_the_error_then_succeeds(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="eventually")
    pai_emulator.faults.unavailable_rate = 1.0
    outcome = push.push_version(version_id=version.pk)
    version.refresh_from_db()
    assert outcome.state == PushState.RETRYING and outcome.retry_in > 0
    assert version.push_state == PushState.RETRYING and "ServiceUnavailable" in version.push_error
    assert version.push_attempts == 1
    pai_emulator.faults.unavailable_rate = 0.0
    ModelVersion.objects.filter(pk=version.pk).update(lease_expires_at=None)  # the backoff has passed
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    assert remote(version)["VersionDescription"] == "eventually"


def test_throttling_waits_at_least_as_long_as_pai_asks(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="slowly")
    pai_emulator.faults.throttle_rate = 1.0
    pai_emulator.faults.throttle_retry_after_ms = 30_000
    outcome = push.push_version(version_id=version.pk)
    assert outcome.state == PushState.RETRYING and outcome.retry_in >= 30


def test_a_permanent_failure_is_failed_with_pai_code_and_blocks_decisions(version, editor, approver, pai_emulator):
    edit(version, editor, VersionDescription="doomed")
    with pai_emulator.store._lock:
        del pai_emulator.store._versions[version.model.model_id][version.version_name]
    assert push.push_version(version_id=version.pk).state == PushState.FAILED
    version.refresh_from_db()
    assert version.push_state == PushState.FAILED and "ModelVersionNotFound" in version.push_error
    assert AuditEvent.objects.filter(action="push.failed").exists()
    with pytest.raises(ApplicationError, match="failed"):
        services.version_decide(version_id=version.pk, user=approver, status="Approved")
    assert push.push_version(version_id=version.pk).state == "nothing to do"


def test_an_overdue_version_is_found_by_the_sweep(version, editor):
    edit(version, editor, VersionDescription="lost task")
    assert push.overdue_versions() == []
    ModelVersion.objects.filter(pk=version.pk).update(revision_changed_at=timezone.now() - timedelta(minutes=2))
    assert push.overdue_versions() == [version.pk]
    push.push_version(version_id=version.pk)
    assert push.overdue_versions() == []
    assert Change.objects.filter(version=version, pushed_at__isnull=True).count() == 0


def test_every_retry_is_an_audit_event_with_its_attempt(version, editor, pai_emulator):
    edit(version, editor, VersionDescription="persistent")
    pai_emulator.faults.unavailable_rate = 1.0
    for _ in range(2):
        push.push_version(version_id=version.pk)
        ModelVersion.objects.filter(pk=version.pk).update(lease_expires_at=None)
    pai_emulator.faults.unavailable_rate = 0.0
    push.push_version(version_id=version.pk)
    events = list(AuditEvent.objects.filter(action__startswith="push.").order_by("seq"))
    assert [(e.action, e.payload.get("attempt")) for e in events] == [
        ("push.retrying", 1),
        ("push.retrying", 2),
        ("push.done", None),
    ]


def test_a_push_that_keeps_failing_past_the_limit_gives_up_into_failed(version, editor, pai_emulator, settings):
    edit(version, editor, VersionDescription="never")
    settings.PUSH_GIVE_UP_AFTER_SECONDS = 60
    Change.objects.filter(version=version).update(created_at=timezone.now() - timedelta(minutes=2))
    pai_emulator.faults.unavailable_rate = 1.0
    outcome = push.push_version(version_id=version.pk)
    version.refresh_from_db()
    assert outcome.state == PushState.FAILED and outcome.retry_in is None
    assert version.push_state == PushState.FAILED and "ServiceUnavailable" in version.push_error
