"""What a sync of the emulator tells the workspace's channels: new Pending versions, and its own failure."""

from __future__ import annotations

import pytest

from approvals.errors import SyncFailed
from approvals.models import AuditEvent, ModelVersion, OutboxMessage, Workspace
from approvals.services.channel_delivery import channel_deliver
from approvals.sync import sync_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.fixtures_registry import DEMO_WORKSPACE
from tests.notify_helpers import make_channel

pytestmark = pytest.mark.django_db


def test_versions_a_sync_first_sees_pending_are_announced_as_one_digest(pai_settings, webhook_receiver, settings):
    settings.NOTIFY_DIGEST_THRESHOLD = 2
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    channel = make_channel(workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["version.pending"])
    sync_workspace(workspace=workspace)
    rows = list(OutboxMessage.objects.filter(channel=channel))
    announced = sorted(name for row in rows for name in row.details["versions"])
    pending = sorted(
        ModelVersion.objects.filter(workspace=workspace, approval_status="Pending").values_list(
            "version_name", flat=True
        )
    )
    assert announced == pending and pending
    assert {row.kind for row in rows} == {"version.pending"}
    channel_deliver(channel_id=channel.pk)
    messages = webhook_receiver.received
    assert len(rows) > 2 and len(messages) == 1 and messages[0]["payload"]["type"] == "digest"
    assert messages[0]["payload"]["data"]["count"] == len(rows)
    assert set(OutboxMessage.objects.filter(channel=channel).values_list("state", flat=True)) == {"delivered"}
    sync_workspace(workspace=workspace)  # nothing new: nothing more to say
    assert OutboxMessage.objects.filter(channel=channel).count() == len(rows)


def test_a_failed_sync_is_audited_and_told(pai_settings, webhook_receiver, settings):
    settings.PAI_ALLOWED_ENDPOINTS = []  # the emulator is no longer an allowed endpoint: the sync fails
    workspace = Workspace.objects.create(name="NLP", workspace_id=DEMO_WORKSPACE)
    channel = make_channel(workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["sync_failed"])
    with pytest.raises(SyncFailed):
        sync_workspace(workspace=workspace)
    event = AuditEvent.objects.get(action="sync.failed")
    assert event.workspace_id == DEMO_WORKSPACE and event.actor == "system" and event.payload["error"]
    channel_deliver(channel_id=channel.pk)
    message = webhook_receiver.received[0]["payload"]
    assert message["type"] == "sync_failed" and message["data"]["text"].startswith("The sync of NLP failed: ")
