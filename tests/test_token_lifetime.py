"""API tokens: an optional maximum lifetime (shown on the tokens page, refused past it), and
every token of a person revoked, audited, when their password changes or they are
deactivated, by admin, `manage.py changepassword` or any code that saves the user."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import ApiToken, AuditEvent
from approvals.services.tokens import api_token_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/api/versions/"
NEW_PASSWORD = "correct horse battery staple 42"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def alice():
    return make_user("alice", group="viewer")


@pytest.fixture
def tokens(alice) -> list[str]:
    return [api_token_create(user=alice, name=name)[1] for name in ("nightly", "notebook")]


def sign_in(client: Client, username: str, password: str) -> bool:
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def revocations() -> list[dict]:
    return [e.payload for e in AuditEvent.objects.filter(action="token.revoked").order_by("seq")]


def assert_all_revoked(tokens: list[str], reason: str) -> None:
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    for raw in tokens:
        response = bearer(raw).get(URL)
        assert (response.status_code, response.json()["message"]) == (401, "This token was revoked.")
    assert [(p["name"], p["user"], p["reason"]) for p in revocations()] == [
        ("nightly", "alice", reason),
        ("notebook", "alice", reason),
    ]
    assert set(AuditEvent.objects.filter(action="token.revoked").values_list("actor", flat=True)) == {"system"}


# --- the maximum lifetime ----------------------------------------------------------------


def test_with_a_maximum_age_a_token_expires_that_long_after_it_is_created(alice, settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30

    token, raw = api_token_create(user=alice, name="ci")

    assert token.expires_at - token.created_at == pytest.approx(dt.timedelta(days=30), abs=dt.timedelta(seconds=1))
    assert AuditEvent.objects.get(action="token.created").payload["expires_at"] == token.expires_at.isoformat()
    assert bearer(raw).get(URL).status_code == 200


def test_an_expired_token_is_refused_saying_when_it_expired(alice, settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    token, raw = api_token_create(user=alice, name="ci")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC))

    response = bearer(raw).get(URL)

    assert response.status_code == 401
    assert response.json()["message"] == (
        "This token expired on 2025-03-01 12:00; create a new one on the API tokens page."
    )


def test_lowering_the_maximum_age_expires_older_tokens_too(alice, settings):
    _, raw = api_token_create(user=alice, name="ci")
    assert ApiToken.objects.get().expires_at is None
    ApiToken.objects.update(created_at=timezone.now() - dt.timedelta(days=8))

    settings.API_TOKEN_MAX_AGE_DAYS = 7

    assert bearer(raw).get(URL).status_code == 401
    assert ApiToken.objects.get().is_expired


def test_without_a_maximum_age_tokens_do_not_expire(alice, settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 0
    _, raw = api_token_create(user=alice, name="ci")
    ApiToken.objects.update(created_at=timezone.now() - dt.timedelta(days=3650))

    assert ApiToken.objects.get().expires_at is None
    assert bearer(raw).get(URL).status_code == 200


def test_the_tokens_page_shows_when_each_token_expires_and_which_have(alice, settings, client):
    settings.API_TOKEN_MAX_AGE_DAYS = 90
    api_token_create(user=alice, name="fresh")
    old, _ = api_token_create(user=alice, name="old")
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(alice)

    page = client.get(reverse("token_list")).content.decode()

    assert "A token stops working 90 days after it is created." in page
    rows = {name: row for name, row in re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', page, re.S)}
    fresh = ApiToken.objects.get(name="fresh")
    assert fresh.expires_at.strftime("%Y-%m-%d %H:%M") in rows["fresh"] and "Revoke" in rows["fresh"]
    assert "expired" in rows["old"] and "Revoke" not in rows["old"]


def test_the_tokens_page_says_never_when_tokens_do_not_expire(alice, settings, client):
    settings.API_TOKEN_MAX_AGE_DAYS = 0
    api_token_create(user=alice, name="ci")
    client.force_login(alice)

    page = client.get(reverse("token_list")).content.decode()

    assert "stops working" not in page
    assert re.search(r"<td>never</td>\s*<td>active</td>", page)


# --- revoked on a password change or a deactivation ---------------------------------------


def test_a_password_changed_in_code_revokes_every_token(alice, tokens):
    alice.set_password(NEW_PASSWORD)
    alice.save()

    assert_all_revoked(tokens, "password changed")


def test_changepassword_revokes_every_token(alice, tokens, monkeypatch):
    monkeypatch.setattr(changepassword.getpass, "getpass", lambda *args, **kwargs: NEW_PASSWORD)

    call_command("changepassword", "alice", stdout=io.StringIO())

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert_all_revoked(tokens, "password changed")


def test_a_password_set_in_admin_revokes_every_token(alice, tokens):
    admin = Client()
    admin.force_login(make_user("root", staff=True))

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert_all_revoked(tokens, "password changed")


def test_deactivating_the_user_in_admin_revokes_every_token(alice, tokens):
    admin = Client()
    admin.force_login(make_user("root", staff=True))
    joined = timezone.localtime(alice.date_joined)

    response = admin.post(
        reverse("admin:auth_user_change", args=[alice.pk]),
        {
            "username": "alice",
            "is_active": "",
            "groups": [g.pk for g in alice.groups.all()],
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active is False
    assert_all_revoked(tokens, "user deactivated")


def test_deactivating_in_code_revokes_and_revoked_tokens_are_not_revoked_again(alice, tokens):
    first = ApiToken.objects.get(name="nightly")
    first.revoked_at = timezone.now()
    first.save(update_fields=["revoked_at"])

    alice.is_active = False
    alice.save()

    assert [(p["name"], p["reason"]) for p in revocations()] == [("notebook", "user deactivated")]
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()


def test_signing_in_and_other_saves_keep_the_tokens(alice, tokens, client):
    alice.set_password(NEW_PASSWORD)
    alice.save()
    kept = api_token_create(user=alice, name="after")[1]

    assert sign_in(client, "alice", NEW_PASSWORD)  # writes last_login
    alice.first_name = "Alice"
    alice.save()

    assert bearer(kept).get(URL).status_code == 200


def test_a_stronger_hash_of_the_same_password_at_sign_in_is_no_change(alice, settings, client):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    get_user_model().objects.filter(pk=alice.pk).update(password=make_password(NEW_PASSWORD, hasher="md5"))
    _, raw = api_token_create(user=alice, name="ci")

    assert sign_in(client, "alice", NEW_PASSWORD)

    alice.refresh_from_db()
    assert alice.password.startswith("pbkdf2_sha256$")  # Django re-hashed it
    assert bearer(raw).get(URL).status_code == 200
    assert revocations() == []


def test_the_refusal_reads_in_chinese_too(alice, tokens):
    alice.is_active = False
    alice.save()

    response = bearer(tokens[0]).get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.json()["message"] == "此令牌已被吊销。"
