"""GET and PUT /api/workspaces/<WorkspaceId>/policy: staff read and replace a workspace's rules and
gates; everyone else is refused; bad input is a 400 at its field with nothing changed; changes are audited."""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from approvals.models import AuditEvent, MetricGate, WorkspacePolicy
from approvals.selectors.policies import policy_values

pytestmark = pytest.mark.django_db

GOOD = {
    "required_approvers": 2,
    "separation_of_duties": False,
    "reason_required_on_approval": True,
    "editable_after_decision": ["VersionDescription", "Metrics"],
    "gates": [
        {"metric": "cer", "dataset": "d-1", "higher_is_better": False, "max_regression": 0.01},
        {"metric": "accuracy", "higher_is_better": True, "max_regression": 0},
    ],
}


def url(version) -> str:
    return f"/api/workspaces/{version.workspace.workspace_id}/policy"


def put(client, version, body):
    return client.put(url(version), json.dumps(body), content_type="application/json")


def test_staff_read_a_workspace_without_a_policy_as_the_defaults(clients, version, settings):
    settings.APPROVALS_REQUIRED_APPROVERS = 1

    body = clients["staff"].get(url(version)).json()

    assert body == {
        "WorkspaceId": version.workspace.workspace_id,
        "required_approvers": None,
        "required_approvers_in_force": 1,
        "separation_of_duties": True,
        "reason_required_on_approval": False,
        "review_hours": None,
        "review_hours_in_force": 48,
        "editable_after_decision": ["VersionDescription"],
        "protected_label_keys": [],
        "gates": [],
    }


def test_staff_replace_the_policy_and_the_change_is_audited_with_before_and_after(clients, version):
    response = put(clients["staff"], version, GOOD)

    assert response.status_code == 200
    body = response.json()
    assert (body["required_approvers"], body["required_approvers_in_force"]) == (2, 2)
    assert [g["metric"] for g in body["gates"]] == ["accuracy", "cer"]
    row = WorkspacePolicy.objects.get(workspace=version.workspace)
    assert (row.required_approvers, row.separation_of_duties, row.reason_required_on_approval) == (2, False, True)
    assert row.editable_after_decision == ["VersionDescription", "Metrics"]
    assert list(MetricGate.objects.values_list("metric", "dataset", "higher_is_better", "max_regression")) == [
        ("accuracy", "", True, 0.0),
        ("cer", "d-1", False, 0.01),
    ]
    event = AuditEvent.objects.get(action="policy.changed")
    assert (event.actor, event.workspace_id) == ("staff", version.workspace.workspace_id)
    assert event.payload["before"]["required_approvers"] is None and event.payload["before"]["gates"] == []
    assert event.payload["after"] == policy_values(version.workspace)


def test_what_get_answers_can_be_sent_back_whole_and_changes_nothing(clients, version):
    put(clients["staff"], version, GOOD)
    events = AuditEvent.objects.count()
    read = clients["staff"].get(url(version)).json()

    again = put(clients["staff"], version, read)

    assert again.status_code == 200 and again.json() == read
    assert AuditEvent.objects.count() == events  # nothing changed, nothing to record


def test_a_new_list_of_gates_replaces_the_old_one(clients, version):
    put(clients["staff"], version, GOOD)

    put(clients["staff"], version, {**GOOD, "gates": [{"metric": "wer", "max_regression": 0.5}]})

    assert list(MetricGate.objects.values_list("metric", "higher_is_better", "max_regression")) == [("wer", True, 0.5)]


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "auditor"])
def test_everyone_but_staff_is_refused_reading_and_changing_the_policy(clients, version, role):
    read = clients[role].get(url(version))
    write = put(clients[role], version, GOOD)

    assert (read.status_code, read.json()["code"]) == (403, "permission_denied")
    assert (write.status_code, write.json()["code"]) == (403, "permission_denied")
    assert not WorkspacePolicy.objects.exists() and not MetricGate.objects.exists()
    assert not AuditEvent.objects.filter(action="policy.changed").exists()


def test_anonymous_callers_get_401(clients, version):
    assert clients["anonymous"].get(url(version)).status_code == 401


def test_an_unknown_workspace_is_a_404(clients, version):
    assert clients["staff"].get("/api/workspaces/no-such-ws/policy").status_code == 404
    assert clients["staff"].put("/api/workspaces/no-such-ws/policy", GOOD, format="json").status_code == 404


def _with_gate(**gate):
    return {**GOOD, "gates": [{**GOOD["gates"][0], **gate}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "required_approvers": 4}, "required_approvers"),
        ({**GOOD, "required_approvers": 0}, "required_approvers"),
        ({**GOOD, "required_approvers": "2"}, "required_approvers"),
        ({**GOOD, "separation_of_duties": "yes"}, "separation_of_duties"),
        ({**GOOD, "editable_after_decision": ["VersionDescription", "Foo"]}, "editable_after_decision"),
        ({**GOOD, "editable_after_decision": ["ApprovalStatus"]}, "editable_after_decision"),
        (_with_gate(max_regression=-0.01), "gates.0.max_regression"),
        (_with_gate(max_regression="0.1"), "gates.0.max_regression"),
        (_with_gate(metric="  "), "gates.0.metric"),
        (_with_gate(colour="red"), "gates.0.colour"),
        ({**GOOD, "gates": [GOOD["gates"][0], GOOD["gates"][0]]}, "gates.1.metric"),
        ({**GOOD, "quorum": 2}, "quorum"),
        ({key: value for key, value in GOOD.items() if key != "gates"}, "gates"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(clients, version, body, field):
    response = put(clients["staff"], version, body)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not WorkspacePolicy.objects.exists() and not MetricGate.objects.exists()
    assert not AuditEvent.objects.filter(action="policy.changed").exists()


def test_a_max_regression_that_is_not_finite_is_refused_at_its_field(clients, version):
    # 1e999 is valid JSON that Python reads as infinity.
    raw = json.dumps(_with_gate(max_regression=1)).replace('"max_regression": 1', '"max_regression": 1e999')

    response = clients["staff"].put(url(version), raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "gates.0.max_regression": ["The largest regression allowed must be a finite number."]
    }
    assert not MetricGate.objects.exists()


def test_the_schema_documents_both_operations_and_their_bodies():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = schema["paths"]["/api/workspaces/{WorkspaceId}/policy"]
    assert {op["operationId"] for op in operations.values()} == {"workspace_policy_read", "workspace_policy_replace"}
    request = schema["components"]["schemas"]["PolicyInputRequest"]
    assert set(request["required"]) == {*GOOD}
    assert request["properties"]["required_approvers"]["maximum"] == 3
    assert schema["components"]["schemas"]["MetricGateInputRequest"]["properties"]["max_regression"]["minimum"] == 0
