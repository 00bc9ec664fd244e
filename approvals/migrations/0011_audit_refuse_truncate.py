"""On PostgreSQL, refuse TRUNCATE of the audit log as well (UPDATE and DELETE: 0002).

TRUNCATE fires no row trigger, so it needs a statement-level one. Only the table's
owner can disable or drop a trigger: the application should run as a role that
owns nothing and may only SELECT and INSERT here (README "Security"). The tests,
which run as the owner, flush their database past it (tests/fixtures_audit.py).
SQLite has no TRUNCATE; there this is a no-op.
"""

from django.db import migrations

CREATE = """
DROP TRIGGER IF EXISTS approvals_auditevent_no_truncate ON approvals_auditevent;
CREATE TRIGGER approvals_auditevent_no_truncate
    BEFORE TRUNCATE ON approvals_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_auditevent_refuse_change();
"""

DROP = "DROP TRIGGER IF EXISTS approvals_auditevent_no_truncate ON approvals_auditevent;"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0010_auditevent_key_id")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
