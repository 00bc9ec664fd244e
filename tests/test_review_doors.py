"""The review's rules at every door: the page's POSTs, the polled fragment, the REST API (with a
token), the admin and the exports, for each role in the person's own workspace and in another,
staff and anonymous visitors. Where a door refuses, its status says so and nothing changed: no
row, no audit event, no notification. Where it lets someone through, the write and its audit event
and notification are there. (The review has no management command: none is a door here.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.models import (
    AuditEvent,
    Change,
    ChangeKind,
    Comment,
    ModelVersion,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    PersonSettings,
    ReviewState,
)
from approvals.services.comments import comment_create
from approvals.services.inbox import preferences_save
from approvals.services.reviews import review_assign, review_request_changes
from approvals.services.tokens import api_token_create
from tests.factories import make_model, make_user, make_version, make_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.notify_helpers import make_channel
from tests.test_views_edit import initial_data

pytestmark = pytest.mark.django_db

# (role, where): "home" is the version's workspace, "elsewhere" another one.
PEOPLE = {
    "viewer": ("viewer", "home"),
    "editor": ("editor", "home"),
    "approver": ("approver", "home"),
    "staff": (None, None),
    "viewer-elsewhere": ("viewer", "elsewhere"),
    "editor-elsewhere": ("editor", "elsewhere"),
    "approver-elsewhere": ("approver", "elsewhere"),
    "anonymous": (None, None),
}
WHO = list(PEOPLE)
# The API with a token, and with the browser's session (the API takes both).
DOORS = ("web", "api", "api-session")
HOME = "/models/m-home/versions/1.0.0"
API = "/api/models/m-home/versions/1.0.0"


@pytest.fixture
def world():
    home = make_workspace(name="Speech", workspace_id="ws-home")
    elsewhere = make_workspace(name="Vision", workspace_id="ws-elsewhere")
    users: dict[str, Any] = {}
    for name, (role, where) in PEOPLE.items():
        if name == "anonymous":
            continue
        workspace = {"home": home, "elsewhere": elsewhere}.get(where)
        users[name] = make_user(name, group=role, workspace=workspace, staff=name == "staff")
    users["reviewer2"] = make_user("reviewer2", group="approver", workspace=home)
    users["auditor"] = make_user("auditor", group="auditor", workspace=home)
    users["auditor-elsewhere"] = make_user("auditor-elsewhere", group="auditor", workspace=elsewhere)
    version = make_version(
        make_model(home, model_id="m-home", name="speech-asr"), version_name="1.0.0", revision=1, pushed_revision=1
    )
    # The editor's change, already pushed: the editors of this version are told of its review.
    Change.objects.create(
        version=version, revision=1, kind=ChangeKind.EDIT, author=users["editor"], authored=True, fields={}
    )
    away = make_version(make_model(elsewhere, model_id="m-away", name="vision-det"), version_name="2.0.0")
    tokens = {name: api_token_create(user=user, name="pipeline")[1] for name, user in users.items()}
    return {"home": home, "elsewhere": elsewhere, "version": version, "away": away, "users": users, "tokens": tokens}


def web(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world["users"][who])
    return client


def api(world, who: str, door: str = "api") -> APIClient:
    client = APIClient()
    if who == "anonymous":
        return client
    if door == "api-session":
        client.force_login(world["users"][who])
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][who]}")
    return client


def state(world) -> dict[str, Any]:
    """Everything a review door could write."""
    version = ModelVersion.objects.get(pk=world["version"].pk)
    return {
        "review": (version.review_state, version.review_requested_by_id, version.review_reason, version.assignee_id),
        "content": (version.revision, version.version_description),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", "text", "retracted_at")),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", "user_id", "kind", "read_at")),
        "preferences": list(NotificationPreference.objects.order_by("pk").values_list("user_id", "kind", "email")),
        "settings": list(PersonSettings.objects.order_by("pk").values_list("user_id", "language")),
        "audit": list(AuditEvent.objects.order_by("seq").values_list("seq", "action")),
        "outbox": OutboxMessage.objects.count(),
        "channels": list(
            NotificationChannel.objects.order_by("pk").values_list("pk", "name", "events", "enabled", "url_ciphertext")
        ),
    }


def expected(who: str, roles: tuple[str, ...]) -> str:
    """What a door guarded by `roles` (in the version's workspace) answers `who`."""
    role, where = PEOPLE[who]
    if who == "anonymous":
        return "sign in"
    if role not in roles:
        return "403"
    return "ok" if where == "home" else "404"


def assert_refused(response, door: str, outcome: str) -> None:
    if outcome == "sign in":
        if door != "web":
            assert response.status_code == 401, response.content
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == int(outcome), (response.status_code, response.content[:500])


def new_audit(before: dict[str, Any]) -> list[str]:
    seen = {seq for seq, _ in before["audit"]}
    return [
        action for seq, action in AuditEvent.objects.order_by("seq").values_list("seq", "action") if seq not in seen
    ]


def told(before: dict[str, Any]) -> list[tuple[str, str]]:
    seen = {row[0] for row in before["notifications"]}
    rows = Notification.objects.exclude(pk__in=seen).select_related("user").order_by("user__username")
    return [(n.user.username, n.kind) for n in rows]


# --- add a comment ------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_adding_a_comment(world, door, who):
    text = "please look @reviewer2"
    before = state(world)
    if door == "web":
        response = web(world, who).post(f"{HOME}/comments/", {"text": text})
    else:
        response = api(world, who, door).post(f"{API}/comments/", {"text": text}, format="json")

    outcome = expected(who, ("editor", "approver"))
    if outcome != "ok":
        assert_refused(response, door, outcome)
        assert state(world) == before
        return
    assert response.status_code == (302 if door == "web" else 201)
    comment = Comment.objects.get()
    assert (comment.author.username, comment.text, comment.mentions) == (who, text, ["reviewer2"])
    assert new_audit(before) == ["comment.created"]
    assert ("reviewer2", "mentioned") in told(before)


# --- retract a comment: its author only -----------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_retracting_the_approvers_comment(world, door, who):
    comment = comment_create(version_id=world["version"].pk, user=world["users"]["approver"], text="a remark")
    before = state(world)
    if door == "web":
        client = web(world, who)
        response = client.post(f"{HOME}/comments/{comment.pk}/retract/")
    else:
        response = api(world, who, door).post(f"{API}/comments/{comment.pk}/retract", format="json")

    outcome = expected(who, ("editor", "approver"))
    if who == "approver":
        assert response.status_code == (302 if door == "web" else 200)
        comment.refresh_from_db()
        assert comment.retracted_at is not None and new_audit(before) == ["comment.retracted"]
        return
    if outcome == "ok":  # may reach the version, but is not the comment's author: the service refuses
        if door == "web":
            assert response.status_code == 302
            page = client.get(response["Location"]).content.decode()
            assert "Only the comment&#x27;s author can retract it." in page
        else:
            assert response.status_code == 400 and "author" in response.json()["message"]
    else:
        assert_refused(response, door, outcome)
    assert state(world) == before


# --- request changes: approvers ----------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_requesting_changes(world, door, who):
    before = state(world)
    if door == "web":
        response = web(world, who).post(f"{HOME}/request-changes/", {"reason": "add the test set"})
    else:
        response = api(world, who, door).post(f"{API}/changes-requested", {"reason": "add the test set"}, format="json")

    outcome = expected(who, ("approver",))
    if outcome != "ok":
        assert_refused(response, door, outcome)
        assert state(world) == before
        return
    assert response.status_code == (302 if door == "web" else 200)
    version = ModelVersion.objects.get(pk=world["version"].pk)
    assert version.review_state == ReviewState.CHANGES_REQUESTED and version.review_requested_by.username == who
    assert new_audit(before) == ["review.changes_requested"]
    assert told(before) == [("editor", "changes_requested")]


# --- ready again: an editor's edit, and nobody else's ---------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_marking_ready_again_by_an_edit(world, door, who):
    review_request_changes(version_id=world["version"].pk, user=world["users"]["approver"], reason="fix it")
    before = state(world)
    if door == "web":
        client = web(world, who)
        data = {"VersionDescription": "fixed", "revision": "1", "confirm": "1"}
        if expected(who, ("editor",)) == "ok":
            data = {**initial_data(client, world["version"]), "VersionDescription": "fixed", "confirm": "1"}
        response = client.post(f"{HOME}/edit/", data)
    else:
        response = api(world, who, door).patch(API, {"VersionDescription": "fixed"}, format="json", HTTP_IF_MATCH='"1"')

    outcome = expected(who, ("editor",))
    if outcome != "ok":
        assert_refused(response, door, outcome)
        assert state(world) == before
        return
    assert response.status_code == (302 if door == "web" else 200), response.content[:2000]
    version = ModelVersion.objects.get(pk=world["version"].pk)
    assert version.review_state == ReviewState.READY and version.version_description == "fixed"
    assert new_audit(before) == ["version.edited", "review.ready"]
    assert told(before) == [("approver", "ready")]


# --- assign and take: approvers, and only to approvers of the workspace ---------------------------------


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_assigning_and_taking(world, door, who):
    before = state(world)
    if door == "web":  # assign someone else
        response = web(world, who).post(f"{HOME}/assign/", {"assignee": "reviewer2"})
    else:  # take it
        response = api(world, who, door).put(f"{API}/assignment", {"assignee": "me"}, format="json")

    outcome = expected(who, ("approver",))
    if outcome != "ok":
        assert_refused(response, door, outcome)
        assert state(world) == before
        return
    assert response.status_code == (302 if door == "web" else 200)
    version = ModelVersion.objects.get(pk=world["version"].pk)
    assert version.assignee.username == ("reviewer2" if door == "web" else who)
    assert new_audit(before) == ["review.assigned"]
    assert told(before) == ([("reviewer2", "assigned")] if door == "web" else [])  # taking it tells nobody


# --- "assigned to me": the queue, its polled rows, the API --------------------------------------------------

ASSIGNED_DOORS = ("queue", "fragment", "api")


@pytest.mark.parametrize("door", ASSIGNED_DOORS)
@pytest.mark.parametrize("who", [*WHO, "reviewer2"])
def test_assigned_to_me_lists_only_what_is_assigned_to_the_caller(world, door, who):
    review_assign(version_id=world["version"].pk, user=world["users"]["approver"], assignee="approver")
    review_assign(version_id=world["away"].pk, user=world["users"]["approver-elsewhere"], assignee="approver-elsewhere")
    before = state(world)
    if door == "api":
        response = api(world, who, door).get("/api/versions/", {"assigned": "me"})
    else:
        name = "home" if door == "queue" else "live_queue_rows"
        response = web(world, who).get(reverse(name), {"assigned": "me"})

    if who == "anonymous":
        assert_refused(response, "api" if door == "api" else "web", "sign in")
    else:
        assert response.status_code == 200
        if door == "api":
            shown = {(row["ModelId"], row["VersionName"]) for row in response.json()["results"]}
        else:
            body = response.content.decode()
            shown = {
                (m, v) for m, v in (("m-home", "1.0.0"), ("m-away", "2.0.0")) if f"/models/{m}/versions/{v}/" in body
            }
        mine = {"approver": {("m-home", "1.0.0")}, "approver-elsewhere": {("m-away", "2.0.0")}}
        assert shown == mine.get(who, set())
    assert state(world) == before


# --- the inbox and the notification API: one's own notifications only ------------------------------------------


@pytest.fixture
def ednas(world):
    """Notifications for the editor (changes requested, then a mention), unread."""
    version = world["version"]
    review_request_changes(version_id=version.pk, user=world["users"]["approver"], reason="add the test set")
    comment_create(version_id=version.pk, user=world["users"]["approver"], text="@editor see above")
    rows = list(Notification.objects.filter(user=world["users"]["editor"]).order_by("pk"))
    assert [n.kind for n in rows] == ["changes_requested", "mentioned"]
    return rows


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_the_inbox_lists_only_ones_own_notifications(world, ednas, door, who):
    before = state(world)
    response = (
        web(world, who).get(reverse("inbox")) if door == "web" else api(world, who, door).get("/api/notifications/")
    )
    if who == "anonymous":
        assert_refused(response, door, "sign in")
    else:
        assert response.status_code == 200
        if door == "web":
            body = response.content.decode()
            listed = "approver requested changes to speech-asr version 1.0.0" in body
            assert listed == (who == "editor")
            assert ("unread" in body and ">2</span>" in body) == (who == "editor")
        else:
            ids = [row["id"] for row in response.json()["results"]]
            assert ids == ([n.pk for n in reversed(ednas)] if who == "editor" else [])
    assert state(world) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_marking_a_notification_read_works_only_on_ones_own(world, ednas, door, who):
    first = ednas[0]
    before = state(world)
    if door == "web":
        response = web(world, who).post(reverse("inbox_mark_read", args=[first.pk]))
    else:
        response = api(world, who, door).post(f"/api/notifications/{first.pk}/read")
    if who == "editor":
        assert response.status_code == (302 if door == "web" else 200)
        first.refresh_from_db()
        assert first.read_at is not None and Notification.objects.get(pk=ednas[1].pk).read_at is None
        return
    assert_refused(response, door, "sign in" if who == "anonymous" else "404")
    assert state(world) == before


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", WHO)
def test_marking_all_read_marks_only_ones_own(world, ednas, door, who):
    # The approver has one of their own, so "all" has something to mark for them.
    comment_create(version_id=world["version"].pk, user=world["users"]["editor"], text="@approver done")
    before = state(world)
    if door == "web":
        response = web(world, who).post(reverse("inbox_mark_all_read"))
    else:
        response = api(world, who, door).post("/api/notifications/read-all")
    if who == "anonymous":
        assert_refused(response, door, "sign in")
        assert state(world) == before
        return
    assert response.status_code == (302 if door == "web" else 200)
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("user__username", flat=True))
    assert unread == {"editor", "approver"} - {who}
    assert AuditEvent.objects.count() == len(before["audit"])


# --- notification preferences: one's own only --------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_preferences_change_only_ones_own(world, who):
    preferences_save(user=world["users"]["editor"], email={"comment": "immediate"}, language="zh-hans")
    before = state(world)
    form = {f"email_{kind}": "off" for kind in ("comment", "mentioned", "assigned")}
    # A person can name nobody else: a user field in the form is not read.
    response = web(world, who).post(
        reverse("notification_preferences"), {**form, "language": "en", "user": world["users"]["editor"].pk}
    )
    if who == "anonymous":
        assert_refused(response, "web", "sign in")
        assert state(world) == before
        return
    # The form names every kind: one that is missing is a field error, and nothing is saved.
    assert response.status_code == 400 and state(world) == before
    full = {f"email_{kind}": "off" for kind in NotificationKind.values}
    response = web(world, who).post(reverse("notification_preferences"), {**full, "language": "en"})
    assert response.status_code == 302
    mine = NotificationPreference.objects.filter(user=world["users"][who])
    assert set(mine.values_list("email", flat=True)) == {"off"}
    ednas = dict(NotificationPreference.objects.filter(user=world["users"]["editor"]).values_list("kind", "email"))
    if who != "editor":
        assert ednas == {"comment": "immediate"}
        assert PersonSettings.objects.get(user=world["users"]["editor"]).language == "zh-hans"
    assert AuditEvent.objects.count() == len(before["audit"])


# --- channel admin: staff only, every URL and action --------------------------------------------------------


@pytest.fixture
def channel(world):
    return make_channel(world["home"], "https://hooks.example.com/review/tok3nTok3nTok3nTok3n", secret=WEBHOOK_SECRET)


def channel_admin_urls(channel) -> dict[str, str]:
    urls = {
        "list": reverse("admin:approvals_notificationchannel_changelist"),
        "add": reverse("admin:approvals_notificationchannel_add"),
        "change": reverse("admin:approvals_notificationchannel_change", args=[channel.pk]),
        "delete": reverse("admin:approvals_notificationchannel_delete", args=[channel.pk]),
        "history": reverse("admin:approvals_notificationchannel_history", args=[channel.pk]),
        "attempts": reverse("admin:approvals_deliveryattempt_changelist"),
        "sinks": reverse("admin:approvals_auditstreamsink_changelist"),
        "comments": reverse("admin:approvals_comment_changelist"),
        "notifications": reverse("admin:approvals_notification_changelist"),
    }
    return urls


def channel_form(world, **fields) -> dict[str, Any]:
    return {
        "workspace": world["home"].pk,
        "name": "taken over",
        "channel_type": "webhook",
        "url": "https://attacker.example.com/hook",
        "secret": WEBHOOK_SECRET,
        "events": ["approved"],
        "language": "en",
        "enabled": "on",
        **fields,
    }


@pytest.mark.parametrize("who", [name for name in WHO if name != "staff"] + ["token"])
def test_channel_admin_is_staff_only_at_every_url_and_action(world, channel, who):
    # A staff member's token opens the API, never the admin.
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens']['staff']}")
    client = bearer if who == "token" else web(world, who)
    urls = channel_admin_urls(channel)
    before = state(world)

    def to_login(response) -> bool:
        return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

    for name, url in urls.items():
        assert to_login(client.get(url)), name
    posts = {
        "add": (urls["add"], channel_form(world)),
        "change": (urls["change"], channel_form(world)),
        "delete": (urls["delete"], {"post": "yes"}),
        "send a test": (urls["list"], {"action": "send_test", "_selected_action": [channel.pk]}),
        "resume": (urls["list"], {"action": "resume", "_selected_action": [channel.pk]}),
    }
    for name, (url, data) in posts.items():
        assert to_login(client.post(url, data)), name
    assert state(world) == before
    assert not OutboxMessage.objects.exists()


def test_staff_reach_every_channel_admin_url_and_send_a_test(world, channel):
    client = web(world, "staff")
    for name, url in channel_admin_urls(channel).items():
        assert client.get(url).status_code == 200, name
    before = state(world)
    list_url = reverse("admin:approvals_notificationchannel_changelist")
    assert client.post(list_url, {"action": "send_test", "_selected_action": [channel.pk]}).status_code == 302
    assert new_audit(before) == ["channel.test"]
    assert OutboxMessage.objects.filter(channel=channel, kind="test").count() == 1


@pytest.mark.parametrize("table", ["comment", "notification"])
def test_staff_read_comments_and_notifications_in_admin_but_cannot_write_them(world, ednas, table):
    client = web(world, "staff")
    row = Comment.objects.first() if table == "comment" else ednas[0]
    before = state(world)
    add = reverse(f"admin:approvals_{table}_add")
    change = reverse(f"admin:approvals_{table}_change", args=[row.pk])
    delete = reverse(f"admin:approvals_{table}_delete", args=[row.pk])
    assert client.get(change).status_code == 200
    assert client.post(add, {"text": "forged", "user": 1, "kind": "comment"}).status_code == 403
    assert client.post(change, {"text": "forged", "read_at": "2030-01-01"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert state(world) == before


# --- exports that carry comments ----------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["web", "api"])
@pytest.mark.parametrize("who", [*WHO, "auditor", "auditor-elsewhere"])
def test_audit_exports_carry_comments_only_to_auditors_of_their_workspace(world, door, who):
    comment_create(version_id=world["version"].pk, user=world["users"]["approver"], text="exported remark")
    before = state(world)
    if door == "web":
        response = web(world, who).get(reverse("audit_export"))
    else:
        response = api(world, who).get("/api/audit/", {"format": "csv"})

    if who == "anonymous":
        assert_refused(response, door, "sign in")
    elif who not in ("auditor", "auditor-elsewhere", "staff"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        assert ("exported remark" in text) == (who in ("auditor", "staff")), who
        assert ("comment.created" in text or "commented" in text) == (who in ("auditor", "staff"))
    assert state(world) == before


def test_the_version_pages_review_forms_show_only_to_who_may_use_them(world):
    """The page offers no form its door would refuse (what the matrix above refuses)."""
    forms = {"comment": "/comments/", "request": "/request-changes/", "assign": "/assign/"}
    offered = {}
    for who in ("viewer", "editor", "approver", "staff"):
        page = web(world, who).get(f"{HOME}/").content.decode()
        offered[who] = {name for name, path in forms.items() if re.search(rf'action="{HOME}{path}"', page)}
    assert offered == {
        "viewer": set(),
        "editor": {"comment"},
        "approver": {"comment", "request", "assign"},
        "staff": set(),
    }


@pytest.mark.parametrize("who", ["editor", "approver", "staff"])
def test_a_token_opens_no_page_door_of_the_review(world, ednas, who):
    """A bearer token is for the API: the pages' POSTs send its holder to sign in and change nothing."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][who]}")
    comment = Comment.objects.get()
    before = state(world)
    posts = {
        "comment": (f"{HOME}/comments/", {"text": "via a token"}),
        "retract": (f"{HOME}/comments/{comment.pk}/retract/", {}),
        "request changes": (f"{HOME}/request-changes/", {"reason": "via a token"}),
        "assign": (f"{HOME}/assign/", {"assignee": "reviewer2"}),
        "mark read": (reverse("inbox_mark_read", args=[ednas[0].pk]), {}),
        "mark all read": (reverse("inbox_mark_all_read"), {}),
        "preferences": (reverse("notification_preferences"), {"language": "en"}),
    }
    for name, (url, data) in posts.items():
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    for url in (reverse("inbox"), reverse("live_queue_rows"), reverse("audit_export")):
        assert client.get(url)["Location"].startswith(reverse("login")), url
    assert state(world) == before
