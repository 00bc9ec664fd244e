"""A session signed in through the provider: renewed on the server while the provider agrees,
ended at the first request after it refuses (and, with OIDC_REFUSAL_DEACTIVATES, the account
deactivated and its API tokens revoked), ended at the session's maximum age, and signed out
at the provider too."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache

from approvals.models import ApiToken, AuditEvent, IdentityLink
from approvals.services.tokens import api_token_create
from approvals.web.oidc.session import ID_TOKEN_KEY, REFRESH_TOKEN_KEY, RENEW_AT_KEY
from approvals.web.security import STARTED_KEY
from tests.fixtures_oidc import sign_in_through_provider

pytestmark = pytest.mark.django_db(transaction=True)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def set_in_session(session: requests.Session, key: str, value: object) -> None:
    store = SessionStore(session.cookies["sessionid"])
    store[key] = value
    store.save()


def path_of(session: requests.Session, base: str, path: str = "/") -> str:
    return urlsplit(session.get(f"{base}{path}", timeout=10).url).path


def test_a_due_session_is_renewed_with_the_provider_and_goes_on(sso, live_server):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    set_in_session(session, RENEW_AT_KEY, 0)

    assert path_of(session, live_server.url) == "/", [e.payload for e in events("session.ended")]
    assert SessionStore(session.cookies["sessionid"])[RENEW_AT_KEY] > time.time() + 60
    assert events("session.ended") == []


def test_without_a_refresh_token_the_session_is_not_renewed_and_lives_to_its_maximum_age(sso, live_server):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    store = SessionStore(session.cookies["sessionid"])
    del store[REFRESH_TOKEN_KEY]
    store[RENEW_AT_KEY] = 0
    store.save()

    assert path_of(session, live_server.url) == "/"
    assert RENEW_AT_KEY not in SessionStore(session.cookies["sessionid"])
    assert events("session.ended") == []


def test_the_session_ends_at_the_next_request_after_the_provider_refuses_to_renew_it(sso, live_server):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    sso.revoke("bob-sub")
    assert path_of(session, live_server.url) == "/"  # not due yet: no call to the provider

    set_in_session(session, RENEW_AT_KEY, 0)

    assert path_of(session, live_server.url) == "/accounts/login/"
    assert session.get(f"{live_server.url}/api/me/", timeout=10).status_code in (401, 403)
    [ended] = events("session.ended")
    assert ended.actor == "system" and ended.payload["user"] == "bob" and ended.payload["deactivated"] is False
    assert "refused to renew" in ended.payload["reason"]
    assert get_user_model().objects.get(username="bob").is_active


def test_with_refusal_deactivating_the_account_its_api_tokens_stop_and_the_provider_can_let_it_back(
    sso, live_server, settings
):
    settings.OIDC_REFUSAL_DEACTIVATES = True
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    bob = get_user_model().objects.get(username="bob")
    _token, raw = api_token_create(user=bob, name="pipeline")
    api = {"Authorization": f"Bearer {raw}"}
    assert requests.get(f"{live_server.url}/api/me/", headers=api, timeout=10).status_code == 200
    sso.revoke("bob-sub")
    set_in_session(session, RENEW_AT_KEY, 0)

    assert path_of(session, live_server.url) == "/accounts/login/"

    bob.refresh_from_db()
    assert not bob.is_active and IdentityLink.objects.get(user=bob).deactivated_by_provider
    assert ApiToken.objects.get(user=bob).revoked_at is not None
    assert requests.get(f"{live_server.url}/api/me/", headers=api, timeout=10).status_code == 401
    [revoked] = events("token.revoked")
    assert revoked.payload == {"name": "pipeline", "prefix": _token.prefix, "user": "bob", "reason": "user deactivated"}
    assert events("session.ended")[0].payload["deactivated"] is True

    # The provider signs bob in again: it has let him back, so the account is active again.
    _session, page = sign_in_through_provider(live_server.url, "bob-sub")
    assert urlsplit(page.url).path == "/"
    bob.refresh_from_db()
    assert bob.is_active and not IdentityLink.objects.get(user=bob).deactivated_by_provider
    assert events("signin.succeeded")[-1].payload["reactivated"] is True
    assert ApiToken.objects.get(user=bob).revoked_at is not None  # revoked tokens stay revoked


def test_a_provider_session_ends_at_the_sessions_maximum_age(sso, live_server, settings):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    set_in_session(session, STARTED_KEY, int(time.time()) - settings.SESSION_COOKIE_AGE - 1)

    assert path_of(session, live_server.url) == "/accounts/login/"


def test_sign_out_ends_the_provider_session_too(sso, live_server):
    session, page = sign_in_through_provider(live_server.url, "bob-sub")
    id_token = SessionStore(session.cookies["sessionid"])[ID_TOKEN_KEY]
    csrf = session.cookies["csrftoken"]

    out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )

    assert out.status_code == 302
    location = urlsplit(out.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso.url}/oauth2/end_session"
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [f"{live_server.url}/accounts/login/"]
    # The provider's end-session page answers, and the dashboard's session is over.
    assert session.get(out.headers["Location"], timeout=10).status_code == 200
    assert path_of(session, live_server.url) == "/accounts/login/"


def test_sign_out_of_a_password_session_stays_here(live_server, sso, django_user_model):
    django_user_model.objects.create_user(username="rescue", password="rescue-pass-123")
    session = requests.Session()
    login = session.get(f"{live_server.url}/accounts/login/", timeout=10)
    session.post(
        login.url,
        data={"username": "rescue", "password": "rescue-pass-123", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": login.url},
        timeout=10,
    )
    assert path_of(session, live_server.url) == "/"

    out = session.post(
        f"{live_server.url}/accounts/logout/",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": login.url},
        allow_redirects=False,
        timeout=10,
    )

    assert out.status_code == 302 and out.headers["Location"] == "/accounts/login/"


def test_while_another_request_renews_the_session_this_one_goes_on_without_asking(sso, live_server):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    sso.revoke("bob-sub")
    set_in_session(session, RENEW_AT_KEY, 0)
    lock = f"oidc-renew:{session.cookies['sessionid']}"
    cache.add(lock, 1, timeout=30)  # a renewal of this session is under way in another request
    try:
        assert path_of(session, live_server.url) == "/"
    finally:
        cache.delete(lock)

    assert path_of(session, live_server.url) == "/accounts/login/"  # then the refusal is seen
