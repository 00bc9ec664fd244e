"""The search indexes behind `?q=` (selectors/version_search.py reads them).

PostgreSQL: pg_trgm GIN indexes on the very expressions Django's `icontains` compiles to,
`UPPER(col::text) LIKE UPPER(%s)`, so a substring search is an index scan, not a read of
every row. SQLite: FTS5 tables with the trigram tokenizer, content-linked by rowid to the
version and model tables and kept in step by triggers.

A table rebuild on SQLite (Django remakes a table for most ALTERs) drops the triggers of the
old table; `ensure_sqlite_search` (run by the migration and after every `migrate`) puts them
back and rebuilds the FTS tables when any was missing, so they never drift from the rows.
"""

from __future__ import annotations

from typing import Any

# The migration that creates them.
MIGRATION = ("approvals", "0020_version_search")

VERSION_TABLE = "approvals_modelversion"
MODEL_TABLE = "approvals_registeredmodel"

# PostgreSQL: index name -> (table, column).
TRIGRAM_INDEXES = {
    "approvals_version_name_trgm": (VERSION_TABLE, "version_name"),
    "approvals_version_desc_trgm": (VERSION_TABLE, "version_description"),
    "approvals_model_name_trgm": (MODEL_TABLE, "name"),
}

# SQLite: FTS table -> (content table, columns).
VERSION_SEARCH = "approvals_version_search"
MODEL_SEARCH = "approvals_model_search"
FTS_TABLES = {
    VERSION_SEARCH: (VERSION_TABLE, ("version_name", "version_description")),
    MODEL_SEARCH: (MODEL_TABLE, ("name",)),
}


def _triggers(fts: str, table: str, columns: tuple[str, ...]) -> dict[str, str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608 (constant names)
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # noqa: S608 (constant names)
    return {
        f"{fts}_ai": f"AFTER INSERT ON {table} BEGIN {insert} END",
        f"{fts}_ad": f"AFTER DELETE ON {table} BEGIN {delete} END",
        f"{fts}_au": f"AFTER UPDATE OF {names} ON {table} BEGIN {delete} {insert} END",
    }


def sqlite_trigger_names() -> list[str]:
    return [name for fts, (table, columns) in FTS_TABLES.items() for name in _triggers(fts, table, columns)]


def ensure_sqlite_search(connection: Any) -> None:
    """Create the FTS tables and triggers that are missing; rebuild a table whose triggers were."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        for fts, (table, columns) in FTS_TABLES.items():
            if table not in present:
                continue
            stale = fts not in present
            if stale:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                    f"content='{table}', content_rowid='id', tokenize='trigram')"
                )
            for name, body in _triggers(fts, table, columns).items():
                if name not in present:
                    stale = True
                    cursor.execute(f"CREATE TRIGGER {name} {body}")
            if stale:
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608 (constant names)


def drop_sqlite_search(connection: Any) -> None:
    with connection.cursor() as cursor:
        for name in sqlite_trigger_names():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for fts in FTS_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def create_trigram_indexes(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in TRIGRAM_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def drop_trigram_indexes(connection: Any) -> None:
    with connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        # Left in place if anything else of the database uses it.
        cursor.execute("DROP EXTENSION IF EXISTS pg_trgm RESTRICT")


def create_search_indexes(connection: Any) -> None:
    if connection.vendor == "postgresql":
        create_trigram_indexes(connection)
    elif connection.vendor == "sqlite":
        ensure_sqlite_search(connection)


def drop_search_indexes(connection: Any) -> None:
    if connection.vendor == "postgresql":
        drop_trigram_indexes(connection)
    elif connection.vendor == "sqlite":
        drop_sqlite_search(connection)
