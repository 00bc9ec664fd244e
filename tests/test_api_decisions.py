"""POST …/decision and GET …/history: the web page's approval rules, through the API."""

from __future__ import annotations

import pytest

from approvals.models import Approval, AuditEvent, Change, ChangeKind, PushState
from approvals.permissions import EDITOR
from tests.factories import grant, make_user, write_state

pytestmark = pytest.mark.django_db

URL = "/api/models/m-asr/versions/1.0.0"


def decide(client, status, reason=None, *, if_match=None, **extra):
    """POST the decision with If-Match naming the revision the client reads now (unless told otherwise)."""
    body = {"ApprovalStatus": status, **({"Reason": reason} if reason is not None else {}), **extra}
    if if_match is None:
        if_match = client.get(URL).headers.get("ETag", '"0"')
    return client.post(f"{URL}/decision", body, format="json", HTTP_IF_MATCH=if_match)


def test_an_approver_approves_with_a_reason_and_it_is_recorded_audited_and_queued(
    clients, users, version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = decide(clients["approver"], "Approved", "cer is better")
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["version"]["ApprovalStatus"], body["version"]["push_state"]) == (
        "decided",
        "Approved",
        "queued",
    )
    version.refresh_from_db()
    assert (version.approval_status, version.push_state) == ("Approved", PushState.QUEUED)
    change = Change.objects.get(version=version)
    assert (change.kind, change.author, change.reason) == (ChangeKind.DECISION, users["approver"], "cer is better")
    event = AuditEvent.objects.get(action="version.approved")
    assert (event.actor, event.payload["reason"], event.client_ip) == ("approver", "cer is better", "127.0.0.1")
    assert len(callbacks) == 1


def test_a_rejection_without_a_reason_is_refused_at_the_reason_field_and_nothing_changes(clients, version):
    before = write_state(version)
    response = decide(clients["approver"], "Rejected", "  ")
    assert response.status_code == 400
    assert response.json()["fields"] == {"Reason": ["A rejection needs a reason."]}
    assert write_state(version) == before


def test_a_rejection_with_a_reason_is_recorded(clients, version):
    assert decide(clients["approver"], "Rejected", "leaks test data").status_code == 200
    version.refresh_from_db()
    assert version.approval_status == "Rejected"
    assert AuditEvent.objects.get(action="version.rejected").payload["reason"] == "leaks test data"


@pytest.mark.parametrize("role", ["viewer", "editor", "auditor", "staff", "nobody"])
def test_everyone_but_approvers_is_refused_with_403_and_nothing_changes(clients, users, client_for, version, role):
    client = clients.get(role) or client_for(users[role])
    before = write_state(version)
    response = decide(client, "Approved", "ok")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert write_state(version) == before


def test_anonymous_callers_cannot_decide(clients, version):
    before = write_state(version)
    assert decide(clients["anonymous"], "Approved").status_code == 401
    assert write_state(version) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ApprovalStatus": "Pending"}, "ApprovalStatus"),
        ({"ApprovalStatus": 1}, "ApprovalStatus"),
        ({}, "ApprovalStatus"),
        ({"ApprovalStatus": "Approved", "Reason": ["x"]}, "Reason"),
        ({"ApprovalStatus": "Approved", "Reason": "x" * 4001}, "Reason"),
        ({"ApprovalStatus": "Approved", "Comment": "x"}, "Comment"),
    ],
    ids=["pending", "number", "missing", "reason-list", "reason-too-long", "unknown-field"],
)
def test_invalid_decision_bodies_are_400_naming_the_field(clients, version, body, field):
    before = write_state(version)
    response = clients["approver"].post(f"{URL}/decision", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert write_state(version) == before


def test_nobody_approves_a_version_whose_content_they_edited(client_for, version):
    both = make_user("both", group="approver")
    grant(both, EDITOR)
    client = client_for(both)
    assert client.patch(URL, {"VersionDescription": "mine"}, format="json").status_code == 200
    before = write_state(version)
    response = decide(client, "Approved", "looks fine")
    assert (response.status_code, response.json()["code"]) == (400, "refused")
    assert response.json()["message"] == "You edited this version; another approver has to approve it."
    assert write_state(version) == before
    # They may still reject it.
    assert decide(client, "Rejected", "on second thought").status_code == 200


def test_separation_of_duties_can_be_turned_off(clients, users, version, settings):
    settings.APPROVALS_SEPARATION_OF_DUTIES = False
    grant(users["approver"], EDITOR)
    assert clients["approver"].patch(URL, {"VersionDescription": "mine"}, format="json").status_code == 200
    assert decide(clients["approver"], "Approved").status_code == 200


def test_with_two_required_approvers_the_first_is_recorded_and_the_second_decides(
    clients, users, client_for, version, settings
):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    first = decide(clients["approver"], "Approved", "one")
    assert first.status_code == 200
    assert (first.json()["outcome"], first.json()["approvals"], first.json()["required_approvers"]) == (
        "approval_recorded",
        1,
        2,
    )
    version.refresh_from_db()
    assert version.approval_status == "Pending" and not Change.objects.filter(version=version).exists()
    assert AuditEvent.objects.filter(action="version.approval_recorded").count() == 1

    again = decide(clients["approver"], "Approved", "still me")
    assert again.json()["message"] == "You already approved this version; it waits for another approver."
    assert Approval.objects.filter(version=version).count() == 1

    second = client_for(make_user("bea", group="approver"))
    response = decide(second, "Approved", "two")
    assert response.json()["outcome"] == "decided"
    version.refresh_from_db()
    assert version.approval_status == "Approved"
    assert Approval.objects.filter(version=version).count() == 2


def test_a_decided_version_cannot_be_decided_again(clients, version):
    assert decide(clients["approver"], "Rejected", "no").status_code == 200
    before = write_state(version)
    response = decide(clients["approver"], "Approved", "yes after all")
    assert (response.status_code, response.json()["code"]) == (400, "refused")
    assert "already Rejected" in response.json()["message"]
    assert write_state(version) == before


@pytest.mark.parametrize("state", [PushState.FAILED, PushState.CONFLICT])
def test_a_version_whose_push_failed_or_conflicts_cannot_be_decided(clients, version, state):
    version.push_state = state
    version.save()
    before = write_state(version)
    response = decide(clients["approver"], "Approved")
    assert response.status_code == 400 and state in response.json()["message"]
    assert write_state(version) == before


def test_an_unknown_version_is_404(clients, version):
    assert clients["approver"].post("/api/models/m-asr/versions/7.7.7/decision", {}, format="json").status_code == 404


# --- history --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "auditor", "staff"])
def test_the_history_lists_the_versions_audit_events_newest_first_for_every_role(clients, version, role):
    clients["editor"].patch(URL, {"VersionDescription": "second"}, format="json")
    decide(clients["approver"], "Approved", "ok")
    response = clients[role].get(f"{URL}/history")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["actor"], r["action"]) for r in rows] == [("approver", "version.approved"), ("editor", "version.edited")]
    assert rows[1]["payload"]["fields"] == {"VersionDescription": ["first cut", "second"]}


def test_the_history_pages_with_a_cursor(clients, version):
    for n in range(12):
        clients["editor"].patch(URL, {"VersionDescription": f"v{n}"}, format="json")
    first = clients["viewer"].get(f"{URL}/history?per_page=10").json()
    second = clients["viewer"].get(first["next"]).json()
    seqs = [r["seq"] for r in first["results"] + second["results"]]
    assert len(seqs) == 12 and seqs == sorted(seqs, reverse=True)
    assert second["next"] is None


def test_anonymous_callers_cannot_read_the_history(clients, version):
    assert clients["anonymous"].get(f"{URL}/history").status_code == 401


def test_a_decision_without_if_match_is_428_and_changes_nothing(clients, version):
    before = write_state(version)
    for header in (None, "*"):
        extra = {"HTTP_IF_MATCH": header} if header else {}
        response = clients["approver"].post(f"{URL}/decision", {"ApprovalStatus": "Approved"}, format="json", **extra)
        assert (response.status_code, response.json()["code"]) == (428, "precondition_required")
    assert write_state(version) == before


def test_a_decision_for_a_stale_etag_is_412_with_what_changed_and_changes_nothing(clients, version):
    stale = clients["approver"].get(URL).headers["ETag"]
    assert clients["editor"].patch(URL, {"VersionDescription": "new words"}, format="json").status_code == 200
    before = write_state(version)
    response = decide(clients["approver"], "Approved", "as I saw it", if_match=stale)
    assert (response.status_code, response.json()["code"]) == (412, "precondition_failed")
    assert response.json()["changed"]["VersionDescription"][1] == "new words"
    assert write_state(version) == before
