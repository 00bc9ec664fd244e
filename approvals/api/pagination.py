"""Keyset ("cursor") pages: each page starts after the last row of the one before,
so page 1,000 costs what page 1 costs and rows added meanwhile do not shift pages.

A cursor is the sort key of a boundary row, signed: a client can pass it back but
not forge or edit one, so a cursor never reaches a query unchecked. NULLs sort
where the database puts them (largest on PostgreSQL, smallest on SQLite), so the
existing indexes serve the ORDER BY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

SALT = "approvals.api.cursor"
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Ordering:
    """ORM paths in sort order (the last one unique), all ascending or all descending."""

    paths: tuple[str, ...]
    descending: bool
    nullable: frozenset[str] = frozenset()

    @property
    def order_by(self) -> list[str]:
        return [f"-{p}" if self.descending else p for p in self.paths]


@dataclass
class CursorPage:
    items: list[Any]
    next_url: str | None
    previous_url: str | None


def _value_of(row: Any, path: str) -> Any:
    value = row
    for part in path.split("__"):
        value = getattr(value, part)
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _beyond(path: str, value: Any, *, upward: bool, nullable: bool) -> Q:
    """Rows strictly past `value` on one column, going up (ascending) or down."""
    nulls_largest = connection.vendor == "postgresql"
    if value is None:
        # NULL is the largest value on PostgreSQL and the smallest elsewhere.
        return Q(**{f"{path}__isnull": False}) if upward != nulls_largest else NOTHING
    past = Q(**{f"{path}__gt" if upward else f"{path}__lt": value})
    if nullable and upward == nulls_largest:
        past |= Q(**{f"{path}__isnull": True})
    return past


def _after(ordering: Ordering, values: Sequence[Any], *, backward: bool) -> Q:
    upward = ordering.descending == backward
    condition = NOTHING
    equal = Q()
    for path, value in zip(ordering.paths, values, strict=True):
        nullable = path in ordering.nullable
        condition |= equal & _beyond(path, value, upward=upward, nullable=nullable)
        equal &= Q(**{f"{path}__isnull": True}) if value is None else Q(**{path: value})
    return condition


def _decode(cursor: str, ordering: Ordering) -> tuple[list[Any], bool]:
    try:
        data = signing.loads(cursor, salt=SALT)
        values, backward, paths = data["v"], data["b"], data["p"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError({"cursor": ["This cursor is not one the API gave out."]}) from None
    if paths != list(ordering.order_by) or not isinstance(values, list) or len(values) != len(ordering.paths):
        raise ValidationError({"cursor": ["This cursor belongs to another sort order; start from the first page."]})
    return values, bool(backward)


def _encode(row: Any, ordering: Ordering, *, backward: bool) -> str:
    values = [_value_of(row, path) for path in ordering.paths]
    return signing.dumps({"v": values, "b": backward, "p": ordering.order_by}, salt=SALT, compress=True)


def cursor_page(
    queryset: QuerySet, ordering: Ordering, *, request: Request, cursor: str | None, page_size: int
) -> CursorPage:
    """One page of `queryset` in `ordering`, with links to the pages around it."""
    queryset = queryset.order_by(*ordering.order_by)
    backward = False
    if cursor:
        values, backward = _decode(cursor, ordering)
        queryset = queryset.filter(_after(ordering, values, backward=backward))
    if backward:
        rows = list(queryset.reverse()[: page_size + 1])
        more_before, more_after = len(rows) > page_size, True
        items = list(reversed(rows[:page_size]))
    else:
        rows = list(queryset[: page_size + 1])
        more_before, more_after = bool(cursor), len(rows) > page_size
        items = rows[:page_size]
    url = request.build_absolute_uri()

    def link(row: Any, *, back: bool) -> str:
        return replace_query_param(url, "cursor", _encode(row, ordering, backward=back))

    next_url = link(items[-1], back=False) if items and more_after else None
    previous_url = None
    if items and more_before:
        previous_url = link(items[0], back=True)
    elif cursor and not items:
        previous_url = remove_query_param(url, "cursor")
    return CursorPage(items=items, next_url=next_url, previous_url=previous_url)
