"""The one table from audit actions to the kinds of event channels subscribe to.

Most actions map to one kind. `pai.created` becomes `version.pending` only for the
named versions that wait for review (the event PAI itself never announces); a
comment is also a mention when it names people (channels told of mentions get the
comment). `channel.test` goes to the one channel it names, whatever it subscribes to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from approvals.models import ApprovalStatus, AuditEvent, EventKind, ModelVersion

ACTION_KINDS: dict[str, EventKind] = {
    "pai.created": EventKind.VERSION_PENDING,
    "review.assigned": EventKind.ASSIGNED,
    "comment.created": EventKind.COMMENT,
    "review.changes_requested": EventKind.CHANGES_REQUESTED,
    "review.ready": EventKind.READY,
    "version.approved": EventKind.APPROVED,
    "version.rejected": EventKind.REJECTED,
    "version.approvals_dismissed": EventKind.APPROVALS_DISMISSED,
    "push.failed": EventKind.PUSH_FAILED,
    "push.conflict": EventKind.PUSH_CONFLICT,
    "sync.failed": EventKind.SYNC_FAILED,
    "review.overdue": EventKind.REVIEW_OVERDUE,
    "channel.test": EventKind.TEST,
}

# A first sync may find thousands of Pending versions in one model: a message names this many
# and counts them all.
MAX_NAMED_VERSIONS = 1000

# What a staff member may tick on a channel (a test is sent on request, never subscribed to).
SUBSCRIBABLE = [kind for kind in EventKind if kind != EventKind.TEST]


@dataclass(frozen=True)
class Notification:
    """What an audit event tells channels: its kind, the kinds that match it, and details to keep."""

    kind: str
    matches: frozenset[str]
    details: dict[str, Any] = field(default_factory=dict)


def notification_for(event: AuditEvent) -> Notification | None:
    """The notification an audit event makes, or None (most events make none)."""
    kind = ACTION_KINDS.get(event.action)
    if kind is None or not event.workspace_id:
        return None
    payload = event.payload or {}
    if kind == EventKind.VERSION_PENDING:
        pending = _pending_among(event, payload.get("versions") or [])
        if not pending:
            return None
        details = {"versions": pending[:MAX_NAMED_VERSIONS], "count": len(pending)}
        return Notification(kind, frozenset({kind}), details)
    if kind == EventKind.COMMENT and payload.get("mentions"):
        return Notification(kind, frozenset({EventKind.COMMENT, EventKind.MENTIONED}))
    return Notification(kind, frozenset({kind}))


def _pending_among(event: AuditEvent, names: list[str]) -> list[str]:
    # One query for the model's Pending versions, whatever the number of names.
    pending = set(
        ModelVersion.objects.filter(
            model__model_id=event.model_id, approval_status=ApprovalStatus.PENDING, gone=False
        ).values_list("version_name", flat=True)
    )
    return [name for name in names if name in pending]
