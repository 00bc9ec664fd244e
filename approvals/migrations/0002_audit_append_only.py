"""On PostgreSQL, refuse UPDATE and DELETE on the audit log in the database itself.

The ORM already refuses them; the trigger also stops raw SQL and other clients.
TRUNCATE is left alone on purpose: test databases are flushed with it, and
cutting the tail of a hash chain is something no in-table check can notice.
SQLite has no equivalent worth the complexity, so there it is a no-op.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION approvals_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'approvals_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS approvals_auditevent_append_only ON approvals_auditevent;
CREATE TRIGGER approvals_auditevent_append_only
    BEFORE UPDATE OR DELETE ON approvals_auditevent
    FOR EACH ROW EXECUTE FUNCTION approvals_auditevent_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS approvals_auditevent_append_only ON approvals_auditevent;
DROP FUNCTION IF EXISTS approvals_auditevent_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
