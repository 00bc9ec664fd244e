"""Production: the compose file, the image, gunicorn's settings, and a real gunicorn under
production settings serving /healthz, whitenoise's static files and the security headers."""

from __future__ import annotations

import re
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tests.production_env import ROOT, manage, production_env

APP_SERVICES = ("web", "worker", "beat", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_worker_beat_redis_and_postgres(compose):
    assert set(compose["services"]) >= {"web", "worker", "beat", "redis", "postgres"}
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DEBUG"] == "0", name
        assert env["DATABASE_URL"].startswith("postgres://"), name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:"), name
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), name


def test_compose_web_is_gunicorn_and_the_worker_a_threaded_celery_worker(compose):
    services = compose["services"]
    assert services["web"]["command"][0] == "gunicorn"
    worker = " ".join(services["worker"]["command"])
    assert "celery -A registry_ui worker" in worker
    assert "--pool=threads" in worker
    assert "--concurrency=${CELERY_CONCURRENCY:-" in worker
    assert "beat" in " ".join(services["beat"]["command"])
    # One beat: more would enqueue every sync and sweep twice.
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]


def test_compose_keeps_redis_and_postgres_data(compose):
    redis, postgres = compose["services"]["redis"], compose["services"]["postgres"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert set(compose["volumes"]) >= {"redis-data", "postgres-data"}


def test_compose_has_healthchecks_and_web_asks_healthz(compose):
    services = compose["services"]
    for name in ("web", "worker", "redis", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert any("/healthz" in part for part in services["web"]["healthcheck"]["test"])
    # The probe's host name must be allowed, or it would only ever see 400.
    assert services["web"]["environment"]["ALLOWED_HOSTS"].endswith(",localhost")
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_image_is_slim_non_root_and_ships_collected_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    users = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")


@pytest.mark.parametrize("package", ["gunicorn", "whitenoise", "django-csp", "django-axes"])
def test_production_packages_are_pinned(package):
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert any(re.fullmatch(rf"{re.escape(package)}==[\w.]+", line.strip()) for line in lines), package


def test_gunicorn_takes_workers_and_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "45")

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert (conf["workers"], conf["timeout"]) == (3, 45)
    assert conf["accesslog"] == "-"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """gunicorn with gunicorn.conf.py under production settings, after collectstatic."""
    var = tmp_path_factory.mktemp("production")
    env = production_env(var, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO", WEB_CONCURRENCY="1")
    collected = manage(env, "collectstatic", "--noinput", "-v0", timeout=300)
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    log = var / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "registry_ui.wsgi"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # The first request imports the URLconf: slow on a busy machine.
                requests.get(base + "/healthz", timeout=10)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


HTTPS = {"Host": "localhost", "X-Forwarded-Proto": "https"}


def test_gunicorn_answers_healthz_over_plain_http(gunicorn):
    base, log = gunicorn

    response = requests.get(base + "/healthz", headers={"Host": "localhost"}, timeout=10, allow_redirects=False)

    assert response.status_code == 200
    assert response.json()["database"] == response.json()["broker"] == "ok"
    assert "pai" in response.json()
    # An access log line: gunicorn read gunicorn.conf.py (it logs no access by default).
    assert '"GET /healthz HTTP/1.1" 200' in log.read_text()


def test_gunicorn_redirects_plain_http_pages_to_https(gunicorn):
    base, _ = gunicorn

    response = requests.get(base + "/accounts/login/", headers={"Host": "localhost"}, timeout=10, allow_redirects=False)

    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/accounts/login/"


def test_behind_the_tls_proxy_pages_carry_hsts_csp_and_secure_cookies(gunicorn):
    base, _ = gunicorn

    response = requests.get(base + "/accounts/login/", headers=HTTPS, timeout=10, allow_redirects=False)

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    csrf_cookie = response.raw.headers.get("Set-Cookie", "")
    assert "csrftoken=" in csrf_cookie and "Secure" in csrf_cookie


def test_whitenoise_serves_static_files_with_hashed_names_cached_for_long(gunicorn):
    base, _ = gunicorn
    page = requests.get(base + "/accounts/login/", headers=HTTPS, timeout=10).text
    hashed = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    assert hashed, "the page links the hashed stylesheet"

    plain = requests.get(base + "/static/css/app.css", headers=HTTPS, timeout=10)
    versioned = requests.get(base + hashed.group(1), headers={**HTTPS, "Accept-Encoding": "gzip"}, timeout=10)

    assert plain.status_code == 200 and plain.headers["Content-Type"].startswith("text/css")
    assert versioned.status_code == 200
    assert "immutable" in versioned.headers["Cache-Control"]
    assert versioned.headers.get("Content-Encoding") == "gzip"


def test_an_unknown_page_shows_no_debug_information(gunicorn):
    base, _ = gunicorn

    response = requests.get(base + "/no/such/page/", headers=HTTPS, timeout=10, allow_redirects=False)

    assert response.status_code in (302, 404)
    assert "Traceback" not in response.text and "DJANGO_SECRET_KEY" not in response.text
