"""What the version page adds to help a reviewer decide: dataset names, how the version was
decided, the next version waiting in the queue, and the approvals with the possible reviewers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, F, Q, Value

from approvals.models import Approval, ApprovalStatus, Change, ChangeKind, DatasetName, ModelVersion
from approvals.permissions import APPROVER, Scope
from approvals.selectors.people import members


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


def approvals_and_reviewers(version: ModelVersion, *, reviewers: bool) -> tuple[list[Approval], list[Any]]:
    """The version's approvals, dismissed ones too, oldest first with their approver, and (when
    `reviewers`) the workspace's approvers by username, whom a review can be assigned to: one
    query, a UNION ALL of the two (each row's columns in its own places, NULL in the other's)."""
    approvals = Approval.objects.filter(version=version).order_by()
    if not reviewers:
        return list(approvals.select_related("approver").order_by("created_at")), []
    user_model = get_user_model()
    approval_fields = list(Approval._meta.concrete_fields)
    user_fields = list(user_model._meta.concrete_fields)
    own = {f"a_{f.attname}": F(f.attname) for f in approval_fields}
    none = {f"a_{f.attname}": Value(None, output_field=f) for f in approval_fields}
    approvers = {f"u_{f.attname}": F(f"approver__{f.attname}") for f in user_fields}
    people = {f"u_{f.attname}": F(f.attname) for f in user_fields}
    rows = (
        approvals.values(part=Value("approval", output_field=CharField()), **own, **approvers)
        .union(
            members(version.workspace, role=APPROVER)
            .order_by()
            .values(part=Value("reviewer", output_field=CharField()), **none, **people),
            all=True,
        )
        .order_by("part", "a_created_at", "u_username")
    )
    found: tuple[list[Approval], list[Any]] = ([], [])
    db = approvals.db
    for row in rows:
        user = user_model.from_db(db, [f.attname for f in user_fields], [row[f"u_{f.attname}"] for f in user_fields])
        if row["part"] == "reviewer":
            found[1].append(user)
            continue
        approval = Approval.from_db(
            db, [f.attname for f in approval_fields], [row[f"a_{f.attname}"] for f in approval_fields]
        )
        approval.approver = user
        found[0].append(approval)
    return found
