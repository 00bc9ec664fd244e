"""The outbox: every message that leaves the dashboard, written with the event that causes it.

`append_event` (services/audit.py) calls `enqueue_for` inside the caller's
transaction: one row per workspace channel subscribed to the event's kind, one row
per configured audit stream sink (every event). The delivery tasks are queued on
commit; the beat's sweep queues every destination still owed something, so a
message lost by the broker is delivered anyway (docs/architecture.md, invariant 10).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals import tasks
from approvals.models import (
    AuditEvent,
    AuditStreamSink,
    EventKind,
    NotificationChannel,
    OutboxMessage,
    OutboxState,
)
from approvals.services.notification_kinds import ACTION_KINDS, notifications_for

AUDIT_KIND = "audit"
HTTP_SINK, SYSLOG_SINK = "http", "syslog"


def stream_sinks() -> list[str]:
    """The audit stream sinks the settings name (not the checkpoint sinks of services/audit_sinks.py)."""
    return [
        name
        for name, configured in ((HTTP_SINK, settings.AUDIT_STREAM_URL), (SYSLOG_SINK, settings.AUDIT_SYSLOG_ADDRESS))
        if configured
    ]


def _channels_told(event: AuditEvent) -> list[tuple[NotificationChannel, str, dict]]:
    """(channel, kind, details) of each message the event owes a channel: one per channel, but for
    a sync's `pai.created` about several models, one per model and channel."""
    kind = ACTION_KINDS.get(event.action)
    if kind is None or not event.workspace_id:
        return []
    # Paused channels keep receiving rows: once staff resume them, nothing is missing.
    channels = NotificationChannel.objects.filter(workspace__workspace_id=event.workspace_id, enabled=True)
    if kind == EventKind.TEST:
        channels = channels.filter(pk=(event.payload or {}).get("channel_id"))
    # A comment may be a mention too; the test goes to its channel whatever it subscribes to.
    possible = {kind, EventKind.MENTIONED} if kind == EventKind.COMMENT else {kind}
    candidates = [c for c in channels.only("pk", "events") if kind == EventKind.TEST or possible & set(c.events or [])]
    # Only when a channel may hear of it: what it says may take a query (which versions are Pending).
    notes = notifications_for(event) if candidates else []
    return [
        (c, note.kind, note.details)
        for note in notes
        for c in candidates
        if kind == EventKind.TEST or note.matches & set(c.events or [])
    ]


def enqueue_for(event: AuditEvent) -> int:
    """Write the outbox rows `event` causes; call inside its transaction. Returns how many."""
    told = _channels_told(event)
    sinks = stream_sinks()
    rows = [
        OutboxMessage(event=event, seq=event.seq, channel=c, kind=kind, details=details) for c, kind, details in told
    ]
    rows += [OutboxMessage(event=event, seq=event.seq, sink=sink, kind=AUDIT_KIND) for sink in sinks]
    if not rows:
        return 0
    OutboxMessage.objects.bulk_create(rows)
    channel_ids = list(dict.fromkeys(c.pk for c, _kind, _details in told))

    def send() -> None:
        for channel_id in channel_ids:
            # A short wait lets a burst gather into one digest.
            tasks.deliver_channel.apply_async((channel_id,), countdown=settings.NOTIFY_COALESCE_SECONDS)
        for sink in sinks:
            tasks.deliver_audit_stream.delay(sink)

    # robust: a broker that is down must not fail what was committed; the sweep sends it later.
    transaction.on_commit(send, robust=True)
    return len(rows)


def destinations_owed() -> tuple[list[int], list[str]]:
    """Channels and sinks with pending messages that are due and not being delivered now."""
    now = timezone.now()
    due = (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )
    pending = OutboxMessage.objects.filter(state=OutboxState.PENDING)
    channel_ids = list(
        NotificationChannel.objects.filter(due, enabled=True, paused_at__isnull=True)
        .filter(pk__in=pending.filter(channel__isnull=False).values("channel_id"))
        .values_list("pk", flat=True)
    )
    owed_sinks = set(pending.filter(sink__in=stream_sinks()).values_list("sink", flat=True).distinct())
    busy = set(AuditStreamSink.objects.filter(name__in=owed_sinks).exclude(due).values_list("name", flat=True))
    return channel_ids, sorted(owed_sinks - busy)
