"""End to end: a real Celery worker sends the notification mails to a real SMTP server on loopback
(aiosmtpd), right after the commit that told the person; a server that was down loses nothing."""

from __future__ import annotations

import email
import email.policy
import os
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from approvals import tasks
from approvals.models import Change, ChangeKind, EmailState, Notification, PersonSettings
from approvals.services.reviews import review_request_changes
from tests.factories import make_model, make_user, make_version, make_workspace
from tests.fixtures_worker import wait_for


class Mailbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def swept(worker) -> int:
    """How many runs of the mail task the worker finished."""
    return sum("send_notification_emails" in line and "succeeded" in line for line in worker.log.splitlines())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A port for the worker, and an aiosmtpd server on it while `up` (a stopped one cannot restart)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list:
        return self.mailbox.messages


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def mail_worker(smtp, monkeypatch, request):
    """The worker, sending mail by SMTP to the test's server (its environment is read at start)."""
    monkeypatch.setitem(os.environ, "EMAIL_HOST", "127.0.0.1")
    monkeypatch.setitem(os.environ, "EMAIL_PORT", str(smtp.port))
    monkeypatch.setitem(os.environ, "EMAIL_TIMEOUT", "2")
    monkeypatch.setitem(os.environ, "DASHBOARD_URL", "https://review.example.com")
    return request.getfixturevalue("celery_worker_process")


@pytest.fixture
def scene(transactional_db):
    home = make_workspace(name="Speech", workspace_id="ws-mail")
    edna = make_user("edna", group="editor", workspace=home)
    edna.email = "edna@example.com"
    edna.save()
    abe = make_user("abe", group="approver", workspace=home)
    version = make_version(make_model(home, model_id="m-mail", name="speech-asr"), version_name="1.0.0")
    # Edna's change, as a push already delivered it: no push task of its own in this test.
    Change.objects.create(version=version, revision=1, kind=ChangeKind.EDIT, author=edna, authored=True, fields={})
    return {"edna": edna, "abe": abe, "version": version}


def test_the_worker_mails_the_editor_at_once_in_her_language_with_text_and_html(scene, smtp, mail_worker):
    smtp.start()
    PersonSettings.objects.create(user=scene["edna"], language="zh-hans")

    review_request_changes(version_id=scene["version"].pk, user=scene["abe"], reason="Add the test-set CER")

    wait_for(lambda: smtp.messages, timeout=30, what="the mail at the SMTP server")
    (recipients, message), *more = smtp.messages
    assert more == [] and recipients == ["edna@example.com"]
    assert str(message["Subject"]).strip() == "abe 要求修改 工作空间 ws-mail 中 speech-asr 的版本 1.0.0。"
    assert message["Message-ID"].startswith("<notification-")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Add the test-set CER" in text and "https://review.example.com/models/m-mail/versions/1.0.0/" in text
    assert 'href="https://review.example.com/models/m-mail/versions/1.0.0/"' in html
    row = wait_for(lambda: Notification.objects.filter(email_state=EmailState.SENT).first(), what="the row marked sent")
    assert row.user == scene["edna"] and row.emailed_at is not None


def test_a_mail_server_that_was_down_gets_the_mail_once_it_is_back(scene, smtp, mail_worker):
    review_request_changes(version_id=scene["version"].pk, user=scene["abe"], reason="later")
    row = wait_for(
        lambda: Notification.objects.filter(email_state=EmailState.PENDING).exclude(email_error="").first(),
        timeout=30,
        what="the failed attempt recorded",
    )
    assert smtp.messages == []

    smtp.start()
    tasks.send_notification_emails.delay()  # what beat's sweep does every minute
    wait_for(lambda: smtp.messages, timeout=30, what="the mail after the server came back")
    wait_for(lambda: Notification.objects.get(pk=row.pk).email_state == EmailState.SENT, what="sent")
    # Another sweep finds nothing to send: the receiver gets the mail once.
    tasks.send_notification_emails.delay()
    wait_for(lambda: swept(mail_worker) >= 3, what="the three sends to run (after the commit, two sweeps)")
    assert len(smtp.messages) == 1
