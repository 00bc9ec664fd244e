"""Approve exactly what you saw: decisions bound to a revision, approvals pinned to content, the
decision a barrier in the push pipeline, and a decision withdrawn when PAI's content moved.

Against the live emulator over loopback; the pushes run in this process (tests/test_pipeline_worker.py
and test_decisions_worker.py do it with a real worker).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from approvals import services
from approvals.errors import ApplicationError, StaleEdit
from approvals.models import Approval, ApprovalStatus, AuditEvent, Change, ModelVersion, PushState, WorkspacePolicy
from approvals.pai_clients import client_for
from approvals.services import push
from approvals.sync import sync_workspace
from tests.factories import grant, make_user, make_workspace

pytestmark = pytest.mark.django_db


def fresh(version: ModelVersion) -> ModelVersion:
    version.refresh_from_db()
    return version


def edit(version, user, **values):
    return services.version_edit(version_id=version.pk, user=user, values=values, base_revision=fresh(version).revision)


def decide(version, user, status="Approved", reason="fine", revision=None):
    return services.version_decide(
        version_id=version.pk,
        user=user,
        status=status,
        reason=reason,
        revision=fresh(version).revision if revision is None else revision,
    )


def require(workspace, approvers: int) -> None:
    WorkspacePolicy.objects.update_or_create(workspace=workspace, defaults={"required_approvers": approvers})


@pytest.fixture
def approvers():
    return [make_user(f"approver{i}", group="approver") for i in (1, 2, 3)]


class Updates:
    """Every UpdateModelVersion PAI applied: the body, and the version as PAI held it right after."""

    def __init__(self, emulator: Any) -> None:
        self.seen: list[tuple[dict[str, Any], dict[str, Any]]] = []
        store, real = emulator.store, emulator.store.update_version

        def recording(model_id: str, version_name: str, body: Any) -> None:
            real(model_id, version_name, body)
            self.seen.append((copy.deepcopy(body), store.get_version(model_id, version_name)))

        store.update_version = recording
        self.stop = lambda: setattr(store, "update_version", real)

    def approvals(self) -> list[dict[str, Any]]:
        """PAI's version at each moment it became Approved."""
        return [after for body, after in self.seen if body.get("ApprovalStatus") == "Approved"]


@pytest.fixture
def updates(pai_emulator):
    recorder = Updates(pai_emulator)
    yield recorder
    recorder.stop()


def console_edit(version, **fields) -> None:
    """Someone changes the version in the PAI console."""
    client_for().update_model_version(version.model.model_id, version.version_name, fields)


# --- a decision covers the revision its page showed ---------------------------------------------


def test_a_decision_for_an_older_revision_is_refused_records_nothing_and_says_what_changed(
    pending_version, editor, approver
):
    shown = fresh(pending_version).revision
    edit(pending_version, editor, VersionDescription="changed after the approver looked")
    events = AuditEvent.objects.count()
    with pytest.raises(StaleEdit) as refused:
        decide(pending_version, approver, revision=shown)
    assert refused.value.changed["VersionDescription"][1] == "changed after the approver looked"
    assert fresh(pending_version).approval_status == "Pending"
    assert not Approval.objects.exists() and AuditEvent.objects.count() == events


def test_an_approval_of_an_earlier_revision_does_not_count_and_is_dismissed_visibly(pending_version, editor, approvers):
    require(pending_version.workspace, 2)
    first, second, _ = approvers
    decide(pending_version, first)
    edit(pending_version, editor, Metrics={"cer": 0.5})
    dismissed = Approval.objects.get(approver=first)
    assert dismissed.dismissed_at is not None and "edited" in dismissed.dismissed_reason
    [event] = AuditEvent.objects.filter(action="version.approvals_dismissed")
    assert event.payload["approvals"] == [{"approver": "approver1", "revision": dismissed.revision}]
    assert event.payload["by"] == {"kind": "edit", "revision": fresh(pending_version).revision, "author": "edna"}
    # The second approval is the first of the new revision: it waits, nothing is decided.
    outcome = decide(pending_version, second)
    assert isinstance(outcome, Approval) and fresh(pending_version).approval_status == "Pending"
    decide(pending_version, first)
    assert fresh(pending_version).approval_status == "Approved"


def test_the_decisions_event_names_the_revision_the_approvers_and_the_policy(pending_version, approvers):
    require(pending_version.workspace, 2)
    revision = fresh(pending_version).revision
    decide(pending_version, approvers[0])
    decide(pending_version, approvers[1])
    event = AuditEvent.objects.get(action="version.approved")
    assert event.payload["decided_revision"] == revision
    assert event.payload["approvers"] == ["approver1", "approver2"]
    assert event.payload["policy"]["required_approvers"] == 2


def test_three_required_approvers_need_three_distinct_people_on_the_same_revision(pending_version, approvers):
    require(pending_version.workspace, 3)
    decide(pending_version, approvers[0])
    with pytest.raises(ApplicationError, match="already approved"):
        decide(pending_version, approvers[0])
    decide(pending_version, approvers[1])
    assert fresh(pending_version).approval_status == "Pending"
    decide(pending_version, approvers[2])
    assert fresh(pending_version).approval_status == "Approved"


def test_resolving_a_conflict_with_ones_own_value_counts_for_separation_of_duties(pending_version, editor):
    both = grant(make_user("both", group="approver"), "editor")
    edit(pending_version, editor, VersionDescription="ours")
    console_edit(pending_version, VersionDescription="theirs")
    assert push.push_version(version_id=pending_version.pk).state == PushState.CONFLICT
    services.version_resolve_conflict(
        version_id=pending_version.pk,
        user=both,
        keep={"VersionDescription": "yours"},
        revision=fresh(pending_version).revision,
    )
    with pytest.raises(ApplicationError, match="another approver"):
        decide(pending_version, both)


def test_a_resolution_on_a_stale_page_is_refused(pending_version, editor):
    edit(pending_version, editor, VersionDescription="ours")
    console_edit(pending_version, VersionDescription="theirs")
    push.push_version(version_id=pending_version.pk)
    shown = fresh(pending_version).revision
    with pytest.raises(StaleEdit):
        services.version_resolve_conflict(
            version_id=pending_version.pk, user=editor, keep={"VersionDescription": "theirs"}, revision=shown - 1
        )
    assert fresh(pending_version).push_state == PushState.CONFLICT


def test_an_approver_of_another_workspace_cannot_decide_here(pending_version):
    outsider = make_user("outsider", group="approver", workspace=make_workspace())
    with pytest.raises(ApplicationError, match="approvers of this workspace"):
        decide(pending_version, outsider)
    assert fresh(pending_version).approval_status == "Pending" and not Approval.objects.exists()


# --- a sync that brings a change made in PAI ------------------------------------------------------


def test_a_sync_bringing_a_console_edit_is_a_new_revision_and_dismisses_approvals(
    pending_version, synced_workspace, approvers
):
    require(synced_workspace, 2)
    decide(pending_version, approvers[0])
    shown = fresh(pending_version).revision
    console_edit(pending_version, Metrics={"cer": 0.9})
    sync_workspace(workspace=synced_workspace)
    version = fresh(pending_version)
    assert version.revision == shown + 1 and version.pushed_revision == version.revision
    assert Change.objects.get(version=version, revision=version.revision).kind == "pai"
    assert Approval.objects.get(approver=approvers[0]).dismissed_at is not None
    # A decision made on the page shown before the sync is stale.
    with pytest.raises(StaleEdit):
        decide(pending_version, approvers[1], revision=shown)


# --- the decision is a barrier in the push pipeline -----------------------------------------------


def test_pai_receives_the_decided_content_with_the_decision_and_a_later_edit_after_it(
    pending_version, editor, approver, updates
):
    edit(pending_version, editor, VersionDescription="approved text")
    decide(pending_version, approver)
    edit(pending_version, editor, VersionDescription="written after the decision")
    for _ in range(3):
        push.push_version(version_id=pending_version.pk)
    bodies = [body for body, _after in updates.seen]
    assert bodies[0] == {"VersionDescription": "approved text", "ApprovalStatus": "Approved"}
    assert bodies[1] == {"VersionDescription": "written after the decision"}
    [approved] = updates.approvals()
    assert approved["VersionDescription"] == "approved text"
    assert (fresh(pending_version).push_state, pending_version.pushed_revision) == (
        PushState.DONE,
        pending_version.revision,
    )


def test_a_console_edit_before_the_decisions_push_sends_nothing_and_withdraws_the_decision(
    pending_version, approver, updates
):
    decide(pending_version, approver)
    console_edit(pending_version, Options='{"deploy": "now"}')
    updates.seen.clear()
    assert push.push_version(version_id=pending_version.pk).state == PushState.CONFLICT
    assert updates.seen == []
    version = fresh(pending_version)
    assert version.approval_status == "Pending" and version.push_state == PushState.CONFLICT
    assert version.conflict["Options"]["theirs"] == '{"deploy": "now"}'
    assert Approval.objects.get().dismissed_at is not None
    assert AuditEvent.objects.filter(action="version.decision_withdrawn").count() == 1
    remote = client_for().get_model_version(version.model.model_id, version.version_name)
    assert remote["ApprovalStatus"] == "Pending"


# --- any interleaving -------------------------------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.sampled_from(["a", "b", "c"])),
        st.tuples(st.just("approve"), st.integers(0, 3)),  # 3: an approver of another workspace
        st.tuples(st.just("console"), st.sampled_from(['{"x":1}', '{"x":2}'])),
        st.tuples(st.just("sync"), st.none()),
        st.tuples(st.just("push"), st.none()),
        st.tuples(st.just("resolve"), st.sampled_from(["theirs", "yours"])),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS, required=st.integers(1, 2))
def test_no_interleaving_approves_content_nobody_approved_or_lets_an_outsider_decide(
    steps, required, pending_version, synced_workspace, editor, approvers, pai_emulator
):
    note(f"steps: {steps}, required: {required}")
    key = (pending_version.model.model_id, pending_version.version_name)
    with pai_emulator.store._lock:
        baseline = copy.deepcopy(pai_emulator.store._versions[key[0]][key[1]])
    updates = Updates(pai_emulator)
    with transaction.atomic():
        outsider = make_user("far-away", group="approver", workspace=make_workspace())
        people = [*approvers[:3], outsider]
        require(synced_workspace, required)
        try:
            decided: dict[str, Any] = {}
            for action, arg in steps:
                version = fresh(pending_version)
                try:
                    if action == "edit":
                        edit(version, editor, VersionDescription=arg)
                    elif action == "approve":
                        outcome = decide(version, people[arg])
                        if isinstance(outcome, Change):
                            decided = {"revision": outcome.revision - 1, "content": content_of(version)}
                    elif action == "console":
                        console_edit(version, Options=arg)
                    elif action == "sync":
                        sync_workspace(workspace=synced_workspace)
                    elif action == "push":
                        push.push_version(version_id=version.pk)
                    elif version.push_state == PushState.CONFLICT:
                        keep = {field: arg for field in version.conflict}
                        services.version_resolve_conflict(
                            version_id=version.pk, user=editor, keep=keep, revision=version.revision
                        )
                except ApplicationError:
                    pass  # a refusal is one of the outcomes; what matters is what PAI ends with
            for _ in range(3):
                push.push_version(version_id=pending_version.pk)
            for approved in updates.approvals():
                # PAI became Approved holding exactly the content that was decided.
                assert decided, "PAI was approved without a decision"
                assert {f: approved.get(f) for f in decided["content"]} == decided["content"]
            decision = Change.objects.filter(version=pending_version, kind="decision").first()
            if decision is not None and decision.fields["ApprovalStatus"][1] == ApprovalStatus.APPROVED:
                live = Approval.objects.filter(version=pending_version, revision=decided["revision"])
                approvers_of_it = set(live.values_list("approver__username", flat=True))
                assert len(approvers_of_it) >= required and "far-away" not in approvers_of_it
        finally:
            updates.stop()
            transaction.set_rollback(True)
    with pai_emulator.store._lock:
        pai_emulator.store._versions[key[0]][key[1]] = baseline


def content_of(version: ModelVersion) -> dict[str, Any]:
    """What the approvers saw, as PAI names it (the fields the property can change)."""
    return {"VersionDescription": version.version_description, "Options": version.options}
