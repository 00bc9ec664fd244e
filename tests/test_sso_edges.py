"""Single sign-on at its edges: a provider issuing expired ID tokens, a provider that is down,
callbacks carrying junk, a `next` pointing elsewhere, a session of an account deactivated
meanwhile, and the configuration checks."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core import checks

from approvals.models import AuditEvent
from approvals.web.oidc.backend import ProviderBackend
from approvals.web.oidc.checks import check_configuration
from approvals.web.oidc.discovery import forget_endpoints
from tests.fixtures_oidc import free_port, sign_in_through_provider, start_provider

pytestmark = pytest.mark.django_db(transaction=True)


def failures() -> list[str]:
    return [e.payload["reason"] for e in AuditEvent.objects.filter(action="signin.failed").order_by("seq")]


@pytest.fixture
def stale_provider(sso, settings):
    """A second provider whose tokens expired five minutes before they are issued (beyond the leeway)."""
    provider = start_provider(token_max_age=-300)
    settings.OIDC_ISSUER = provider.url
    forget_endpoints()
    yield provider
    provider.process.terminate()
    provider.process.wait(10)


def test_an_expired_id_token_from_the_provider_is_refused(stale_provider, live_server):
    _session, page = sign_in_through_provider(live_server.url, "alice-sub")

    assert urlsplit(page.url).path == "/accounts/login/"
    assert "Signature has expired" in failures()[-1]
    assert not get_user_model().objects.exists()


def test_a_provider_that_is_down_is_a_message_on_the_login_page(sso, live_server, settings):
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"
    forget_endpoints()

    page = requests.get(f"{live_server.url}/oidc/authenticate/", timeout=10)

    assert page.status_code == 200 and urlsplit(page.url).path == "/accounts/login/"
    assert "Test IdP cannot be reached just now; try again in a minute." in page.text


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code": "only-a-code"},
        {"state": "only-a-state"},
        {"code": "x", "state": "\x00" * 5},
        {"code": "x" * 20_000, "state": "y" * 5_000},
        {"error": "access_denied", "error_description": "d" * 50_000, "state": "s"},
    ],
    ids=["empty", "no-state", "no-code", "nul", "huge", "long-error"],
)
def test_junk_callbacks_end_on_the_login_page_never_a_500(sso, live_server, query):
    session = requests.Session()
    session.get(f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10)

    page = session.get(f"{live_server.url}/oidc/callback/", params=query, timeout=10)

    assert page.status_code == 200 and urlsplit(page.url).path == "/accounts/login/"
    [reason] = failures()
    assert len(reason) <= 250


def test_a_next_pointing_to_another_site_is_ignored(sso, live_server):
    _session, page = sign_in_through_provider(live_server.url, "bob-sub", next_path="https://evil.example/")

    assert page.url == f"{live_server.url}/"


def test_a_session_of_an_account_deactivated_meanwhile_ends_at_its_next_request(sso, live_server):
    session, _page = sign_in_through_provider(live_server.url, "bob-sub")
    bob = get_user_model().objects.get(username="bob")
    bob.is_active = False
    bob.save()

    assert urlsplit(session.get(f"{live_server.url}/", timeout=10).url).path == "/accounts/login/"


def test_the_checks_refuse_a_provider_without_a_client_or_over_plain_http(settings):
    settings.DEBUG = False
    settings.OIDC_ENABLED, settings.OIDC_ISSUER = True, "http://idp.example.com/realms/pai"
    settings.OIDC_RP_CLIENT_ID = ""
    settings.OIDC_GROUP_ROLES = ["pai-{workspace}"]

    ids = {problem.id for problem in check_configuration()}

    assert {"approvals.E101", "approvals.E102", "approvals.E103"} <= ids
    assert all(problem.level >= checks.WARNING for problem in check_configuration())


def test_the_checks_pass_a_sound_setup(settings):
    settings.DEBUG = False
    settings.OIDC_ENABLED, settings.OIDC_ISSUER = True, "https://idp.example.com/realms/pai"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "pai-review", "s3cret"
    settings.LOCAL_LOGIN, settings.LOCAL_LOGIN_BREAK_GLASS_USERS = False, ["rescue"]

    assert check_configuration() == []


def test_a_code_sent_to_another_door_than_the_callback_signs_nobody_in(sso, rf):
    # The backend answers only the callback view, which checked the state; not, say, the login URL.
    request = rf.get("/accounts/login/", {"code": "stolen-code", "state": "s"})

    assert ProviderBackend().authenticate(request, nonce="n", code_verifier="v") is None
    assert ProviderBackend().authenticate(rf.get("/oidc/callback/", {"code": "c", "state": "s"})) is None
