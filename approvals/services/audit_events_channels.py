"""The audit events of notification channels: never their URL or secret, only what pages may show.

Named helpers as in services/audit_events.py, each appending inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from approvals.models import AuditEvent
from approvals.services.audit import append_event
from approvals.services.audit_events import SYSTEM


def _about_channel(
    channel: Any, *, actor: str, action: str, payload: dict[str, Any], client_ip: str | None
) -> AuditEvent:
    return append_event(
        actor=actor,
        action=action,
        workspace_id=channel.workspace.workspace_id,
        payload={"channel_id": channel.pk, "channel": channel.name, **payload},
        client_ip=client_ip,
    )


def channel_saved(
    channel: Any, *, user: Any, created: bool, changed: list[str], client_ip: str | None = None
) -> AuditEvent:
    payload = {"type": channel.channel_type, "url": channel.url_shown, "events": channel.events, "changed": changed}
    action = "channel.created" if created else "channel.changed"
    return _about_channel(channel, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def channel_deleted(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    return _about_channel(channel, actor=user.get_username(), action="channel.deleted", payload={}, client_ip=client_ip)


def channel_test(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    """channel.test: a staff member asked for a test message; the outbox sends it to this channel only."""
    return _about_channel(channel, actor=user.get_username(), action="channel.test", payload={}, client_ip=client_ip)


def channel_paused(channel: Any, *, reason: str) -> AuditEvent:
    return _about_channel(channel, actor=SYSTEM, action="channel.paused", payload={"reason": reason}, client_ip=None)


def channel_resumed(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    return _about_channel(channel, actor=user.get_username(), action="channel.resumed", payload={}, client_ip=client_ip)


def channel_secrets_rotated(*, by: str, channels: int) -> AuditEvent:
    """channel.secrets_rotated: every channel's URL and secret encrypted again under the current key."""
    return append_event(actor=by, action="channel.secrets_rotated", payload={"channels": channels})
