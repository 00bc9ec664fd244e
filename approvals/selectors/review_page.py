"""What the version page adds to help a reviewer decide: dataset names, how the version was
decided, and the next version waiting in the queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q

from approvals.models import Approval, ApprovalStatus, Change, ChangeKind, DatasetName, ModelVersion
from approvals.permissions import Scope
from approvals.selectors.versions import approved_query, previous_query


def dataset_names(dataset_ids: Iterable[str]) -> dict[str, str]:
    """{DatasetId: name} of the datasets PAI named for the sync (one query; unnamed ones left out)."""
    ids = [d for d in dict.fromkeys(dataset_ids) if d]
    if not ids:
        return {}
    rows = DatasetName.objects.filter(dataset_id__in=ids, found=True).exclude(name="")
    return dict(rows.values_list("dataset_id", "name"))


@dataclass(frozen=True)
class DecisionRecord:
    """Who decided a version, when, why, and whether PAI has the decision (None: PAI decided it)."""

    status: str
    decided_by: Any | None
    decided_at: datetime | None
    reason: str
    pushed_at: datetime | None
    push_request_id: str
    approvers: list[Approval] = field(default_factory=list)


def decision_of(version: ModelVersion) -> DecisionRecord | None:
    """The decision of a decided version from its Change (two queries), or None while it is Pending.

    A version decided in PAI's console has no Change of ours: the record says so (decided_by None)."""
    if version.approval_status == ApprovalStatus.PENDING:
        return None
    change = (
        Change.objects.filter(version=version, kind=ChangeKind.DECISION)
        .select_related("author")
        .order_by("-revision")
        .first()
    )
    if change is None:
        return DecisionRecord(version.approval_status, None, None, "", None, "")
    approvers = list(
        Approval.objects.filter(version=version, dismissed_at__isnull=True)
        .select_related("approver")
        .order_by("created_at")
    )
    return DecisionRecord(
        status=version.approval_status,
        decided_by=change.author,
        decided_at=change.created_at,
        reason=change.reason,
        pushed_at=change.pushed_at,
        push_request_id=change.push_request_id,
        approvers=approvers,
    )


def next_waiting(version: ModelVersion, *, scope: Scope) -> ModelVersion | None:
    """The queue's next Pending version after this one (oldest first), else its first; None when empty."""
    queue = (
        scope.filter(ModelVersion.objects.select_related("model"))
        .filter(approval_status=ApprovalStatus.PENDING, gone=False)
        .exclude(pk=version.pk)
        .order_by("gmt_create_time", "id")
    )
    if version.gmt_create_time is not None:
        later = queue.filter(
            Q(gmt_create_time__gt=version.gmt_create_time)
            | Q(gmt_create_time=version.gmt_create_time, id__gt=version.id)
        ).first()
        if later is not None:
            return later
    return queue.first()


def previous_and_approved(version: ModelVersion, *, scope: Scope) -> tuple[ModelVersion | None, ModelVersion | None]:
    """The version created just before this one and the model's latest Approved one, in one query
    (each an index-bounded LIMIT 1 subquery; one row when they are the same version)."""
    previous = Q(pk__in=previous_query(version, scope=scope).values("pk")[:1])
    approved = Q(pk__in=approved_query(version, scope=scope).values("pk")[:1])
    rows = ModelVersion.objects.filter(previous | approved).annotate(
        is_previous=ExpressionWrapper(previous, output_field=BooleanField()),
        is_approved=ExpressionWrapper(approved, output_field=BooleanField()),
    )
    found: dict[str, ModelVersion | None] = {"previous": None, "approved": None}
    for row in rows:
        row.model = version.model  # the same model: its page links need no query of their own
        if row.is_previous:
            found["previous"] = row
        if row.is_approved:
            found["approved"] = row
    return found["previous"], found["approved"]
