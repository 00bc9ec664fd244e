"""GET /healthz: the database and the broker decide 200 or 503; PAI is reported, never fatal;
no sign-in, no cookie, no secret."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.urls import reverse

from approvals.models import Workspace
from registry_ui.celery import app
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SECRET = "hunter2-broker-password-never-shown"


def closed_port() -> int:
    # A port that was free a moment ago: connecting is refused at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(client):
    response = client.get(reverse("healthz"))
    return response, response.json()


def test_it_answers_200_with_every_part_ok_without_signing_in(client, pai_settings):
    response, body = get(client)

    assert response.status_code == 200
    assert body == {"database": "ok", "broker": "ok", "pai": "ok"}
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies


def test_pai_unreachable_is_reported_but_does_not_fail_the_check(client, settings):
    settings.PAI_ENDPOINT = f"http://127.0.0.1:{closed_port()}"

    response, body = get(client)

    assert response.status_code == 200
    assert body["database"] == body["broker"] == "ok"
    assert body["pai"].startswith("error: 127.0.0.1:")


def test_a_workspace_with_its_own_unreachable_endpoint_is_reported(client, pai_settings):
    Workspace.objects.create(name="Other region", workspace_id="ws-9", endpoint=f"http://127.0.0.1:{closed_port()}")

    _, body = get(client)

    assert body["pai"].startswith("error: ")


def test_a_broker_that_is_down_answers_503_without_its_password(client, settings, monkeypatch, caplog):
    down = f"redis://:{SECRET}@127.0.0.1:{closed_port()}/0"
    # Celery prefers the CELERY_BROKER_URL variable over its configuration: set both.
    monkeypatch.setenv("CELERY_BROKER_URL", down)
    monkeypatch.setitem(app.conf, "broker_url", down)
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    caplog.set_level(logging.DEBUG)

    response, body = get(client)

    assert response.status_code == 503
    assert body["database"] == "ok"
    assert body["broker"].startswith("error: ")
    assert SECRET not in response.content.decode()
    assert SECRET not in caplog.text
    assert "broker check failed" in caplog.text


class BrokenConnection:
    def cursor(self):
        raise OperationalError('connection to server at "db", port 5432 failed: password authentication failed')


def test_a_database_that_is_down_answers_503_naming_only_the_kind_of_error(client, monkeypatch):
    monkeypatch.setattr("approvals.web.views.health.connection", BrokenConnection())

    response, body = get(client)

    assert response.status_code == 503
    assert body["database"] == "error: OperationalError"
    assert "password" not in response.content.decode()


def test_it_answers_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_it_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.get(reverse("login")).status_code == 301


# --- who sees what, and how often PAI is asked ---------------------------------------------

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def connects(monkeypatch):
    """Every TCP connect /healthz makes, still made for real."""
    made = []
    real = socket.create_connection

    def counted(address, *args, **kwargs):
        made.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr("approvals.web.views.health.socket.create_connection", counted)
    return made


def test_a_caller_elsewhere_gets_only_the_overall_status_and_pai_is_not_asked(client, pai_settings, connects):
    response = client.get(reverse("healthz"), **ELSEWHERE)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert connects == []


def test_a_caller_elsewhere_still_sees_the_failure_as_503(client, monkeypatch):
    monkeypatch.setattr("approvals.web.views.health.connection", BrokenConnection())

    response = client.get(reverse("healthz"), **ELSEWHERE)

    assert (response.status_code, response.json()) == (503, {"status": "error"})


def test_a_stranger_relayed_by_a_proxy_on_loopback_gets_only_the_status(client, pai_settings):
    response = client.get(reverse("healthz"), HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.json() == {"status": "ok"}


def test_staff_see_the_details_from_anywhere(client, pai_settings):
    client.force_login(make_user("root", staff=True))

    assert set(client.get(reverse("healthz"), **ELSEWHERE).json()) == {"database", "broker", "pai"}


def test_a_signed_in_non_staff_user_elsewhere_gets_only_the_status(client, pai_settings):
    client.force_login(make_user("vera", group="viewer"))

    assert client.get(reverse("healthz"), **ELSEWHERE).json() == {"status": "ok"}


def test_pai_reachability_is_reused_from_the_cache_for_a_while(client, pai_settings, pai_emulator, connects):
    cache.clear()
    answers = [get(client)[1]["pai"] for _ in range(5)]

    assert answers == ["ok"] * 5
    assert connects == [("127.0.0.1", int(pai_emulator.url.rsplit(":", 1)[1]))]

    cache.clear()  # as when HEALTHZ_PAI_CACHE_SECONDS have passed
    assert get(client)[1]["pai"] == "ok"
    assert len(connects) == 2


def test_the_cached_answer_is_per_set_of_endpoints(client, pai_settings, connects):
    cache.clear()
    assert get(client)[1]["pai"] == "ok"
    Workspace.objects.create(name="Other region", workspace_id="ws-9", endpoint=f"http://127.0.0.1:{closed_port()}")

    assert get(client)[1]["pai"].startswith("error: 127.0.0.1:")
