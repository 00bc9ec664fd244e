"""Signing in through a real OpenID Connect provider (oidc-provider-mock, its own process on
loopback), driven with requests against Django's live server: the flow, the groups claim to
roles, a group removed at the provider, a refused person, forged and replayed states, PKCE,
an ID token from the wrong issuer. Every outcome is asserted in the audit log."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

from approvals.models import AuditEvent, IdentityLink, Membership
from approvals.services.memberships import membership_grant
from tests.factories import make_workspace
from tests.fixtures_oidc import PEOPLE, sign_in_through_provider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def search_team():
    return make_workspace(workspace_id="118493", name="Search & NLP")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def memberships(username: str) -> set[tuple[str, str | None, str]]:
    rows = Membership.objects.filter(user__username=username).values_list("role", "workspace__workspace_id", "source")
    return set(rows)


def test_a_person_signs_in_through_the_provider_with_the_roles_of_their_groups(sso, live_server, search_team):
    session, page = sign_in_through_provider(live_server.url, "alice-sub")

    assert page.status_code == 200 and urlsplit(page.url).path == "/", page.url
    assert "Review queue" in page.text
    alice = get_user_model().objects.get(username="alice")
    assert (alice.email, alice.get_full_name(), alice.has_usable_password()) == (
        "alice@example.com",
        "Alice Liu",
        False,
    )
    assert IdentityLink.objects.get(user=alice).subject == "alice-sub"
    assert memberships("alice") == {("approver", "118493", "idp"), ("viewer", None, "idp")}
    [signed_in] = events("signin.succeeded")
    assert signed_in.actor == "alice" and signed_in.client_ip == "127.0.0.1"
    assert signed_in.payload == {
        "method": "oidc",
        "provider": "Test IdP",
        "roles_granted": ["approver@118493", "viewer@*"],
    }
    granted = events("membership.granted")
    assert {(e.actor, e.payload["role"], e.payload["workspace"], e.payload["source"]) for e in granted} == {
        ("identity-provider", "approver", "118493", "idp"),
        ("identity-provider", "viewer", None, "idp"),
    }
    # The API sees the same session, and says where each role came from.
    me = session.get(f"{live_server.url}/api/me/", timeout=10).json()
    assert me["username"] == "alice"
    assert {(m["role"], m["workspace"], m["source"]) for m in me["memberships"]} == memberships("alice")


def test_a_group_removed_at_the_provider_is_a_role_removed_at_the_next_sign_in_and_hand_grants_stay(
    sso, live_server, search_team
):
    sign_in_through_provider(live_server.url, "alice-sub")
    alice = get_user_model().objects.get(username="alice")
    membership_grant(user=alice, role="editor", workspace=search_team, by="staff")
    sso.set_person("alice-sub", {**PEOPLE["alice-sub"], "groups": ["pai-all-viewer"]})

    _session, page = sign_in_through_provider(live_server.url, "alice-sub")

    assert page.status_code == 200 and urlsplit(page.url).path == "/"
    assert memberships("alice") == {("viewer", None, "idp"), ("editor", "118493", "manual")}
    [revoked] = events("membership.revoked")
    assert revoked.actor == "identity-provider"
    assert revoked.payload == {"user": "alice", "role": "approver", "workspace": "118493", "source": "idp"}
    assert events("signin.succeeded")[-1].payload["roles_revoked"] == ["approver@118493"]


def test_a_person_the_provider_refuses_is_not_signed_in_and_the_refusal_is_audited(sso, live_server):
    session, page = sign_in_through_provider(live_server.url, None)

    assert urlsplit(page.url).path == "/accounts/login/"
    assert "Test IdP did not sign you in." in page.text
    assert not get_user_model().objects.filter(username="alice").exists()
    [failed] = events("signin.failed")
    assert failed.payload["method"] == "oidc" and failed.payload["reason"].startswith(
        "the provider refused: access_denied"
    )
    assert events("signin.succeeded") == []
    home = session.get(f"{live_server.url}/", timeout=10)
    assert urlsplit(home.url).path == "/accounts/login/"


def _provider_redirect(session: requests.Session, base: str) -> str:
    """Start a sign-in and return the authorization URL the dashboard sent the browser to."""
    start = session.get(f"{base}/oidc/authenticate/", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    return start.headers["Location"]


def test_a_forged_state_is_refused(sso, live_server):
    session = requests.Session()
    _provider_redirect(session, live_server.url)  # a sign-in of this browser is in progress

    page = session.get(f"{live_server.url}/oidc/callback/", params={"code": "x", "state": "forged"}, timeout=10)

    assert urlsplit(page.url).path == "/accounts/login/"
    assert "The sign-in could not be verified; please start again." in page.text
    [failed] = events("signin.failed")
    assert "state not found" in failed.payload["reason"] and failed.actor == "anonymous"
    assert events("signin.succeeded") == []


def test_a_replayed_callback_is_refused_in_the_same_and_in_another_browser(sso, live_server):
    _session, page = sign_in_through_provider(live_server.url, "bob-sub")
    callback = next(r.headers["Location"] for r in page.history if "/oidc/callback/" in r.headers.get("Location", ""))
    assert len(events("signin.succeeded")) == 1

    # The same browser: its state was spent by the first use.
    again = _session.get(callback, timeout=10)
    # Another browser (an attacker holding the URL), which started a sign-in of its own.
    attacker = requests.Session()
    _provider_redirect(attacker, live_server.url)
    stolen = attacker.get(callback, timeout=10)

    assert urlsplit(again.url).path == urlsplit(stolen.url).path == "/accounts/login/"
    assert len(events("signin.succeeded")) == 1
    reasons = [e.payload["reason"] for e in events("signin.failed")]
    assert len(reasons) == 2 and all("state not found" in r for r in reasons), reasons
    assert urlsplit(attacker.get(f"{live_server.url}/", timeout=10).url).path == "/accounts/login/"


def test_the_authorization_request_carries_a_pkce_challenge_of_the_verifier_kept_in_the_session(sso, live_server):
    session = requests.Session()
    location = _provider_redirect(session, live_server.url)

    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{live_server.url}/oidc/callback/"]
    stored = SessionStore(session.cookies["sessionid"])["oidc_states"][query["state"][0]]
    digest = hashlib.sha256(stored["code_verifier"].encode()).digest()
    assert query["code_challenge"] == [base64.urlsafe_b64encode(digest).rstrip(b"=").decode()]
    assert query["nonce"] == [stored["nonce"]]


def test_an_id_token_from_another_issuer_is_refused(sso, live_server, settings):
    # The provider names itself after the host it is asked on: asked as localhost, its tokens say so.
    settings.OIDC_OP_TOKEN_ENDPOINT = sso.url.replace("127.0.0.1", "localhost") + "/oauth2/token"

    _session, page = sign_in_through_provider(live_server.url, "alice-sub")

    assert urlsplit(page.url).path == "/accounts/login/"
    [failed] = events("signin.failed")
    assert "Invalid issuer" in failed.payload["reason"], failed.payload
    assert not get_user_model().objects.filter(username="alice").exists()


def test_an_account_staff_deactivated_cannot_sign_in_through_the_provider(sso, live_server):
    sign_in_through_provider(live_server.url, "bob-sub")
    get_user_model().objects.filter(username="bob").update(is_active=False)

    _session, page = sign_in_through_provider(live_server.url, "bob-sub")

    assert urlsplit(page.url).path == "/accounts/login/"
    assert "This account is deactivated; ask an administrator." in page.text
    failed = events("signin.failed")[-1]
    assert (failed.actor, failed.payload["reason"]) == ("bob", "This account is deactivated; ask an administrator.")


def test_a_provider_user_with_a_local_administrators_name_does_not_take_the_account_over(sso, live_server):
    get_user_model().objects.create_superuser(username="alice", password=None)

    _session, page = sign_in_through_provider(live_server.url, "alice-sub")

    assert urlsplit(page.url).path == "/accounts/login/"
    assert "cannot be taken over" in events("signin.failed")[-1].payload["reason"]
    assert not IdentityLink.objects.exists() and not Membership.objects.exists()


def test_refused_sign_ins_through_the_provider_lock_nobody_out(sso, live_server, settings):
    # Password failures lock a username from an address; the provider's callback has no username,
    # and a few refused people behind one address must not lock everyone's single sign-on out.
    get_user_model().objects.create_superuser(username="alice", password=None)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in_through_provider(live_server.url, "alice-sub")

    _session, page = sign_in_through_provider(live_server.url, "bob-sub")

    assert page.status_code == 200 and urlsplit(page.url).path == "/"
    assert len(events("signin.failed")) == settings.AXES_FAILURE_LIMIT + 1
    assert not AccessAttempt.objects.exists()
