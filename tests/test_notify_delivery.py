"""Notifications to workspace channels: written with their event, signed, delivered exactly once per id.

The receivers are real HTTP servers on loopback; webhook signatures are checked by
the third-party `standardwebhooks` package (tests/fixtures_receivers.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from approvals.models import AuditEvent, DeliveryAttempt, OutboxMessage
from approvals.services.audit import append_event
from approvals.services.channel_delivery import channel_deliver
from tests.factories import make_event, make_model, make_version, make_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET, ChannelReceiver
from tests.notify_helpers import approve_event, deliver_until_done, make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.05
    settings.NOTIFY_RETRY_MAX_DELAY_SECONDS = 1
    settings.NOTIFY_TIMEOUT_SECONDS = 0.5
    settings.DASHBOARD_URL = "https://review.example.com"


@pytest.fixture
def version():
    workspace = make_workspace(name="NLP", workspace_id="118493")
    return make_version(make_model(workspace, model_id="model-qwen", name="qwen-chat"), version_name="1.2.0")


def test_an_approval_is_written_to_the_outbox_with_its_event(version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    event = approve_event(version)
    row = OutboxMessage.objects.get(channel=channel)
    assert (row.event_id, row.seq, row.kind, row.state) == (event.pk, event.seq, "approved", "pending")


def test_an_event_rolled_back_leaves_no_message(version, webhook_receiver):
    make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    with pytest.raises(RuntimeError), transaction.atomic():
        approve_event(version)
        raise RuntimeError("the change fails after its event")
    assert not OutboxMessage.objects.exists()


def test_the_webhook_arrives_signed_as_standard_webhooks_says(version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    approve_event(version, actor="abe")
    channel_deliver(channel_id=channel.pk)
    row = OutboxMessage.objects.get(channel=channel)
    assert webhook_receiver.ids() == [f"msg_{row.pk}"] and not webhook_receiver.refused
    message = webhook_receiver.received[0]["payload"]
    assert message["type"] == "approved" and message["id"] == f"msg_{row.pk}"
    data = message["data"]
    assert data["text"] == "abe approved qwen-chat version 1.2.0 in NLP"
    assert data["url"] == "https://review.example.com/models/model-qwen/versions/1.2.0/"
    assert data["workspace"] == {"id": "118493", "name": "NLP"}
    assert data["audit"]["action"] == "version.approved"
    row.refresh_from_db()
    assert row.state == "delivered" and row.attempts == 1
    attempt = DeliveryAttempt.objects.get(channel=channel)
    assert attempt.ok and attempt.status_code == 200 and attempt.message_id == f"msg_{row.pk}"


def test_a_wrong_secret_is_refused_by_the_receiver_and_recorded(version):
    receiver = ChannelReceiver("webhook").start()
    try:
        other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
        channel = make_channel(version.workspace, receiver.url, secret=other)
        approve_event(version)
        outcome = channel_deliver(channel_id=channel.pk)
    finally:
        receiver.stop()
    assert receiver.refused and not receiver.received
    assert outcome.retry_in is not None
    attempt = DeliveryAttempt.objects.get(channel=channel)
    assert not attempt.ok and attempt.status_code == 401


def test_only_subscribed_channels_of_the_events_workspace_are_told(version, webhook_receiver):
    told = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["approved"])
    deaf = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["rejected"], name="b")
    elsewhere = make_channel(make_workspace(), webhook_receiver.url, secret=WEBHOOK_SECRET, events=["approved"])
    approve_event(version)
    make_event(version, action="version.edited", payload={})  # no notification kind
    assert list(OutboxMessage.objects.values_list("channel_id", flat=True)) == [told.pk]
    assert not OutboxMessage.objects.filter(channel__in=[deaf, elsewhere]).exists()


def test_a_new_pending_version_found_by_sync_is_announced_and_others_are_not(version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["version.pending"])
    approved = make_version(version.model, version_name="1.3.0", approval_status="Approved")
    names = [version.version_name, approved.version_name]
    event = append_event(
        actor="PAI",
        action="pai.created",
        workspace_id=version.workspace.workspace_id,
        model_id=version.model.model_id,
        model_name=version.model.name,
        payload={"versions": names, "new_model": False},
    )
    row = OutboxMessage.objects.get(channel=channel)
    assert row.event_id == event.pk and row.details == {"versions": ["1.2.0"], "count": 1}
    append_event(
        actor="PAI",
        action="pai.created",
        workspace_id=version.workspace.workspace_id,
        model_id=version.model.model_id,
        payload={"versions": ["1.3.0"], "new_model": False},
    )
    assert OutboxMessage.objects.filter(channel=channel).count() == 1
    channel_deliver(channel_id=channel.pk)
    data = webhook_receiver.received[0]["payload"]["data"]
    assert data["text"] == "New version waiting for review: qwen-chat 1.2.0 in NLP"
    assert data["url"].endswith("/models/model-qwen/versions/1.2.0/")


def test_a_mention_reaches_channels_that_asked_for_mentions(version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["mentioned"])
    make_event(
        version, actor="edna", action="comment.created", payload={"comment_id": 1, "text": "fine", "mentions": []}
    )
    assert not OutboxMessage.objects.exists()
    make_event(
        version,
        actor="edna",
        action="comment.created",
        payload={"comment_id": 2, "text": "@abe look", "mentions": ["abe"]},
    )
    channel_deliver(channel_id=channel.pk)
    assert webhook_receiver.received[0]["payload"]["data"]["text"] == (
        "edna commented on qwen-chat version 1.2.0 in NLP: @abe look"
    )


@pytest.mark.parametrize(
    ("action", "payload", "kind"),
    [
        ("review.changes_requested", {"reason": "fix the metrics"}, "changes_requested"),
        ("review.ready", {"requested_by": "abe"}, "ready"),
        ("review.assigned", {"assignee": "abe"}, "assigned"),
        ("review.overdue", {"due_at": "2026-12-01T00:00:00Z"}, "review_overdue"),
        ("version.rejected", {"reason": "worse"}, "rejected"),
        ("version.approvals_dismissed", {}, "approvals_dismissed"),
        ("push.failed", {"error": "InvalidParameter"}, "push_failed"),
        ("push.conflict", {}, "push_conflict"),
    ],
)
def test_each_review_action_becomes_its_kind(version, webhook_receiver, action, payload, kind):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=[kind])
    make_event(version, actor="abe", action=action, payload=payload)
    channel_deliver(channel_id=channel.pk)
    message = webhook_receiver.received[0]["payload"]
    assert message["type"] == kind
    assert "qwen-chat" in message["data"]["text"] and "NLP" in message["data"]["text"]


def test_a_channel_in_chinese_is_told_in_chinese(version, webhook_receiver):
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, language="zh-hans")
    approve_event(version)
    channel_deliver(channel_id=channel.pk)
    assert webhook_receiver.received[0]["payload"]["data"]["text"] == "abe 批准了 NLP 中 qwen-chat 的版本 1.2.0"


@pytest.mark.parametrize("failure", ["500", "429", "hang", "down"])
def test_a_failing_receiver_gets_every_message_exactly_once_after_it_recovers(version, failure, settings):
    receiver = ChannelReceiver("webhook").start()
    port = receiver.port
    channel = make_channel(version.workspace, receiver.url, secret=WEBHOOK_SECRET)
    receiver.mode, receiver.retry_after, receiver.hang_seconds = failure, 1, 1.5
    if failure == "down":
        receiver.stop()
    for _ in range(3):
        approve_event(version)
    outcome = channel_deliver(channel_id=channel.pk)
    assert outcome.retry_in is not None and not receiver.received
    attempt = DeliveryAttempt.objects.get(channel=channel)
    assert not attempt.ok and attempt.error
    if failure == "429":
        assert attempt.status_code == 429 and attempt.retry_in == 1  # Retry-After, not the backoff
    if failure == "hang":
        assert "did not answer within" in attempt.error and attempt.duration_ms < 1400
    if failure == "down":
        receiver = ChannelReceiver("webhook").start(port=port)
    receiver.mode = "ok"
    try:
        deliver_until_done(channel)
    finally:
        receiver.stop()
    rows = list(OutboxMessage.objects.filter(channel=channel).order_by("pk"))
    assert receiver.ids() == [row.message_id for row in rows]  # each once, none lost
    assert all(row.state == "delivered" for row in rows)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0 and channel.failing_since is None


def test_the_backoff_grows_and_a_lost_task_is_found_by_the_sweep(version, webhook_receiver):
    from approvals.services.outbox import destinations_owed

    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    webhook_receiver.mode = "500"
    approve_event(version)
    channel_deliver(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.next_attempt_at > timezone.now() and channel.consecutive_failures == 1
    assert destinations_owed()[0] == []  # not yet due
    type(channel).objects.filter(pk=channel.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert destinations_owed()[0] == [channel.pk]


def test_a_burst_becomes_one_digest_with_a_stable_id(version, webhook_receiver, settings):
    settings.NOTIFY_DIGEST_THRESHOLD = 3
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    for _ in range(5):
        approve_event(version)
    webhook_receiver.mode = "500"
    channel_deliver(channel_id=channel.pk)
    webhook_receiver.mode = "ok"
    more = approve_event(version)  # arrives after the digest was formed: not in it
    deliver_until_done(channel)
    rows = list(OutboxMessage.objects.filter(channel=channel).order_by("pk"))
    digest = webhook_receiver.received[0]["payload"]
    assert webhook_receiver.ids() == [rows[0].message_id, rows[5].message_id]
    assert digest["type"] == "digest" and digest["data"]["count"] == 5
    assert [e["id"] for e in digest["data"]["events"]] == [r.message_id for r in rows[:5]]
    assert rows[5].event_id == more.pk and webhook_receiver.received[1]["payload"]["type"] == "approved"
    attempts = DeliveryAttempt.objects.filter(channel=channel).order_by("pk")
    assert [(a.message_id, a.messages, a.ok) for a in attempts] == [
        (rows[0].message_id, 5, False),
        (rows[0].message_id, 5, True),
        (rows[5].message_id, 1, True),
    ]


def test_a_channel_failing_for_a_day_is_paused_and_staff_are_told(version, webhook_receiver, settings, mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.com")]
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET)
    webhook_receiver.mode = "500"
    approve_event(version)
    channel_deliver(channel_id=channel.pk)
    type(channel).objects.filter(pk=channel.pk).update(
        failing_since=timezone.now() - dt.timedelta(hours=25), next_attempt_at=None
    )
    outcome = channel_deliver(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.paused_at is not None and "HTTP 500" in channel.paused_reason and outcome.retry_in is None
    assert AuditEvent.objects.filter(action="channel.paused", payload__channel_id=channel.pk).exists()
    assert mailoutbox and "paused" in mailoutbox[0].subject and mailoutbox[0].to == ["ops@example.com"]
    assert channel_deliver(channel_id=channel.pk).sent == 0  # paused: nothing is tried
    approve_event(version)  # still written: nothing is missing once resumed
    from approvals.services.channels import channel_resume
    from tests.notify_helpers import staff_user

    webhook_receiver.mode = "ok"
    channel_resume(channel=channel, user=staff_user())
    deliver_until_done(channel)
    assert len(webhook_receiver.unique()) == 2


def test_a_model_with_thousands_of_new_pending_versions_names_some_and_counts_all(version, webhook_receiver):
    from approvals.services.notification_kinds import MAX_NAMED_VERSIONS
    from tests.factories import make_versions

    make_versions(version.model, MAX_NAMED_VERSIONS + 5)
    names = list(version.model.versions.values_list("version_name", flat=True))
    channel = make_channel(version.workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["version.pending"])
    append_event(
        actor="PAI",
        action="pai.created",
        workspace_id=version.workspace.workspace_id,
        model_id=version.model.model_id,
        model_name=version.model.name,
        payload={"versions": names, "new_model": True},
    )
    channel_deliver(channel_id=channel.pk)
    data = webhook_receiver.received[0]["payload"]["data"]
    assert data["count"] == len(names) and len(data["versions"]) == MAX_NAMED_VERSIONS
    assert data["text"].endswith("… in NLP") and data["url"].endswith("/models/model-qwen/")
