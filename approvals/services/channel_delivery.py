"""Delivering a channel's pending messages: one at a time, or a burst as one digest.

Each task takes the channel's lease, sends the oldest pending message (or, with
more than NOTIFY_DIGEST_THRESHOLD pending, a digest of them), records the attempt,
and goes on until nothing is left or an attempt fails; then it backs off. A channel
failing without a success for NOTIFY_PAUSE_AFTER_SECONDS is paused and staff are told.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.display.channel_messages import Message, digest_for, message_for
from approvals.errors import ApplicationError
from approvals.models import NotificationChannel, OutboxMessage, OutboxState
from approvals.services import audit_events_channels, delivery, secret_box
from approvals.services.channel_transports import outgoing, robot_verdict
from approvals.services.destinations import secret_pieces, url_refusal
from approvals.services.http_send import Answer, post

logger = logging.getLogger(__name__)

# Sends per task; then the task queues itself again, so one busy channel does not hold a worker.
SENDS_PER_TASK = 20


def _next_batch(channel: NotificationChannel) -> list[OutboxMessage]:
    """The digest already formed, or a new one for a burst, or the oldest pending message."""
    pending = OutboxMessage.objects.filter(channel=channel, state=OutboxState.PENDING).select_related("event")
    formed = pending.filter(digest_id__isnull=False).order_by("id").values_list("digest_id", flat=True).first()
    if formed is None:
        ids = list(pending.order_by("id").values_list("id", flat=True)[: settings.NOTIFY_DIGEST_MAX])
        if len(ids) <= settings.NOTIFY_DIGEST_THRESHOLD:
            return list(pending.order_by("id")[:1])
        # Kept on the rows: a digest retried is the same digest, with the same message id.
        pending.filter(pk__in=ids).update(digest_id=ids[0])
        formed = ids[0]
    return list(pending.filter(digest_id=formed).order_by("id"))


def _payload_about(row: OutboxMessage) -> Any:
    """The event's payload, or for a message about one model of a sync's page, that model's part."""
    payload = row.event.payload
    model_id = row.details.get("model_id")
    if model_id and isinstance(payload, dict) and isinstance(payload.get("models"), dict):
        return payload["models"].get(model_id, {})
    return payload


def _event_data(row: OutboxMessage, message: Message, workspace: Any) -> dict[str, Any]:
    event = row.event
    return {
        "id": row.message_id,
        "type": row.kind,
        "timestamp": event.created_at.isoformat(),
        "data": {
            "text": message.text,
            "url": message.url,
            "actor": event.actor,
            "workspace": {"id": workspace.workspace_id, "name": workspace.name},
            # A sync's event about a page of models gives each model its message (details name it).
            "model": {
                "id": row.details.get("model_id") or event.model_id,
                "name": row.details.get("model_name") or event.model_name,
            },
            "version": event.version_name,
            **(
                {"versions": row.details["versions"], "count": row.details.get("count")}
                if row.details.get("versions")
                else {}
            ),
            "audit": {"seq": event.seq, "action": event.action},
            "details": _payload_about(row),
        },
    }


def _payload_and_message(channel: NotificationChannel, rows: list[OutboxMessage]) -> tuple[dict, Message]:
    workspace = channel.workspace
    messages = [
        message_for(r.event, r.kind, r.details, workspace=workspace.name, language=channel.language) for r in rows
    ]
    if len(rows) == 1 and rows[0].digest_id is None:
        return _event_data(rows[0], messages[0], workspace), messages[0]
    digest = digest_for(messages, workspace=workspace.name, language=channel.language)
    payload = {
        "id": rows[0].message_id,
        "type": "digest",
        "timestamp": rows[0].created_at.isoformat(),
        "data": {
            "text": digest.text,
            "title": digest.title,
            "url": digest.url,
            "count": len(rows),
            "workspace": {"id": workspace.workspace_id, "name": workspace.name},
            "events": [_event_data(r, m, workspace) for r, m in zip(rows, messages, strict=True)],
        },
    }
    return payload, digest


def _send(channel: NotificationChannel, rows: list[OutboxMessage], url: str, secret: str) -> Answer:
    refusal = url_refusal(url)
    if refusal:
        return Answer(False, None, refusal, 0)
    payload, message = _payload_and_message(channel, rows)
    request = outgoing(
        channel.channel_type,
        url=url,
        secret=secret,
        message_id=rows[0].message_id,
        payload=payload,
        message=message,
        language=channel.language,
    )
    answer = post(request.url, request.body, request.headers, secrets=secret_pieces(url, secret))
    return robot_verdict(channel.channel_type, answer)


def _pause(channel: NotificationChannel, error: str) -> dict[str, Any]:
    reason = _("Paused after failing since %(since)s: %(error)s") % {
        "since": channel.failing_since.isoformat(timespec="seconds") if channel.failing_since else "?",
        "error": error,
    }
    with transaction.atomic():
        audit_events_channels.channel_paused(channel, reason=reason)
    subject = f"Notification channel paused: {channel.name} ({channel.workspace.workspace_id})"
    # A mail server that is down must not stop the pause: the audit event and the admin's banner say it too.
    mail_admins(
        subject, reason + "\n\nResume it in the admin's notification channels once it is fixed.", fail_silently=True
    )
    logger.warning("channel %s paused: %s", channel.pk, reason)
    return {"paused_at": timezone.now(), "paused_reason": reason}


def channel_deliver(*, channel_id: int) -> delivery.Outcome:
    """Send what the channel is owed, until done or an attempt fails; say when to come back."""
    owner = delivery.new_owner()
    if not delivery.claim(NotificationChannel, channel_id, owner, enabled=True, paused_at__isnull=True):
        return delivery.Outcome(0)
    values: dict[str, Any] = {}
    sent = 0
    try:
        channel = NotificationChannel.objects.select_related("workspace").get(pk=channel_id)
        try:
            url, secret = secret_box.decrypt(channel.url_ciphertext), secret_box.decrypt(channel.secret_ciphertext)
        except ApplicationError as exc:
            url, secret, key_error = "", "", exc.message
        else:
            key_error = ""
        for _round in range(SENDS_PER_TASK):
            rows = _next_batch(channel)
            if not rows:
                return delivery.Outcome(sent)
            answer = Answer(False, None, key_error, 0) if key_error else _send(channel, rows, url, secret)
            now = timezone.now()
            if answer.ok:
                delivery.record(rows, answer, retry_in=None, channel=channel)
                values = delivery.success_values()
                channel.consecutive_failures, channel.failing_since = 0, None
                sent += len(rows)
                delivery.renew(NotificationChannel, channel_id, owner)
                continue
            values, delay = delivery.failure_values(channel, answer, now)
            channel.failing_since = values["failing_since"]
            if now - channel.failing_since >= timedelta(seconds=settings.NOTIFY_PAUSE_AFTER_SECONDS):
                values |= _pause(channel, answer.error)
                delivery.record(rows, answer, retry_in=None, channel=channel)
                return delivery.Outcome(sent)
            delivery.record(rows, answer, retry_in=delay, channel=channel)
            return delivery.Outcome(sent, retry_in=delay + delivery.COME_BACK_MARGIN_SECONDS)
        return delivery.Outcome(sent, retry_in=0)
    finally:
        delivery.release(NotificationChannel, channel_id, owner, **values)
