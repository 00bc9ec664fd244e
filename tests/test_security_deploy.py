"""`manage.py check --deploy` is clean in production, and each protection follows its setting:
on by default when DEBUG=0, off for the local demo, switchable from the environment."""

from __future__ import annotations

import json

import pytest

from tests.production_env import manage, production_env, python

SHOW_SETTINGS = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
import django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER",
)}))
"""


def settings_under(env: dict[str, str]) -> dict[str, object]:
    result = python(env, SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "warning"),
    [
        ("SECURE_HSTS_SECONDS", "security.W004"),
        ("SECURE_SSL_REDIRECT", "security.W008"),
        ("SESSION_COOKIE_SECURE", "security.W012"),
        ("CSRF_COOKIE_SECURE", "security.W016"),
    ],
)
def test_turning_one_protection_off_makes_check_deploy_warn(tmp_path, variable, warning):
    result = manage(production_env(tmp_path, **{variable: "0"}), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_production_turns_every_protection_on_by_default(tmp_path):
    shown = settings_under(production_env(tmp_path))

    assert shown["DEBUG"] is False
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] >= 180 * 24 * 60 * 60
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] is None


def test_the_local_demo_runs_on_plain_http(tmp_path):
    env = production_env(tmp_path, DEBUG="1")
    del env["DJANGO_SECRET_KEY"]

    shown = settings_under(env)

    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["CSRF_COOKIE_SECURE"] is False


def test_the_proxy_ssl_header_is_configurable(tmp_path):
    shown = settings_under(production_env(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO"))

    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]

    result = manage(env, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
