"""A re-sync tells a changed version from an unchanged one by its stamp (sync/mapping.pai_stamp).

PAI moves GmtModifiedTime on every UpdateModelVersion, so an unchanged GmtModifiedTime string
lets the sync skip a version without mapping or loading it. These tests hold the cases where
the time alone would miss a change: labels changed by calls that may not move it, a clock
coarser than the sync's (two changes within one second), and rows stored before stamps were kept.
Against the emulator over HTTP, its store edited behind the API as a change in the console would be.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import sync
from approvals.models import AuditEvent, ModelVersion, RegisteredModel, Workspace
from approvals.pai.client import PaiClient, credentials
from approvals.sync import sync_workspace
from approvals.sync.mapping import pai_stamp
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET
from tests.test_sync import WS, edit_pai_store, pai_registry

pytestmark = pytest.mark.django_db

# Whole version rows loaded by pk (locked on PostgreSQL): what a version the stamps cannot clear costs.
LOAD = re.compile(r'^\s*SELECT "approvals_modelversion"\."id", .* WHERE "approvals_modelversion"\."id" IN ', re.S)
VERSION_WRITE = re.compile(r'^\s*(UPDATE|INSERT INTO|DELETE FROM) "approvals_modelversion"', re.I)


@pytest.fixture
def client(pai_emulator) -> PaiClient:
    return PaiClient(endpoint=pai_emulator.url, credentials=credentials(PAI_KEY_ID, PAI_KEY_SECRET))


@pytest.fixture
def workspace(db, pai_emulator) -> Workspace:
    return Workspace.objects.create(name="Speech", workspace_id=WS, endpoint=pai_emulator.url)


def version_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if VERSION_WRITE.match(q["sql"])]


LONG_AGO = "2020-01-02T03:04:05.678Z"


def modified_long_ago(server) -> None:
    """Every version last modified long before any sync (the demo data's times may be minutes old)."""

    def change(data) -> None:
        for versions in data["versions"].values():
            for version in versions:
                version["GmtModifiedTime"] = LONG_AGO

    edit_pai_store(server, change)


def old_version() -> ModelVersion:
    """A synced version PAI last modified long before the sync: only its stamp says whether it changed."""
    row = ModelVersion.objects.select_related("model").order_by("pk")[0]
    assert row.gmt_modified_time < timezone.now() - dt.timedelta(days=1)
    return row


def edit_version(server, model_id: str, name: str, **fields) -> None:
    def change(data) -> None:
        next(v for v in data["versions"][model_id] if v["VersionName"] == name).update(**fields)

    edit_pai_store(server, change)


def changed_fields(model_id: str, name: str) -> list[set[str]]:
    events = AuditEvent.objects.filter(action="pai.changed", model_id=model_id, version_name=name).order_by("seq")
    return [set(e.payload["fields"]) for e in events]


def test_labels_changed_in_pai_without_a_new_modified_time_are_picked_up(workspace, client, pai_emulator):
    modified_long_ago(pai_emulator)
    sync_workspace(workspace=workspace, client=client)
    row = old_version()
    model_id, name = row.model.model_id, row.version_name
    before = [dict(label) for label in pai_registry(pai_emulator)[model_id][name].get("Labels") or []]
    # The label calls are not documented to move GmtModifiedTime: this PAI left it as it was.
    edit_version(pai_emulator, model_id, name, Labels=[{"Key": "zz-team", "Value": "speech"}, *before])

    result = sync_workspace(workspace=workspace, client=client)

    assert result.changed == 1
    row.refresh_from_db()
    assert {"Key": "zz-team", "Value": "speech"} in row.labels
    assert changed_fields(model_id, name) == [{"Labels"}]
    # And the labels PAI removes again, still without moving the time.
    edit_version(pai_emulator, model_id, name, Labels=before)
    sync_workspace(workspace=workspace, client=client)
    row.refresh_from_db()
    assert {"Key": "zz-team", "Value": "speech"} not in row.labels
    assert changed_fields(model_id, name) == [{"Labels"}, {"Labels"}]


def test_two_changes_within_one_second_of_a_coarse_clock_are_both_picked_up(workspace, client, pai_emulator):
    modified_long_ago(pai_emulator)
    sync_workspace(workspace=workspace, client=client)
    row = old_version()
    model_id, name = row.model.model_id, row.version_name
    # A PAI whose clock counts whole seconds: a change just before a sync's listing and another one
    # just after it, in the same second, carry the same GmtModifiedTime.
    second = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    edit_version(pai_emulator, model_id, name, VersionDescription="first change", GmtModifiedTime=second)
    sync_workspace(workspace=workspace, client=client)
    row.refresh_from_db()
    assert row.version_description == "first change"

    edit_version(pai_emulator, model_id, name, VersionDescription="second change", GmtModifiedTime=second)
    result = sync_workspace(workspace=workspace, client=client)

    assert result.changed == 1
    row.refresh_from_db()
    assert row.version_description == "second change"
    assert changed_fields(model_id, name) == [{"VersionDescription"}, {"VersionDescription"}]

    # Compared again while it is that recent, yet unchanged: nothing is written, nothing audited.
    with CaptureQueriesContext(connection) as queries:
        result = sync_workspace(workspace=workspace, client=client)
    assert result.changed == 0 and version_writes(queries) == []
    assert len(changed_fields(model_id, name)) == 2


def test_an_old_version_with_its_stamp_unchanged_is_not_loaded(workspace, client, pai_emulator):
    modified_long_ago(pai_emulator)
    sync_workspace(workspace=workspace, client=client)
    assert ModelVersion.objects.filter(gmt_modified_time__lt=timezone.now() - dt.timedelta(days=1)).count() > 0

    with CaptureQueriesContext(connection) as queries:
        sync_workspace(workspace=workspace, client=client)

    loads = [q["sql"] for q in queries.captured_queries if LOAD.match(q["sql"])]
    assert loads == []


def test_versions_stored_before_stamps_were_kept_are_compared_once_then_skipped(workspace, client, pai_emulator):
    modified_long_ago(pai_emulator)
    sync_workspace(workspace=workspace, client=client)
    ModelVersion.objects.update(pai_stamp="")  # as migration 0023 leaves the rows synced before it
    events = AuditEvent.objects.count()

    result = sync_workspace(workspace=workspace, client=client)

    assert result.ok and result.changed == 0 and AuditEvent.objects.count() == events
    listed = {(m, n): pai_stamp(v) for m, versions in pai_registry(pai_emulator).items() for n, v in versions.items()}
    stored = {
        (m, n): stamp
        for m, n, stamp in ModelVersion.objects.values_list("model__model_id", "version_name", "pai_stamp")
    }
    assert stored == listed and all(listed.values())
    with CaptureQueriesContext(connection) as queries:
        sync_workspace(workspace=workspace, client=client)
    assert version_writes(queries) == []


def test_a_page_that_changes_nothing_writes_its_models_in_one_statement(workspace, client, pai_emulator, monkeypatch):
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 2)
    sync_workspace(workspace=workspace, client=client)
    before = dict(RegisteredModel.objects.values_list("pk", "synced_at"))

    with CaptureQueriesContext(connection) as queries:
        result = sync_workspace(workspace=workspace, client=client)

    pages = -(-result.models_total // 2)
    model_writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "approvals_registeredmodel"')
    ]
    assert len(model_writes) == pages > 1
    rows = list(RegisteredModel.objects.values_list("pk", "synced_at", "versions_seen_at"))
    assert len({seen for _pk, _synced, seen in rows}) == 1
    assert all(synced == seen and synced > before[pk] for pk, synced, seen in rows)


def test_a_version_dated_ahead_of_the_sync_is_not_compared_again_at_every_sync(workspace, client, pai_emulator):
    modified_long_ago(pai_emulator)
    sync_workspace(workspace=workspace, client=client)
    row = old_version()
    # A registry whose clock runs years ahead (the bench's synthetic one does): no listing of
    # ours can have been followed by a change carrying this time, so the stamp alone decides.
    edit_version(pai_emulator, row.model.model_id, row.version_name, GmtModifiedTime="2031-01-01T00:00:00.000Z")
    assert sync_workspace(workspace=workspace, client=client).ok

    with CaptureQueriesContext(connection) as queries:
        sync_workspace(workspace=workspace, client=client)

    loads = [q["sql"] for q in queries.captured_queries if LOAD.match(q["sql"])]
    assert loads == []
