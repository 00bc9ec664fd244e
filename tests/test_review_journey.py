"""Issue 14's journey end to end, with real parts only: a new Pending version appears in the emulator (over
HTTP, as `manage.py pai_emulator_add_version --sync` does it in `make run`), a real Celery worker syncs it and
tells the workspace's reviewer (inbox, a mail at an aiosmtpd server, a Standard Webhooks message checked by
the `standardwebhooks` package); the reviewer requests changes on the version page, the editor is told,
edits on the edit page, the reviewer is told it is ready again and approves, the push reaches the emulator,
and the timeline and the audit log hold every step in order."""

from __future__ import annotations

import html
import os
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from approvals.models import (
    AuditEvent,
    ModelVersion,
    Notification,
    PushState,
    RegisteredModel,
    ReviewState,
    Workspace,
)
from approvals.services.inbox import preferences_save
from approvals.services.notification_kinds import SUBSCRIBABLE
from approvals.sync import sync_workspace
from tests.factories import make_user
from tests.fixtures_pai import pai_call
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.fixtures_worker import wait_for
from tests.notify_helpers import make_channel
from tests.test_notifications_smtp import SmtpServer
from tests.test_views_edit import initial_data

pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = "https://review.example.com"
REASON = "Add the CER on the held-out test set, please"
FIXED = "Retrained; CER on the held-out test set is 0.071."


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def scene(pai_settings):
    """The workspace as `make run` leaves it: synced, a reviewer and an editor, the demo channel."""
    workspace = Workspace.objects.create(name="Search & NLP", workspace_id=DEMO_WORKSPACE)
    sync_workspace(workspace=workspace)  # before the people exist: nothing of it is theirs
    rita = make_user("rita", group="approver", workspace=workspace)
    eddie = make_user("eddie", group="editor", workspace=workspace)
    for person in (rita, eddie):
        person.email = f"{person.username}@example.com"
        person.save()
    # New versions come in the daily digest by default; Rita chose to hear of them at once.
    preferences_save(user=rita, email={"new_pending": "immediate"}, language="en")
    model = RegisteredModel.objects.filter(workspace=workspace).order_by("name").first()
    return {"workspace": workspace, "rita": rita, "eddie": eddie, "model": model}


@pytest.fixture
def worker(scene, smtp, webhook_receiver, monkeypatch, request):
    """The worker, with the mail server and fast channel retries in its environment (read at start)."""
    make_channel(
        scene["workspace"],
        webhook_receiver.url,
        secret=WEBHOOK_SECRET,
        events=[kind.value for kind in SUBSCRIBABLE],
        name="Demo webhook receiver",
    )
    for name, value in {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "2",
        "DASHBOARD_URL": DASHBOARD,
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_RETRY_MAX_DELAY_SECONDS": "1",
        "NOTIFY_COALESCE_SECONDS": "0.2",
        "NOTIFY_TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setitem(os.environ, name, value)
    return request.getfixturevalue("celery_worker_process")


def mail_to(smtp, address: str, containing: str):
    def found():
        return next(
            (m for rcpt, m in smtp.messages if address in rcpt and containing in str(m["Subject"])),
            None,
        )

    return wait_for(found, timeout=60, what=f"a mail to {address} about {containing!r}")


def webhook(receiver, kind: str, version_name: str) -> dict:
    def found():
        for message in receiver.unique().values():
            payload = message["payload"]
            data = payload.get("data") or {}
            if payload.get("type") == kind and version_name in (data.get("versions") or [data.get("version")]):
                return payload
        return None

    return wait_for(found, timeout=60, what=f"a signed {kind} webhook for {version_name}")


def told(user, kind: str, version: ModelVersion | None = None, model: RegisteredModel | None = None):
    rows = Notification.objects.filter(user=user, kind=kind).select_related("event")
    if version is not None:
        rows = rows.filter(event__model_id=version.model.model_id, event__version_name=version.version_name)
    if model is not None:
        rows = rows.filter(event__model_id=model.model_id)
    return wait_for(lambda: rows.first(), timeout=60, what=f"{user.username} told of {kind}")


def form_action(page: str, button: str) -> str:
    """The action of the form whose submit button says `button`, as a browser would post it."""
    for form in re.findall(r"<form\b.*?</form>", page, re.S):
        if f">{button}</button>" in form:
            return html.unescape(re.search(r'action="([^"]*)"', form).group(1))
    raise AssertionError(f"no form with a {button!r} button")


def timeline_seqs(page: str) -> list[int]:
    history = re.search(r'<ol class="history">(.*?)</ol>', page, re.S).group(1)
    return [int(n) for n in re.findall(r'<span class="muted">#(\d+)', history)]


def test_a_new_version_goes_from_the_emulator_through_changes_requested_to_approved_in_pai(
    scene, worker, smtp, webhook_receiver, pai_emulator
):
    rita, eddie, model = scene["rita"], scene["eddie"], scene["model"]

    # 1. A training job registers a new version in "PAI"; the command asks for the next sync.
    created_before = AuditEvent.objects.filter(action="pai.created", model_id=model.model_id, actor="PAI").count()
    call_command(
        "pai_emulator_add_version", "--model", model.name, "--emulator", pai_emulator.url, "--sync", verbosity=0
    )
    version = wait_for(
        lambda: (
            ModelVersion.objects.filter(model=model, approval_status="Pending").order_by("-pk").first()
            if AuditEvent.objects.filter(action="pai.created", model_id=model.model_id, actor="PAI").count()
            > created_before
            else None
        ),
        timeout=60,
        what=f"the worker's sync to find the new version; worker log:\n{worker.log[-3000:]}",
    )
    name = version.version_name
    assert version.pending_since is not None and version.review_state != ReviewState.CHANGES_REQUESTED

    # 2. The reviewer is told: inbox, mail, and the workspace's channel.
    told(rita, "new_pending", model=model)
    client = Client()
    client.force_login(rita)
    inbox = client.get(reverse("inbox")).content.decode()
    assert f"A new version waits for review: {model.name} version {name} in workspace {DEMO_WORKSPACE}." in inbox
    message = mail_to(smtp, "rita@example.com", f"version {name}")
    assert f"{DASHBOARD}/models/{model.model_id}/versions/{name}/" in message.get_body(("plain",)).get_content()
    pending = webhook(webhook_receiver, "version.pending", name)
    assert pending["data"]["url"] == f"{DASHBOARD}/models/{model.model_id}/versions/{name}/"
    assert not webhook_receiver.refused  # every signature held, as standardwebhooks checks it

    # 3. The reviewer requests changes on the version page.
    detail = reverse("version_detail", args=[model.model_id, name])
    page = client.get(detail).content.decode()
    answer = client.post(form_action(page, "Request changes"), {"reason": REASON}, follow=True)
    assert answer.status_code == 200 and "Changes are requested; the version" in answer.content.decode()
    version.refresh_from_db()
    assert version.review_state == ReviewState.CHANGES_REQUESTED and version.review_reason == REASON

    # 4. The editor is told (nobody edited the version here yet: the workspace's editors are).
    told(eddie, "changes_requested", version)
    asked = mail_to(smtp, "eddie@example.com", "requested changes")
    assert REASON in asked.get_body(("plain",)).get_content()
    assert webhook(webhook_receiver, "changes_requested", name)["data"]["actor"] == "rita"

    # 5. The editor edits on the edit page: preview, then save.
    editor = Client()
    editor.force_login(eddie)
    edit_url = reverse("version_edit", args=[model.model_id, name])
    data = {**initial_data(editor, version), "VersionDescription": FIXED}
    preview = editor.post(edit_url, data)
    assert preview.status_code == 200 and FIXED in preview.content.decode()
    saved = editor.post(edit_url, {**data, "confirm": "1"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    version.refresh_from_db()
    assert version.review_state == ReviewState.READY and version.version_description == FIXED

    # 6. The reviewer is told it is ready again.
    told(rita, "ready", version)
    mail_to(smtp, "rita@example.com", "ready for review again")
    assert webhook(webhook_receiver, "ready", name)["data"]["actor"] == "eddie"
    wait_for(
        lambda: ModelVersion.objects.filter(pk=version.pk, push_state=PushState.DONE, pushed_revision=1).exists(),
        timeout=60,
        what=f"the edit pushed; worker log:\n{worker.log[-3000:]}",
    )

    # 7. The reviewer approves on the decision page; the push carries it to PAI.
    decide = reverse("version_decide", args=[model.model_id, name])
    confirm = client.get(f"{decide}?status=Approved").content.decode()
    revision = re.search(r'<input type="hidden" name="revision" value="(\d+)">', confirm).group(1)
    assert client.post(decide, {"status": "Approved", "reason": "", "revision": revision}).status_code == 302

    def approved_in_pai():
        path = f"/api/v1/models/{model.model_id}/versions/{name}"
        held = pai_call(pai_emulator, "GET", path).json()
        return held if held.get("ApprovalStatus") == "Approved" else None

    held = wait_for(approved_in_pai, timeout=60, what=f"PAI to hold it Approved; worker log:\n{worker.log[-3000:]}")
    assert held["VersionDescription"] == FIXED
    wait_for(
        lambda: ModelVersion.objects.filter(pk=version.pk, push_state=PushState.DONE, approval_status="Approved"),
        timeout=60,
        what="the push recorded",
    )
    told(eddie, "approved", version)
    webhook(webhook_receiver, "approved", name)

    # 8. Every step in the audit log, in order, and on the version's timeline.
    steps = ["review.changes_requested", "version.edited", "review.ready", "version.approved", "push.done"]
    events = list(
        AuditEvent.objects.filter(model_id=model.model_id, version_name=name)
        .order_by("seq")
        .values_list("seq", "action", "actor")
    )
    actions = [action for _seq, action, _actor in events]
    at = [actions.index(step, actions.index(steps[i - 1]) if i else 0) for i, step in enumerate(steps)]
    assert at == sorted(at), actions
    assert [events[i][2] for i in at[:4]] == ["rita", "eddie", "eddie", "rita"]
    created = AuditEvent.objects.filter(action="pai.created", model_id=model.model_id).order_by("seq").last()
    assert created.payload["versions"] == [name] and created.seq < events[at[0]][0]
    timeline = timeline_seqs(client.get(detail).content.decode())
    assert timeline == sorted(timeline, reverse=True)  # newest first
    assert {events[i][0] for i in at} <= set(timeline)
    audit_page = client.get(reverse("audit_log"), {"model": model.model_id, "version": name}).content.decode()
    rows = [audit_page.index(f'<th scope="row">{events[i][0]}</th>') for i in at]
    assert rows == sorted(rows, reverse=True)  # each step listed, newest first
    call_command("verify_audit", verbosity=0)
