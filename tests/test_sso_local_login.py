"""Local passwords beside single sign-on: LOCAL_LOGIN=0 refuses every password but the
break-glass accounts', at the login page and at the admin's login alike; the throttling
still holds for local accounts; every sign-in and failure is audited; the login page
offers "Sign in with <provider>" in English and Chinese."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent
from approvals.web.local_login import LOCAL_LOGIN_OFF

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ADDRESS = "127.0.0.9"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def passwords_off(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "https://idp.example.test"
    settings.OIDC_PROVIDER_NAME = "Keycloak"
    settings.LOCAL_LOGIN = False
    settings.LOCAL_LOGIN_BREAK_GLASS_USERS = ["rescue"]


@pytest.fixture
def people():
    users = get_user_model().objects
    return users.create_user("carol", password=PASSWORD), users.create_superuser("rescue", password=PASSWORD)


def sign_in(client: Client, username: str, password: str = PASSWORD, url: str = "login"):
    return client.post(reverse(url), {"username": username, "password": password}, REMOTE_ADDR=ADDRESS)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_with_local_login_off_a_right_password_of_an_ordinary_account_is_refused_and_audited(
    client, passwords_off, people
):
    response = sign_in(client, "carol")

    assert response.status_code == 200 and not signed_in(client)
    assert "Please enter a correct username and password" in response.content.decode()
    [failed] = AuditEvent.objects.filter(action="signin.failed")
    assert (failed.actor, failed.client_ip) == ("carol", ADDRESS)
    assert failed.payload == {"method": "password", "reason": LOCAL_LOGIN_OFF}


def test_with_local_login_off_the_admin_login_refuses_it_too(client, passwords_off, people):
    response = sign_in(client, "carol", url="admin:login")

    assert response.status_code == 200 and not signed_in(client)
    assert AuditEvent.objects.get(action="signin.failed").payload["reason"] == LOCAL_LOGIN_OFF


def test_the_break_glass_account_still_signs_in_with_its_password_audited(client, passwords_off, people):
    response = sign_in(client, "rescue")

    assert response.status_code == 302 and signed_in(client)
    [succeeded] = AuditEvent.objects.filter(action="signin.succeeded")
    assert (succeeded.actor, succeeded.payload, succeeded.client_ip) == ("rescue", {"method": "password"}, ADDRESS)


def test_the_break_glass_account_is_still_throttled(client, passwords_off, people, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rescue", "wrong password")

    response = sign_in(client, "rescue")

    assert response.status_code == 429 and not signed_in(client)
    failures = AuditEvent.objects.filter(action="signin.failed").order_by("seq")
    reasons = list(failures.values_list("payload__reason", flat=True))
    # The failure that reaches the limit locks the pair; the try after it is refused while locked.
    limit = settings.AXES_FAILURE_LIMIT
    assert reasons == ["wrong username or password"] * (limit - 1) + ["locked out after too many failures"] * 2


def test_with_local_login_on_a_wrong_password_is_audited_as_a_failed_sign_in(client, people):
    sign_in(client, "carol", "wrong password")

    [failed] = AuditEvent.objects.filter(action="signin.failed")
    assert failed.payload == {"method": "password", "reason": "wrong username or password"}


def test_a_session_made_on_the_server_is_no_sign_in(client, people):
    client.force_login(people[0])

    assert not AuditEvent.objects.filter(action__startswith="signin.").exists()


def test_the_login_page_offers_the_provider_in_english_and_chinese(client, passwords_off):
    english = client.get(reverse("login")).content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("login")).content.decode()

    assert "Sign in with Keycloak" in english and 'href="/oidc/authenticate/"' in english
    assert "only the break-glass account can use one" in english
    assert "使用 Keycloak 登录" in chinese and "紧急访问" in chinese


def test_without_a_provider_the_login_page_has_no_provider_button_and_its_start_is_404(client):
    page = client.get(reverse("login")).content.decode()

    assert "Sign in with" not in page
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404
