"""The push pipeline: bring PAI up to the newest accepted revision of a version.

A push claims the version with a lease (a conditional UPDATE committed before
any HTTP call), reads the version from PAI to detect changes made elsewhere,
sends every field changed since the last successful push as of the newest
revision, and records the outcome. No transaction stays open across a call to
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
from approvals.models import UPDATABLE_ATTRS, Change, ChangeKind, ModelVersion, PushState
from approvals.pai.errors import PaiError, PaiThrottled
from approvals.pai_clients import client_for
from approvals.services import audit
from approvals.sync.mapping import version_value


@dataclass(frozen=True)
class PushOutcome:
    state: str
    retry_in: float | None = None  # seconds, when the caller should try again


def retry_delay(attempt: int, *, at_least: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; never sooner than PAI asked."""
    cap = min(settings.PUSH_RETRY_MAX_DELAY_SECONDS, 2 ** min(attempt, 20))
    return max(random.uniform(cap / 2, cap), at_least or 0)


def _claim(version_id: int, token: str) -> bool:
    now = timezone.now()
    claimed = (
        ModelVersion.objects.filter(pk=version_id, revision__gt=F("pushed_revision"))
        .exclude(push_state__in=(PushState.FAILED, PushState.CONFLICT))
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .update(
            lease_owner=token,
            lease_expires_at=now + timedelta(seconds=settings.PUSH_LEASE_SECONDS),
            push_state=PushState.PUSHING,
        )
    )
    return claimed == 1


def _pending(version: ModelVersion) -> dict[str, list[Any]]:
    """{field: [base, *ours]} for every field changed since the last successful push.

    base is what PAI held before the earliest unpushed change to it; ours are the
    values those changes set, any of which an earlier attempt may have written
    (applied, then a timeout or a killed worker), so PAI holding one is no conflict.
    """
    known: dict[str, list[Any]] = {}
    changes = Change.objects.filter(version=version, revision__gt=version.pushed_revision).order_by("revision")
    for change in changes.only("fields", "kind"):
        for field, (before, after) in change.fields.items():
            if change.kind == ChangeKind.RESOLUTION or field not in known:
                # A resolution: a person saw PAI's value and chose; that is the new base.
                known[field] = [before]
            known[field].append(after)
    return known


def _given_up(version: ModelVersion) -> bool:
    oldest = Change.objects.filter(version=version, revision__gt=version.pushed_revision).order_by("revision").first()
    limit = timedelta(seconds=settings.PUSH_GIVE_UP_AFTER_SECONDS)
    return oldest is not None and timezone.now() - oldest.created_at > limit


def push_version(*, version_id: int) -> PushOutcome:
    token = uuid.uuid4().hex
    if not _claim(version_id, token):
        return PushOutcome("nothing to do")
    version = ModelVersion.objects.select_related("model", "workspace").get(pk=version_id)
    revision = version.revision
    known = _pending(version)
    ours = {field: getattr(version, UPDATABLE_ATTRS[field]) for field in known}
    try:
        # Inside the try: an endpoint that is not allowed is a permanent failure, recorded.
        client = client_for(version.workspace)
        remote = client.get_model_version(version.model.model_id, version.version_name)
        # Compared as the dashboard stores values, so a field PAI leaves out or nulls equals an empty one.
        theirs = {f: version_value(f, remote.get(f)) for f in known}
        conflicts = {
            f: {"base": known[f][0], "theirs": theirs[f], "yours": ours[f]} for f in known if theirs[f] not in known[f]
        }
        if conflicts:
            return _finish(version, token, PushState.CONFLICT, conflict=conflicts)
        # A field PAI already holds (an earlier push that timed out after applying) need not go again.
        to_send = {f: v for f, v in ours.items() if theirs[f] != v}
        request_id = (
            client.update_model_version(version.model.model_id, version.version_name, to_send) if to_send else ""
        )
    except PaiError as exc:
        if exc.retryable and not _given_up(version):
            at_least = exc.retry_after if isinstance(exc, PaiThrottled) else None
            delay = retry_delay(version.push_attempts + 1, at_least=at_least)
            _finish(version, token, PushState.RETRYING, error=str(exc), hold_for=delay)
            return PushOutcome(PushState.RETRYING, retry_in=delay)
        return _finish(version, token, PushState.FAILED, error=str(exc))
    return _finish(
        version, token, PushState.DONE, revision=revision, request_id=request_id or remote.get("RequestId", "")
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
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if locked.lease_owner != token:
            # Our lease expired and another worker took over; its outcome counts.
            return PushOutcome("lease lost")
        locked.lease_owner, locked.lease_expires_at = "", None
        if hold_for:
            # Backoff: no claim (and no sweep) before the retry is due; a little
            # early so the scheduled retry itself is never refused.
            locked.lease_expires_at = now + timedelta(seconds=hold_for * 0.9)
        if state == PushState.DONE:
            locked.pushed_revision = revision
            locked.pushed_at, locked.push_error, locked.push_attempts = now, "", 0
            locked.last_request_id = request_id
            locked.conflict = {}
            # An edit accepted while we pushed is still owed to PAI.
            locked.push_state = PushState.DONE if locked.revision == revision else PushState.QUEUED
            Change.objects.filter(version=locked, revision__lte=revision, pushed_at__isnull=True).update(
                pushed_at=now, push_request_id=request_id
            )
        else:
            locked.push_state = state
            locked.push_error = error
            locked.push_attempts += 1
            if conflict is not None:
                locked.conflict = conflict
        locked.save()
        # Every attempt's outcome is audited, retries included.
        audit.append_event(
            actor="system",
            action=f"push.{state}",
            workspace_id=version.workspace.workspace_id,
            model_id=version.model.model_id,
            model_name=version.model.name,
            version_name=version.version_name,
            payload={
                "revision": revision or locked.revision,
                **({"attempt": locked.push_attempts} if state != PushState.DONE else {}),
                **({"request_id": request_id} if request_id else {}),
                **({"error": error} if error else {}),
                **({"conflict": conflict} if conflict else {}),
            },
        )
        if locked.push_state == PushState.QUEUED:
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
