"""Who reads which audit events, and what of them: one rule on the audit page, a version's
history, the API (log and history) and the CSV. Events of the readable workspaces; events of
no workspace only for those who read everything, or their own; client addresses and token
names only for auditors and staff."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from approvals.display.audit import HIDDEN, shown_event
from approvals.selectors.audit import AuditFilters, AuditReader, audit_events
from approvals.services.tokens import api_token_create
from tests.factories import make_event, make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    a, b = make_workspace(workspace_id="ws-a"), make_workspace(workspace_id="ws-b")
    in_a = make_version(make_model(a, model_id="m-a"), version_name="1.0")
    in_b = make_version(make_model(b, model_id="m-b"), version_name="2.0")
    make_event(in_a, actor="ed", action="version.edited", payload={"fields": {}}, client_ip="10.0.0.1")
    make_event(in_b, actor="ed", action="version.edited", payload={"fields": {}}, client_ip="10.0.0.2")
    people = {
        "viewer-a": make_user("viewer-a", group="viewer", workspace=a),
        "auditor-a": make_user("auditor-a", group="auditor", workspace=a),
        "viewer": make_user("viewer", group="viewer"),
        "auditor": make_user("auditor", group="auditor"),
        "staff": make_user("staff", staff=True),
    }
    # Token events name no workspace: their owner and those who read everything see them.
    api_token_create(user=people["viewer-a"], name="viewer-a's laptop", client_ip="10.0.0.3")
    api_token_create(user=make_user("someone-else", group="viewer", workspace=b), name="b's pipeline")
    return {"a": a, "b": b, "in_a": in_a, "in_b": in_b, "people": people}


def seen(user) -> list[tuple[str, str]]:
    return [(e.action, e.workspace_id or e.actor) for e in audit_events(AuditFilters(), reader=AuditReader.of(user))]


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("viewer-a", [("token.created", "viewer-a"), ("version.edited", "ws-a")]),
        ("auditor-a", [("version.edited", "ws-a")]),
        (
            "viewer",
            [
                ("token.created", "someone-else"),
                ("token.created", "viewer-a"),
                ("version.edited", "ws-b"),
                ("version.edited", "ws-a"),
            ],
        ),
    ],
)
def test_each_person_reads_the_events_of_their_workspaces_and_their_own(log, person, expected):
    assert seen(log["people"][person]) == expected


def test_staff_and_all_workspace_auditors_read_every_event(log):
    assert len(seen(log["people"]["staff"])) == len(seen(log["people"]["auditor"])) == 4


def test_nobody_signed_in_reads_nothing(log):
    assert seen(AnonymousUser()) == []
    assert seen(make_user("no-role")) == []


def test_masking_hides_the_client_address_and_token_names_and_leaves_the_event_itself_alone(log):
    reader = AuditReader.of(log["people"]["staff"])
    event = audit_events(AuditFilters(action="token.created", actor="viewer-a"), reader=reader).get()

    masked = shown_event(event, reveal=False)

    assert masked.client_ip is None
    assert masked.payload["name"] == masked.payload["prefix"] == HIDDEN
    assert event.client_ip == "10.0.0.3" and event.payload["name"] == "viewer-a's laptop"
    assert shown_event(event, reveal=True) is event


@pytest.mark.parametrize(("person", "reveals"), [("viewer-a", False), ("viewer", False), ("auditor-a", True)])
def test_the_audit_page_shows_addresses_and_token_names_to_auditors_only(client, log, person, reveals):
    client.force_login(log["people"][person])

    page = client.get(reverse("audit_log")).content.decode()

    assert ("10.0.0.1" in page) is reveals
    if person == "viewer-a":
        assert "viewer-a&#x27;s laptop" not in page and HIDDEN in page
    assert "ws-b" not in page or person == "viewer"


@pytest.mark.parametrize(("person", "reveals"), [("viewer-a", False), ("auditor-a", True), ("staff", True)])
def test_the_version_history_page_and_api_follow_the_same_rule(client, log, person, reveals):
    client.force_login(log["people"][person])
    version = log["in_a"]
    args = [version.model.model_id, version.version_name]

    page = client.get(reverse("version_detail", args=args)).content.decode()
    api = client.get(reverse("api-version-history", args=args)).json()["results"]

    assert ("10.0.0.1" in page) is reveals
    assert [row["client_ip"] for row in api] == (["10.0.0.1"] if reveals else [None])


@pytest.mark.parametrize(("person", "reveals"), [("viewer-a", False), ("viewer", False), ("auditor", True)])
def test_the_api_log_masks_for_everyone_but_auditors_and_staff(client, log, person, reveals):
    client.force_login(log["people"][person])

    rows = client.get(reverse("api-audit")).json()["results"]

    tokens = [row for row in rows if row["action"] == "token.created" and row["actor"] == "viewer-a"]
    assert [row["payload"]["name"] for row in tokens] == ["viewer-a's laptop" if reveals else HIDDEN]
    assert any(row["client_ip"] for row in rows) is reveals


@pytest.mark.parametrize("url", [reverse("audit_export"), reverse("api-audit") + "?format=csv"])
def test_the_csv_of_an_auditor_of_one_workspace_holds_that_workspace_only(client, log, url):
    client.force_login(log["people"]["auditor-a"])

    response = client.get(url)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [(r["action"], r["workspace_id"], r["client_ip"]) for r in rows] == [("version.edited", "ws-a", "10.0.0.1")]
