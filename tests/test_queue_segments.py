"""The review queue reads a page segment by segment (overdue and current, overdue and
superseded, on time and current, on time and superseded), each walked in age order along
an index: its order and annotations are the same as one ORDER BY over every Pending
version, on every page, whatever the page size."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import WorkspacePolicy
from approvals.permissions import Scope
from approvals.selectors.queue import pending_versions, queue_segments, review_queue
from approvals.selectors.reviews import overdue_condition
from approvals.selectors.versions import QueueFilters
from tests.factories import at, make_model, make_version, make_workspace

pytestmark = pytest.mark.django_db

ALL = Scope(everything=True)


@pytest.fixture
def mixed():
    """Pending versions of every kind, interleaved in age; what each one is, by pk."""
    now = timezone.now()
    strict, lax = make_workspace(name="strict"), make_workspace(name="lax")
    WorkspacePolicy.objects.create(workspace=strict, review_hours=1)
    expected = {}
    for n in range(12):
        workspace = strict if n % 2 else lax
        model = make_model(workspace)
        stale = n % 3 == 0
        # lax uses the default review time (48 h): 5 h waiting is late only in strict
        waited = [None, dt.timedelta(hours=5), dt.timedelta(hours=100)][n % 4 % 3]
        version = make_version(
            model, gmt_create_time=at(100 - n * 7 % 50), pending_since=None if waited is None else now - waited
        )
        if stale:
            make_version(model, gmt_create_time=at(200), approval_status="Approved")
        late = waited is not None and waited > dt.timedelta(hours=1 if workspace == strict else 48)
        expected[version.pk] = (not late, stale, version.gmt_create_time, version.pk)
    make_version(approval_status="Approved")
    make_version(gone=True, pending_since=now - dt.timedelta(hours=100))
    return expected


def walk(filters: QueueFilters, page_size: int) -> list:
    rows, page = [], 1
    while True:
        result = review_queue(scope=ALL, filters=filters, page=page, page_size=page_size)
        rows += result.items
        if not result.has_next:
            return rows
        page += 1


@pytest.mark.parametrize("superseded", ["", "hide", "only"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 25])
def test_every_page_follows_overdue_first_superseded_last_else_oldest_first(mixed, superseded, page_size):
    keep = {"": lambda stale: True, "hide": lambda stale: not stale, "only": lambda stale: stale}[superseded]
    order = sorted((key for key in mixed.values() if keep(key[1])), key=lambda key: key)

    rows = walk(QueueFilters(superseded=superseded), page_size)

    assert [row.pk for row in rows] == [key[3] for key in order]
    assert [(not row.overdue, row.superseded) for row in rows] == [key[:2] for key in order]
    assert all(row.newer_approved == (1 if row.superseded else 0) for row in rows)
    assert len({(key[0], key[1]) for key in order}) == (4 if superseded == "" else 2)  # every segment is there


def test_a_page_past_the_end_is_empty(mixed):
    result = review_queue(scope=ALL, page=100, page_size=5)

    assert result.items == [] and not result.has_next


def test_the_queue_costs_a_fixed_number_of_queries_on_any_page(mixed):
    for page in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as queries:
            review_queue(scope=ALL, page=page, page_size=3)
        # the review times, the overdue rows' ids, their rows, at most the current and the superseded
        # rows with a count of the current ones the page skips entirely, the last events
        assert len(queries) <= 7, page


AGE_WALK = r"Index Scan using version_(queue_order|created)_idx on approvals_modelversion\b"


def test_each_segment_walks_the_age_index_and_stops_after_a_page():
    model = make_model()
    for n in range(300):
        make_version(model, gmt_create_time=at(n), pending_since=timezone.now())
    segments = queue_segments(pending_versions(ALL, QueueFilters()), overdue_condition(), "")
    with connection.cursor() as cursor:
        for rows, late, _stale in segments:
            sql, params = rows[:26].query.sql_with_params()
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE approvals_modelversion")
                cursor.execute("SET LOCAL enable_seqscan = off")  # a small table would be read whole anyway
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert plan.startswith("Limit"), plan
                if late and "Sort" in plan:  # none is overdue: the few that would be are found by when
                    assert "version_pending_since_idx" in plan, plan
                else:
                    assert "Sort" not in plan, plan
                    # Walked in age order along an index (the queue's own or the plain age index,
                    # whichever the planner prefers for this table's statistics), stopped by the Limit.
                    assert re.search(AGE_WALK, plan), plan
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = " ".join(str(row) for row in cursor.fetchall())
                assert "TEMP B-TREE" not in plan, plan
                assert "USING INDEX version_queue" in plan, plan  # either age index walks in order
