"""Assignment, due dates and overdue reviews: who may be assigned (approvers of the workspace only),
"Assigned to me" on the queue and the API, overdue versions first and marked in words, recorded once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.errors import ApplicationError
from approvals.models import AuditEvent, ReviewState, WorkspacePolicy
from approvals.services.overdue import overdue_reviews_record
from approvals.services.reviews import review_assign, review_request_changes
from tests.factories import make_model, make_user, make_version, make_workspace, write_state
from tests.test_reviews import API, api, page_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    home, other = make_workspace(name="Speech"), make_workspace(name="Vision")
    people = {
        "edna": make_user("edna", group="editor", workspace=home),
        "abe": make_user("abe", group="approver", workspace=home),
        "ann": make_user("ann", group="approver", workspace=home),
        "otto": make_user("otto", group="approver", workspace=other),
        "glen": make_user("glen", group="approver"),  # an approver of every workspace
    }
    version = make_version(make_model(home, model_id="m-asr", name="speech-asr"), version_name="1.0.0")
    return {"home": home, "other": other, "version": version, **people}


def test_an_approver_assigns_another_approver_or_takes_it_and_it_is_audited(team):
    version = team["version"]
    review_assign(version_id=version.pk, user=team["abe"], assignee="ann")
    review_assign(version_id=version.pk, user=team["abe"], assignee="abe")
    review_assign(version_id=version.pk, user=team["abe"], assignee="glen")
    version.refresh_from_db()

    assert version.assignee == team["glen"]
    events = AuditEvent.objects.filter(action="review.assigned").order_by("seq")
    assert [(e.actor, e.payload) for e in events] == [
        ("abe", {"assignee": "ann"}),
        ("abe", {"assignee": "abe"}),
        ("abe", {"assignee": "glen"}),
    ]


@pytest.mark.parametrize("assignee", ["edna", "otto", "ghost", "x" * 151])
def test_only_an_approver_of_the_workspace_can_be_assigned_and_a_refusal_changes_nothing(team, assignee):
    version = team["version"]
    before = write_state(version)
    with pytest.raises(ApplicationError) as refused:
        review_assign(version_id=version.pk, user=team["abe"], assignee=assignee)
    assert refused.value.field == "assignee" and "is not an approver of workspace" in refused.value.message
    answer = api(team["abe"]).put(f"{API}/assignment", {"assignee": assignee}, format="json")
    assert answer.status_code == 400 and "assignee" in answer.json()["fields"]
    version.refresh_from_db()
    assert version.assignee is None and write_state(version)["audit_events"] == before["audit_events"] + 1


def test_only_approvers_of_the_workspace_assign_at_every_door(team, client):
    version = team["version"]
    with pytest.raises(ApplicationError, match="Only approvers"):
        review_assign(version_id=version.pk, user=team["edna"], assignee="abe")
    for who, status in (("edna", 403), ("otto", 404)):
        client.force_login(team[who])
        assert client.post(page_url(version, "version_assign"), {"assignee": "abe"}).status_code == status
        assert api(team[who]).put(f"{API}/assignment", {"assignee": "me"}, format="json").status_code == status
    version.refresh_from_db()
    assert version.assignee is None and not AuditEvent.objects.filter(action="review.assigned").exists()

    client.force_login(team["ann"])
    page = client.post(page_url(version, "version_assign"), {"assignee": "edna"})
    assert page.status_code == 400 and "Select a valid choice" in page.content.decode()
    assert client.post(page_url(version, "version_assign"), {"assignee": "ann"}).status_code == 302
    answer = api(team["abe"]).put(f"{API}/assignment", {"assignee": "me"}, format="json")
    assert answer.status_code == 200 and answer.json()["assignee"] == "abe"


def test_assigned_to_me_lists_only_ones_own_on_the_queue_and_the_api(team, client):
    mine = team["version"]
    theirs = make_version(mine.model, version_name="2.0.0")
    make_version(mine.model, version_name="3.0.0")
    review_assign(version_id=mine.pk, user=team["abe"], assignee="abe")
    review_assign(version_id=theirs.pk, user=team["abe"], assignee="ann")

    client.force_login(team["abe"])
    queue = client.get(reverse("home"), {"assigned": "me"}).content.decode()
    assert ">1.0.0<" in queue and ">2.0.0<" not in queue and ">3.0.0<" not in queue
    rows = api(team["ann"]).get("/api/versions/", {"assigned": "me"}).json()["results"]
    assert [(r["VersionName"], r["assignee"]) for r in rows] == [("2.0.0", "ann")]
    client.force_login(team["edna"])  # assigned nothing
    assert ">1.0.0<" not in client.get(reverse("home"), {"assigned": "me"}).content.decode()


def test_the_queue_lists_overdue_versions_first_and_says_so_in_words(team, client):
    now = timezone.now()
    model = team["version"].model
    fresh = team["version"]
    late = make_version(model, version_name="0.9.0", pending_since=now - dt.timedelta(hours=3))
    old_but_in_time = make_version(model, version_name="0.1.0", pending_since=now - dt.timedelta(hours=1))
    fresh.pending_since = now
    fresh.save()
    WorkspacePolicy.objects.create(workspace=team["home"], review_hours=2)
    # Created last, but overdue: it comes first. The others keep oldest first.
    late.gmt_create_time = fresh.gmt_create_time + dt.timedelta(days=1)
    late.save()

    client.force_login(team["abe"])
    page = client.get(reverse("home")).content.decode()
    rows = page[page.index("<tbody>") :]
    assert rows.index(">0.9.0<") < rows.index(">1.0.0<") < rows.index(">0.1.0<")
    late_row = rows[rows.index(">0.9.0<") : rows.index("</tr>", rows.index(">0.9.0<"))]
    assert "Overdue" in late_row and "due" in late_row
    on_time_row = rows[rows.index(">0.1.0<") : rows.index("</tr>", rows.index(">0.1.0<"))]
    assert "Overdue" not in on_time_row and old_but_in_time.pk


def test_overdue_is_recorded_once_per_version_with_its_due_time(team, settings):
    settings.APPROVALS_REVIEW_HOURS = 24
    now = timezone.now()
    since = now - dt.timedelta(hours=25)
    late = make_version(team["version"].model, version_name="0.9.0", pending_since=since)
    make_version(team["version"].model, version_name="0.8.0", pending_since=now - dt.timedelta(hours=23))
    make_version(team["version"].model, version_name="0.7.0", pending_since=since, approval_status="Approved")
    elsewhere = make_version(make_model(team["other"]), version_name="5.0.0", pending_since=since)
    WorkspacePolicy.objects.create(workspace=team["other"], review_hours=48)

    assert overdue_reviews_record(now=now) == 1
    assert overdue_reviews_record(now=now) == 0
    (event,) = AuditEvent.objects.filter(action="review.overdue")
    assert (event.actor, event.version_name) == ("system", "0.9.0")
    assert event.payload == {"due_at": (since + dt.timedelta(hours=24)).isoformat()}
    late.refresh_from_db()
    elsewhere.refresh_from_db()
    assert late.overdue_recorded_at is not None and elsewhere.overdue_recorded_at is None


def test_a_decided_or_gone_version_cannot_be_assigned_or_have_changes_requested(team):
    decided = make_version(team["version"].model, version_name="0.5.0", approval_status="Approved")
    gone = make_version(team["version"].model, version_name="0.4.0", gone=True)
    for version, message in ((decided, "already Approved"), (gone, "no longer lists")):
        with pytest.raises(ApplicationError, match=message):
            review_assign(version_id=version.pk, user=team["abe"], assignee="abe")
        with pytest.raises(ApplicationError, match=message):
            review_request_changes(version_id=version.pk, user=team["abe"], reason="x")
        version.refresh_from_db()
        assert version.assignee is None and version.review_state == ReviewState.READY


def test_the_review_time_is_edited_where_policies_are_and_bad_values_are_refused(team):
    staff = make_user("root", staff=True)
    client = api(staff)
    url = f"/api/workspaces/{team['home'].workspace_id}/policy"
    body = client.get(url).json()
    assert (body["review_hours"], body["review_hours_in_force"]) == (None, 48)
    for bad in (0, 2161, 1.5, "12", True):
        answer = client.put(url, {**body, "review_hours": bad}, format="json")
        assert answer.status_code == 400 and "review_hours" in answer.json()["fields"], bad
    answer = client.put(url, {**body, "review_hours": 12}, format="json")
    assert answer.status_code == 200 and answer.json()["review_hours_in_force"] == 12
    assert WorkspacePolicy.objects.get(workspace=team["home"]).review_hours == 12
    event = AuditEvent.objects.filter(action="policy.changed").get()
    assert (event.payload["before"]["review_hours"], event.payload["after"]["review_hours"]) == (None, 12)
