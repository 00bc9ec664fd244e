"""Edit and decision rules, enforced in the services so every door (forms, API) inherits them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from approvals import services
from approvals.errors import ApplicationError, StaleEdit
from approvals.models import (
    Approval,
    AuditEvent,
    Change,
    ModelVersion,
    PushState,
    RegisteredModel,
    Workspace,
)
from tests.factories import grant

pytestmark = pytest.mark.django_db


def user(name, *groups):
    u = User.objects.create_user(name, password="x")
    for g in groups:
        grant(u, g)
    return u


@pytest.fixture
def version():
    ws = Workspace.objects.create(name="NLP", workspace_id="118493")
    model = RegisteredModel.objects.create(workspace=ws, model_id="model-abc", name="sentiment")
    return ModelVersion.objects.create(model=model, workspace=ws, version_name="1.0.0", version_description="old")


@pytest.fixture
def editor():
    return user("edna", "editor")


@pytest.fixture
def approver():
    return user("abe", "approver")


def edit(version, who, **values):
    version.refresh_from_db()
    return services.version_edit(version_id=version.pk, user=who, values=values, base_revision=version.revision)


def nothing_saved(version, revision=0):
    version.refresh_from_db()
    return version.revision == revision and not Change.objects.exists() and not AuditEvent.objects.exists()


def test_an_edit_records_its_change_and_audit_event_and_enqueues_one_push(
    version, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = edit(version, editor, VersionDescription="新描述")
    version.refresh_from_db()
    assert (version.revision, version.version_description, version.push_state) == (1, "新描述", PushState.QUEUED)
    assert change.fields == {"VersionDescription": ["old", "新描述"]} and change.revision == 1
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.payload["fields"]) == ("edna", "version.edited", change.fields)
    assert len(callbacks) == 1


def test_it_refuses_an_edit_from_someone_outside_the_editor_group(version, approver):
    with pytest.raises(ApplicationError, match="editors of this workspace"):
        edit(version, approver, VersionDescription="x")
    assert nothing_saved(version)


def test_it_refuses_metrics_over_8192_chars_and_saves_nothing(version, editor):
    with pytest.raises(ApplicationError) as caught:
        edit(version, editor, Metrics={"Results": "x" * 8200})
    assert caught.value.field == "Metrics" and "8192" in caught.value.message
    assert nothing_saved(version)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"TrainingSpec": [1, 2]}, "TrainingSpec"),
        ({"Options": {"a": 1}}, "Options"),
        ({"SourceType": "Elsewhere"}, "SourceType"),
        ({"SourceType": "PAIFlow", "SourceId": "run-1"}, "SourceId"),
    ],
)
def test_it_refuses_what_pai_would_refuse_at_the_field(version, editor, values, field):
    with pytest.raises(ApplicationError) as caught:
        edit(version, editor, **values)
    assert caught.value.field == field
    assert nothing_saved(version)


def test_it_refuses_editing_the_approval_status_as_metadata(version, editor):
    with pytest.raises(ApplicationError, match="ApprovalStatus"):
        edit(version, editor, ApprovalStatus="Approved")
    assert nothing_saved(version)


def test_it_refuses_an_edit_that_changes_nothing(version, editor):
    with pytest.raises(ApplicationError, match="Nothing changed"):
        edit(version, editor, VersionDescription="old")
    assert nothing_saved(version)


def test_it_refuses_a_save_from_a_stale_page_and_says_what_changed(version, editor):
    edit(version, editor, VersionDescription="by someone else")
    with pytest.raises(StaleEdit) as caught:
        services.version_edit(
            version_id=version.pk, user=editor, values={"VersionDescription": "mine"}, base_revision=0
        )
    assert caught.value.changed == {"VersionDescription": ["old", "by someone else"]}
    version.refresh_from_db()
    assert version.version_description == "by someone else" and version.revision == 1


def decide(version, who, status, reason=""):
    return services.version_decide(version_id=version.pk, user=who, status=status, reason=reason)


def test_an_approval_records_the_decision_and_its_reason(version, approver):
    change = decide(version, approver, "Approved", "metrics beat 1.0")
    version.refresh_from_db()
    assert version.approval_status == "Approved" and change.reason == "metrics beat 1.0"
    event = AuditEvent.objects.get()
    assert (event.action, event.payload["reason"]) == ("version.approved", "metrics beat 1.0")


def test_only_approvers_decide(version, editor):
    with pytest.raises(ApplicationError, match="approvers of this workspace"):
        decide(version, editor, "Approved")
    assert nothing_saved(version)


def test_staff_without_the_approver_group_cannot_decide(version):
    admin = User.objects.create_user("root", password="x", is_staff=True, is_superuser=True)
    with pytest.raises(ApplicationError, match="approvers of this workspace"):
        decide(version, admin, "Approved")


def test_a_rejection_needs_a_reason(version, approver):
    with pytest.raises(ApplicationError) as caught:
        decide(version, approver, "Rejected", "   ")
    assert caught.value.field == "Reason"
    assert nothing_saved(version)


def test_a_decided_version_cannot_be_decided_again_but_stays_editable(version, approver, editor):
    decide(version, approver, "Rejected", "bad wer")
    with pytest.raises(ApplicationError, match="already Rejected"):
        decide(version, user("ann", "approver"), "Approved")
    edit(version, editor, VersionDescription="fixed typo")
    version.refresh_from_db()
    assert (version.approval_status, version.version_description) == ("Rejected", "fixed typo")


def test_nobody_approves_a_version_they_edited(version):
    both = user("bo", "editor", "approver")
    edit(version, both, VersionDescription="my change")
    with pytest.raises(ApplicationError, match="another approver"):
        decide(version, both, "Approved")
    decide(version, both, "Rejected", "on second thought")  # rejecting one's own work is fine
    version.refresh_from_db()
    assert version.approval_status == "Rejected"


def test_separation_of_duties_can_be_turned_off(version, settings):
    settings.APPROVALS_SEPARATION_OF_DUTIES = False
    both = user("bo", "editor", "approver")
    edit(version, both, VersionDescription="my change")
    decide(version, both, "Approved")
    version.refresh_from_db()
    assert version.approval_status == "Approved"


def test_with_two_required_approvers_the_first_is_recorded_and_the_second_decides(version, approver, settings):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    first = decide(version, approver, "Approved", "ok")
    version.refresh_from_db()
    assert isinstance(first, Approval) and version.approval_status == "Pending" and version.revision == 0
    with pytest.raises(ApplicationError, match="already approved"):
        decide(version, approver, "Approved")
    decide(version, user("cy", "approver"), "Approved")
    version.refresh_from_db()
    assert version.approval_status == "Approved" and version.revision == 1
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "version.approval_recorded",
        "version.approved",
    ]


def test_with_two_required_approvers_one_rejection_decides_at_once(version, approver, settings):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    decide(version, approver, "Approved")
    decide(version, user("cy", "approver"), "Rejected", "no")
    version.refresh_from_db()
    assert version.approval_status == "Rejected"


@pytest.mark.parametrize("state", [PushState.FAILED, PushState.CONFLICT])
def test_a_version_whose_push_is_stuck_cannot_be_decided(version, approver, state):
    ModelVersion.objects.filter(pk=version.pk).update(push_state=state)
    with pytest.raises(ApplicationError, match=str(state)):
        decide(version, approver, "Approved")


def test_a_gone_version_cannot_be_edited(version, editor):
    ModelVersion.objects.filter(pk=version.pk).update(gone=True)
    with pytest.raises(ApplicationError, match="no longer lists"):
        edit(version, editor, VersionDescription="x")


def test_an_edit_of_a_failed_version_resubmits_it(version, editor, django_capture_on_commit_callbacks):
    ModelVersion.objects.filter(pk=version.pk).update(
        push_state=PushState.FAILED, push_error="404 ModelVersionNotFound"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(version, editor, VersionDescription="fixed")
    version.refresh_from_db()
    assert (version.push_state, version.push_error, len(callbacks)) == (PushState.QUEUED, "", 1)


def test_an_edit_of_a_version_in_conflict_waits_for_the_resolution(version, editor, django_capture_on_commit_callbacks):
    ModelVersion.objects.filter(pk=version.pk).update(push_state=PushState.CONFLICT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        edit(version, editor, VersionDescription="meanwhile")
    version.refresh_from_db()
    assert (version.push_state, len(callbacks)) == (PushState.CONFLICT, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("VersionDescription", "nul \x00 inside"),
        ("Metrics", {"Results": [{"Metrics": {"a\x00b": 1}}]}),
        ("ExtraInfo", {"note": "lone \ud800 surrogate"}),
    ],
)
def test_it_refuses_text_the_database_cannot_store_and_saves_nothing(version, editor, field, value):
    with pytest.raises(ApplicationError) as caught:
        edit(version, editor, **{field: value})
    assert caught.value.field == field
    assert nothing_saved(version)


def test_numbers_that_differ_only_in_type_are_a_change(version, editor):
    ModelVersion.objects.filter(pk=version.pk).update(metrics={"Results": [{"Metrics": {"top1": 1}}]})
    change = edit(version, editor, Metrics={"Results": [{"Metrics": {"top1": 1.0}}]})
    assert change.fields["Metrics"][1] == {"Results": [{"Metrics": {"top1": 1.0}}]}
