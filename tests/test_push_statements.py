"""How many SQL statements one push costs besides its two PAI requests: the claim loads the
version in the same UPDATE … RETURNING, and the outcome is written without reading the row
again (10 statements on SQLite and 11 on PostgreSQL before, 8 and 9 now). Counted, so a
round trip added to every push shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import services
from approvals.models import AuditEvent, Change, ModelVersion, PushState
from approvals.services import push, push_rows

pytestmark = pytest.mark.django_db(transaction=True)

VERSION_TABLE = ModelVersion._meta.db_table


def edit(version, user, text):
    version.refresh_from_db()
    return services.version_edit(
        version_id=version.pk, user=user, values={"VersionDescription": text}, base_revision=version.revision
    )


def pushed(version_id):
    with CaptureQueriesContext(connection) as queries:
        outcome = push.push_version(version_id=version_id)
    statements = [q["sql"] for q in queries.captured_queries]
    return outcome, statements


def test_a_push_reads_and_writes_its_version_row_once_each(pending_version, editor):
    change = edit(pending_version, editor, "counted")
    outcome, statements = pushed(pending_version.pk)
    assert outcome.state == PushState.DONE
    on_the_row = [s for s in statements if VERSION_TABLE in s.split(" WHERE ")[0]]
    assert len(on_the_row) == 2, on_the_row
    assert all(s.startswith("UPDATE") and "RETURNING" in s for s in on_the_row)
    assert not [s for s in statements if s.startswith("SELECT") and f'FROM "{VERSION_TABLE}"' in s]
    # claim, the changes owed, BEGIN, the outcome, the changes marked pushed, the audit event
    # (its advisory lock on PostgreSQL, the newest event, the insert), COMMIT
    assert len(statements) <= (9 if connection.vendor == "postgresql" else 8), "\n".join(s[:120] for s in statements)
    version = ModelVersion.objects.get(pk=pending_version.pk)
    assert (version.push_state, version.pushed_revision, version.lease_owner) == (PushState.DONE, version.revision, "")
    assert version.last_request_id and version.pushed_at and version.push_attempts == 0
    change.refresh_from_db()
    assert change.pushed_at and change.push_request_id == version.last_request_id
    assert AuditEvent.objects.filter(action="push.done", version_name=version.version_name).count() == 1


def test_an_edit_during_the_push_leaves_it_queued_not_done(pending_version, editor, monkeypatch):
    edit(pending_version, editor, "first")
    original = push.client_for

    def edit_meanwhile(workspace):
        edit(pending_version, editor, "second, saved while the first was being pushed")
        return original(workspace)

    monkeypatch.setattr(push, "client_for", edit_meanwhile)
    outcome, _ = pushed(pending_version.pk)
    assert outcome.state == PushState.DONE
    version = ModelVersion.objects.get(pk=pending_version.pk)
    assert version.push_state == PushState.QUEUED and version.pushed_revision == version.revision - 1
    assert Change.objects.filter(version=version, pushed_at__isnull=True).count() == 1
    monkeypatch.setattr(push, "client_for", original)
    assert push.push_version(version_id=version.pk).state == PushState.DONE
    version.refresh_from_db()
    assert (version.push_state, version.pushed_revision) == (PushState.DONE, version.revision)


def test_the_claim_loads_the_version_its_model_and_workspace(pending_version, editor):
    edit(pending_version, editor, "claimed")
    now = timezone.now()
    claimed = push_rows.claim(pending_version.pk, "t" * 32, now=now, expires_at=now)
    fresh = ModelVersion.objects.select_related("model", "workspace").get(pk=pending_version.pk)
    assert claimed.lease_owner == fresh.lease_owner == "t" * 32 and claimed.push_state == PushState.PUSHING
    for field in ModelVersion._meta.concrete_fields:
        assert getattr(claimed, field.attname) == getattr(fresh, field.attname), field.name
    assert (claimed.model.model_id, claimed.model.name) == (fresh.model.model_id, fresh.model.name)
    assert (claimed.workspace.workspace_id, claimed.workspace.endpoint) == (
        fresh.workspace.workspace_id,
        fresh.workspace.endpoint,
    )
    # held: nobody else claims it until the lease expires
    assert push_rows.claim(pending_version.pk, "u" * 32, now=now, expires_at=now) is None
