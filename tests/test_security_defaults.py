"""Production by default: with nothing set, DEBUG is off and the dashboard refuses to start
without its own secret key (the demo's is public); only `make run` turns the demo on."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

from tests.production_env import ROOT, manage, production_env, python

SHOW_DEBUG = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_ui.settings")
import django
django.setup()
from django.conf import settings
print("DEBUG", settings.DEBUG)
"""


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in names}


def test_debug_is_off_when_nothing_says_otherwise(tmp_path):
    result = python(without(production_env(tmp_path), "DEBUG"), SHOW_DEBUG)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "DEBUG False"


def test_with_nothing_set_it_refuses_to_start_and_says_what_to_set(tmp_path):
    result = manage(without(production_env(tmp_path), "DEBUG", "DJANGO_SECRET_KEY"), "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr and "make run" in result.stderr


def test_the_public_demo_key_is_refused_when_debug_is_off(tmp_path):
    env = production_env(tmp_path, DJANGO_SECRET_KEY="insecure-demo-key-set-DJANGO_SECRET_KEY")

    result = manage(without(env, "DEBUG"), "check")

    assert result.returncode != 0 and "public demo key" in result.stderr


def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path):
    env = without(production_env(tmp_path), "DEBUG", "DJANGO_SECRET_KEY")
    command = [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "registry_ui.wsgi"]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_the_image_defaults_to_debug_off():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r"^ENV DEBUG=0\b", dockerfile, re.M)
    assert not re.search(r"DEBUG=1", dockerfile)


def test_gunicorn_conf_defaults_to_debug_off(monkeypatch):
    monkeypatch.delenv("DEBUG")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "k" * 50)

    runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert os.environ["DEBUG"] == "0"


def test_only_make_run_turns_the_demo_defaults_on():
    makefile = (ROOT / "Makefile").read_text()

    setting_debug = [line for line in makefile.splitlines() if re.search(r"\bDEBUG\s*\??=", line)]

    assert setting_debug == ["run: export DEBUG ?= 1"]
