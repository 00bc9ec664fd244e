"""Notifications for people: who is told of what (members of the workspace only, never the actor),
written with the event, the inbox (unread first, mark read, the header's count in one query), the
preferences, and the mails at once and in a digest, in the receiver's language."""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from approvals import services
from approvals.display.created import created_models
from approvals.display.notifications import headline
from approvals.errors import ApplicationError
from approvals.management.commands.create_demo_users import NLP
from approvals.models import EmailState, Notification, NotificationKind, PersonSettings, Workspace
from approvals.services import audit_events
from approvals.services.comments import comment_create
from approvals.services.inbox import notification_mark_read, preferences_save
from approvals.services.mail import notification_path, send_email_digests, send_pending_emails
from approvals.services.reviews import review_assign, review_request_changes
from approvals.sync import sync_workspace
from tests.factories import grant, make_model, make_user, make_version, make_workspace
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.test_reviews import api
from tests.test_sync import edit_pai_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    home, other = make_workspace(name="Speech"), make_workspace(name="Vision")
    people = {
        "edna": make_user("edna", group="editor", workspace=home),
        "abe": make_user("abe", group="approver", workspace=home),
        "ann": make_user("ann", group="approver", workspace=home),
        "otto": make_user("otto", group="approver", workspace=other),
    }
    for user in people.values():
        user.email = f"{user.username}@example.com"
        user.save()
    version = make_version(make_model(home, model_id="m-asr", name="speech-asr"), version_name="1.0.0")
    return {"home": home, "other": other, "version": version, **people}


def told(kind: str | None = None) -> list[tuple[str, str, str]]:
    rows = Notification.objects.select_related("user", "event").order_by("user__username", "id")
    return [(n.user.username, n.kind, n.event.action) for n in rows if kind is None or n.kind == kind]


def edited_by(team, user="edna", description="v2"):
    version = team["version"]
    version.refresh_from_db()
    return services.version_edit(
        version_id=version.pk,
        user=team[user],
        values={"VersionDescription": description},
        base_revision=version.revision,
    )


def test_changes_requested_tells_the_editors_and_ready_again_tells_the_requester(team):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="add the test set")
    assert told("changes_requested") == [("edna", "changes_requested", "review.changes_requested")]

    edited_by(team, description="v3")
    assert told("ready") == [("abe", "ready", "review.ready")]
    assert not [row for row in told() if row[0] == "otto"]


def test_mentions_comments_and_assignments_reach_members_only_and_never_the_actor(team):
    edited_by(team)
    review_assign(version_id=team["version"].pk, user=team["abe"], assignee="ann")
    assert told("assigned") == [("ann", "assigned", "review.assigned")]
    other = make_version(team["version"].model, version_name="2.0.0")
    review_assign(version_id=other.pk, user=team["abe"], assignee="abe")  # taking it oneself: nobody is told
    assert told("assigned") == [("ann", "assigned", "review.assigned")]

    comment_create(version_id=team["version"].pk, user=team["abe"], text="@otto @edna what about d-2? @abe")
    rows = [row for row in told() if row[2] == "comment.created"]
    # edna is mentioned (not also told of "a comment"), ann is the assignee, abe wrote it, otto is no member
    assert rows == [("ann", "comment", "comment.created"), ("edna", "mentioned", "comment.created")]


def test_a_decision_tells_the_editors_and_the_assignee(team):
    edited_by(team)
    review_assign(version_id=team["version"].pk, user=team["abe"], assignee="abe")
    team["version"].refresh_from_db()
    services.version_decide(version_id=team["version"].pk, user=team["ann"], status="Rejected", reason="no", revision=1)
    assert told("rejected") == [("abe", "rejected", "version.rejected"), ("edna", "rejected", "version.rejected")]


def test_someone_who_left_the_workspace_is_told_nothing(team):
    edited_by(team)
    team["edna"].memberships.all().delete()
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    assert told("changes_requested") == []


def test_a_sync_that_finds_a_new_pending_version_tells_the_workspaces_approvers(pai_settings, pai_emulator):
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    reviewer = make_user("rita", group="approver", workspace=workspace)
    make_user("eve", group="editor", workspace=workspace)
    make_user("olga", group="approver", workspace=make_workspace())
    sync_workspace(workspace=workspace)
    Notification.objects.all().delete()

    def add_pending(data) -> None:
        model_id = next(m["ModelId"] for m in data["models"] if m["WorkspaceId"] == DEMO_WORKSPACE)
        new = copy.deepcopy(data["versions"][model_id][-1])
        new.update(VersionName="9.9.9", ApprovalStatus="Pending", GmtModifiedTime="2031-01-01T00:00:00.000Z")
        data["versions"][model_id].append(new)

    edit_pai_store(pai_emulator, add_pending)
    sync_workspace(workspace=workspace)

    (notification,) = Notification.objects.select_related("event", "user")
    assert (notification.user, notification.kind) == (reviewer, NotificationKind.NEW_PENDING)
    assert notification.event.action == "pai.created" and notification.event.payload["versions"] == ["9.9.9"]
    new = workspace.versions.get(version_name="9.9.9")
    assert new.pending_since is not None
    assert notification.event.version_name == "9.9.9"


def test_the_inbox_lists_unread_first_and_marks_read_and_the_header_counts_in_one_query(team, client):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="first")
    edited_by(team, description="v3")
    review_request_changes(version_id=team["version"].pk, user=team["ann"], reason="second")
    first, second = Notification.objects.filter(user=team["edna"]).order_by("id")
    notification_mark_read(user=team["edna"], notification_id=second.pk)

    client.force_login(team["edna"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("inbox")).content.decode()
    counting = [q["sql"] for q in queries if "approvals_notification" in q["sql"] and "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1
    assert 'class="badge unread" aria-label="1 unread">1</span>' in page
    assert page.index("abe requested changes to speech-asr version 1.0.0") < page.index(
        "ann requested changes to speech-asr version 1.0.0"
    )  # the unread one first, though older
    assert "/models/m-asr/versions/1.0.0/" in page

    response = client.post(reverse("inbox_mark_read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/models/m-asr/versions/1.0.0/"
    assert Notification.objects.filter(user=team["edna"], read_at__isnull=True).count() == 0
    assert 'class="badge unread"' not in client.get(reverse("home")).content.decode()


def test_nobody_marks_anothers_notification_read(team, client):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    theirs = Notification.objects.get(user=team["edna"])
    client.force_login(team["ann"])
    assert client.post(reverse("inbox_mark_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("inbox_mark_all_read")).status_code == 302
    with pytest.raises(ApplicationError):
        notification_mark_read(user=team["ann"], notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_mail_at_once_goes_in_the_receivers_language_with_text_and_html(team, settings):
    settings.DASHBOARD_URL = "https://review.example.com"
    PersonSettings.objects.create(user=team["edna"], language="zh-hans")
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="请补充测试集")
    assert Notification.objects.get(user=team["edna"]).email_state == EmailState.PENDING

    assert send_pending_emails() == 1
    (message,) = mail.outbox
    assert message.to == ["edna@example.com"]
    assert message.subject == f"abe 要求修改 工作空间 {team['home'].workspace_id} 中 speech-asr 的版本 1.0.0。"
    assert "请补充测试集" in message.body
    assert "https://review.example.com/models/m-asr/versions/1.0.0/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and 'href="https://review.example.com/models/m-asr/versions/1.0.0/"' in html
    assert Notification.objects.get(user=team["edna"]).email_state == EmailState.SENT
    assert send_pending_emails() == 0 and len(mail.outbox) == 1  # nothing twice


def test_a_comment_is_escaped_in_the_html_mail(team):
    grant(team["edna"], "editor", team["home"])
    comment_create(version_id=team["version"].pk, user=team["abe"], text="@edna <img src=x onerror=alert(1)>")
    send_pending_emails()
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x onerror=alert(1)>" in message.body  # the text part is plain text


def test_preferences_choose_off_or_a_daily_digest_per_kind(team, client):
    edited_by(team)
    client.force_login(team["edna"])
    form = {f"email_{kind}": "immediate" for kind in NotificationKind.values}
    form.update(email_changes_requested="off", email_ready="digest", language="")
    assert client.post(reverse("notification_preferences"), form).status_code == 302
    bad = client.post(reverse("notification_preferences"), {**form, "email_assigned": "hourly"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()

    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    assert Notification.objects.get(user=team["edna"]).email_state == EmailState.NONE  # off: inbox only
    preferences_save(user=team["abe"], email={"ready": "digest", "comment": "digest"}, language="en")
    edited_by(team, description="v3")  # ready again: abe's digest
    comment_create(version_id=team["version"].pk, user=team["edna"], text="done, @abe")  # mentioned: at once
    assert send_pending_emails() == 1 and mail.outbox[-1].to == ["abe@example.com"]

    assert send_email_digests() == 1
    digest = mail.outbox[-1]
    assert digest.to == ["abe@example.com"] and "1 notification since the last digest" in digest.body
    assert "edna changed speech-asr version 1.0.0" in digest.body
    assert send_email_digests() == 0


def test_the_preferences_page_reads_in_chinese(team, client):
    client.force_login(team["edna"])
    client.cookies["django_language"] = "zh-hans"
    try:
        page = client.get(reverse("notification_preferences")).content.decode()
    finally:
        translation.activate("en")  # the request left Chinese active in this thread
    assert "通知偏好" in page and "每日摘要" in page


def test_a_mail_server_that_is_down_loses_nothing(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")

    assert send_pending_emails() == 0
    row = Notification.objects.get(user=team["edna"])
    assert row.email_state == EmailState.PENDING and row.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending_emails() == 1 and len(mail.outbox) == 1


def test_in_the_demo_a_sync_puts_new_pending_versions_in_the_teams_reviewers_inboxes(pai_settings):
    call_command("create_demo_users", stdout=io.StringIO())
    nlp = Workspace.objects.get(workspace_id=NLP)
    sync_workspace(workspace=nlp)

    told = set(Notification.objects.filter(kind=NotificationKind.NEW_PENDING).values_list("user__username", flat=True))
    assert told == {"reviewer", "reviewer2"}  # NLP's approvers; not vision-reviewer, not the editor
    pending_models = set(nlp.versions.filter(approval_status="Pending").values_list("model__model_id", flat=True))
    mine = Notification.objects.filter(user__username="reviewer").select_related("event")
    # One audit event for the sync's page of models, one notification per model with versions waiting.
    assert len({n.event_id for n in mine}) == 1 and mine[0].event.model_id == ""
    assert {n.model_id for n in mine} == pending_models
    for n in mine:
        (part,) = [m for m in created_models(n.event) if m.model_id == n.model_id]
        text = headline(n.kind, n.event, n.model_id)
        assert part.model_name in text and "wait" in text, text
        if len(part.versions) == 1:
            assert notification_path(n) == reverse("version_detail", args=[n.model_id, part.versions[0]])
        else:
            assert text.startswith(f"{len(part.versions)} new versions of model {part.model_name} ")
            assert notification_path(n) == reverse("model_detail", args=[n.model_id])
    assert all(n.email_state == EmailState.DIGEST for n in mine)  # the demo users have addresses


def test_staff_read_notifications_and_their_mail_errors_in_admin_and_change_nothing(team, client):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    row = Notification.objects.get()
    client.force_login(make_user("root", staff=True))

    listing = client.get(reverse("admin:approvals_notification_changelist")).content.decode()
    assert "edna" in listing and "pending" in listing
    page = client.get(reverse("admin:approvals_notification_change", args=[row.pk]))
    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert (
        client.post(reverse("admin:approvals_notification_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    )
    assert Notification.objects.filter(pk=row.pk).exists()


def test_the_language_someone_signs_in_with_is_the_language_of_their_mails(team, client):
    team["edna"].set_password("a long enough password 1")
    team["edna"].save()
    client.cookies["django_language"] = "zh-hans"
    try:
        response = client.post(reverse("login"), {"username": "edna", "password": "a long enough password 1"})
    finally:
        translation.activate("en")
    assert response.status_code == 302
    assert PersonSettings.objects.get(user=team["edna"]).mail_language == "zh-hans"

    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    send_pending_emails()
    assert mail.outbox[0].subject.startswith("abe 要求修改")


def test_the_inbox_costs_the_same_queries_for_2_and_40_notifications(team, client):
    def notify(count: int) -> None:
        for n in range(count):
            comment_create(version_id=team["version"].pk, user=team["abe"], text=f"@edna look {n}")

    client.force_login(team["edna"])
    notify(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("inbox"))
    notify(38)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("inbox")).content.decode()
    assert len(few) == len(many) and page.count("mentioned you in a comment") == 25
    assert 'rel="next"' in page


def test_each_person_gets_one_digest_with_only_their_items(team):
    edited_by(team)
    grant(team["ann"], "approver", team["home"])
    review_assign(version_id=team["version"].pk, user=team["abe"], assignee="ann")
    for person in ("edna", "ann"):
        preferences_save(user=team[person], email={kind: "digest" for kind in NotificationKind.values}, language="")
    comment_create(version_id=team["version"].pk, user=team["abe"], text="one")
    comment_create(version_id=team["version"].pk, user=team["abe"], text="two")

    assert send_pending_emails() == 1  # the assignment, told at once before ann chose the digest
    assert send_email_digests() == 2
    digests = {m.to[0]: m.body for m in mail.outbox if "digest" in m.subject}
    assert set(digests) == {"edna@example.com", "ann@example.com"}
    assert "2 notifications since the last digest" in digests["edna@example.com"]
    assert "one" in digests["ann@example.com"] and "two" in digests["ann@example.com"]


def test_a_mail_claimed_by_a_worker_that_died_is_sent_after_the_claim_expires(team):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    row = Notification.objects.get()
    stale = timezone.now() - dt.timedelta(minutes=11)
    Notification.objects.filter(pk=row.pk).update(email_state=EmailState.SENDING, email_claimed_at=stale)
    fresh = timezone.now() - dt.timedelta(minutes=1)

    assert send_pending_emails() == 1
    Notification.objects.filter(pk=row.pk).update(email_state=EmailState.SENDING, email_claimed_at=fresh)
    assert send_pending_emails() == 0  # still another worker's: not sent twice
    assert len(mail.outbox) == 1


def test_a_failed_push_tells_whose_change_it_carried_and_an_overdue_review_its_assignee_or_the_approvers(team):
    edited_by(team)  # edna's change, not pushed yet
    version = team["version"]
    version.refresh_from_db()
    audit_events.push_outcome(version, state="failed", payload={"error": "InvalidParameter: Metrics"})
    assert told("push_failed") == [("edna", "push_failed", "push.failed")]

    audit_events.review_overdue(version, due_at=timezone.now())
    assert told("overdue") == [("abe", "overdue", "review.overdue"), ("ann", "overdue", "review.overdue")]
    review_assign(version_id=version.pk, user=team["abe"], assignee="ann")
    version.refresh_from_db()
    Notification.objects.filter(kind="overdue").delete()
    audit_events.review_overdue(version, due_at=timezone.now())
    assert told("overdue") == [("ann", "overdue", "review.overdue")]
    assert "Metrics" in send_pending_emails_body("edna")


def send_pending_emails_body(username: str) -> str:
    send_pending_emails()
    return "\n".join(m.body for m in mail.outbox if m.to == [f"{username}@example.com"])


def test_the_api_lists_and_marks_only_the_callers_own_notifications(team):
    edited_by(team)
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="x")
    comment_create(version_id=team["version"].pk, user=team["abe"], text="@edna and @ann")
    edna, ann = api(team["edna"]), api(team["ann"])

    rows = edna.get("/api/notifications/").json()["results"]
    assert [(r["kind"], r["action"], r["VersionName"]) for r in rows] == [
        ("mentioned", "comment.created", "1.0.0"),
        ("changes_requested", "review.changes_requested", "1.0.0"),
    ]
    assert rows[1]["text"].startswith("abe requested changes to speech-asr version 1.0.0")
    theirs = rows[0]["id"]
    assert ann.post(f"/api/notifications/{theirs}/read").status_code == 404
    assert ann.post("/api/notifications/abc/read").status_code == 404
    assert edna.post(f"/api/notifications/{theirs}/read").json()["read_at"] is not None
    assert [r["kind"] for r in edna.get("/api/notifications/", {"unread": "1"}).json()["results"]] == [
        "changes_requested"
    ]
    assert ann.post("/api/notifications/read-all").json() == {"marked_read": 1}
    assert edna.post("/api/notifications/read-all").json() == {"marked_read": 1}
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
