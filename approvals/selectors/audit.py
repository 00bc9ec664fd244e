"""Reads of the audit log: filtered listings, keyset pages on seq, and the export.

The log only grows and is read newest first, so pages are cut by seq
(`seq < before`) rather than by OFFSET: page 1,000 costs what page 1 costs.

Who reads which events is one rule for the page, a version's history, the API
and the CSV (AuditReader): the events of the workspaces the person may read;
events of no workspace (tokens, grants for all workspaces) only for those who
read everything, or their own. Which parts of an event are shown is
display/audit.py's (client addresses and token names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone

from approvals.display.actions import action_codes
from approvals.models import AuditEvent, ModelVersion, RegisteredModel, Workspace
from approvals.permissions import NOTHING, Scope, readable, sees_who_and_where

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


@dataclass(frozen=True)
class AuditReader:
    """Who reads the log: what they may read and whether they see addresses and token names."""

    scope: Scope
    username: str = ""
    sees_who_and_where: bool = False

    @classmethod
    def of(cls, user: Any) -> AuditReader:
        if not getattr(user, "is_authenticated", False):
            return cls(scope=NOTHING)
        return cls(scope=readable(user), username=user.get_username(), sees_who_and_where=sees_who_and_where(user))

    def visible(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """The events of `queryset` this reader may see."""
        if self.scope.everything:
            return queryset
        own = Q(workspace_id="", actor=self.username) if self.username else Q(pk__in=[])
        return queryset.filter(Q(workspace_id__in=self.scope.workspace_ids()) | own)


def _start_of_day(day: dt.date) -> dt.datetime | None:
    """Midnight of `day` in the site's time zone ("from 3 May" means its midnight), or None
    where that moment is outside what a datetime holds in UTC (0001-01-01 east of Greenwich)."""
    try:
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        moment.astimezone(dt.UTC)  # the database compares in UTC
    except OverflowError:
        return None
    return moment


def workspaces_named(text: str) -> QuerySet:
    """WorkspaceIds of the workspaces `text` names: by id, or by the name the pages show (any case)."""
    return Workspace.objects.filter(Q(workspace_id=text) | Q(name__iexact=text)).values("workspace_id")


def actors_named(text: str) -> QuerySet:
    """Usernames of the people `text` names: username, first or last name, or full name (any case)."""
    users = get_user_model().objects.annotate(full=Concat("first_name", Value(" "), "last_name"))
    return users.filter(
        Q(username__iexact=text) | Q(first_name__iexact=text) | Q(last_name__iexact=text) | Q(full__iexact=text)
    ).values("username")


def readable_workspaces(reader: AuditReader) -> list[Workspace]:
    """The workspaces the reader may read, by name (for the filters' suggestions; one query)."""
    return list(reader.scope.filter(Workspace.objects.all(), path="pk").order_by("name"))


def _about_model(text: str) -> Q:
    """Events about the model `text` names (its id or its name): in their columns, or inside a sync's
    `pai.created` about a page of models ({"models": {ModelId: ...}}, display/created.py)."""
    ids = [text, *RegisteredModel.objects.filter(name__iexact=text).values_list("model_id", flat=True)[:100]]
    in_a_page = Q(action="pai.created", model_id="", payload__models__has_any_keys=ids)
    return Q(model_id=text) | Q(model_name__iexact=text) | in_a_page


def audit_events(filters: AuditFilters, *, reader: AuditReader) -> QuerySet[AuditEvent]:
    """Matching events the reader may see, newest first.

    The filters take what the pages show as well as the stored codes: a workspace's name, a
    model's name, a person's name, an action in words ("approved", "已批准"); subqueries, so
    the query count does not change (but for a model's: one query for the ids of the models
    of that name, to look for them inside a sync's events about a page of models)."""
    queryset = reader.visible(AuditEvent.objects.all())
    if filters.workspace_id:
        queryset = queryset.filter(workspace_id__in=workspaces_named(filters.workspace_id))
    if filters.model_id:
        queryset = queryset.filter(_about_model(filters.model_id))
    if filters.version_name:
        queryset = queryset.filter(version_name=filters.version_name)
    if filters.actor:
        queryset = queryset.filter(Q(actor__iexact=filters.actor) | Q(actor__in=actors_named(filters.actor)))
    if filters.action:
        queryset = queryset.filter(action__in=[filters.action, *action_codes(filters.action)])
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
    filters: AuditFilters,
    *,
    reader: AuditReader,
    before: int | None = None,
    after: int | None = None,
    page_size: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """One page of events, newest first, cut by seq: after `after` (going up) or before `before`."""
    queryset = audit_events(filters, reader=reader)
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


def audit_export_rows(filters: AuditFilters, *, reader: AuditReader) -> Iterator[AuditEvent]:
    """Every matching event the reader may see, oldest first, streamed from the database in chunks."""
    return audit_events(filters, reader=reader).order_by("seq").iterator(chunk_size=2000)


def version_events(version: ModelVersion, *, reader: AuditReader) -> QuerySet[AuditEvent]:
    """The version's audit events the reader may see, newest first (by its model's id: no query
    for models of that name, as the audit page's filter needs)."""
    events = AuditEvent.objects.filter(model_id=version.model.model_id, version_name=version.version_name)
    return reader.visible(events).order_by("-seq")


def version_history(version: ModelVersion, *, reader: AuditReader, limit: int = 100) -> list[AuditEvent]:
    """The version's audit events, newest first (at most `limit`)."""
    return list(version_events(version, reader=reader)[:limit])
