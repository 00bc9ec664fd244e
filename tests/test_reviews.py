"""Comments, changes requested and the refusal to approve meanwhile, at every door (service, page, API),
for each role in the person's own workspace and in another (404 there)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from approvals import services
from approvals.display.comments import comment_html, mention_candidates
from approvals.errors import ApplicationError
from approvals.models import AuditEvent, Comment, ReviewState
from approvals.services.comments import comment_create, comment_retract
from approvals.services.reviews import review_request_changes
from approvals.services.tokens import api_token_create
from tests.factories import make_model, make_user, make_version, make_workspace, write_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    home, other = make_workspace(name="Speech"), make_workspace(name="Vision")
    people = {
        "edna": make_user("edna", group="editor", workspace=home),
        "abe": make_user("abe", group="approver", workspace=home),
        "ann": make_user("ann", group="approver", workspace=home),
        "vic": make_user("vic", group="viewer", workspace=home),
        "otto": make_user("otto", group="approver", workspace=other),
    }
    version = make_version(make_model(home, model_id="m-asr", name="speech-asr"), version_name="1.0.0")
    return {"home": home, "other": other, "version": version, **people}


def page_url(version, name: str = "version_detail", *args) -> str:
    return reverse(name, args=[version.model.model_id, version.version_name, *args])


API = "/api/models/m-asr/versions/1.0.0"


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")
    return client


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- display: escaped, links clickable, only members' mentions marked ---------------------


def test_a_comment_is_escaped_its_links_clickable_and_only_given_mentions_marked():
    shown = comment_html("<script>x</script> see https://example.com/a?b=1&c=2). @abe, @ghost and a@b.c", ["abe"])

    assert "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">' in shown
    assert "</a>)." in shown  # the sentence's punctuation is not part of the link
    assert '<strong class="mention">@abe</strong>,' in shown
    assert "@ghost" in shown and 'mention">@ghost' not in shown
    assert mention_candidates("hi @abe, @abe and a@b.c @ann.") == ["abe", "ann"]


def test_a_link_cannot_break_out_of_its_attribute():
    shown = comment_html('https://x.example/"onmouseover="alert(1)')
    assert 'href="https://x.example/"' in shown and "onmouseover=" in shown and '"onmouseover' not in shown


# --- comments ------------------------------------------------------------------------------------


def test_an_editor_comments_mentioning_members_only_and_it_is_audited(team):
    comment = comment_create(version_id=team["version"].pk, user=team["edna"], text="  @abe @otto @ghost please look  ")

    assert comment.text == "@abe @otto @ghost please look"
    assert comment.mentions == ["abe"]  # otto is in another workspace, ghost is nobody
    (event,) = events("comment.created")
    assert event.actor == "edna" and (event.model_id, event.version_name) == ("m-asr", "1.0.0")
    assert event.payload == {"comment_id": comment.pk, "text": comment.text, "mentions": ["abe"]}


@pytest.mark.parametrize(
    ("text", "message", "form_message"),
    [
        ("", "empty or only whitespace", ""),
        (" \t\n ", "empty or only whitespace", ""),
        ("\u200b\u2060\ufeff", "empty or only whitespace", ""),
        ("x" * 10_001, "at most 10,000 characters; this one has 10,001", ""),
        ("a\x00b", "NUL character", "Null characters are not allowed"),  # Django's form field says it first
    ],
)
def test_a_bad_comment_is_refused_at_its_field_and_changes_nothing(team, client, text, message, form_message):
    before = write_state(team["version"])
    with pytest.raises(ApplicationError) as refused:
        comment_create(version_id=team["version"].pk, user=team["edna"], text=text)
    assert message in refused.value.message and refused.value.field == "text"

    client.force_login(team["edna"])
    page = client.post(page_url(team["version"], "version_comment"), {"text": text})
    assert page.status_code == 400 and (form_message or message) in html.unescape(page.content.decode())
    assert 'id="id_text_error"' in page.content.decode()

    answer = api(team["edna"]).post(f"{API}/comments/", {"text": text}, format="json")
    assert answer.status_code == 400 and "text" in answer.json()["fields"]

    assert write_state(team["version"]) == {**before, "audit_events": before["audit_events"] + 1}  # the token
    assert Comment.objects.count() == 0


def test_who_may_comment_at_every_door(team, client):
    version = team["version"]
    with pytest.raises(ApplicationError, match="Only editors and approvers"):
        comment_create(version_id=version.pk, user=team["vic"], text="hello")

    client.force_login(team["vic"])
    assert client.post(page_url(version, "version_comment"), {"text": "hello"}).status_code == 403
    client.force_login(team["otto"])  # an approver, of another workspace: the version does not exist for him
    assert client.post(page_url(version, "version_comment"), {"text": "hello"}).status_code == 404
    assert client.get(page_url(version)).status_code == 404

    assert api(team["vic"]).post(f"{API}/comments/", {"text": "hi"}, format="json").status_code == 403
    assert api(team["otto"]).post(f"{API}/comments/", {"text": "hi"}, format="json").status_code == 404
    assert api(team["otto"]).get(f"{API}/comments/").status_code == 404
    assert Comment.objects.count() == 0

    client.force_login(team["abe"])
    assert client.post(page_url(version, "version_comment"), {"text": "fine by me"}).status_code == 302
    created = api(team["edna"]).post(f"{API}/comments/", {"text": "thanks @abe"}, format="json")
    assert created.status_code == 201 and created.json()["mentions"] == ["abe"]
    listed = api(team["vic"]).get(f"{API}/comments/").json()  # viewers read them
    assert [c["text"] for c in listed] == ["fine by me", "thanks @abe"]


def test_a_comment_shows_in_the_timeline_between_edits_and_a_retraction_hides_its_text(team, client):
    version = team["version"]
    comment_create(version_id=version.pk, user=team["abe"], text="needs a <b>better</b> description")
    services.version_edit(
        version_id=version.pk, user=team["edna"], values={"VersionDescription": "better"}, base_revision=0
    )
    client.force_login(team["vic"])
    page = client.get(page_url(version)).content.decode()
    history = page[page.index('id="h-history"') :]
    assert "needs a &lt;b&gt;better&lt;/b&gt; description" in history
    assert history.index("<strong>edited</strong> by edna") < history.index(
        "<strong>commented</strong> by abe"
    )  # newest first

    comment = Comment.objects.get()
    with pytest.raises(ApplicationError, match="Only the comment's author"):
        comment_retract(version_id=version.pk, comment_id=comment.pk, user=team["ann"])
    client.force_login(team["abe"])
    assert client.post(page_url(version, "version_comment_retract", comment.pk)).status_code == 302

    page = client.get(page_url(version)).content.decode()
    assert "better</b>" not in page and "&lt;b&gt;better" not in page and "This comment was retracted." in page
    assert api(team["vic"]).get(f"{API}/comments/").json()[0]["text"] is None
    (retracted,) = events("comment.retracted")
    assert retracted.actor == "abe" and retracted.payload == {"comment_id": comment.pk}
    with pytest.raises(ApplicationError, match="already retracted"):
        comment_retract(version_id=version.pk, comment_id=comment.pk, user=team["abe"])


def test_retracting_another_versions_comment_through_the_api_is_refused(team):
    elsewhere = make_version(team["version"].model, version_name="2.0.0")
    comment = comment_create(version_id=elsewhere.pk, user=team["abe"], text="on 2.0.0")
    answer = api(team["abe"]).post(f"{API}/comments/{comment.pk}/retract", format="json")
    assert answer.status_code == 400 and "no such comment" in answer.json()["message"]
    assert Comment.objects.get().retracted_at is None


# --- changes requested ----------------------------------------------------------------------------


def test_an_approver_requests_changes_and_approval_is_refused_at_every_door_until_an_edit(team, client):
    version = team["version"]
    review_request_changes(version_id=version.pk, user=team["abe"], reason="Metrics lack the test set")
    version.refresh_from_db()
    assert version.review_state == ReviewState.CHANGES_REQUESTED and version.approval_status == "Pending"
    (event,) = events("review.changes_requested")
    assert event.actor == "abe" and event.payload == {"reason": "Metrics lack the test set"}

    before = write_state(version)
    with pytest.raises(ApplicationError, match="abe requested changes"):
        services.version_decide(version_id=version.pk, user=team["ann"], status="Approved", revision=0)
    client.force_login(team["ann"])
    page = client.post(
        reverse("version_decide", args=["m-asr", "1.0.0"]), {"status": "Approved", "reason": "", "revision": 0}
    )
    assert page.status_code == 400 and "abe requested changes" in html.unescape(page.content.decode())
    answer = api(team["ann"]).post(
        f"{API}/decision", {"ApprovalStatus": "Approved"}, format="json", HTTP_IF_MATCH='"0"'
    )
    assert answer.status_code == 400 and "abe requested changes" in answer.json()["message"]
    assert write_state(version) == {**before, "audit_events": before["audit_events"] + 1}  # the API token
    detail = client.get(page_url(version)).content.decode()
    assert "Changes requested" in detail and "Metrics lack the test set" in detail

    services.version_edit(
        version_id=version.pk, user=team["edna"], values={"VersionDescription": "with test set"}, base_revision=0
    )
    version.refresh_from_db()
    assert version.review_state == ReviewState.READY and version.review_requested_by is None
    (ready,) = events("review.ready")
    assert ready.actor == "edna" and ready.payload == {"requested_by": "abe"}
    decided = services.version_decide(version_id=version.pk, user=team["ann"], status="Approved", revision=1)
    assert decided.kind == "decision"


def test_rejecting_stays_possible_while_changes_are_requested(team):
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="no")
    change = services.version_decide(
        version_id=team["version"].pk, user=team["ann"], status="Rejected", reason="gave up", revision=0
    )
    assert change.fields == {"ApprovalStatus": ["Pending", "Rejected"]}


def test_only_approvers_of_the_workspace_request_changes_at_every_door(team, client):
    version = team["version"]
    for who in ("edna", "vic", "otto"):
        with pytest.raises(ApplicationError, match="Only approvers of this workspace"):
            review_request_changes(version_id=version.pk, user=team[who], reason="x")
    url = page_url(version, "version_request_changes")
    for who, status in (("edna", 403), ("vic", 403), ("otto", 404)):
        client.force_login(team[who])
        assert client.post(url, {"reason": "x"}).status_code == status, who
        assert api(team[who]).post(f"{API}/changes-requested", {"reason": "x"}, format="json").status_code == status
    version.refresh_from_db()
    assert version.review_state == ReviewState.READY and not events("review.changes_requested")

    client.force_login(team["abe"])
    assert client.post(url, {"reason": "   "}).status_code == 400
    answer = api(team["abe"]).post(f"{API}/changes-requested", {"reason": "\u200b"}, format="json")
    assert answer.status_code == 400 and answer.json()["fields"] == {"reason": [answer.json()["message"]]}
    assert not events("review.changes_requested")
    answer = api(team["abe"]).post(f"{API}/changes-requested", {"reason": "add a model card"}, format="json")
    assert answer.status_code == 200 and answer.json()["review_state"] == "changes_requested"
    assert answer.json()["review_requested_by"] == "abe"
    again = api(team["ann"]).post(f"{API}/changes-requested", {"reason": "me too"}, format="json")
    assert again.status_code == 400 and "already requested" in again.json()["message"]


def test_the_queue_and_the_lists_filter_by_changes_requested(team, client):
    other = make_version(team["version"].model, version_name="2.0.0")
    review_request_changes(version_id=team["version"].pk, user=team["abe"], reason="fix it")
    client.force_login(team["vic"])

    queue = client.get(reverse("home"), {"review": "changes_requested"}).content.decode()
    assert ">1.0.0<" in queue and ">2.0.0<" not in queue and "Changes requested" in queue
    ready = client.get(reverse("home"), {"review": "ready"}).content.decode()
    assert ">2.0.0<" in ready and ">1.0.0<" not in ready
    listing = client.get(reverse("version_list"), {"review": "changes_requested"}).content.decode()
    assert ">1.0.0<" in listing and ">2.0.0<" not in listing
    assert client.get(reverse("home"), {"review": "bogus"}).status_code == 400

    rows = api(team["vic"]).get("/api/versions/", {"review": "changes_requested"}).json()["results"]
    assert [(r["VersionName"], r["review_state"]) for r in rows] == [("1.0.0", "changes_requested")]
    assert other.pk


def test_a_retracted_comments_text_is_hidden_in_the_audit_log_and_the_history_at_every_door(team, client):
    version = team["version"]
    comment = comment_create(version_id=version.pk, user=team["abe"], text="secret-ish remark")
    kept = comment_create(version_id=version.pk, user=team["abe"], text="still here")
    comment_retract(version_id=version.pk, comment_id=comment.pk, user=team["abe"])
    auditor = make_user("audrey", group="auditor")

    client.force_login(auditor)
    pages = [
        client.get(reverse("audit_log")).content.decode(),
        b"".join(client.get(reverse("audit_export")).streaming_content).decode(),
    ]
    pages += [api(auditor).get("/api/audit/").content.decode(), api(auditor).get(f"{API}/history").content.decode()]
    for page in pages:
        assert "secret-ish remark" not in page and "still here" in page and "[hidden]" in page
    # The stored event keeps what was said: the chain is intact.
    stored = AuditEvent.objects.get(action="comment.created", payload__comment_id=comment.pk)
    assert stored.payload["text"] == "secret-ish remark" and kept.pk
