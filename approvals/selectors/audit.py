"""Reads of the audit log: filtered listings, keyset pages on seq, and the export.

The log only grows and is read newest first, so pages are cut by seq
(`seq < before`) rather than by OFFSET: page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from approvals.models import AuditEvent

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    workspace_id: str = ""
    model_id: str = ""
    version_name: str = ""
    actor: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _start_of_day(day: dt.date) -> dt.datetime | None:
    """Midnight of `day` in the site's time zone ("from 3 May" means its midnight), or None
    where that moment is outside what a datetime holds in UTC (0001-01-01 east of Greenwich)."""
    try:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        moment.astimezone(dt.UTC)  # the database compares in UTC
    except OverflowError:
        return None
    return moment


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Matching events, newest first."""
    queryset = AuditEvent.objects.all()
    exact = {
        "workspace_id": filters.workspace_id,
        "model_id": filters.model_id,
        "version_name": filters.version_name,
        "actor": filters.actor,
        "action": filters.action,
    }
    queryset = queryset.filter(**{name: value for name, value in exact.items() if value})
    # At the ends of the calendar a bound cannot be a datetime, and then nothing is beyond it.
    start = _start_of_day(filters.date_from) if filters.date_from else None
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    # The "to" day is included whole: up to the next midnight, which 9999-12-31 does not have.
    end = None
    if filters.date_to and filters.date_to < dt.date.max:
        end = _start_of_day(filters.date_to + dt.timedelta(days=1))
    if end is not None:
        queryset = queryset.filter(created_at__lt=end)
    return queryset.order_by("-seq")


@dataclass
class AuditPage:
    events: list[AuditEvent]
    # Cursors for the links: ?after=<newer_than> shows newer events, ?before=<older_than> older ones.
    newer_than: int | None
    older_than: int | None
    is_newest: bool


def audit_page(
    filters: AuditFilters, *, before: int | None = None, after: int | None = None, page_size: int = AUDIT_PAGE_SIZE
) -> AuditPage:
    """One page of events, newest first, cut by seq: after `after` (going up) or before `before`."""
    queryset = audit_events(filters)
    if after is not None:
        rows = list(queryset.filter(seq__gt=after).order_by("seq")[: page_size + 1])
        has_newer = len(rows) > page_size
        events = list(reversed(rows[:page_size]))
        # We came here from an older page, so there is one (unless that page was empty).
        has_older = bool(events)
    else:
        if before is not None:
            queryset = queryset.filter(seq__lt=before)
        rows = list(queryset[: page_size + 1])
        events = rows[:page_size]
        has_older = len(rows) > page_size
        has_newer = before is not None
    return AuditPage(
        events=events,
        newer_than=events[0].seq if events and has_newer else None,
        older_than=events[-1].seq if events and has_older else None,
        is_newest=not has_newer,
    )


def audit_export_rows(filters: AuditFilters) -> Iterator[AuditEvent]:
    """Every matching event, oldest first, streamed from the database in chunks."""
    return audit_events(filters).order_by("seq").iterator(chunk_size=2000)
