"""API tokens: created on the tokens page and shown once, stored hashed, used, revoked;
the browser session with CSRF; per-user rate limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/models/m-asr/versions/1.0.0"
TOKEN_RE = re.compile(r'value="(pmr_[0-9a-f]{12}_[A-Za-z0-9_-]+)"')


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def create_on_page(client: Client, name: str = "nightly") -> str:
    response = client.post(reverse("token_list"), {"name": name})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return TOKEN_RE.search(response.content.decode()).group(1)


def every_stored_value() -> str:
    """Every column of every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from the schema)
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.fixture
def browser(users, client):
    client.force_login(users["editor"])
    return client


def test_a_token_created_on_the_page_is_shown_once_and_stored_only_as_a_hash(browser, users, version):
    raw = create_on_page(browser)
    token = ApiToken.objects.get(user=users["editor"])
    assert (token.name, token.revoked_at, token.last_used_at) == ("nightly", None, None)
    assert raw.startswith(f"pmr_{token.prefix}_") and len(token.key_hash) == 64
    assert raw not in every_stored_value()
    assert raw not in browser.get(reverse("token_list")).content.decode()  # listed, never shown again
    event = AuditEvent.objects.get(action="token.created")
    assert (event.actor, event.payload) == ("editor", {"name": "nightly", "prefix": token.prefix})


def test_the_token_works_as_its_user_and_the_edit_is_attributed_to_them(browser, version):
    raw = create_on_page(browser)
    response = bearer(raw).patch(URL, {"VersionDescription": "from CI"}, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="version.edited").actor == "editor"
    assert ApiToken.objects.get().last_used_at is not None


def test_last_used_at_moves_on_when_the_token_is_used_again_later(browser, version):
    raw = create_on_page(browser)
    long_ago = timezone.now() - dt.timedelta(days=3)
    ApiToken.objects.update(last_used_at=long_ago)
    assert bearer(raw).get(URL).status_code == 200
    assert ApiToken.objects.get().last_used_at > long_ago + dt.timedelta(days=2)


def test_a_revoked_token_no_longer_works_and_the_revocation_is_audited(browser, version):
    raw = create_on_page(browser)
    token = ApiToken.objects.get()
    response = browser.post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = bearer(raw).get(URL)
    assert (refused.status_code, refused.json()["message"]) == (401, "This token was revoked.")
    assert AuditEvent.objects.get(action="token.revoked").actor == "editor"
    assert "revoked" in browser.get(reverse("token_list")).content.decode()


def test_nobody_sees_or_revokes_another_users_tokens(browser, users, client_for, version):
    create_on_page(browser, name="editor's")
    token = ApiToken.objects.get()
    other = Client()
    other.force_login(users["viewer"])
    assert "editor&#x27;s" not in other.get(reverse("token_list")).content.decode()
    other.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEvent.objects.filter(action="token.revoked").exists()


def test_a_token_needs_a_name(browser):
    response = browser.post(reverse("token_list"), {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("token_list"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert client.post(reverse("token_revoke", args=[1])).status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pmr_000000000000_nope",
        "Bearer not-a-token",
        "Bearer pmr_\x00\x00_x",
        "Bearer",
        "Bearer a b",
        "Bearer pmr_abcdefabcdef_é",
    ],
)
def test_invalid_tokens_are_401_in_the_error_shape(version, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(URL)
    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")


def test_an_inactive_users_token_stops_working(users, token_for, version):
    raw = token_for(users["viewer"])
    users["viewer"].is_active = False
    users["viewer"].save()
    assert bearer(raw).get(URL).status_code == 401


# --- the browser session ---------------------------------------------------------------


def test_a_signed_in_browser_reads_with_its_session_and_writes_only_with_the_csrf_token(users, version):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(users["editor"])
    assert browser.get(URL).status_code == 200
    refused = browser.patch(URL, {"VersionDescription": "csrf?"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    version.refresh_from_db()
    assert version.revision == 0
    browser.get(reverse("token_list"))  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert browser.patch(URL, {"VersionDescription": "ok"}, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200


# --- rate limits -------------------------------------------------------------------------


def test_a_user_over_the_rate_limit_gets_429_with_retry_after_and_others_are_unaffected(
    clients, users, version, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "3/minute"},
    }
    statuses = [clients["viewer"].get(URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = clients["viewer"].get(URL)
    assert throttled.json()["code"] == "throttled" and int(throttled["Retry-After"]) > 0
    assert clients["approver"].get(URL).status_code == 200
    # A throttled write changes nothing.
    for _ in range(3):
        clients["editor"].get(URL)
    assert clients["editor"].patch(URL, {"VersionDescription": "late"}, format="json").status_code == 429
    version.refresh_from_db()
    assert version.revision == 0


def test_rates_come_from_settings(clients, version, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "100/minute", "anon": "1/minute"},
    }
    assert all(clients["viewer"].get(URL).status_code == 200 for _ in range(10))
