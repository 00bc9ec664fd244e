"""Migration 0020's search indexes: on PostgreSQL the search query can use all three trigram
indexes; on SQLite the FTS5 tables and their triggers exist after every migration and follow
inserts, edits, deletes and model renames. Each test checks its backend's half."""

import pytest
from django.db import connection

from approvals.apps import _search_triggers
from approvals.models import ModelVersion
from approvals.models.search import (
    FTS_TABLES,
    MODEL_SEARCH,
    TRIGRAM_INDEXES,
    VERSION_SEARCH,
    create_search_indexes,
    sqlite_trigger_names,
)
from approvals.permissions import EVERYTHING as ALL
from approvals.selectors.version_search import search_filter
from approvals.selectors.versions import VersionFilters, version_list
from tests.factories import make_model, make_version

pytestmark = pytest.mark.django_db

POSTGRESQL = connection.vendor == "postgresql"


def plan_of(queryset):
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if POSTGRESQL:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_search_query_can_use_the_indexes():
    version = make_version(make_model(name="bert-base"), version_name="1.0.0", version_description="tuned")
    queryset = version_list(VersionFilters(search="bert"), scope=ALL).order_by()
    plan = plan_of(queryset)
    for name in TRIGRAM_INDEXES if POSTGRESQL else FTS_TABLES:
        assert name in plan, plan
    assert list(queryset.values_list("pk", flat=True)) == [version.pk]


def sqlite_objects(kind):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = %s", [kind])
        return {row[0] for row in cursor.fetchall()}


def test_the_indexes_exist_after_all_migrations():
    if not POSTGRESQL:
        assert set(FTS_TABLES) <= sqlite_objects("table")
        assert set(sqlite_trigger_names()) <= sqlite_objects("trigger")
        assert len(sqlite_trigger_names()) == 6
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(TRIGRAM_INDEXES)])
        definitions = dict(cursor.fetchall())
    assert set(definitions) == set(TRIGRAM_INDEXES)
    for name, (table, column) in TRIGRAM_INDEXES.items():
        # PostgreSQL prints a cast of text to text as nothing: upper(version_description).
        expression = f"upper({column})" if column == "version_description" else f"upper(({column})::text)"
        assert f"ON public.{table} USING gin ({expression} gin_trgm_ops)" in definitions[name], definitions[name]


def found(table, phrase):
    """The rows the index finds: the FTS table's own on SQLite, the search's on PostgreSQL."""
    if POSTGRESQL:
        versions = search_filter(ModelVersion.objects.all(), phrase)
        if table == MODEL_SEARCH:
            return set(versions.filter(model__name__icontains=phrase).values_list("model_id", flat=True))
        return set(versions.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [f'"{phrase}"'])  # noqa: S608 (constant)
        return {row[0] for row in cursor.fetchall()}


def integrity_check():
    if POSTGRESQL:
        return
    with connection.cursor() as cursor:
        for table in FTS_TABLES:
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608 (constant)


def test_the_indexes_follow_the_rows():
    model = make_model(name="Walrus detector")
    version = make_version(model, version_name="tusk-1", version_description="Arctic seas")
    assert found(VERSION_SEARCH, "arctic") == {version.pk}
    assert found(MODEL_SEARCH, "walrus") == {model.pk}
    version.version_description = "Antarctic ice"
    version.save()
    assert found(VERSION_SEARCH, "ntarct") == {version.pk}
    assert found(VERSION_SEARCH, "seas") == set()
    ModelVersion.objects.filter(pk=version.pk).update(version_name="horn-2")
    assert found(VERSION_SEARCH, "horn-2") == {version.pk}
    assert found(VERSION_SEARCH, "tusk") == set()
    model.name = "Narwhal finder"
    model.save()
    assert found(MODEL_SEARCH, "narwhal") == {model.pk}
    assert found(MODEL_SEARCH, "walrus") == set()
    integrity_check()
    version.delete()
    assert found(VERSION_SEARCH, "horn-2") == set()
    integrity_check()


def test_a_dropped_trigger_is_put_back_after_migrate_and_the_table_rebuilt():
    """What a later migration's table rebuild does to SQLite's triggers, and what `migrate` then
    does; on PostgreSQL the migration's step runs again without harm (IF NOT EXISTS)."""
    if POSTGRESQL:
        create_search_indexes(connection)  # before any row: no pending foreign-key checks
    version = make_version(make_model(), version_name="seal-1")
    if not POSTGRESQL:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {VERSION_SEARCH}_au")
    ModelVersion.objects.filter(pk=version.pk).update(version_name="otter-1")  # SQLite's FTS misses it
    _search_triggers(sender=None, using="default")
    if not POSTGRESQL:
        assert set(sqlite_trigger_names()) <= sqlite_objects("trigger")
    assert found(VERSION_SEARCH, "otter") == {version.pk}
    assert found(VERSION_SEARCH, "seal") == set()
    integrity_check()


def test_below_the_migration_migrate_leaves_them_out():
    """Migrated back below 0020, a `migrate` does not put the FTS triggers back."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'approvals' AND name = '0020_version_search'")
        if not POSTGRESQL:
            cursor.execute(f"DROP TRIGGER {VERSION_SEARCH}_au")
    _search_triggers(sender=None, using="default")
    if not POSTGRESQL:
        assert f"{VERSION_SEARCH}_au" not in sqlite_objects("trigger")
        assert f"{VERSION_SEARCH}_ai" in sqlite_objects("trigger")
