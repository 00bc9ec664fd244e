"""Many new rows in one statement: COPY on PostgreSQL, one executemany elsewhere (a first sync's new versions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import connection, models

_EMPTY_JSON = {dict: "{}", list: "[]"}


def insert_rows(model_class: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows, given as {attname: value} (the rest take their defaults), in one statement.

    bulk_create spends most of a first sync building instances and preparing
    each value through the generic field machinery (and SQLite caps its
    statements at 999 parameters, about 24 rows); here each value is adapted
    once by its field type, as the ORM would. On PostgreSQL the rows go through
    COPY: psycopg 3's executemany sends one INSERT per row, each parsed and
    planned by the server, and COPY takes half that database time.
    """
    if not rows:
        return
    fields = [f for f in model_class._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    copy = connection.vendor == "postgresql"

    def adapter(f: models.Field) -> Callable[[Any], Any] | None:
        kind = f.get_internal_type()
        if kind in ("CharField", "TextField", "BooleanField", "ForeignKey") or kind.endswith("IntegerField"):
            return None  # the driver takes these as they are
        if kind == "JSONField" and copy:
            # COPY reads jsonb from its text: no wrapper object per value, and most are empty.
            dumps = partial(json.dumps, cls=f.encoder)
            return lambda v: (
                None if v is None else _EMPTY_JSON[type(v)] if not v and type(v) in _EMPTY_JSON else dumps(v)
            )
        if kind == "JSONField":
            return lambda v: None if v is None else ops.adapt_json_value(v, f.encoder)
        if kind == "DateTimeField":
            return None if copy else ops.adapt_datetimefield_value  # PostgreSQL's adapter is the identity
        return lambda v: f.get_db_prep_save(v, connection)

    # Each row over the defaults, its columns picked in C; only the few that need it adapted.
    defaults = {f.attname: f.get_default() for f in fields}
    pick = itemgetter(*defaults)
    adapted = [(i, adapt) for i, f in enumerate(fields) if (adapt := adapter(f)) is not None]
    values = []
    for row in rows:
        value = list(pick({**defaults, **row}))
        for i, adapt in adapted:
            value[i] = adapt(value[i])
        values.append(value)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    table = ops.quote_name(model_class._meta.db_table)
    with connection.cursor() as cursor:
        if copy:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:  # names from the model
                for row in values:
                    stream.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608 (names from the model)
