"""The review queue: Pending versions that PAI still lists, overdue ones first, superseded
ones last, else oldest first, in pages that cost the same at 1,000 and 1,000,000 versions.

The order (overdue, superseded, GmtCreateTime, id) is four segments one after the other:
overdue and current, overdue and superseded, on time and current, on time and superseded.
Within a segment the order is GmtCreateTime, id alone, so each segment is read by walking
version_queue_order_idx in order with "overdue" and "superseded" as filters on each row
(the EXISTS an index probe on version_model_status_idx) and stops after a page, instead of
sorting every Pending version; when few versions are overdue, PostgreSQL finds them by
version_pending_since_idx instead. A page takes rows from the first segment that still has
some and goes on to the next only when that one runs out, so the superseded segments,
which can be sparse, are read only on the pages that show them.

Queries: the review times, then per segment one fetch (and, on pages past the first, one
bounded count to skip a segment that ends before the page starts), then the last events.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from approvals.models import ApprovalStatus, ModelVersion
from approvals.permissions import Scope
from approvals.selectors.label_filter import filter_by_labels
from approvals.selectors.pagination import DEFAULT_PAGE_SIZE, Page, count_up_to, slice_rows
from approvals.selectors.reviews import attach_due_times, overdue_condition, review_hours
from approvals.selectors.version_search import search_filter
from approvals.selectors.versions import QueueFilters, attach_last_events

# The queue's segments in their order: (overdue, superseded).
SEGMENTS = ((True, False), (True, True), (False, False), (False, True))


def _newer_approved_versions() -> QuerySet[ModelVersion]:
    """Approved versions of the row's model that PAI created after it."""
    return ModelVersion.objects.filter(
        model_id=OuterRef("model_id"),
        approval_status=ApprovalStatus.APPROVED,
        gone=False,
        gmt_create_time__gt=OuterRef("gmt_create_time"),
    )


def _newer_approved() -> Subquery:
    """How many Approved versions of the same model PAI created after this one."""
    newer = _newer_approved_versions().order_by().values("model_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(newer, output_field=IntegerField()), 0)


# What the queue's rows show and its order and due times read (display/list_rows.py queue_rows,
# attach_due_times): of 45 columns and a model's, a workspace's and a person's, these 16. Every
# segment's query selects them, so fewer columns are less to compile as well as to read.
QUEUE_ROW_FIELDS = (
    "version_name",
    "approval_status",
    "review_state",
    "source_type",
    "gmt_create_time",
    "pending_since",
    "push_state",
    "gone",
    "workspace_id",
    "model__model_id",
    "model__name",
    "workspace__name",
    "assignee__username",
)


def pending_versions(scope: Scope, filters: QueueFilters) -> QuerySet[ModelVersion]:
    """Pending versions PAI still lists, with the columns the queue's rows show (QUEUE_ROW_FIELDS;
    another attribute costs a query)."""
    queryset = scope.filter(
        ModelVersion.objects.select_related("model", "workspace", "assignee")
        .only(*QUEUE_ROW_FIELDS)
        .filter(approval_status=ApprovalStatus.PENDING, gone=False)
    )
    exact = {
        "workspace_id": filters.workspace_pk,
        "source_type": filters.source_type,
        "gmt_create_time__lt": filters.older_than,
        "review_state": filters.review,
        "assignee_id": filters.assignee_pk,
    }
    queryset = queryset.filter(**{name: value for name, value in exact.items() if value not in (None, "")})
    queryset = search_filter(queryset, filters.search, description=False)
    return filter_by_labels(queryset, filters.labels)


def queue_segments(
    pending: QuerySet[ModelVersion], overdue: Q, superseded_filter: str
) -> list[tuple[QuerySet, bool, bool]]:
    """Each segment's rows in order, with whether its rows are overdue and whether superseded;
    the superseded filter ("hide", "only") leaves out the segments it excludes."""
    superseded = Exists(_newer_approved_versions())
    segments = []
    for late, stale in SEGMENTS:
        if (superseded_filter == "hide" and stale) or (superseded_filter == "only" and not stale):
            continue
        rows = pending.filter(overdue if late else ~overdue).filter(superseded if stale else ~superseded)
        segments.append((rows.order_by("gmt_create_time", "id"), late, stale))
    return segments


def _overdue_ids(
    segments: list[tuple[QuerySet, bool, bool]], skip: int, wanted: int
) -> tuple[list[tuple[int, bool]], int]:
    """The overdue segments' (pk, superseded) on the page and what is left to skip after them,
    in one query: each segment cut at skip + wanted, the two joined by UNION ALL (none without segments). Overdue
    versions are usually few and found by version_pending_since_idx."""
    # SQLite refuses LIMIT in the arms of a UNION, not in an IN (...) inside them.
    parts = [
        ModelVersion.objects.filter(pk__in=rows.values("pk")[: skip + wanted])
        .order_by()
        .values_list("pk", "gmt_create_time", Value(index, output_field=IntegerField()))
        for index, (rows, _late, _stale) in enumerate(segments)
    ]
    if not parts:
        return [], skip
    found = sorted(parts[0].union(*parts[1:], all=True), key=lambda row: (row[2], row[1] is None, row[1], row[0]))
    page = [(pk, segments[index][2]) for pk, _created, index in found[skip : skip + wanted]]
    return page, max(0, skip - len(found))


def review_queue(
    *, scope: Scope, filters: QueueFilters | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> Page:
    """Pending versions that PAI still lists: overdue ones first, superseded ones last, else oldest
    first; each with its last change, its due time, `superseded` and `newer_approved` (Approved
    versions of its model created after it: a newer one was approved meanwhile)."""
    filters = filters or QueueFilters()
    now = timezone.now()
    hours = review_hours()
    pending = pending_versions(scope, filters).annotate(newer_approved=_newer_approved())
    segments = queue_segments(pending, overdue_condition(now, hours=hours), filters.superseded)
    skip, wanted = (page - 1) * page_size, page_size + 1
    late_ids, skip = _overdue_ids([s for s in segments if s[1]], skip, wanted)
    rows: list[ModelVersion] = []
    for segment, _late, stale in (s for s in segments if not s[1]):
        if len(late_ids) + len(rows) == wanted:
            break
        found = slice_rows(segment, skip, wanted - len(late_ids) - len(rows))
        if not found and skip:  # the segment ends before the page starts: how much of the skip it took
            size, _exact = count_up_to(segment, limit=skip)
            skip -= size
            continue
        for row in found:
            row.superseded = stale
        rows += found
        skip = 0
    if late_ids:
        stale_by_pk = dict(late_ids)
        loaded = {row.pk: row for row in pending.filter(pk__in=stale_by_pk)}
        for pk, stale in late_ids:
            loaded[pk].superseded = stale
        rows = [loaded[pk] for pk, _stale in late_ids] + rows
    result = Page(items=rows[:page_size], number=page, page_size=page_size, has_next=len(rows) > page_size)
    attach_last_events(result.items)
    attach_due_times(result.items, now, hours=hours)
    return result
