"""Reads of versions: the versions listing, the queue's filters, one version and its neighbours (the review
queue itself is selectors/queue.py).

Every listing costs a fixed number of queries whatever its page size: rows come
with select_related, and what a row needs from other tables (its last audit
event) is fetched for the whole page in one query. Pages are cut with LIMIT
page_size + 1, so knowing whether there is a next page never needs a COUNT.

Every read takes the reader's Scope (permissions.readable): what lies outside it
does not exist for them (docs/architecture.md, invariant 9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Max, Q, QuerySet, Subquery

# Django's own row-value lookup (the one composite primary keys use); not yet in its public API.
from django.db.models.fields.tuple_lookups import Tuple, TupleIn

from approvals.fields import JSON_ATTRS
from approvals.models import ApprovalStatus, AuditEvent, ModelVersion, RegisteredModel
from approvals.permissions import Scope
from approvals.selectors.inbox import unread_count_expression
from approvals.selectors.label_filter import LabelTerm, filter_by_labels
from approvals.selectors.pagination import COUNT_LIMIT, DEFAULT_PAGE_SIZE, Page, count_up_to, paginate
from approvals.selectors.version_search import search_filter

# The JSON columns are large and a listing shows none of them.
HEAVY_FIELDS = (*JSON_ATTRS, "conflict", "model__description", "model__extra_info", "model__labels")


VERSION_SORTS: dict[str, tuple[str, ...]] = {
    "created": ("gmt_create_time", "id"),
    "modified": ("gmt_modified_time", "id"),
    "model": ("model__name", "version_name", "id"),
    "version": ("version_name", "id"),
}


DEFAULT_VERSION_SORT = "-created"


@dataclass(frozen=True)
class VersionFilters:
    workspace_pk: int | None = None
    model_id: str = ""
    status: str = ""
    source_type: str = ""
    framework: str = ""
    format: str = ""
    search: str = ""
    labels: tuple[LabelTerm, ...] = ()  # every one must hold
    sort: str = DEFAULT_VERSION_SORT
    review: str = ""  # a ReviewState: ready, changes_requested
    assignee_pk: int | None = None  # "Assigned to me": the reader's pk


def version_list(filters: VersionFilters, *, scope: Scope) -> QuerySet[ModelVersion]:
    queryset = scope.filter(ModelVersion.objects.select_related("model", "workspace", "assignee").defer(*HEAVY_FIELDS))
    if filters.model_id:
        # The model's pk as a scalar subquery, not a join: PostgreSQL then reads the model's versions
        # in order along version_model_order_idx and stops after a page, instead of joining and
        # sorting all of a large model's versions.
        model_pk = RegisteredModel.objects.filter(model_id=filters.model_id).order_by().values("pk")[:1]
        queryset = queryset.filter(model_id=Subquery(model_pk))
    exact = {
        "workspace_id": filters.workspace_pk,
        "approval_status": filters.status,
        "source_type": filters.source_type,
        "framework_type": filters.framework,
        "format_type": filters.format,
        "review_state": filters.review,
        "assignee_id": filters.assignee_pk,
    }
    queryset = queryset.filter(**{name: value for name, value in exact.items() if value not in (None, "")})
    queryset = search_filter(queryset, filters.search)
    queryset = filter_by_labels(queryset, filters.labels)
    descending = filters.sort.startswith("-")
    columns = VERSION_SORTS.get(filters.sort.lstrip("-"), VERSION_SORTS["created"])
    return queryset.order_by(*(f"-{c}" if descending else c for c in columns))


# What a row of the versions page shows (display/list_rows.py version_list_rows): of 45 columns and
# a model's and a workspace's, building a page of 100 reads these 15, not ~60.
LIST_ROW_FIELDS = (
    "version_name",
    "approval_status",
    "review_state",
    "source_type",
    "framework_type",
    "format_type",
    "gmt_create_time",
    "gmt_modified_time",
    "push_state",
    "gone",
    "model__model_id",
    "model__name",
    "workspace__name",
)


def version_page(filters: VersionFilters, *, scope: Scope, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """A page of the versions listing, with the columns its rows show (LIST_ROW_FIELDS; another
    attribute costs a query), plus one bounded COUNT of the matching rows (count_up_to)."""
    queryset = version_list(filters, scope=scope).select_related(None).select_related("model", "workspace")
    queryset = queryset.only(*LIST_ROW_FIELDS)
    result = paginate(queryset, page=page, page_size=page_size)
    result.total, result.total_exact = count_up_to(queryset)
    return result


class StatusCount(NamedTuple):
    """How many versions hold a status: `n` exactly, or, when `exact` is False, more than `n`."""

    n: int
    exact: bool


def status_counts(*, scope: Scope, limit: int | None = None) -> dict[str, StatusCount]:
    """Versions per approval status (gone ones aside): exact up to `limit` (COUNT_LIMIT),
    "more than limit" past it; in one query.

    Per status, COUNT(*) over its first limit + 1 entries of version_queue_order_idx (or, in a
    few workspaces, version_ws_status_idx), the statuses side by side as scalar subqueries:
    an index-only scan that stops early. An exact COUNT grouped by status read the whole
    index: 66 ms at 1,000,000 versions, against about 5 ms for the three bounded counts.
    """
    limit = COUNT_LIMIT if limit is None else limit
    visible = scope.filter(ModelVersion.objects.filter(gone=False)).order_by()
    selects, params = [], []
    for status in ApprovalStatus.values:
        try:
            sql, status_params = (
                visible.filter(approval_status=status).values("pk")[: limit + 1].query.sql_with_params()
            )
        except EmptyResultSet:  # a scope of no workspace: nothing to count
            return {status: StatusCount(0, True) for status in ApprovalStatus.values}
        # The SQL is Django's own compilation of the queryset; the values travel as parameters.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded)")  # noqa: S608
        params += status_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)
        row = cursor.fetchone()
    return {
        status: StatusCount(n, True) if n <= limit else StatusCount(limit, False)
        for status, n in zip(ApprovalStatus.values, row, strict=True)
    }


# Who does not make "changes" a person would call the last one: the push pipeline's own events.
NOT_A_CHANGE_ACTORS = ("system",)
LAST_EVENT_FIELDS = ("model_id", "version_name", "action", "actor", "created_at")


def attach_last_events(versions: Sequence[ModelVersion]) -> None:
    """Set `version.last_event`: the newest audit event about it by a person or PAI (not the
    push pipeline's "system" events), or None, with what the queue's "Last change" shows of it
    (LAST_EVENT_FIELDS; another attribute costs a query). One query.

    The versions are one condition, (model_id, version_name) IN ((…), …): a row value IN that
    PostgreSQL and SQLite read by audit_version_idx, and that costs a fraction of building 25
    OR-ed pairs of lookups."""
    if not versions:
        return
    pairs = sorted({(version.model.model_id, version.version_name) for version in versions})
    newest = (
        AuditEvent.objects.filter(TupleIn(Tuple(F("model_id"), F("version_name")), pairs))
        .exclude(actor__in=NOT_A_CHANGE_ACTORS)
        .order_by()
        .values("model_id", "version_name")
        .annotate(last=Max("seq"))
        .values("last")
    )
    events = AuditEvent.objects.filter(seq__in=newest).only(*LAST_EVENT_FIELDS)
    by_pair = {(e.model_id, e.version_name): e for e in events}
    for version in versions:
        version.last_event = by_pair.get((version.model.model_id, version.version_name))


@dataclass(frozen=True)
class QueueFilters:
    workspace_pk: int | None = None
    search: str = ""  # model or version name contains
    source_type: str = ""
    older_than: datetime | None = None  # created before
    superseded: str = ""  # "": all, "only": superseded ones, "hide": not superseded
    labels: Sequence[LabelTerm] = ()  # every one must hold
    review: str = ""  # a review state (ReviewState), or any
    assignee_pk: int | None = None


def version_by_name(model_id: str, version_name: str, *, scope: Scope, unread_for: Any = None) -> ModelVersion:
    """The version, or ModelVersion.DoesNotExist (also when it lies outside the scope).

    `unread_for`: an authenticated user whose unread notifications count comes along as
    `version.reader_unread` (the page header's count, without a query of its own)."""
    # The workspace's policy, the assignee and who asked for changes come along: the version page needs them.
    related = ModelVersion.objects.select_related(
        "model", "workspace", "workspace__policy", "assignee", "review_requested_by"
    )
    if unread_for is not None:
        related = related.annotate(reader_unread=unread_count_expression(unread_for))
    return scope.filter(related).get(model__model_id=model_id, version_name=version_name)


def previous_version(version: ModelVersion, *, scope: Scope) -> ModelVersion | None:
    """The model's version created just before this one (GmtCreateTime, then id)."""
    found = previous_query(version, scope=scope).first()
    if found is not None:
        found.model = version.model  # the same model: its page links need no query of their own
    return found


def previous_query(version: ModelVersion, *, scope: Scope) -> QuerySet[ModelVersion]:
    """The model's versions created before this one, the nearest first (index-bounded with a LIMIT)."""
    siblings = scope.filter(ModelVersion.objects.filter(model_id=version.model_id)).exclude(pk=version.pk)
    if version.gmt_create_time is None:
        earlier = siblings.filter(gmt_create_time__isnull=True, id__lt=version.id)
    else:
        earlier = siblings.filter(
            Q(gmt_create_time__lt=version.gmt_create_time)
            | Q(gmt_create_time=version.gmt_create_time, id__lt=version.id)
        )
    return earlier.order_by("-gmt_create_time", "-id")


def approved_query(version: ModelVersion, *, scope: Scope) -> QuerySet[ModelVersion]:
    """The model's Approved versions other than this one, the newest first."""
    return (
        scope.filter(ModelVersion.objects.filter(model_id=version.model_id, approval_status=ApprovalStatus.APPROVED))
        .exclude(pk=version.pk)
        .order_by("-gmt_create_time", "-id")
    )


def latest_approved_version(version: ModelVersion, *, scope: Scope) -> ModelVersion | None:
    """The model's newest Approved version other than this one."""
    found = approved_query(version, scope=scope).first()
    if found is not None:
        found.model = version.model  # the same model: its page links need no query of their own
    return found


def compare_choices(version: ModelVersion, *, scope: Scope, limit: int) -> list[ModelVersion]:
    """The model's other versions for the compare page's picker, newest first (one query)."""
    return list(
        scope.filter(ModelVersion.objects.filter(model_id=version.model_id))
        .exclude(pk=version.pk)
        .only("id", "version_name", "approval_status", "gmt_create_time", "model_id")
        .order_by("-gmt_create_time", "-id")[:limit]
    )
