"""No secret leaves: pushes run with a known AccessKey secret and STS token (through
successes, 503s, throttling, a version gone from PAI and a wrong secret), an API token is
used, and then every log line, page, API answer, error message, database row and file
the run left is searched for the secret, the token and the API token's raw value."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from approvals import services
from approvals.models import ModelVersion, PushState, Workspace
from approvals.pai_clients import reset_clients
from approvals.services import push
from approvals.services.tokens import api_token_create
from approvals.sync import sync_workspace
from registry_ui.celery import app
from tests.factories import make_user
from tests.fixtures_pai import PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.fixtures_worker import WorkerProcess, database_url, wait_for

WRONG_SECRET = "wrong-secret-typed-by-mistake-0042"
LOGIN_PASSWORD = "the-password-someone-mistyped-0042"


@pytest.fixture
def sts(settings, pai_emulator):
    """The dashboard signs with an STS key: AccessKey id, secret and security token."""
    settings.PAI_ENDPOINT = pai_emulator.url
    settings.PAI_ACCESS_KEY_ID = PAI_STS_KEY_ID
    settings.PAI_ACCESS_KEY_SECRET = PAI_STS_SECRET
    settings.PAI_SECURITY_TOKEN = PAI_STS_TOKEN
    settings.PUSH_RETRY_MAX_DELAY_SECONDS = 1
    reset_clients()
    yield
    reset_clients()


def edit(version: ModelVersion, user, **values) -> None:
    version.refresh_from_db()
    services.version_edit(version_id=version.pk, user=user, values=values, base_revision=version.revision)


def database_text() -> str:
    """Every row of every table, as text; session data decoded too."""
    parts = []
    for model in apps.get_models():
        for row in model.objects.values():
            parts.append(f"{model._meta.label} {json.dumps(row, default=str, ensure_ascii=False)}")
    for session in Session.objects.all():
        parts.append(json.dumps(SessionStore().decode(session.session_data), default=str))
    return "\n".join(parts)


def files_text(folder: Path) -> str:
    """Every file under the run's folder (broker messages, logs) but the SQLite database,
    which database_text() reads: opening and closing its file here would drop this
    process's SQLite locks (POSIX lock semantics) and let the database be corrupted."""
    parts = []
    for path in folder.rglob("*"):
        if path.is_file() and ".sqlite3" not in path.name:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


def pages_and_answers(versions: list[ModelVersion], users: dict, raw_token: str) -> str:
    """What people and pipelines see: every page about these versions for every role, and
    every API answer, a refused one included."""
    out = []
    for user in users.values():
        client = Client()
        client.force_login(user)
        urls = [reverse("home"), reverse("version_list"), reverse("audit_log"), reverse("token_list")]
        for version in versions:
            args = [version.model.model_id, version.version_name]
            urls += [reverse(name, args=args) for name in ("version_detail", "version_push_state", "version_compare")]
            urls.append(reverse("model_detail", args=[version.model.model_id]))
        for url in urls:
            out.append(client.get(url).content.decode())
        export = client.get(reverse("audit_export"))
        out.append(b"".join(export.streaming_content).decode() if export.status_code == 200 else "")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    api_urls = [reverse("api-versions"), reverse("api-models"), reverse("api-audit"), reverse("api-schema")]
    for version in versions:
        args = [version.model.model_id, version.version_name]
        api_urls += [reverse("api-version", args=args), reverse("api-version-history", args=args)]
    for url in api_urls:
        out.append(api.get(url).content.decode())
    out.append(Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}x").get(reverse("api-versions")).content.decode())
    return "\n".join(out)


@pytest.mark.django_db
def test_no_secret_in_logs_pages_api_answers_errors_or_rows(sts, pai_emulator, settings, caplog):
    caplog.set_level(logging.DEBUG)
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    sync_workspace(workspace=workspace)
    ok, unavailable, throttled, gone, wrong, decided = ModelVersion.objects.filter(
        workspace=workspace, approval_status="Pending"
    ).order_by("pk")[:6]
    users = {
        "editor": make_user("edna", group="editor"),
        "approver": make_user("abe", group="approver"),
        "auditor": make_user("aude", group="auditor"),
        "staff": make_user("root", staff=True),
    }
    editor = users["editor"]
    _, raw_token = api_token_create(user=users["approver"], name="pipeline")

    edit(ok, editor, VersionDescription="fine")
    assert push.push_version(version_id=ok.pk).state == PushState.DONE

    pai_emulator.faults.unavailable_rate = 1.0
    edit(unavailable, editor, VersionDescription="later")
    assert push.push_version(version_id=unavailable.pk).state == PushState.RETRYING
    pai_emulator.faults.unavailable_rate = 0.0

    pai_emulator.faults.throttle_rate = 1.0
    edit(throttled, editor, VersionDescription="slowly")
    assert push.push_version(version_id=throttled.pk).state == PushState.RETRYING
    pai_emulator.faults.throttle_rate = 0.0

    edit(gone, editor, VersionDescription="doomed")
    with pai_emulator.store._lock:
        del pai_emulator.store._versions[gone.model.model_id][gone.version_name]
    assert push.push_version(version_id=gone.pk).state == PushState.FAILED

    # A decision through the API with the bearer token, pushed with the right key.
    decided.refresh_from_db()
    decision = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}").post(
        reverse("api-version-decision", args=[decided.model.model_id, decided.version_name]),
        {"ApprovalStatus": "Rejected", "Reason": "metrics regress"},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{decided.revision}"',
    )
    assert decision.status_code < 300, decision.content
    assert push.push_version(version_id=decided.pk).state == PushState.DONE

    # PAI refuses a wrong secret: the refusal is shown, the secret is not.
    settings.PAI_ACCESS_KEY_SECRET = WRONG_SECRET
    reset_clients()
    edit(wrong, editor, VersionDescription="refused")
    assert push.push_version(version_id=wrong.pk).state == PushState.FAILED
    wrong.refresh_from_db()
    assert "SignatureDoesNotMatch" in wrong.push_error

    # A mistyped password on the login page is recorded by the throttle, never verbatim.
    Client().post(reverse("login"), {"username": "edna", "password": LOGIN_PASSWORD})

    secrets = [PAI_STS_SECRET, PAI_STS_TOKEN, WRONG_SECRET, raw_token, LOGIN_PASSWORD]
    versions = [ok, unavailable, throttled, gone, wrong, decided]
    assert "UpdateModelVersion" in caplog.text or "push" in caplog.text  # the logs did capture the run
    assert leaks(caplog.text, secrets) == []
    assert leaks(pages_and_answers(versions, users, raw_token), secrets) == []
    assert leaks(database_text(), secrets) == []
    assert leaks(files_text(Path(settings.VAR_DIR)), secrets) == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_no_secret_through_retries_and_a_refusal(sts, pai_emulator, settings, tmp_path):
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    sync_workspace(workspace=workspace)
    flaky, refused = ModelVersion.objects.filter(workspace=workspace, approval_status="Pending").order_by("pk")[:2]
    editor = make_user("edna", group="editor")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "PAI_ENDPOINT": pai_emulator.url,
        "PAI_ACCESS_KEY_ID": PAI_STS_KEY_ID,
        "PAI_ACCESS_KEY_SECRET": PAI_STS_SECRET,
        "PAI_SECURITY_TOKEN": PAI_STS_TOKEN,
        "PUSH_RETRY_MAX_DELAY_SECONDS": "1",
        "LOG_LEVEL": "DEBUG",
    }
    app.control.purge()  # tasks left by earlier tests belong to rows that are gone
    worker = WorkerProcess(tmp_path / "worker.log", env).start()
    try:
        pai_emulator.faults.unavailable_rate = 1.0
        edit(flaky, editor, VersionDescription="eventually")
        wait_for(lambda: ModelVersion.objects.get(pk=flaky.pk).push_attempts >= 2, what="two failed attempts")
        pai_emulator.faults.unavailable_rate = 0.0
        wait_for(lambda: ModelVersion.objects.get(pk=flaky.pk).push_state == PushState.DONE, what="the retry")
        worker.stop()

        # The same worker, restarted with a wrong secret: PAI refuses, the page says so.
        worker = WorkerProcess(tmp_path / "worker.log", {**env, "PAI_ACCESS_KEY_SECRET": WRONG_SECRET}).start()
        edit(refused, editor, VersionDescription="refused")
        wait_for(lambda: ModelVersion.objects.get(pk=refused.pk).push_state == PushState.FAILED, what="the refusal")
    finally:
        worker.stop()

    log = worker.log
    assert "SignatureDoesNotMatch" in log or "push" in log.lower()
    assert leaks(log, [PAI_STS_SECRET, PAI_STS_TOKEN, WRONG_SECRET]) == []
    assert leaks(database_text(), [PAI_STS_SECRET, PAI_STS_TOKEN, WRONG_SECRET]) == []
