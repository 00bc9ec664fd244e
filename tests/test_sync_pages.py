"""The sync writes a page of models per transaction and only the version rows PAI changed.

Against the emulator over HTTP; pages of two models (the demo workspace has about a
dozen), so a sync of it spans several pages and transactions.
"""

from __future__ import annotations

import gc
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import sync
from approvals.display.created import created_models
from approvals.errors import SyncFailed
from approvals.models import AuditEvent, ModelVersion, RegisteredModel, SyncState, Workspace
from approvals.pai.client import PaiClient, credentials
from approvals.services.audit import verify_chain
from approvals.sync import sync_workspace
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET
from tests.test_sync import WS, edit_pai_store, pai_registry

pytestmark = pytest.mark.django_db

VERSION_WRITE = re.compile(r'^\s*(UPDATE|INSERT INTO|DELETE FROM) "approvals_modelversion"', re.I)


@pytest.fixture(autouse=True)
def pages_of_two_models(monkeypatch):
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 2)
    monkeypatch.setattr(sync.fetch, "RETRY_BASE_SECONDS", 0)


@pytest.fixture
def client(pai_emulator) -> PaiClient:
    return PaiClient(endpoint=pai_emulator.url, credentials=credentials(PAI_KEY_ID, PAI_KEY_SECRET))


@pytest.fixture
def workspace(db, pai_emulator) -> Workspace:
    return Workspace.objects.create(name="Speech", workspace_id=WS, endpoint=pai_emulator.url)


def version_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if VERSION_WRITE.match(q["sql"])]


def row_versions() -> dict[int, str]:
    """PostgreSQL's xmin per version row: it moves whenever the row is rewritten."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM approvals_modelversion")
        return dict(cursor.fetchall())


def seen_at(pk: int):
    return ModelVersion.objects.select_related("model").get(pk=pk).synced_at


def change_in_pai(server, model_id: str, name: str, **fields) -> None:
    def change(data) -> None:
        row = next(v for v in data["versions"][model_id] if v["VersionName"] == name)
        row.update(GmtModifiedTime="2031-01-01T00:00:00.000Z", **fields)

    edit_pai_store(server, change)


def test_a_resync_with_nothing_changed_writes_no_version_row(workspace, client):
    sync_workspace(workspace=workspace, client=client)
    first = ModelVersion.objects.order_by("pk").first()
    before = seen_at(first.pk)
    xmins = row_versions() if connection.vendor == "postgresql" else None

    with CaptureQueriesContext(connection) as queries:
        result = sync_workspace(workspace=workspace, client=client)

    assert result.ok and result.versions == ModelVersion.objects.count() > 0
    assert version_writes(queries) == []
    if xmins is not None:
        assert row_versions() == xmins
    # Every version still reads as seen by this sync: through its model's versions_seen_at.
    assert seen_at(first.pk) > before
    assert set(RegisteredModel.objects.values_list("versions_seen_at", flat=True)) == {seen_at(first.pk)}


def test_a_version_pai_changed_is_the_only_row_rewritten(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id = sorted(pai_registry(pai_emulator))[0]
    name = sorted(pai_registry(pai_emulator)[model_id])[0]
    change_in_pai(pai_emulator, model_id, name, VersionDescription="changed in the console")
    target = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    xmins = row_versions() if connection.vendor == "postgresql" else None

    with CaptureQueriesContext(connection) as queries:
        result = sync_workspace(workspace=workspace, client=client)

    assert result.changed == 1
    target.refresh_from_db()
    assert target.version_description == "changed in the console"
    writes = version_writes(queries)
    assert writes and all(str(target.pk) in sql for sql in writes)
    if xmins is not None:
        after = row_versions()
        assert {pk for pk in xmins if after[pk] != xmins[pk]} == {target.pk}
    assert AuditEvent.objects.filter(action="pai.changed", model_id=model_id, version_name=name).count() == 1


def test_a_version_pai_no_longer_lists_is_gone_and_keeps_when_it_was_last_seen(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    registry = pai_registry(pai_emulator)
    model_id = next(m for m in sorted(registry) if len(registry[m]) >= 2)
    doomed, kept = sorted(registry[model_id])[:2]
    doomed_pk = ModelVersion.objects.get(model__model_id=model_id, version_name=doomed).pk
    kept_pk = ModelVersion.objects.get(model__model_id=model_id, version_name=kept).pk
    first_seen = seen_at(doomed_pk)
    edit_pai_store(
        pai_emulator,
        lambda data: data["versions"][model_id].remove(
            next(v for v in data["versions"][model_id] if v["VersionName"] == doomed)
        ),
    )

    result = sync_workspace(workspace=workspace, client=client)

    assert result.gone == 1
    gone = ModelVersion.objects.select_related("model").get(pk=doomed_pk)
    assert gone.gone and gone.synced_at == first_seen  # the last sync that listed it
    assert seen_at(kept_pk) > first_seen
    assert AuditEvent.objects.filter(action="pai.gone", model_id=model_id, version_name=doomed).count() == 1

    sync_workspace(workspace=workspace, client=client)  # still gone: nothing more to say, still last seen then
    assert seen_at(doomed_pk) == first_seen
    assert AuditEvent.objects.filter(action="pai.gone", version_name=doomed).count() == 1


def test_a_failure_while_writing_a_page_rolls_back_that_page_and_keeps_the_pages_before(workspace, client):
    pages = []

    def take_over_after_the_first_page(result) -> None:
        pages.append(result.models)
        if len(pages) == 1:
            # Another sync takes the workspace over: the next page's writes end in the takeover check.
            Workspace.objects.filter(pk=workspace.pk).update(
                sync_started_at=workspace.sync_started_at.replace(year=2000)
            )

    with pytest.raises(SyncFailed, match="Another sync"):
        sync_workspace(workspace=workspace, client=client, on_progress=take_over_after_the_first_page)

    first_page = list(RegisteredModel.objects.filter(versions_seen_at__isnull=False))
    assert len(first_page) == 2  # the first page's models, each with its versions and their events
    assert set(ModelVersion.objects.values_list("model_id", flat=True)) == {m.pk for m in first_page}
    # The second page's models, versions and events were written, then rolled back together.
    assert RegisteredModel.objects.count() == 2
    (created,) = AuditEvent.objects.filter(action="pai.created")  # the first page's one event
    assert sorted(m.model_id for m in created_models(created)) == sorted(m.model_id for m in first_page)
    assert verify_chain().ok
    assert AuditEvent.objects.filter(action="sync.failed").count() == 1


def test_after_a_failed_page_the_next_sync_writes_it(workspace, client, pai_emulator):
    calls = []
    original = client.list_model_versions_page

    def fails_on_the_third_model(model_id, **kwargs):
        if model_id not in calls:
            calls.append(model_id)
        if len(calls) == 3:
            pai_emulator.faults.update({"unavailable_rate": 1.0})
        return original(model_id, **kwargs)

    client.list_model_versions_page = fails_on_the_third_model
    with pytest.raises(SyncFailed):
        sync_workspace(workspace=workspace, client=client)
    assert RegisteredModel.objects.count() == 2
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.FAILED and f"ListModelVersions {calls[2]}" in workspace.sync_error

    pai_emulator.faults.update({"unavailable_rate": 0.0})
    client.list_model_versions_page = original
    sync_workspace(workspace=workspace, client=client)
    registry = pai_registry(pai_emulator, WS)
    assert ModelVersion.objects.count() == sum(len(v) for v in registry.values())
    assert RegisteredModel.objects.count() == len(registry)
    assert verify_chain().ok


def test_the_cyclic_collector_is_off_while_pages_are_written_and_back_after(workspace, client):
    during = []
    assert gc.isenabled()
    sync_workspace(workspace=workspace, client=client, on_progress=lambda result: during.append(gc.isenabled()))
    assert during[:-1] and not any(during[:-1])  # each page; the last call reports the outcome, after the walk
    assert gc.isenabled()

    gc.disable()  # a process that runs without it keeps it off
    try:
        sync_workspace(workspace=workspace, client=client)
        assert not gc.isenabled()
    finally:
        gc.enable()
