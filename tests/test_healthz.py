"""GET /healthz: the database and the broker decide 200 or 503; PAI is reported, never fatal;
no sign-in, no cookie, no secret."""

from __future__ import annotations

import logging
import socket

import pytest
from django.db import OperationalError
from django.urls import reverse

from approvals.models import Workspace
from registry_ui.celery import app

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
