"""Sign-in: throttled per username and address with a cool-off, a new session at sign-in,
sign-out that ends it, and sessions that expire when idle or old."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse

from approvals.services.tokens import api_token_create
from approvals.web.security import SEEN_KEY, STARTED_KEY, client_ip
from tests.factories import grant, make_user, make_version

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ATTACKER, OFFICE, OTHER = "127.0.0.2", "127.0.0.3", "127.0.0.4"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The default hasher takes ~0.3 s a try; these tests try many times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password=PASSWORD)


def sign_in(client: Client, username: str, password: str, address: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, times: int, username: str = "alice", address: str = ATTACKER) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong password", address)


def test_failures_lock_the_username_from_that_address_with_a_clear_message(client, alice, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, "alice", PASSWORD, ATTACKER)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-ins" in html and "15 minutes" in html
    assert 'name="username"' in html  # the login page itself, not a bare error
    assert not signed_in(client)


def test_the_person_still_signs_in_from_another_address(client, alice, settings):
    fail(client, settings.AXES_FAILURE_LIMIT + 3)

    response = sign_in(Client(), "alice", PASSWORD, OFFICE)

    assert response.status_code == 302


def test_other_usernames_from_the_attacking_address_are_not_locked(client, alice, settings):
    make_user("bob")
    bob = get_user_model().objects.get(username="bob")
    bob.set_password(PASSWORD)
    bob.save()
    fail(client, settings.AXES_FAILURE_LIMIT)

    assert sign_in(Client(), "bob", PASSWORD, ATTACKER).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, alice, settings):
    fail(client, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "alice", PASSWORD, ATTACKER).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))

    assert sign_in(client, "alice", PASSWORD, ATTACKER).status_code == 302


def test_failures_below_the_limit_are_forgotten_after_a_success(client, alice, settings):
    fail(client, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "alice", PASSWORD, ATTACKER).status_code == 302
    fail(Client(), settings.AXES_FAILURE_LIMIT - 1)

    assert sign_in(Client(), "alice", PASSWORD, ATTACKER).status_code == 302


def test_api_tokens_are_not_affected_by_the_login_throttle(client, alice, settings):
    make_version()
    _, raw = api_token_create(user=alice, name="ci")
    fail(client, settings.AXES_FAILURE_LIMIT, address="127.0.0.1")

    response = Client().get(reverse("api-versions"), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


def test_signing_in_starts_a_new_session(client, alice):
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = session.session_key

    assert sign_in(client, "alice", PASSWORD, OFFICE).status_code == 302

    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert signed_in(client)
    # The expiry clocks start at sign-in, so page views after it need not write the session.
    assert client.session[STARTED_KEY] == client.session[SEEN_KEY] >= int(time.time()) - 5


def test_sign_out_is_post_only_and_the_old_cookie_stops_working(client, alice):
    sign_in(client, "alice", PASSWORD, OFFICE)
    cookie = client.cookies["sessionid"].value
    assert client.get(reverse("home")).status_code == 200

    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302

    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=cookie).exists()


def shift(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] -= seconds
    session.save()


@pytest.fixture
def active(client, alice):
    grant(alice, "viewer")  # the polled fragment is of a version she may read
    client.force_login(alice)
    assert client.get(reverse("home")).status_code == 200  # stamps the session
    return client


def test_an_idle_session_ends(active, settings):
    key = active.cookies["sessionid"].value
    shift(active, SEEN_KEY, settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)

    response = active.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()


def test_a_session_ends_at_its_maximum_age_however_active(active, settings):
    shift(active, STARTED_KEY, settings.SESSION_COOKIE_AGE + 1)

    assert active.get(reverse("home")).status_code == 302


def test_background_polls_do_not_count_as_activity_but_pages_do(active):
    version = make_version()
    push_state = reverse("version_push_state", args=[version.model.model_id, version.version_name])
    shift(active, SEEN_KEY, 300)
    seen = active.session[SEEN_KEY]

    assert active.get(push_state, HTTP_X_REQUESTED_WITH="fetch").status_code == 200
    assert active.session[SEEN_KEY] == seen

    active.get(reverse("home"))
    assert active.session[SEEN_KEY] >= int(time.time()) - 5


def test_an_idle_session_polling_in_the_background_still_ends(active, settings):
    version = make_version()
    push_state = reverse("version_push_state", args=[version.model.model_id, version.version_name])
    shift(active, SEEN_KEY, settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)

    response = active.get(push_state, HTTP_X_REQUESTED_WITH="fetch")

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "127.0.0.66", "127.0.0.9"),  # no proxy: the header is the client's say
        (1, "127.0.0.66, 127.0.0.5", "127.0.0.5"),  # the one proxy appended the real address
        (2, "127.0.0.66, 127.0.0.5, 127.0.0.7", "127.0.0.5"),
        (2, "127.0.0.5", "127.0.0.9"),  # fewer entries than proxies: not through them
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_behind_a_proxy_the_lock_is_per_real_client(client, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.9"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )

    office = Client().post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=OFFICE
    )
    attacker = Client().post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ATTACKER
    )

    assert office.status_code == 302
    assert attacker.status_code == 429


def test_an_overlong_username_is_refused_like_any_wrong_one(client):
    # PostgreSQL would refuse to record a 300-character name in the throttle's table (a 500).
    for _ in range(6):
        response = sign_in(client, "x" * 300, "wrong", ATTACKER)
        assert response.status_code in (200, 429)
    assert AccessAttempt.objects.get().username == "x" * 150
    assert response.status_code == 429
