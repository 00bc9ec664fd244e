"""A policy per workspace: required approvers, separation of duties, reasons on approval and what stays
editable once decided, each set for one workspace and not another; policy_update (staff, audited) and
Django admin, whose saves go through it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals import services
from approvals.errors import ApplicationError
from approvals.models import Approval, AuditEvent, GateWaiver, MetricGate, WorkspacePolicy
from approvals.services.policies import gate_waive, policy_update
from tests.factories import grant, make_model, make_user, make_version, results_metrics, write_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("root", staff=True)


@pytest.fixture
def approvers():
    return [make_user(name, group="approver") for name in ("ann", "bob", "cy")]


@pytest.fixture
def editor():
    return make_user("edna", group="editor")


def policy(workspace, staff, **values):
    policy_update(workspace=workspace, user=staff, values=values)


def approve(version, user, reason: str = ""):
    version.refresh_from_db()
    return services.version_decide(
        version_id=version.pk, user=user, status="Approved", revision=version.revision, reason=reason
    )


def status_of(version) -> str:
    version.refresh_from_db()
    return version.approval_status


# --- required approvers ------------------------------------------------------------------


def test_each_workspace_requires_its_own_number_of_distinct_approvers(staff, approvers, settings):
    settings.APPROVALS_REQUIRED_APPROVERS = 1
    two, three, default = make_version(), make_version(), make_version()
    policy(two.workspace, staff, required_approvers=2)
    policy(three.workspace, staff, required_approvers=3)

    approve(default, approvers[0])
    approve(two, approvers[0])
    approve(three, approvers[0])
    approve(three, approvers[1])

    assert [status_of(v) for v in (default, two, three)] == ["Approved", "Pending", "Pending"]
    approve(two, approvers[1])
    approve(three, approvers[2])
    assert [status_of(v) for v in (two, three)] == ["Approved", "Approved"]
    decided = AuditEvent.objects.get(action="version.approved", version_name=three.version_name)
    assert decided.payload["approvers"] == ["ann", "bob", "cy"]
    assert decided.payload["policy"]["required_approvers"] == 3


def test_approvals_count_only_on_the_same_revision(staff, approvers, editor):
    version = make_version(metrics=results_metrics(("d", {"cer": 0.2})))
    policy(version.workspace, staff, required_approvers=2)
    approve(version, approvers[0])

    services.version_edit(
        version_id=version.pk, user=editor, values={"Metrics": results_metrics(("d", {"cer": 0.3}))}, base_revision=0
    )
    approve(version, approvers[1])

    assert status_of(version) == "Pending"  # ann approved revision 0, bob revision 1
    assert list(Approval.objects.filter(dismissed_at__isnull=True).values_list("approver__username", "revision")) == [
        ("bob", 1)
    ]
    approve(version, approvers[0])
    assert status_of(version) == "Approved"


# --- reasons, separation of duties -------------------------------------------------------------


def test_a_workspace_can_require_a_reason_on_every_approval(staff, approvers):
    strict, lax = make_version(), make_version()
    policy(strict.workspace, staff, reason_required_on_approval=True)
    before = write_state(strict)

    with pytest.raises(ApplicationError) as refused:
        approve(strict, approvers[0], reason="   ")

    assert (refused.value.field, refused.value.message) == (
        "Reason",
        "This workspace's policy asks for a reason with every approval.",
    )
    assert write_state(strict) == before
    approve(lax, approvers[0])
    approve(strict, approvers[0], reason="metrics hold up")
    assert (status_of(strict), status_of(lax)) == ("Approved", "Approved")


@pytest.mark.parametrize("separated", [True, False])
def test_separation_of_duties_is_set_per_workspace(staff, separated):
    version = make_version()
    policy(version.workspace, staff, separation_of_duties=separated)
    both = grant(make_user("dual", group="editor"), "approver")
    services.version_edit(version_id=version.pk, user=both, values={"VersionDescription": "mine"}, base_revision=0)

    if separated:
        with pytest.raises(ApplicationError, match="You edited this version; another approver has to approve it"):
            approve(version, both)
        assert status_of(version) == "Pending"
    else:
        approve(version, both)
        assert status_of(version) == "Approved"


# --- editable after a decision ---------------------------------------------------------------------


def test_a_decided_version_keeps_its_frozen_fields_and_accepts_a_new_description(editor):
    version = make_version(approval_status="Approved", metrics=results_metrics(("d", {"cer": 0.2})))
    before = write_state(version)

    with pytest.raises(ApplicationError) as refused:
        services.version_edit(version_id=version.pk, user=editor, values={"Metrics": {}}, base_revision=0)
    assert refused.value.field == "Metrics"
    assert "keeps Metrics as they were approved" in refused.value.message
    assert write_state(version) == before

    services.version_edit(version_id=version.pk, user=editor, values={"VersionDescription": "in prod"}, base_revision=0)
    version.refresh_from_db()
    assert (version.version_description, version.revision) == ("in prod", 1)


def test_a_workspace_can_leave_more_fields_editable_after_the_decision(staff, editor):
    version = make_version(approval_status="Approved")
    policy(version.workspace, staff, editable_after_decision=["Metrics", "VersionDescription"])

    services.version_edit(version_id=version.pk, user=editor, values={"Metrics": {"a": 1}}, base_revision=0)

    version.refresh_from_db()
    assert version.metrics == {"a": 1}


# --- policy_update -------------------------------------------------------------------------------------


def test_only_staff_change_a_policy(approvers):
    workspace = make_model().workspace

    with pytest.raises(ApplicationError, match=r"Only administrators \(staff\) can change a workspace's policy."):
        policy_update(workspace=workspace, user=approvers[0], values={"required_approvers": 2})

    assert not WorkspacePolicy.objects.exists() and not AuditEvent.objects.exists()


def test_a_change_is_one_audited_event_with_before_and_after_and_no_change_writes_none(staff):
    workspace = make_model().workspace

    policy(workspace, staff, required_approvers=2, gates=[{"metric": "cer", "higher_is_better": False}])
    policy(workspace, staff, required_approvers=2)

    event = AuditEvent.objects.get(action="policy.changed")
    assert (event.actor, event.workspace_id) == ("root", workspace.workspace_id)
    assert event.payload["before"]["required_approvers"] is None
    assert event.payload["after"]["required_approvers"] == 2
    assert event.payload["after"]["gates"] == [
        {"metric": "cer", "dataset": "", "higher_is_better": False, "max_regression": 0.0}
    ]


def test_a_gate_kept_keeps_its_waivers_and_a_gate_dropped_takes_them(staff):
    model = make_model()
    make_version(model, approval_status="Approved", metrics=results_metrics(("d", {"cer": 0.1, "wer": 0.1})))
    version = make_version(model, metrics=results_metrics(("d", {"cer": 0.5, "wer": 0.5})))
    gates = [{"metric": "cer", "higher_is_better": False}, {"metric": "wer", "higher_is_better": False}]
    policy(model.workspace, staff, gates=gates)
    for gate in MetricGate.objects.all():
        gate_waive(version_id=version.pk, gate_id=gate.pk, user=staff, reason="noisy set")

    policy(model.workspace, staff, gates=[{**gates[0], "max_regression": 0.5}])

    assert list(GateWaiver.objects.values_list("gate__metric", flat=True)) == ["cer"]
    assert MetricGate.objects.get().max_regression == 0.5


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"required_approvers": 4}, "required_approvers"),
        ({"required_approvers": True}, "required_approvers"),
        ({"reason_required_on_approval": 1}, "reason_required_on_approval"),
        ({"editable_after_decision": ["Nope"]}, "editable_after_decision"),
        ({"gates": [{"metric": "cer", "max_regression": float("nan")}]}, "gates.0.max_regression"),
        ({"gates": [{"metric": "cer", "max_regression": float("inf")}]}, "gates.0.max_regression"),
        ({"gates": [{"metric": "cer", "max_regression": -1}]}, "gates.0.max_regression"),
        ({"gates": [{"metric": "c\x00r"}]}, "gates.0.metric"),
        ({"gates": "cer"}, "gates"),
        ({"quorum": 1}, "quorum"),
    ],
)
def test_bad_rules_are_refused_at_their_field_and_nothing_changes(staff, values, field):
    workspace = make_model().workspace

    with pytest.raises(ApplicationError) as refused:
        policy_update(workspace=workspace, user=staff, values=values)

    assert refused.value.field == field
    assert not WorkspacePolicy.objects.exists() and not MetricGate.objects.exists()


# --- Django admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_saving_a_policy_in_admin_goes_through_the_service_and_is_audited(admin_client):
    workspace = make_model().workspace
    form = {
        "workspace": workspace.pk,
        "required_approvers": "2",
        "separation_of_duties": "on",
        "editable_after_decision": ["VersionDescription", "ExtraInfo"],
    }

    response = admin_client.post(reverse("admin:approvals_workspacepolicy_add"), form)

    assert response.status_code == 302
    row = WorkspacePolicy.objects.get()
    assert (row.required_approvers, row.separation_of_duties, row.reason_required_on_approval) == (2, True, False)
    assert row.editable_after_decision == ["VersionDescription", "ExtraInfo"]
    event = AuditEvent.objects.get(action="policy.changed")
    assert event.payload["after"]["required_approvers"] == 2 and event.actor == "root"

    bad = admin_client.post(
        reverse("admin:approvals_workspacepolicy_change", args=[row.pk]), {**form, "required_approvers": "4"}
    )
    assert bad.status_code == 200 and "required_approvers" in bad.context["adminform"].form.errors
    assert WorkspacePolicy.objects.get().required_approvers == 2
    assert (
        admin_client.post(reverse("admin:approvals_workspacepolicy_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_gates_added_changed_and_deleted_in_admin_are_audited(admin_client):
    workspace = make_model().workspace
    add = {"workspace": workspace.pk, "metric": "cer", "dataset": "", "max_regression": "0.01"}

    admin_client.post(reverse("admin:approvals_metricgate_add"), add)
    gate = MetricGate.objects.get()
    admin_client.post(reverse("admin:approvals_metricgate_change", args=[gate.pk]), {**add, "max_regression": "0.02"})
    refused = admin_client.post(reverse("admin:approvals_metricgate_add"), {**add, "max_regression": "-1"})
    admin_client.post(reverse("admin:approvals_metricgate_delete", args=[MetricGate.objects.get().pk]), {"post": "yes"})

    assert refused.status_code == 200
    assert not MetricGate.objects.exists()
    trail = [e.payload["after"]["gates"] for e in AuditEvent.objects.filter(action="policy.changed").order_by("seq")]
    assert trail == [
        [{"metric": "cer", "dataset": "", "higher_is_better": False, "max_regression": 0.01}],
        [{"metric": "cer", "dataset": "", "higher_is_better": False, "max_regression": 0.02}],
        [],
    ]


def test_waivers_are_read_only_in_admin(admin_client, staff):
    model = make_model()
    version = make_version(model, metrics={})
    policy(model.workspace, staff, gates=[{"metric": "cer"}])
    gate_waive(version_id=version.pk, gate_id=MetricGate.objects.get().pk, user=staff, reason="first model")
    waiver = GateWaiver.objects.get()

    listing = admin_client.get(reverse("admin:approvals_gatewaiver_changelist"))
    add = admin_client.get(reverse("admin:approvals_gatewaiver_add"))
    change = admin_client.post(reverse("admin:approvals_gatewaiver_change", args=[waiver.pk]), {"reason": "edited"})
    delete = admin_client.post(reverse("admin:approvals_gatewaiver_delete", args=[waiver.pk]), {"post": "yes"})

    assert listing.status_code == 200 and version.version_name in listing.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert GateWaiver.objects.get().reason == "first model"
