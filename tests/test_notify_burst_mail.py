"""A burst: a sync that brings 500 new Pending versions tells each person once per model, by one
mail at once or one line of their digest, never 500 mails. The mails reach a real SMTP server on
loopback (aiosmtpd); the versions come from the emulator over HTTP."""

from __future__ import annotations

import copy

import pytest

from approvals.display.created import created_models
from approvals.models import EmailState, Notification, Workspace
from approvals.services.inbox import preferences_save
from approvals.services.mail import send_email_digests, send_pending_emails
from approvals.sync import sync_workspace
from tests.factories import make_user
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.test_notifications_smtp import smtp as smtp  # the fixture
from tests.test_sync import edit_pai_store

pytestmark = pytest.mark.django_db
BURST = 500


@pytest.fixture
def smtp_settings(settings, smtp):
    smtp.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    settings.DASHBOARD_URL = "https://review.example.com"
    return smtp


def send_everything() -> int:
    """The sweep, run until nothing waits (each run takes a batch)."""
    total = 0
    while sent := send_pending_emails():
        total += sent
    return total


def test_a_sync_bringing_500_new_versions_sends_one_mail_per_model_to_each_person(
    pai_settings, pai_emulator, smtp_settings
):
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    people = {name: make_user(name, group="approver", workspace=workspace) for name in ("rita", "dora", "olga")}
    for user in people.values():
        user.email = f"{user.username}@example.com"
        user.save()
    preferences_save(user=people["rita"], email={"new_pending": "immediate"}, language="en")
    preferences_save(user=people["olga"], email={"new_pending": "off"}, language="en")
    sync_workspace(workspace=workspace)  # what PAI holds already
    Notification.objects.all().delete()

    def burst(data) -> None:
        ours = [m["ModelId"] for m in data["models"] if m["WorkspaceId"] == DEMO_WORKSPACE]
        big, small = ours[0], ours[1]
        for model_id, count in ((big, BURST), (small, 3)):
            template = data["versions"][model_id][-1]
            for n in range(count):
                new = copy.deepcopy(template)
                new.update(VersionName=f"9.{n}.0", ApprovalStatus="Pending", GmtModifiedTime="2031-01-01T00:00:00.000Z")
                data["versions"][model_id].append(new)

    edit_pai_store(pai_emulator, burst)
    result = sync_workspace(workspace=workspace)
    assert result.created == BURST + 3

    # Each person is told once per model: two notifications each, whatever the count of versions,
    # of the one audit event of the sync's page.
    rows = Notification.objects.select_related("user", "event")
    assert len({n.event_id for n in rows}) == 1

    def created_here(n: Notification) -> int:
        return len(next(m for m in created_models(n.event) if m.model_id == n.model_id).versions)

    assert sorted((n.user.username, created_here(n)) for n in rows) == sorted(
        [(name, count) for name in people for count in (3, BURST)]
    )
    assert send_everything() == 2
    mails = smtp_settings.messages
    assert sorted(to for recipients, _message in mails for to in recipients) == ["rita@example.com"] * 2
    subjects = sorted(str(message["Subject"]) for _recipients, message in mails)
    assert any(f"{BURST} new versions of" in subject for subject in subjects), subjects
    assert any("3 new versions of" in subject for subject in subjects), subjects

    # Dora's digest: one mail with both models' lines; Olga chose off and gets nothing.
    assert send_email_digests() == 1
    (recipients, digest), *_ = smtp_settings.messages[2:]
    assert recipients == ["dora@example.com"] and len(smtp_settings.messages) == 3
    body = digest.get_body(("plain",)).get_content()
    assert "2 notifications since the last digest" in body and f"{BURST} new versions of" in body
    assert set(Notification.objects.filter(user=people["olga"]).values_list("email_state", flat=True)) == {
        EmailState.NONE
    }
    # A second sync finds nothing new: nothing more is sent.
    sync_workspace(workspace=workspace)
    assert send_everything() == 0 and send_email_digests() == 0 and len(smtp_settings.messages) == 3
