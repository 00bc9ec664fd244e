"""Search by substring uses indexes: pg_trgm GIN indexes on PostgreSQL, FTS5 trigram tables
(kept in step by triggers) on SQLite. See approvals/models/search.py."""

from django.db import migrations

from approvals.models import search


def forwards(apps, schema_editor):
    search.create_search_indexes(schema_editor.connection)


def backwards(apps, schema_editor):
    search.drop_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0019_model_versions_seen_at")]

    operations = [migrations.RunPython(forwards, backwards)]
