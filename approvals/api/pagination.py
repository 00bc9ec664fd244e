"""Keyset ("cursor") pages: each page starts after the last row of the one before,
so page 1,000 costs what page 1 costs and rows added meanwhile do not shift pages.

A cursor is the sort key of a boundary row, signed: a client can pass it back but
not forge or edit one; and because a signature only proves who made it, its shape
(keys, types, lengths, the sort order) is checked too before it reaches a query. NULLs sort
where the database puts them (largest on PostgreSQL, smallest on SQLite), so the
existing indexes serve the ORDER BY.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection, models
from django.db.models import Field, Model, Q, QuerySet
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


NOT_OURS = "This cursor is not one the API gave out; start from the first page."
# The widest value a sort column holds: 64-bit integers, and strings no longer than the column.
INT_RANGE = range(-(2**63), 2**63)


def _field(model: type[Model], path: str) -> Field:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def _checked(field: Field, value: Any, *, nullable: bool) -> Any:
    """The value as the query takes it, or ValueError: a signature proves who made a cursor, not
    that its content is sane (a leaked SECRET_KEY signs anything)."""
    if value is None:
        if nullable:
            return None
        raise ValueError("null")
    if isinstance(field, models.DateTimeField):
        if not isinstance(value, str):
            raise ValueError("not a date-time")
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        moment.astimezone(dt.UTC)  # the database compares in UTC: 0001-01-01T00:00+08:00 overflows
        return moment
    if isinstance(field, (models.IntegerField, models.AutoField)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in INT_RANGE:
            raise ValueError("not an integer")
        return value
    if isinstance(field, models.CharField | models.TextField):
        if not isinstance(value, str) or "\x00" in value or len(value) > (field.max_length or 100_000):
            raise ValueError("not a string")
        value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
        return value
    raise ValueError("a column no cursor sorts by")


def _decode(cursor: str, ordering: Ordering, model: type[Model]) -> tuple[list[Any], bool]:
    try:
        data = signing.loads(cursor, salt=SALT)
        if not isinstance(data, dict) or set(data) != {"v", "b", "p"}:
            raise ValueError("not a cursor")
        values, backward, paths = data["v"], data["b"], data["p"]
    except (signing.BadSignature, ValueError, RecursionError, zlib.error):
        raise ValidationError({"cursor": [NOT_OURS]}) from None
    if paths != list(ordering.order_by):
        raise ValidationError({"cursor": ["This cursor belongs to another sort order; start from the first page."]})
    if not isinstance(backward, bool) or not isinstance(values, list) or len(values) != len(ordering.paths):
        raise ValidationError({"cursor": [NOT_OURS]})
    try:
        checked = [
            _checked(_field(model, path), value, nullable=path in ordering.nullable)
            for path, value in zip(ordering.paths, values, strict=True)
        ]
    except (ValueError, TypeError, OverflowError):
        raise ValidationError({"cursor": [NOT_OURS]}) from None
    return checked, backward


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
        values, backward = _decode(cursor, ordering, queryset.model)
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
