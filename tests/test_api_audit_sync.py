"""GET /api/audit/ (JSON for everyone, scoped and masked; CSV for auditors and staff),
POST /api/sync/ (staff) and the workspace it points to."""

from __future__ import annotations

import csv
import io

import pytest

from approvals.models import AuditEvent, Workspace
from approvals.tasks import sync_workspace_task
from tests.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(version):
    make_event(version, actor="PAI", action="pai_changed", payload={"fields": {"Metrics": [{}, {"a": 1}]}})
    make_event(version, actor="edna", action="version.edited", payload={"note": "=HYPERLINK()"})
    make_event(actor="system", action="push.done", model_id="other")


@pytest.mark.parametrize("role", ["auditor", "staff"])
def test_auditors_and_staff_read_the_audit_log_as_json_newest_first_with_its_filters(clients, events, role):
    body = clients[role].get("/api/audit/?model=m-asr").json()
    rows = body["results"]
    assert [(r["actor"], r["action"]) for r in rows] == [("edna", "version.edited"), ("PAI", "pai_changed")]
    assert rows[0]["hash"] == AuditEvent.objects.get(seq=rows[0]["seq"]).hash
    assert [r["actor"] for r in clients[role].get("/api/audit/?actor=system").json()["results"]] == ["system"]


def test_the_csv_export_holds_every_matching_event_oldest_first_with_formulas_defused(clients, events):
    response = clients["auditor"].get("/api/audit/?format=csv&model=m-asr")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["pai_changed", "version.edited"]
    assert rows[1]["payload"] == '{"note": "=HYPERLINK()"}'  # JSON, quoted by csv, not a formula cell
    assert rows[0]["hash"] == AuditEvent.objects.get(seq=int(rows[0]["seq"])).hash


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "nobody"])
def test_everyone_else_is_refused_the_csv_export_with_403(clients, users, client_for, events, role):
    client = clients.get(role) or client_for(users[role])
    response = client.get("/api/audit/?format=csv")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


@pytest.mark.parametrize("role", ["viewer", "editor", "approver"])
def test_other_roles_read_the_json_log_as_the_audit_page_shows_it(clients, events, role):
    rows = clients[role].get("/api/audit/?model=m-asr").json()["results"]
    assert [(r["actor"], r["action"]) for r in rows] == [("edna", "version.edited"), ("PAI", "pai_changed")]


def test_a_person_without_a_membership_reads_no_event_of_any_workspace(users, client_for, events):
    rows = client_for(users["nobody"]).get("/api/audit/").json()["results"]
    assert [r["action"] for r in rows if r["workspace_id"]] == []


def test_anonymous_callers_get_401_for_the_audit_log(clients, events):
    assert clients["anonymous"].get("/api/audit/?format=csv").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=yesterday", "date_from"),
        ("date_from=2024-05-02&date_to=2024-05-01", "date_to"),
        ("format=xml", "format"),
    ],
)
def test_bad_audit_filters_are_400_naming_the_parameter(clients, events, query, field):
    response = clients["auditor"].get(f"/api/audit/?{query}")
    assert response.status_code == 400 and field in response.json()["fields"]


# --- sync ----------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(sync_workspace_task, "delay", sent.append)
    return sent


def test_staff_start_a_sync_of_one_workspace_and_are_told_where_to_watch_it(
    clients, version, queued, django_capture_on_commit_callbacks
):
    workspace = version.workspace
    with django_capture_on_commit_callbacks(execute=True):
        response = clients["staff"].post("/api/sync/", {"WorkspaceId": workspace.workspace_id}, format="json")
    assert response.status_code == 202
    status_url = response.json()["workspaces"][0]["url"]
    assert response["Location"] == status_url
    assert queued == [workspace.pk]
    event = AuditEvent.objects.get(action="sync.requested")
    assert (event.actor, event.workspace_id) == ("staff", workspace.workspace_id)
    watched = clients["viewer"].get(status_url)
    assert (watched.status_code, watched.json()["sync_state"]) == (200, "never")


def test_a_sync_without_a_workspace_queues_every_workspace(
    clients, version, queued, django_capture_on_commit_callbacks
):
    other = Workspace.objects.create(name="CV", workspace_id="ws-cv")
    with django_capture_on_commit_callbacks(execute=True):
        response = clients["staff"].post("/api/sync/", {}, format="json")
    assert response.status_code == 202
    assert sorted(queued) == sorted([version.workspace.pk, other.pk])
    assert AuditEvent.objects.filter(action="sync.requested").count() == 2


def test_an_unknown_workspace_is_a_400_naming_it_and_queues_nothing(clients, version, queued):
    response = clients["staff"].post("/api/sync/", {"WorkspaceId": "nope"}, format="json")
    assert (response.status_code, list(response.json()["fields"])) == (400, ["WorkspaceId"])
    assert queued == [] and not AuditEvent.objects.filter(action="sync.requested").exists()


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "auditor"])
def test_only_staff_start_a_sync(clients, version, queued, role):
    response = clients[role].post("/api/sync/", {}, format="json")
    assert response.status_code == 403
    assert queued == [] and not AuditEvent.objects.filter(action="sync.requested").exists()


def test_anonymous_callers_cannot_start_a_sync_or_watch_one(clients, version, queued):
    assert clients["anonymous"].post("/api/sync/", {}, format="json").status_code == 401
    assert clients["anonymous"].get(f"/api/workspaces/{version.workspace.workspace_id}").status_code == 401
    assert queued == []


def test_an_unknown_workspace_status_is_404(clients, version):
    assert clients["viewer"].get("/api/workspaces/nope").json()["code"] == "not_found"
