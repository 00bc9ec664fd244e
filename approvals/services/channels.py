"""Workspace notification channels: staff save, test, resume and delete them, audited.

The URL and the secret are write-only: they are checked, encrypted (services/secret_box.py)
and never shown again; the audit log and the pages get the URL with its tokens masked.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from approvals import tasks
from approvals.errors import ApplicationError
from approvals.models import ChannelType, NotificationChannel
from approvals.pai.endpoints import endpoint_allowed
from approvals.services import audit_events_channels, secret_box
from approvals.services.channel_transports import WHSEC_PREFIX
from approvals.services.destinations import redact_url, url_refusal
from approvals.services.notification_kinds import SUBSCRIBABLE

# Each robot lives on its vendor's host; anything else must be listed in NOTIFY_ALLOWED_URLS.
ROBOT_HOSTS = {
    ChannelType.DINGTALK: ("oapi.dingtalk.com",),
    ChannelType.WECOM: ("qyapi.weixin.qq.com",),
    ChannelType.LARK: ("open.feishu.cn", "open.larksuite.com"),
}
MAX_SECRET_CHARS = 200


def _url_problem(channel_type: str, url: str) -> str | None:
    refusal = url_refusal(url)
    if refusal or channel_type not in ROBOT_HOSTS:
        return refusal
    parts = urlsplit(url.strip())
    if (parts.hostname or "").lower() in ROBOT_HOSTS[channel_type]:
        return None
    if endpoint_allowed(f"{parts.scheme}://{parts.netloc}", settings.NOTIFY_ALLOWED_URLS):
        return None
    return _("This robot's URL must be on %(hosts)s.") % {"hosts": ", ".join(ROBOT_HOSTS[channel_type])}


def _secret_problem(channel_type: str, secret: str) -> str | None:
    if len(secret) > MAX_SECRET_CHARS:
        return _("The secret is too long.")
    if channel_type == ChannelType.WEBHOOK:
        if not secret:
            return _("A webhook needs a signing secret: whsec_ followed by 24 to 64 random bytes in base64.")
        raw = secret.removeprefix(WHSEC_PREFIX)
        try:
            decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not secret.startswith(WHSEC_PREFIX) or not 24 <= len(decoded) <= 64:
            return _("The secret must be whsec_ followed by 24 to 64 random bytes in base64.")
    if channel_type == ChannelType.WECOM and secret:
        return _("WeCom robots have no secret: the key is part of their URL.")
    if channel_type == ChannelType.DINGTALK and secret and not secret.startswith("SEC"):
        return _("A DingTalk robot's signing secret starts with SEC.")
    return None


def channel_problems(*, channel_type: str, url: str | None, secret: str | None, events: Any) -> dict[str, str]:
    """What is wrong with these settings, by field (url and secret None: kept as stored)."""
    problems: dict[str, str] = {}
    if channel_type not in ChannelType.values:
        problems["channel_type"] = _("Choose a channel type.")
        return problems
    if url is not None and (problem := _url_problem(channel_type, url)):
        problems["url"] = problem
    if secret is not None and (problem := _secret_problem(channel_type, secret)):
        problems["secret"] = problem
    if not isinstance(events, list) or not events:
        problems["events"] = _("Choose at least one kind of event.")
    elif unknown := [e for e in events if e not in SUBSCRIBABLE]:
        problems["events"] = _("Unknown kinds of event: %(kinds)s.") % {"kinds": ", ".join(map(str, unknown))}
    return problems


def channel_save(
    *, channel: NotificationChannel, url: str | None, secret: str | None, user: Any, client_ip: str | None = None
) -> NotificationChannel:
    """Create or change a channel; url and secret None keep the stored ones. Audited without them."""
    created = channel.pk is None
    stored_type = (
        None
        if created
        else NotificationChannel.objects.filter(pk=channel.pk).values_list("channel_type", flat=True).first()
    )
    # A new channel, or one changed to another type, needs its URL again and keeps no old secret.
    if created or stored_type != channel.channel_type:
        if not url:
            raise ApplicationError(_("Enter the channel's URL."), field="url")
        secret = secret or ""
    problems = channel_problems(channel_type=channel.channel_type, url=url, secret=secret, events=channel.events)
    if problems:
        field, message = next(iter(problems.items()))
        raise ApplicationError(message, field=field)
    changed = ["url"] if url is not None else []
    changed += ["secret"] if secret is not None and not created else []
    with transaction.atomic():
        if not created:
            before = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
            changed += [
                f
                for f in ("name", "channel_type", "events", "language", "enabled")
                if getattr(before, f) != getattr(channel, f)
            ]
        if url is not None:
            shown = redact_url(url)
            limit = NotificationChannel._meta.get_field("url_shown").max_length
            channel.url_ciphertext = secret_box.encrypt(url.strip())
            channel.url_shown = shown if len(shown) <= limit else shown[: limit - 1] + "…"
        if secret is not None:
            channel.secret_ciphertext = secret_box.encrypt(secret)
        channel.save()
        audit_events_channels.channel_saved(channel, user=user, created=created, changed=changed, client_ip=client_ip)
    return channel


def channel_test_request(*, channel: NotificationChannel, user: Any, client_ip: str | None = None) -> None:
    """Queue a test message to this channel, through the outbox like every other message."""
    if not channel.enabled or channel.paused_at:
        raise ApplicationError(
            _("The channel %(name)s is disabled or paused; resume it first.") % {"name": channel.name}
        )
    with transaction.atomic():
        audit_events_channels.channel_test(channel, user=user, client_ip=client_ip)


def channel_resume(*, channel: NotificationChannel, user: Any, client_ip: str | None = None) -> None:
    """Deliver again to a paused channel: what it missed is pending still."""
    with transaction.atomic():
        NotificationChannel.objects.filter(pk=channel.pk).update(
            paused_at=None, paused_reason="", failing_since=None, consecutive_failures=0, next_attempt_at=None
        )
        audit_events_channels.channel_resumed(channel, user=user, client_ip=client_ip)
        transaction.on_commit(lambda: tasks.deliver_channel.delay(channel.pk), robust=True)


def channel_delete(*, channel: NotificationChannel, user: Any, client_ip: str | None = None) -> None:
    with transaction.atomic():
        audit_events_channels.channel_deleted(channel, user=user, client_ip=client_ip)
        channel.delete()


def channel_secrets_rotate(*, by: str) -> int:
    """Encrypt every channel's URL and secret again under the current (first) key; returns how many."""
    rotated = 0
    with transaction.atomic():
        for channel in NotificationChannel.objects.select_for_update().order_by("pk"):
            channel.url_ciphertext = secret_box.rotate(channel.url_ciphertext)
            channel.secret_ciphertext = secret_box.rotate(channel.secret_ciphertext)
            channel.save(update_fields=["url_ciphertext", "secret_ciphertext"])
            rotated += 1
        audit_events_channels.channel_secrets_rotated(by=by, channels=rotated)
    return rotated
