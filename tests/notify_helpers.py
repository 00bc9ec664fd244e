"""Channels and events for the notification tests."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model

from approvals.models import ModelVersion, NotificationChannel, OutboxMessage, Workspace
from approvals.services.channel_delivery import channel_deliver
from approvals.services.channels import channel_save
from tests.factories import make_event, make_user


def staff_user() -> Any:
    return get_user_model().objects.filter(username="ops").first() or make_user("ops", staff=True)


def make_channel(
    workspace: Workspace,
    url: str,
    *,
    channel_type: str = "webhook",
    secret: str = "",
    events: list[str] | None = None,
    language: str = "en",
    name: str = "",
) -> NotificationChannel:
    channel = NotificationChannel(
        workspace=workspace,
        name=name or f"{channel_type} channel",
        channel_type=channel_type,
        events=events or ["approved", "version.pending", "comment", "rejected"],
        language=language,
    )
    return channel_save(channel=channel, url=url, secret=secret, user=staff_user())


def approve_event(version: ModelVersion, actor: str = "abe") -> Any:
    return make_event(version, actor=actor, action="version.approved", payload={"revision": 1})


def deliver_until_done(channel: NotificationChannel, *, timeout: float = 10) -> None:
    """Run the delivery as the task would, coming back after each backoff, until nothing is pending."""
    deadline = time.monotonic() + timeout
    while OutboxMessage.objects.filter(channel=channel, state="pending").exists():
        assert time.monotonic() < deadline, "the channel's messages were not delivered in time"
        outcome = channel_deliver(channel_id=channel.pk)
        if outcome.retry_in:
            time.sleep(min(outcome.retry_in, 0.5))
