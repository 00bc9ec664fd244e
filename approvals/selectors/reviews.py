"""Reads of the review: each version's due time, the overdue ones, the comments (fixed query counts).

A Pending version is due its workspace's review time after the dashboard first saw it
Pending (`pending_since`). Review times come from the policies in one query; which
versions are overdue is then one condition per distinct review time, so the queue sorts
overdue versions first in SQL on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from approvals.models import ApprovalStatus, Comment, ModelVersion, WorkspacePolicy


def review_hours(workspace_pks: Iterable[int] | None = None) -> tuple[dict[int, int], int]:
    """({workspace pk: hours} where a policy sets them, the default for the rest), in one query."""
    rows = WorkspacePolicy.objects.filter(review_hours__isnull=False)
    if workspace_pks is not None:
        rows = rows.filter(workspace_id__in=list(workspace_pks))
    return dict(rows.values_list("workspace_id", "review_hours")), settings.APPROVALS_REVIEW_HOURS


ReviewHours = tuple[dict[int, int], int]


def hours_of_policy(workspace_pk: int, row: WorkspacePolicy | None) -> ReviewHours:
    """review_hours() for one workspace from its policy row already read (no query)."""
    hours = {workspace_pk: row.review_hours} if row is not None and row.review_hours is not None else {}
    return hours, settings.APPROVALS_REVIEW_HOURS


def overdue_condition(now: datetime | None = None, *, hours: ReviewHours | None = None) -> Q:
    """Pending versions past their due time (one query for the policies, none when `hours` is given)."""
    now = now or timezone.now()
    hours, default = hours or review_hours()
    by_hours: dict[int, list[int]] = {}
    for pk, h in hours.items():
        by_hours.setdefault(h, []).append(pk)
    condition = Q(pending_since__lt=now - timedelta(hours=default)) & ~Q(workspace_id__in=list(hours))
    for h, pks in by_hours.items():
        condition |= Q(workspace_id__in=pks, pending_since__lt=now - timedelta(hours=h))
    return Q(approval_status=ApprovalStatus.PENDING, gone=False, pending_since__isnull=False) & condition


def attach_due_times(
    versions: Sequence[ModelVersion], now: datetime | None = None, *, hours: ReviewHours | None = None
) -> None:
    """Set `version.due_at` (None unless Pending and seen) and `version.overdue`, in one query
    (none when `hours` is given or there are no versions)."""
    now = now or timezone.now()
    if hours is None:
        hours = review_hours({v.workspace_id for v in versions}) if versions else ({}, 0)
    hours, default = hours
    for version in versions:
        due = None
        if version.approval_status == ApprovalStatus.PENDING and version.pending_since and not version.gone:
            due = version.pending_since + timedelta(hours=hours.get(version.workspace_id, default))
        version.due_at = due
        version.overdue = due is not None and due <= now


def version_comments(version: ModelVersion) -> list[Comment]:
    """The version's comments, oldest first, with their authors (one query)."""
    return list(Comment.objects.filter(version=version).select_related("author").order_by("created_at", "id"))


def retracted_comment_ids(comment_ids: Iterable[int]) -> frozenset[int]:
    """Which of these comments were retracted (one query; none when there are no ids)."""
    ids = {i for i in comment_ids if isinstance(i, int)}
    if not ids:
        return frozenset()
    return frozenset(Comment.objects.filter(pk__in=ids, retracted_at__isnull=False).values_list("pk", flat=True))


def all_retracted_comment_ids() -> frozenset[int]:
    """Every retracted comment (one query), for an export that streams the whole log."""
    return frozenset(Comment.objects.filter(retracted_at__isnull=False).values_list("pk", flat=True))
