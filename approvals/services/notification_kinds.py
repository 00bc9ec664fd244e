"""The one table from audit actions to the kinds of event channels subscribe to.

Most actions map to one kind. `pai.created` becomes `version.pending` only for the
named versions that wait for review (the event PAI itself never announces), one
notification per model the event names (a sync's event may name a page of them); a
comment is also a mention when it names people (channels told of mentions get the
comment). `channel.test` goes to the one channel it names, whatever it subscribes to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from approvals.display.created import created_models
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


def notifications_for(event: AuditEvent) -> list[Notification]:
    """The notifications an audit event makes (most make none; a `pai.created` one per model with
    versions waiting for review, its details naming the model)."""
    kind = ACTION_KINDS.get(event.action)
    if kind is None or not event.workspace_id:
        return []
    payload = event.payload or {}
    if kind == EventKind.VERSION_PENDING:
        notes = []
        for model_id, (model_name, pending) in pending_created(event).items():
            details: dict[str, Any] = {"versions": pending[:MAX_NAMED_VERSIONS], "count": len(pending)}
            if not event.model_id:  # an event about a page of models: each message names its own
                details.update(model_id=model_id, model_name=model_name)
            notes.append(Notification(kind, frozenset({kind}), details))
        return notes
    if kind == EventKind.COMMENT and payload.get("mentions"):
        return [Notification(kind, frozenset({EventKind.COMMENT, EventKind.MENTIONED}))]
    return [Notification(kind, frozenset({kind}))]


def pending_created(event: AuditEvent) -> dict[str, tuple[str, list[str]]]:
    """{ModelId: (model name, the versions it created that wait for review)} of a `pai.created` event,
    models without one left out. One query for all the models it names, whatever the number of
    names (matched here, not in an IN list of 100,000); kept on the event, as the inbox and the
    outbox both ask."""
    cached = getattr(event, "_pending_created", None)
    if cached is not None:
        return cached
    created = created_models(event)
    wanted = {m.model_id: set(m.versions) for m in created if m.versions}
    waiting: set[tuple[str, str]] = set()
    if wanted:
        rows = ModelVersion.objects.filter(
            model__model_id__in=list(wanted), approval_status=ApprovalStatus.PENDING, gone=False
        ).values_list("model__model_id", "version_name")
        waiting = {(model_id, name) for model_id, name in rows if name in wanted[model_id]}
    found = {
        m.model_id: (m.model_name, pending)
        for m in created
        if (pending := [name for name in m.versions if (m.model_id, name) in waiting])
    }
    event._pending_created = found
    return found
