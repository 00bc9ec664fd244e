"""The push pipeline: bring PAI up to the newest accepted revision of a version.

A push claims the version with a lease (a conditional UPDATE committed before
any HTTP call), reads the version from PAI to detect changes made elsewhere,
sends every field changed since the last successful push as of the newest
revision, and records the outcome. A decision is a barrier: PAI first receives
exactly the decided revision's content with the decision, after checking that
PAI holds nothing else (services/withdrawal.py otherwise), and later edits in
later pushes. No transaction stays open across a call to
PAI; a claim left by a killed worker expires. A late or duplicate push finds
nothing to do, so deliveries can repeat and arrive out of order.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from approvals import tasks
from approvals.fields import ATTRS, CONTENT_NAMES, SEPARATELY_PUSHED
from approvals.models import Change, ModelVersion, PushState
from approvals.pai.errors import PaiError, PaiThrottled
from approvals.pai_clients import client_for
from approvals.services import audit_events, push_rows
from approvals.services.label_push import labels_changed_elsewhere, labels_send
from approvals.services.unpushed import FieldTrail, PushPlan, oldest_unpushed_at, push_plan
from approvals.services.withdrawal import withdraw_decision
from approvals.sync.mapping import version_value


@dataclass(frozen=True)
class PushOutcome:
    state: str
    retry_in: float | None = None  # seconds, when the caller should try again


def retry_delay(attempt: int, *, at_least: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; never sooner than PAI asked."""
    cap = min(settings.PUSH_RETRY_MAX_DELAY_SECONDS, 2 ** min(attempt, 20))
    return max(random.uniform(cap / 2, cap), at_least or 0)


def _claim(version_id: int, token: str) -> ModelVersion | None:
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.PUSH_LEASE_SECONDS)
    return push_rows.claim(version_id, token, now=now, expires_at=expires_at)


def _given_up(version: ModelVersion) -> bool:
    oldest = oldest_unpushed_at(version)
    limit = timedelta(seconds=settings.PUSH_GIVE_UP_AFTER_SECONDS)
    return oldest is not None and timezone.now() - oldest > limit


def _content_differences(plan: PushPlan, theirs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Before a decision: every content field PAI holds that is not what the approver saw (and we do not send)."""
    return {
        name: {"base": value, "theirs": theirs[name], "yours": value}
        for name, value in plan.content.items()
        if name not in plan.trails and theirs[name] != value
    }


def _changed_elsewhere(name: str, trail: FieldTrail, theirs: Any) -> bool:
    """PAI holds a value of the field that is neither its base nor one of ours: someone else changed it."""
    if name == "Labels":
        return labels_changed_elsewhere(trail, theirs)
    return theirs != trail.base and theirs not in trail.ours


def push_version(*, version_id: int) -> PushOutcome:
    token = uuid.uuid4().hex
    version = _claim(version_id, token)  # the lease and the row in one statement
    if version is None:
        return PushOutcome("nothing to do")
    plan = push_plan(version, CONTENT_NAMES, ATTRS)
    ours = plan.values
    try:
        # Inside the try: an endpoint that is not allowed is a permanent failure, recorded.
        client = client_for(version.workspace)
        remote = client.get_model_version(version.model.model_id, version.version_name)
        # Compared as the dashboard stores values, so a field PAI leaves out or nulls equals an empty one.
        theirs = {f: version_value(f, remote.get(f)) for f in {*plan.trails, *plan.content}}
        conflicts = {
            f: {"base": t.base, "theirs": theirs[f], "yours": ours[f]}
            for f, t in plan.trails.items()
            if _changed_elsewhere(f, t, theirs[f])
        }
        if conflicts:
            return _finish(version, token, PushState.CONFLICT, conflict=conflicts)
        if plan.decision and (differences := _content_differences(plan, theirs)):
            # Changed in PAI since the last sync: the approver never saw this. Nothing is sent.
            withdrawn = withdraw_decision(version, token, differences)
            return PushOutcome(PushState.CONFLICT if withdrawn else "lease lost")
        # A field PAI already holds (an earlier push that timed out after applying) need not go again.
        to_send = {f: v for f, v in ours.items() if theirs[f] != v}
        key = (version.model.model_id, version.version_name)
        request_id = ""
        # Labels first: a decision in the same push is final in PAI, so it goes last, after the content.
        if "Labels" in to_send:
            request_id = labels_send(client, *key, theirs["Labels"], to_send["Labels"])
        update = {f: v for f, v in to_send.items() if f not in SEPARATELY_PUSHED}
        if update:
            request_id = client.update_model_version(*key, update)
    except PaiError as exc:
        if exc.retryable and not _given_up(version):
            at_least = exc.retry_after if isinstance(exc, PaiThrottled) else None
            delay = retry_delay(version.push_attempts + 1, at_least=at_least)
            _finish(version, token, PushState.RETRYING, error=str(exc), hold_for=delay)
            return PushOutcome(PushState.RETRYING, retry_in=delay)
        return _finish(version, token, PushState.FAILED, error=str(exc))
    return _finish(
        version, token, PushState.DONE, revision=plan.target, request_id=request_id or remote.get("RequestId", "")
    )


def _finish(
    version: ModelVersion,
    token: str,
    state: str,
    *,
    revision: int | None = None,
    request_id: str = "",
    error: str = "",
    conflict: dict[str, Any] | None = None,
    hold_for: float = 0,
) -> PushOutcome:
    now = timezone.now()
    # Backoff: no claim (and no sweep) before the retry is due; a little early so the
    # scheduled retry itself is never refused.
    values: dict[str, Any] = {"lease_expires_at": now + timedelta(seconds=hold_for * 0.9) if hold_for else None}
    if state == PushState.DONE:
        # An edit accepted while we pushed is still owed to PAI: queued, not done.
        values |= {"pushed_revision": revision, "pushed_at": now, "push_error": "", "push_attempts": 0}
        values |= {"last_request_id": request_id, "conflict": {}, "push_state": (PushState.DONE, revision)}
    else:
        values |= {"push_state": state, "push_error": error}
        if conflict is not None:
            values["conflict"] = conflict
    with transaction.atomic():
        row = push_rows.record(version.pk, token, values, count_attempt=state != PushState.DONE)
        if row is None:
            # Our lease expired and another worker took over; its outcome counts.
            return PushOutcome("lease lost")
        if state == PushState.DONE:
            Change.objects.filter(version_id=version.pk, revision__lte=revision, pushed_at__isnull=True).update(
                pushed_at=now, push_request_id=request_id
            )
        # Every attempt's outcome is audited, retries included.
        audit_events.push_outcome(
            version,
            state=state,
            payload={
                "revision": revision or row.revision,
                **({"attempt": row.push_attempts} if state != PushState.DONE else {}),
                **({"request_id": request_id} if request_id else {}),
                **({"error": error} if error else {}),
                **({"conflict": conflict} if conflict else {}),
            },
        )
        if row.push_state == PushState.QUEUED:
            transaction.on_commit(lambda: tasks.push_version.delay(version.pk), robust=True)
    return PushOutcome(state)


def overdue_versions(*, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Versions owed a push for longer than `older_than` with no live claim: a broker
    that was down at commit time, or a lost task, leaves these behind."""
    now = timezone.now()
    return list(
        ModelVersion.objects.filter(revision__gt=F("pushed_revision"), revision_changed_at__lt=now - older_than)
        .exclude(push_state__in=(PushState.FAILED, PushState.CONFLICT))
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .values_list("pk", flat=True)[:1000]
    )
