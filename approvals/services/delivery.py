"""Delivering to one destination at a time: a lease, backoff with jitter, attempts as rows.

A destination (a channel, or an audit stream sink) is claimed with a conditional
UPDATE that sets a lease, committed before any HTTP call, so one delivery is in
flight per destination and a claim left by a killed worker expires. Failures back
off exponentially with jitter, or as long as the receiver's Retry-After says.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Model, Q
from django.utils import timezone

from approvals.models import DeliveryAttempt, OutboxMessage, OutboxState
from approvals.services.http_send import Answer

# However long a receiver asks us to wait, we try again within a day.
MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60
# The task comes back this much after the destination is due, so its claim is never early.
# A task that finds its destination not due (or held) does nothing: the one that failed
# comes back, and beat's sweep finds any destination that is owed and due.
COME_BACK_MARGIN_SECONDS = 0.5


@dataclass(frozen=True)
class Outcome:
    sent: int
    retry_in: float | None = None  # None: nothing left to do now


def new_owner() -> str:
    return uuid.uuid4().hex


def claim(model: type[Model], pk: int, owner: str, **conditions: Any) -> bool:
    """Take the destination's lease if nobody holds it and its next attempt is due."""
    now = timezone.now()
    return (
        model.objects.filter(pk=pk, **conditions)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(lease_owner=owner, lease_expires_at=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS))
        == 1
    )


def renew(model: type[Model], pk: int, owner: str) -> None:
    expires = timezone.now() + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
    model.objects.filter(pk=pk, lease_owner=owner).update(lease_expires_at=expires)


def release(model: type[Model], pk: int, owner: str, **values: Any) -> None:
    model.objects.filter(pk=pk, lease_owner=owner).update(lease_owner="", lease_expires_at=None, **values)


def backoff_seconds(failures: int, retry_after: float | None) -> float:
    """Exponential with full jitter over its upper half; a receiver's Retry-After wins."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), MAX_RETRY_AFTER_SECONDS)
    ceiling = min(settings.NOTIFY_RETRY_MAX_DELAY_SECONDS, settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (failures - 1))
    return random.uniform(ceiling / 2, ceiling)


def success_values() -> dict[str, Any]:
    return {"consecutive_failures": 0, "failing_since": None, "next_attempt_at": None, "last_error": ""}


def failure_values(state: Any, answer: Answer, now: datetime) -> tuple[dict[str, Any], float]:
    failures = state.consecutive_failures + 1
    delay = backoff_seconds(failures, answer.retry_after)
    values = {
        "consecutive_failures": failures,
        "failing_since": state.failing_since or now,
        "next_attempt_at": now + timedelta(seconds=delay),
        "last_error": answer.error,
    }
    return values, delay


def record(
    rows: list[OutboxMessage], answer: Answer, *, retry_in: float | None, channel: Any = None, sink: str = ""
) -> DeliveryAttempt:
    """The attempt as a row; on success its messages are delivered."""
    ids = [row.pk for row in rows]
    OutboxMessage.objects.filter(pk__in=ids).update(attempts=rows[0].attempts + 1)
    if answer.ok:
        OutboxMessage.objects.filter(pk__in=ids, state=OutboxState.PENDING).update(
            state=OutboxState.DELIVERED, delivered_at=timezone.now()
        )
    return DeliveryAttempt.objects.create(
        channel=channel,
        sink=sink,
        message_id=f"msg_{ids[0]}",
        messages=len(ids),
        ok=answer.ok,
        status_code=answer.status_code,
        error=answer.error,
        duration_ms=answer.duration_ms,
        retry_in=None if retry_in is None else int(retry_in),
    )
