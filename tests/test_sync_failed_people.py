"""A failed sync reaches people, not only channels: the workspace's approvers and staff, in the inbox and by
mail; and changes requested reach the version's editors, or the workspace's when nobody edited it here yet."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from approvals.errors import SyncFailed
from approvals.models import AuditEvent, Change, ChangeKind, Notification, OutboxMessage, PersonSettings, Workspace
from approvals.services.mail import notification_path, send_pending_emails
from approvals.services.reviews import review_request_changes
from approvals.sync import sync_workspace
from tests.factories import make_model, make_user, make_version, make_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.notify_helpers import make_channel

pytestmark = pytest.mark.django_db


def with_address(user):
    user.email = f"{user.username}@example.com"
    user.save()
    return user


@pytest.fixture
def people():
    home = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    other = make_workspace(name="Vision", workspace_id="207651")
    return {
        "home": home,
        "abe": with_address(make_user("abe", group="approver", workspace=home)),
        "ops": with_address(make_user("ops", staff=True)),  # staff, member of nothing
        "edna": with_address(make_user("edna", group="editor", workspace=home)),
        "vic": with_address(make_user("vic", group="approver", workspace=other)),
        "gone": make_user("gone", staff=True),
    }


def fail_sync(settings, workspace) -> AuditEvent:
    settings.PAI_ALLOWED_ENDPOINTS = []  # the emulator is no longer an allowed endpoint: the sync fails
    with pytest.raises(SyncFailed):
        sync_workspace(workspace=workspace)
    return AuditEvent.objects.get(action="sync.failed")


def test_a_failed_sync_tells_the_workspaces_approvers_and_staff_in_the_inbox(pai_settings, settings, people):
    people["gone"].is_active = False
    people["gone"].save()
    event = fail_sync(settings, people["home"])
    rows = Notification.objects.filter(event=event).select_related("user")
    assert sorted(row.user.username for row in rows) == ["abe", "ops"]  # not the editor, nor another team
    assert {row.kind for row in rows} == {"sync_failed"}
    assert {row.email_state for row in rows} == {"pending"}  # a failure is mailed at once by default
    assert notification_path(rows[0]) == reverse("home")  # the queue, whose sync states show the error


def test_the_inbox_page_and_the_mail_say_which_workspace_failed_and_why(pai_settings, settings, people, client):
    PersonSettings.objects.create(user=people["ops"], language="zh-hans")
    event = fail_sync(settings, people["home"])
    client.force_login(people["abe"])
    page = client.get(reverse("inbox")).content.decode()
    assert f"The sync of workspace {DEMO_WORKSPACE} from PAI failed." in page
    assert send_pending_emails() == 2
    by_person = {message.to[0]: message for message in mail.outbox}
    english, chinese = by_person["abe@example.com"], by_person["ops@example.com"]
    assert english.subject == f"The sync of workspace {DEMO_WORKSPACE} from PAI failed."
    assert event.payload["error"].startswith(f"ListModels {DEMO_WORKSPACE}: EndpointNotAllowed")
    assert f"ListModels {DEMO_WORKSPACE}: EndpointNotAllowed" in english.body  # why, as the event says
    assert chinese.subject == f"工作空间 {DEMO_WORKSPACE} 从 PAI 的同步失败。"


def test_a_failed_sync_still_reaches_a_subscribed_channel(pai_settings, settings, people, webhook_receiver):
    channel = make_channel(people["home"], webhook_receiver.url, secret=WEBHOOK_SECRET, events=["sync_failed"])
    event = fail_sync(settings, people["home"])
    assert OutboxMessage.objects.get(channel=channel).event_id == event.pk


def test_the_inbox_lists_the_kind_among_the_email_choices(people, client):
    client.force_login(people["ops"])
    page = client.get(reverse("notification_preferences")).content.decode()
    assert "A sync of PAI failed" in page and 'name="email_sync_failed"' in page


@pytest.fixture
def version(people):
    return make_version(make_model(people["home"], model_id="m-new", name="asr"), version_name="2.0.0")


def test_changes_requested_on_a_version_nobody_edited_tell_the_workspaces_editors(people, version):
    make_user("eli", group="editor", workspace=make_workspace(name="Elsewhere", workspace_id="ws-else"))
    everywhere = make_user("eve", group="editor")  # an editor of every workspace
    review_request_changes(version_id=version.pk, user=people["abe"], reason="Add the test-set CER")
    event = AuditEvent.objects.get(action="review.changes_requested")
    told = Notification.objects.filter(event=event)
    assert sorted(told.values_list("user__username", flat=True)) == ["edna", everywhere.username]
    assert set(told.values_list("kind", flat=True)) == {"changes_requested"}


def test_changes_requested_tell_only_the_versions_own_editors_once_it_has_them(people, version):
    ted = make_user("ted", group="editor", workspace=people["home"])
    Change.objects.create(version=version, revision=1, kind=ChangeKind.EDIT, author=ted, authored=True, fields={})
    review_request_changes(version_id=version.pk, user=people["abe"], reason="Add the test-set CER")
    event = AuditEvent.objects.get(action="review.changes_requested")
    assert list(Notification.objects.filter(event=event).values_list("user__username", flat=True)) == ["ted"]
