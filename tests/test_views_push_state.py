"""Push state on the version page and in lists, the polled fragment, conflict resolution and retry."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from approvals.models import AuditEvent, Change, ChangeKind, PushState
from tests.factories import at, make_model, make_role_users, make_user, make_version, write_state

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def users():
    return make_role_users()


@pytest.fixture
def version():
    return make_version(make_model(model_id="m-asr", name="speech-asr"), version_name="1.0.0")


def url(name: str, version) -> str:
    return reverse(name, args=[version.model.model_id, version.version_name])


def fragment(client, version, **query) -> str:
    response = client.get(url("version_push_state", version), query)
    assert response.status_code == 200
    return response.content.decode()


def set_state(version, **fields) -> None:
    for name, value in fields.items():
        setattr(version, name, value)
    version.save()


def in_conflict(version, **sides) -> None:
    """The state push.py leaves: revision 1 owed, PAI changed the field since the edit's base."""
    Change.objects.create(
        version=version,
        revision=1,
        kind=ChangeKind.EDIT,
        author=make_user("author", group="editor"),
        fields={"VersionDescription": [sides["base"], sides["yours"]]},
    )
    set_state(
        version,
        version_description=sides["yours"],
        revision=1,
        push_state=PushState.CONFLICT,
        conflict={"VersionDescription": sides},
    )


# --- the fragment, state by state -------------------------------------------------


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (PushState.QUEUED, "Waiting for a worker to send the change to PAI."),
        (PushState.PUSHING, "Sending to PAI now."),
    ],
)
def test_the_fragment_shows_a_moving_push(client, users, version, state, text):
    set_state(version, push_state=state, revision=2, pushed_revision=1)
    client.force_login(users["viewer"])

    page = fragment(client, version)

    assert f'data-push-state="{state}"' in page
    assert text in page
    assert "<dt>Revision</dt><dd>2 (PAI holds 1)</dd>" in page
    assert "<html" not in page  # a partial, swapped into the page


def test_the_fragment_shows_a_done_push_with_its_request_id_and_time(client, users, version):
    set_state(
        version, push_state=PushState.DONE, revision=3, pushed_revision=3, last_request_id="REQ-9F", pushed_at=at(5)
    )
    client.force_login(users["viewer"])

    page = fragment(client, version)

    assert "PAI holds every accepted change." in page
    assert "<dt>RequestId</dt><dd><code>REQ-9F</code></dd>" in page
    assert '<time datetime="2024-01-01T00:05:00+00:00">2024-01-01 00:05:00 UTC</time>' in page


def test_the_fragment_shows_a_retrying_push_with_attempts_next_try_and_last_error(client, users, version):
    next_try = dt.datetime(2024, 1, 1, 0, 10, tzinfo=dt.UTC)
    set_state(
        version,
        push_state=PushState.RETRYING,
        revision=1,
        push_attempts=3,
        lease_expires_at=next_try,
        push_error="503 ServiceUnavailable The service is busy (RequestId R-1)",
    )
    client.force_login(users["viewer"])

    page = fragment(client, version)

    assert "<dt>Attempts</dt><dd>3</dd>" in page
    assert '<dt>Next try</dt><dd><time datetime="2024-01-01T00:10:00+00:00">' in page
    assert '<dd class="error">503 ServiceUnavailable The service is busy (RequestId R-1)</dd>' in page


@pytest.mark.parametrize(
    ("role", "can_edit", "can_retry"), [("editor", True, True), ("approver", False, True), ("viewer", False, False)]
)
def test_the_fragment_shows_a_failed_push_with_pais_error_an_edit_link_and_retry(
    client, users, version, role, can_edit, can_retry
):
    set_state(
        version,
        push_state=PushState.FAILED,
        revision=1,
        push_attempts=1,
        push_error="400 InvalidParameter.Metrics Metrics is too long (RequestId R-2)",
    )
    client.force_login(users[role])

    page = fragment(client, version)

    assert "PAI refused the change." in page
    assert '<dt>PAI\'s error</dt><dd class="error">400 InvalidParameter.Metrics Metrics is too long' in page
    assert (f'href="{url("version_edit", version)}"' in page) is can_edit
    assert (f'action="{url("version_retry_push", version)}"' in page) is can_retry
    assert ("Retry push" in page) is can_retry


def test_the_fragment_shows_a_conflict_with_base_theirs_yours_and_a_choice_per_field(client, users, version):
    in_conflict(version, base="old", theirs="changed in the console", yours="changed here")
    client.force_login(users["editor"])

    page = fragment(client, version)

    row = re.search(r'<th scope="row">Version description</th>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<pre>(.*?)</pre>", row)
    assert cells == ["old", "changed in the console", "changed here"]
    assert (
        '<input type="radio" id="keep-VersionDescription-theirs" name="keep_VersionDescription" value="theirs"' in row
    )
    assert '<input type="radio" id="keep-VersionDescription-yours" name="keep_VersionDescription" value="yours"' in row
    assert "keep PAI's" in row and "apply mine" in row
    assert f'action="{url("version_resolve_conflict", version)}"' in page


def test_viewers_see_a_conflict_but_no_choice(client, users, version):
    in_conflict(version, base="old", theirs="theirs", yours="mine")
    client.force_login(users["viewer"])

    page = fragment(client, version)

    assert "<pre>theirs</pre>" in page
    assert 'type="radio"' not in page


def test_the_badge_fragment_is_just_the_badge(client, users, version):
    set_state(version, push_state=PushState.RETRYING)
    client.force_login(users["viewer"])

    page = fragment(client, version, part="badge")

    assert (
        page.strip()
        == '<span class="badge push-retrying" data-push-state="retrying" title="Push to PAI">push: retrying</span>'
    )


def test_anonymous_visitors_get_no_fragment(client, version):
    response = client.get(url("version_push_state", version))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- polling hooks on the pages ---------------------------------------------------


def test_the_version_page_polls_with_an_external_script_and_no_inline_code(client, users, version):
    set_state(version, push_state=PushState.QUEUED, revision=1)
    client.force_login(users["viewer"])

    page = client.get(url("version_detail", version)).content.decode()

    assert f'data-poll-url="{url("version_push_state", version)}"' in page
    # Every script is an empty tag loading a static file: nothing inline, so a strict CSP holds.
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/js/timezone.js" defer>',
        '<script src="/static/js/push-state.js" defer>',
    ]
    assert len(re.findall(r"<script[^>]*>\s*</script>", page)) == 2
    assert " on" + "click=" not in page


def test_lists_poll_only_the_badges_of_pushes_still_moving(client, users):
    model = make_model()
    moving = make_version(model, version_name="1.0.1", push_state=PushState.PUSHING)
    settled = make_version(model, version_name="1.0.2", push_state=PushState.DONE)
    client.force_login(users["viewer"])

    for page_url in (reverse("version_list"), reverse("home")):
        page = client.get(page_url).content.decode()
        assert f'data-poll-url="{url("version_push_state", moving)}?part=badge"' in page, page_url
        assert url("version_push_state", settled) not in page, page_url
        assert '<script src="/static/js/push-state.js" defer></script>' in page, page_url


def test_the_polling_script_stops_once_the_state_settles():
    with open("static/js/push-state.js", encoding="utf-8") as script:
        code = script.read()

    assert 'var ACTIVE = ["queued", "pushing", "retrying"];' in code
    assert "INTERVAL_MS = 2000" in code
    assert "http" not in code.replace("HTTP ", "")  # same-origin only, no CDN


# --- resolving a conflict -----------------------------------------------------------


def test_keeping_pais_value_resolves_the_conflict_and_is_audited(
    client, users, version, django_capture_on_commit_callbacks
):
    in_conflict(version, base="old", theirs="console text", yours="dashboard text")
    client.force_login(users["editor"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("version_resolve_conflict", version), {"keep_VersionDescription": "theirs"})

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.version_description, version.push_state, version.conflict) == ("console text", "queued", {})
    assert version.revision == 2
    change = Change.objects.get(revision=2)
    assert change.kind == ChangeKind.RESOLUTION
    assert change.fields == {"VersionDescription": ["dashboard text", "console text"]}
    event = AuditEvent.objects.get()
    assert (event.actor, event.action) == ("editor", "version.conflict_resolved")
    assert event.payload["fields"] == change.fields
    assert len(callbacks) == 1
    assert "Conflict resolved. Pushing to PAI…" in client.get(response["Location"]).content.decode()


def test_applying_mine_resolves_the_conflict_toward_the_dashboards_value(
    client, users, version, django_capture_on_commit_callbacks
):
    in_conflict(version, base="old", theirs="console text", yours="dashboard text")
    client.force_login(users["approver"])

    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("version_resolve_conflict", version), {"keep_VersionDescription": "yours"})

    version.refresh_from_db()
    assert (version.version_description, version.push_state) == ("dashboard text", "queued")
    assert Change.objects.get(revision=2).fields == {"VersionDescription": ["console text", "dashboard text"]}
    assert AuditEvent.objects.get().action == "version.conflict_resolved"


@pytest.mark.parametrize("choice", [{}, {"keep_VersionDescription": "both"}])
def test_a_resolution_without_a_valid_choice_is_refused_at_the_field(client, users, version, choice):
    in_conflict(version, base="old", theirs="a", yours="b")
    client.force_login(users["editor"])
    before = write_state(version)

    response = client.post(url("version_resolve_conflict", version), choice)

    page = response.content.decode()
    assert response.status_code == 400
    error = re.search(r'id="keep-VersionDescription-error" role="alert">([^<]+)</div>', page).group(1)
    expected = {"": "Choose which value of VersionDescription to keep."}.get(
        choice.get("keep_VersionDescription", ""), "Select a valid choice. both is not one of the available choices."
    )
    assert error == expected
    assert write_state(version) == before


@pytest.mark.parametrize("role", ["viewer", "auditor", "staff", "nobody"])
def test_only_editors_and_approvers_may_resolve_a_conflict(client, users, version, role):
    in_conflict(version, base="old", theirs="a", yours="b")
    client.force_login(users[role])
    before = write_state(version)

    response = client.post(url("version_resolve_conflict", version), {"keep_VersionDescription": "yours"})

    assert response.status_code == 403
    assert write_state(version) == before


def test_resolving_a_version_without_a_conflict_is_refused(client, users, version):
    client.force_login(users["editor"])
    before = write_state(version)

    response = client.post(url("version_resolve_conflict", version), {"keep_VersionDescription": "yours"})

    assert response.status_code == 400
    assert "This version has no conflict to resolve." in response.content.decode()
    assert write_state(version) == before


@pytest.mark.parametrize("payload", [SCRIPT, '"><img src=x onerror=alert(1)>'])
def test_values_in_the_conflict_table_render_escaped(client, users, version, payload):
    in_conflict(version, base=payload, theirs=payload + "1", yours=payload + "2")
    client.force_login(users["editor"])

    for page in (fragment(client, version), client.get(url("version_detail", version)).content.decode()):
        table = page.split('<table class="diff">', 1)[1].split("</table>", 1)[0]
        assert "<script>alert" not in table and "<img src=x" not in table
        assert html.escape(payload + "1") in table


# --- retrying a failed push -----------------------------------------------------------


def test_retry_push_queues_a_failed_push_again(client, users, version, django_capture_on_commit_callbacks):
    set_state(version, push_state=PushState.FAILED, revision=1, push_error="400 InvalidParameter bad")
    client.force_login(users["editor"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("version_retry_push", version))

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.push_state, version.push_error) == ("queued", "")
    assert len(callbacks) == 1
    assert "Push queued again." in client.get(response["Location"]).content.decode()


def test_retry_push_of_a_push_that_did_not_fail_is_refused_with_the_message(client, users, version):
    set_state(version, push_state=PushState.DONE)
    client.force_login(users["approver"])
    before = write_state(version)

    response = client.post(url("version_retry_push", version), follow=True)

    assert "Only a failed push can be retried." in response.content.decode()
    assert write_state(version) == before


@pytest.mark.parametrize("role", ["viewer", "auditor", "staff", "nobody"])
def test_only_editors_and_approvers_may_retry_a_push(client, users, version, role):
    set_state(version, push_state=PushState.FAILED, revision=1, push_error="400 bad")
    client.force_login(users[role])
    before = write_state(version)

    assert client.post(url("version_retry_push", version)).status_code == 403
    assert write_state(version) == before


def test_retry_push_takes_no_get(client, users, version):
    set_state(version, push_state=PushState.FAILED, revision=1)
    client.force_login(users["editor"])

    assert client.get(url("version_retry_push", version)).status_code == 405
    version.refresh_from_db()
    assert version.push_state == PushState.FAILED


# --- history --------------------------------------------------------------------------


def test_the_history_shows_decision_reasons_and_push_outcomes(
    client, users, version, django_capture_on_commit_callbacks
):
    client.force_login(users["approver"])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            url("version_decide", version),
            {"status": "Rejected", "reason": "CER regressed", "revision": version.revision},
        )

    page = client.get(url("version_detail", version)).content.decode()

    history = page.split('id="h-history"', 1)[1]
    assert "<strong>rejected</strong> by approver" in history
    assert "<dt>Reason</dt><dd><pre>CER regressed</pre></dd>" in history
    assert '<th scope="row">ApprovalStatus</th><td><pre>Pending</pre></td><td><pre>Rejected</pre></td>' in history
