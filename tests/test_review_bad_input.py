"""Bad input to the review, at the service, the page and the API: comment text, mentions, the
assignee, the review time, the preferences, the channels' settings, deep and huge JSON bodies.
Each gets a 400 with a message at the field that caused it (on the page: beside the field) and
changes nothing; nothing answers 500. (The plain cases, empty, whitespace, NUL and one character
over the limit, are in test_reviews.py; unknown and other workspaces' assignees in test_assignment.py.)"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from approvals.errors import ApplicationError
from approvals.models import (
    Comment,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationPreference,
    WorkspacePolicy,
)
from approvals.services.comments import comment_create
from approvals.services.inbox import preferences_save
from approvals.services.reviews import review_request_changes
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.test_review_doors import API, HOME, api, state, web
from tests.test_review_doors import world as world  # the fixture
from tests.test_security_fuzz import FUZZ, json_values, junk

pytestmark = pytest.mark.django_db


def field_error(response, field: str) -> str:
    """The message shown beside `field` on the page (empty if none)."""
    match = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</', response.content.decode(), re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def api_field(response, field: str) -> str:
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    return " ".join(body["fields"].get(field, []))


# --- comment text ---------------------------------------------------------------------------------

BAD_TEXT = {
    "a megabyte": ("x" * (1024 * 1024), "at most 10,000 characters; this one has 1,048,576"),
    "fifty thousand characters": ("x" * 50_000, "at most 10,000 characters; this one has 50,000"),
    "a bell": ("ring \x07 ring", "control character"),
    "an escape sequence": ("\x1b[31mred\x1b[0m", "control character"),
    "a C1 control": ("next\x85line", "control character"),
    "DEL": ("del\x7f", "control character"),
    "an RTL override": ("approve \u202egnp.exe", "direction"),
    "an RTL isolate": ("a \u2067b\u2069 c", "direction"),
}


@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_a_bad_comment_text_is_refused_at_the_field_at_every_door_and_changes_nothing(world, case):
    text, message = BAD_TEXT[case]
    before = state(world)
    with pytest.raises(ApplicationError) as refused:
        comment_create(version_id=world["version"].pk, user=world["users"]["editor"], text=text)
    assert refused.value.field == "text" and message in refused.value.message

    page = web(world, "editor").post(f"{HOME}/comments/", {"text": text})
    assert page.status_code == 400
    assert message in field_error(page, "text"), page.content.decode()[-3000:]

    answer = api(world, "editor").post(f"{API}/comments/", {"text": text}, format="json")
    if case == "a megabyte":  # over the API's body limit, before any field is read
        assert answer.status_code == 413 and answer.json()["code"]
    else:
        assert answer.status_code == 400 and api_field(answer, "text"), answer.json()
    assert state(world) == before


def test_tabs_and_new_lines_are_kept_and_markup_is_stored_as_typed_and_shown_escaped(world):
    text = "line one\n\tline two <script>alert(1)</script> <img src=x onerror=alert(2)>"
    response = web(world, "editor").post(f"{HOME}/comments/", {"text": text})
    assert response.status_code == 302
    assert Comment.objects.get().text == text
    page = web(world, "viewer").get(f"{HOME}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    listed = api(world, "viewer").get(f"{API}/comments/").json()
    assert listed[0]["text"] == text  # JSON carries it as typed; whoever shows it escapes it


@pytest.mark.parametrize(
    ("value", "message"),
    [(12, "string"), (True, "string"), (None, "string"), (["a"], "string"), ({"text": "a"}, "string")],
)
def test_a_comment_text_that_is_not_a_string_is_refused_at_the_field(world, value, message):
    before = state(world)
    answer = api(world, "editor").post(f"{API}/comments/", {"text": value}, format="json")
    assert answer.status_code == 400 and message in api_field(answer, "text").lower(), answer.json()
    assert state(world) == before


# --- the reason of a request for changes --------------------------------------------------------------------


@pytest.mark.parametrize("case", ["a bell", "an RTL override"])
def test_a_bad_reason_is_refused_at_the_field_at_every_door(world, case):
    text, message = BAD_TEXT[case]
    before = state(world)
    with pytest.raises(ApplicationError) as refused:
        review_request_changes(version_id=world["version"].pk, user=world["users"]["approver"], reason=text)
    assert refused.value.field == "reason" and message in refused.value.message
    page = web(world, "approver").post(f"{HOME}/request-changes/", {"reason": text})
    assert page.status_code == 400 and message in field_error(page, "reason")
    answer = api(world, "approver").post(f"{API}/changes-requested", {"reason": text}, format="json")
    assert answer.status_code == 400 and api_field(answer, "reason")
    assert state(world) == before


@pytest.mark.parametrize("text", ["a\x00b", "bad \ud800 half"])
def test_a_nul_or_an_unpaired_surrogate_is_refused_by_the_services_and_the_api(world, text):
    before = state(world)
    with pytest.raises(ApplicationError) as refused:
        review_request_changes(version_id=world["version"].pk, user=world["users"]["approver"], reason=text)
    assert refused.value.field == "reason"
    with pytest.raises(ApplicationError) as refused:
        comment_create(version_id=world["version"].pk, user=world["users"]["editor"], text=text)
    assert refused.value.field == "text"
    # json.dumps writes the surrogate as \\ud800: JSON can carry what UTF-8 cannot.
    for who, url, name in (("editor", f"{API}/comments/", "text"), ("approver", f"{API}/changes-requested", "reason")):
        answer = api(world, who).post(url, json.dumps({name: text}), content_type="application/json")
        assert answer.status_code == 400 and api_field(answer, name), answer.json()
    assert state(world) == before


# --- mentions ----------------------------------------------------------------------------------------------


def test_thousands_of_mentions_tell_each_member_once_in_a_bounded_number_of_queries(world):
    ghosts = " ".join(f"@g{n}" for n in range(1250))
    text = "@reviewer2 @approver-elsewhere " + "@reviewer2 " * 100 + ghosts
    assert len(text) <= 10_000 and text.count("@") > 1300
    with CaptureQueriesContext(connection) as queries:
        comment = comment_create(version_id=world["version"].pk, user=world["users"]["editor"], text=text)
    assert comment.mentions == ["reviewer2"]  # nobody unknown, nobody of another workspace
    assert len(queries) < 40, len(queries)
    told = list(Notification.objects.values_list("user__username", "kind"))
    assert told == [("reviewer2", "mentioned")]


def test_a_mention_of_someone_of_another_workspace_or_nobody_tells_nobody_through_the_api(world):
    answer = api(world, "editor").post(
        f"{API}/comments/", {"text": "@approver-elsewhere @nobody-at-all @staff look"}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["mentions"] == []
    assert not Notification.objects.filter(kind="mentioned").exists()


# --- the assignee -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [7, 1.5, True, None, ["reviewer2"], {"username": "reviewer2"}, "reviewer2\x00"])
def test_an_assignee_that_is_not_a_username_is_refused_at_the_field(world, value):
    before = state(world)
    answer = api(world, "approver").put(f"{API}/assignment", {"assignee": value}, format="json")
    assert answer.status_code == 400 and api_field(answer, "assignee"), answer.json()
    assert state(world) == before


@pytest.mark.parametrize("who", ["viewer", "editor-elsewhere", "staff"])
def test_the_id_or_name_of_someone_who_is_no_approver_here_is_refused_at_the_field(world, who):
    before = state(world)
    person = world["users"][who]
    for value in (str(person.pk), person.username):
        answer = api(world, "approver").put(f"{API}/assignment", {"assignee": value}, format="json")
        assert answer.status_code == 400 and api_field(answer, "assignee"), answer.json()
        page = web(world, "approver").post(f"{HOME}/assign/", {"assignee": value})
        assert page.status_code == 400 and field_error(page, "assignee")
    assert state(world) == before


def test_an_unknown_field_in_the_assignment_is_named(world):
    answer = api(world, "approver").put(f"{API}/assignment", {"assignee": "me", "user_id": 1}, format="json")
    assert answer.status_code == 400 and "Unknown field" in api_field(answer, "user_id")


# --- the review time (the workspace policy) ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, -(10**30), 10**30, 2161, "48", "nan", [48], {"h": 48}])
def test_a_bad_review_time_is_refused_at_the_field_through_the_api(world, value):
    staff = api(world, "staff")
    url = f"/api/workspaces/{world['home'].workspace_id}/policy"
    body = staff.get(url).json()
    before = state(world)
    answer = staff.put(url, {**body, "review_hours": value}, format="json")
    assert answer.status_code == 400 and api_field(answer, "review_hours"), answer.json()
    assert state(world) == before and not WorkspacePolicy.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_non_finite_review_time_is_refused_as_a_bad_body_or_at_the_field(world, literal):
    staff = api(world, "staff")
    url = f"/api/workspaces/{world['home'].workspace_id}/policy"
    body = staff.get(url).json()
    raw = json.dumps({**body, "review_hours": 0}).replace('"review_hours": 0', f'"review_hours": {literal}')
    before = state(world)
    answer = staff.generic("PUT", url, raw, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["message"]
    assert state(world) == before and not WorkspacePolicy.objects.exists()


@pytest.mark.parametrize("value", ["-1", "0", "2161", "99999999999999999999999", "1e3", "nan", "inf", "12\x00"])
def test_a_bad_review_time_is_refused_at_the_field_in_admin(world, value):
    client = web(world, "staff")
    form = {"workspace": world["home"].pk, "review_hours": value, "editable_after_decision": []}
    before = state(world)
    response = client.post(reverse("admin:approvals_workspacepolicy_add"), form)
    assert response.status_code == 200
    assert "review_hours" in response.context["adminform"].form.errors, response.context["adminform"].form.errors
    assert state(world) == before and not WorkspacePolicy.objects.exists()


# --- preferences ---------------------------------------------------------------------------------------------

ALL_OFF = {f"email_{kind}": "off" for kind in NotificationKind.values}


@pytest.mark.parametrize("value", ["hourly", "", "OFF", "off\x00", "x" * 10_000, "\u202eoff"])
def test_an_unknown_mail_mode_is_refused_at_its_field_and_saves_nothing(world, value):
    before = state(world)
    response = web(world, "editor").post(
        reverse("notification_preferences"), {**ALL_OFF, "email_assigned": value, "language": ""}
    )
    assert response.status_code == 400 and field_error(response, "email_assigned")
    assert state(world) == before


@pytest.mark.parametrize("value", ["klingon", "zh", "en\x00", "x" * 5000])
def test_an_unknown_language_is_refused_at_its_field(world, value):
    before = state(world)
    response = web(world, "editor").post(reverse("notification_preferences"), {**ALL_OFF, "language": value})
    assert response.status_code == 400 and field_error(response, "language")
    assert state(world) == before


def test_an_unknown_kind_on_the_page_is_not_a_preference_and_the_service_refuses_it(world):
    response = web(world, "editor").post(
        reverse("notification_preferences"), {**ALL_OFF, "email_bogus": "immediate", "language": ""}
    )
    assert response.status_code == 302
    assert not NotificationPreference.objects.filter(kind="bogus").exists()
    before = state(world)
    for email in ({"bogus": "off"}, {"comment": "hourly"}, {"comment": None}):
        with pytest.raises(ApplicationError) as refused:
            preferences_save(user=world["users"]["editor"], email=email, language="")
        assert refused.value.field
    with pytest.raises(ApplicationError) as refused:
        preferences_save(user=world["users"]["editor"], email={}, language="klingon")
    assert refused.value.field == "language"
    assert state(world) == before


# --- channel settings (admin, staff) ----------------------------------------------------------------------------


def channel_form(world, **fields) -> dict[str, Any]:
    return {
        "workspace": world["home"].pk,
        "name": "reviews",
        "channel_type": "webhook",
        "url": "https://hooks.example.com/review",
        "secret": WEBHOOK_SECRET,
        "events": ["approved"],
        "language": "en",
        "enabled": "on",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "ftp://hooks.example.com/x"}, "url"),
        ({"url": "gopher://hooks.example.com/x"}, "url"),
        ({"url": "//hooks.example.com/x"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://hooks.example.com:99999/x"}, "url"),
        ({"url": "https://[::1/x"}, "url"),
        ({"url": "https://hooks.example.com/x\r\nX-Injected: 1"}, "url"),
        ({"url": "https://hooks.example.com/\x00"}, "url"),
        ({"url": "http://127.0.0.1:8080/x"}, "url"),
        ({"url": "http://localhost/x"}, "url"),
        ({"url": "http://10.0.0.8/x"}, "url"),
        ({"url": "https://hooks.example.com/" + "a" * 5000}, "url"),
        ({"secret": "whsec_!!!!not base64!!!!!!!!!!!!!!!!!"}, "secret"),
        ({"secret": "not-whsec-at-all-but-long-enough-to-pass"}, "secret"),
        ({"secret": "whsec_" + "QUFB" * 40}, "secret"),
        ({"secret": "whsec_" + "A" * 300}, "secret"),
        ({"secret": "whsec_\x00"}, "secret"),
        ({"channel_type": "lark", "url": "https://open.feishu.cn.evil.example/hook"}, "url"),
        ({"channel_type": "carrier-pigeon"}, "channel_type"),
        ({"language": "klingon"}, "language"),
        ({"name": "x" * 500}, "name"),
        ({"workspace": "999999"}, "workspace"),
        ({"workspace": "abc"}, "workspace"),
    ],
)
def test_bad_channel_settings_are_refused_at_their_field_and_save_nothing(world, settings, fields, field):
    settings.NOTIFY_ALLOWED_URLS = []  # as installed: the tests' receivers on loopback are not listed
    client = web(world, "staff")
    before = state(world)
    response = client.post(reverse("admin:approvals_notificationchannel_add"), channel_form(world, **fields))
    assert response.status_code == 200, response.status_code
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert state(world) == before and not NotificationChannel.objects.exists()


# --- deep and huge JSON bodies to every review endpoint -------------------------------------------------------

# The endpoints that read a body; retracting and marking read take none, and do not read one.
ENDPOINTS = [
    ("post", f"{API}/comments/", "editor"),
    ("post", f"{API}/changes-requested", "approver"),
    ("put", f"{API}/assignment", "approver"),
]
BODYLESS = [
    ("post", f"{API}/comments/999/retract", "editor"),
    ("post", "/api/notifications/999/read", "editor"),
]


@pytest.mark.parametrize(("method", "url", "who"), ENDPOINTS)
@pytest.mark.parametrize("shape", ["array", "object", "in a field"])
def test_json_nested_ten_thousand_deep_is_a_400_and_changes_nothing(world, method, url, who, shape):
    depth = 10_000
    deep = {"array": "[" * depth + "]" * depth, "object": '{"a":' * depth + "1" + "}" * depth}
    raw = deep.get(shape) or '{"text": ' + "[" * depth + "]" * depth + "}"
    before = state(world)
    answer = getattr(api(world, who), method)(url, raw, content_type="application/json")
    assert answer.status_code == 400, (answer.status_code, answer.content[:300])
    assert "nested too deeply" in answer.json()["message"] or answer.json()["fields"]
    assert state(world) == before


@pytest.mark.parametrize(("method", "url", "who"), ENDPOINTS)
def test_a_huge_json_body_is_refused_and_changes_nothing(world, method, url, who):
    raw = json.dumps({"text": "x" * (3 * 1024 * 1024), "reason": "y", "assignee": "me"})
    before = state(world)
    answer = getattr(api(world, who), method)(url, raw, content_type="application/json")
    assert answer.status_code in (400, 413), (answer.status_code, answer.content[:300])
    assert answer.json()["message"]
    assert state(world) == before


@pytest.mark.parametrize(("method", "url", "who"), ENDPOINTS)
@pytest.mark.parametrize("raw", ["", "null", "[]", '"text"', "{", '{"text": "a", "text": ', "\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_400(world, method, url, who, raw):
    before = state(world)
    answer = getattr(api(world, who), method)(url, raw, content_type="application/json")
    assert answer.status_code in (400, 404), (answer.status_code, answer.content[:300])
    assert answer.json()["message"]
    assert state(world) == before


@pytest.mark.parametrize(("method", "url", "who"), BODYLESS)
@pytest.mark.parametrize("size", ["deep", "huge"])
def test_endpoints_that_take_no_body_ignore_a_deep_or_huge_one_and_answer_as_without_it(world, method, url, who, size):
    depth = 10_000
    raw = "[" * depth + "]" * depth if size == "deep" else json.dumps({"x": "y" * (3 * 1024 * 1024)})
    before = state(world)
    answer = getattr(api(world, who), method)(url, raw, content_type="application/json")
    plain = getattr(api(world, who), method)(url)
    assert (answer.status_code, answer.json()["code"]) == (plain.status_code, plain.json()["code"])
    assert answer.status_code in (400, 404)
    assert state(world) == before


# --- anything at all: never a 500, and a refusal changes nothing -----------------------------------------------


def settled(response, before: dict[str, Any], world) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code not in (200, 201, 302):
        assert state(world) == before, "a refused request changed something"


@FUZZ
@given(text=junk, reason=junk, assignee=junk, mode=junk, language=junk)
def test_the_review_forms_never_fail_and_a_refusal_changes_nothing(world, text, reason, assignee, mode, language):
    posts = [
        ("editor", f"{HOME}/comments/", {"text": text}),
        ("approver", f"{HOME}/request-changes/", {"reason": reason}),
        ("approver", f"{HOME}/assign/", {"assignee": assignee}),
        ("editor", reverse("notification_preferences"), {**ALL_OFF, "email_comment": mode, "language": language}),
    ]
    for who, url, data in posts:
        before = state(world)
        settled(web(world, who).post(url, data), before, world)


@FUZZ
@given(
    text=json_values, reason=json_values, assignee=json_values, extra=st.dictionaries(st.text(max_size=8), json_values)
)
def test_the_review_api_never_fails_and_a_refusal_changes_nothing(world, text, reason, assignee, extra):
    calls = [
        ("editor", "post", f"{API}/comments/", {"text": text, **extra}),
        ("approver", "post", f"{API}/changes-requested", {"reason": reason}),
        ("approver", "put", f"{API}/assignment", {"assignee": assignee}),
        ("approver", "put", f"{API}/assignment", extra),
    ]
    for who, method, url, body in calls:
        before = state(world)
        response = getattr(api(world, who), method)(url, json.dumps(body), content_type="application/json")
        settled(response, before, world)
        if response.status_code >= 400:
            assert response.json()["message"]


@pytest.mark.parametrize(
    "query",
    [{"unread": "yes"}, {"unread": "0"}, {"unread": ["1", "x"]}, {"unread": ""}, {"unrea": "1"}, {"per_page": "-1"}],
)
def test_a_bad_query_on_the_notification_list_is_a_400_naming_the_parameter(world, query):
    answer = api(world, "editor").get("/api/notifications/", query)
    assert answer.status_code == 400 and answer.json()["fields"], answer.json()
    assert set(answer.json()["fields"]) <= {"unread", "unrea", "per_page"}
    assert api(world, "editor").get("/api/notifications/", {"unread": "1", "per_page": "25"}).status_code == 200
