"""Sync against the live emulator over loopback, plus unit tests at the client boundary."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from approvals import sync
from approvals.errors import ApplicationError
from approvals.models import AuditEvent, Change, ChangeKind, ModelVersion, RegisteredModel, SyncState, Workspace
from approvals.pai.client import Page, PaiClient, credentials
from approvals.pai.errors import PaiServerError, PaiThrottled
from approvals.services.audit import verify_chain
from approvals.sync import SyncFailed, ensure_configured_workspaces, sync_workspace
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET

WS = "118493"  # a workspace of the emulator's demo data


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(sync.fetch, "RETRY_BASE_SECONDS", 0)


@pytest.fixture
def client(pai_emulator) -> PaiClient:
    return PaiClient(endpoint=pai_emulator.url, credentials=credentials(PAI_KEY_ID, PAI_KEY_SECRET))


@pytest.fixture
def workspace(db, pai_emulator) -> Workspace:
    return Workspace.objects.create(name="Speech", workspace_id=WS, endpoint=pai_emulator.url)


def store_contents(server) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Every model and version the emulator holds (all workspaces), read from its store."""

    def every(list_page) -> list[dict[str, Any]]:
        rows, number = [], 1
        while True:
            page = list_page({"PageSize": "100", "PageNumber": str(number), "SortBy": "GmtCreateTime", "Order": "ASC"})
            items = page.get("Models", page.get("Versions", []))
            rows += items
            if len(rows) >= page["TotalCount"] or not items:
                return rows
            number += 1

    models = [{k: v for k, v in m.items() if k != "LatestVersion"} for m in every(server.store.list_models)]
    versions = {m["ModelId"]: every(lambda q, mid=m["ModelId"]: server.store.list_versions(mid, q)) for m in models}
    return models, versions


def pai_registry(server, workspace_id: str = WS) -> dict[str, dict[str, dict[str, Any]]]:
    """{ModelId: {VersionName: version}} as the emulator holds it, for one workspace."""
    models, versions = store_contents(server)
    return {
        m["ModelId"]: {v["VersionName"]: v for v in versions[m["ModelId"]]}
        for m in models
        if m["WorkspaceId"] == workspace_id
    }


def edit_pai_store(server, change) -> None:
    """Change the emulator's registry behind the API, as a deletion in the console would."""
    models, versions = store_contents(server)
    data = {"models": models, "versions": versions}
    change(data)
    server.store.replace_all(data["models"], data["versions"])


def events(action: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.order_by("seq")
    return list(qs.filter(action=action) if action else qs)


def some_version(server) -> tuple[str, str, dict[str, Any]]:
    registry = pai_registry(server)
    model_id = sorted(m for m, vs in registry.items() if len(vs) >= 2)[0]
    name, version = sorted(registry[model_id].items())[0]
    return model_id, name, version


# ---- against the emulator ------------------------------------------------------------


def test_a_sync_mirrors_every_model_and_version_pai_lists(workspace, client, pai_emulator):
    result = sync_workspace(workspace=workspace, client=client)

    registry = pai_registry(pai_emulator)
    expected = {(m, v) for m, vs in registry.items() for v in vs}
    stored = set(ModelVersion.objects.values_list("model__model_id", "version_name"))
    assert stored == expected
    assert set(RegisteredModel.objects.values_list("model_id", flat=True)) == set(registry)
    assert (result.models, result.versions, result.created) == (len(registry), len(expected), len(expected))
    assert ModelVersion.objects.filter(workspace=workspace, gone=False).count() == len(expected)

    # Fields arrive as PAI has them: JSON objects kept, Options a string, times parsed.
    model_id, name, pai = some_version(pai_emulator)
    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    assert row.metrics == pai["Metrics"]
    assert row.inference_spec == pai.get("InferenceSpec", {})
    assert row.options == pai.get("Options", "")
    assert row.version_description == pai["VersionDescription"]
    assert row.approval_status == pai["ApprovalStatus"]
    assert row.source_id == pai.get("SourceId", "")
    assert row.gmt_create_time == sync.parse_time(pai["GmtCreateTime"])
    assert row.gmt_modified_time == sync.parse_time(pai["GmtModifiedTime"])
    assert row.synced_at is not None
    # Columns sync does not map take their model defaults.
    assert (row.revision, row.pushed_revision, row.push_state, row.conflict) == (0, 0, "done", {})
    assert row.workspace_id == workspace.pk

    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.OK
    assert workspace.last_synced_at is not None
    assert workspace.sync_error == ""
    assert workspace.sync_progress["models"] == workspace.sync_progress["models_total"] == len(registry)
    assert workspace.sync_progress["versions"] == len(expected)

    # A first sync writes one event per page of models naming each model's versions, not one per model.
    (created,) = events("pai.created")
    assert created.model_id == "" and created.payload["count"] == len(expected)
    models = created.payload["models"]
    assert {m: sorted(part["versions"]) for m, part in models.items()} == {m: sorted(vs) for m, vs in registry.items()}
    assert all(part["new_model"] for part in models.values())
    assert created.actor == "PAI" and created.workspace_id == WS
    assert verify_chain().ok


def test_other_workspaces_are_left_out(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    other = pai_registry(pai_emulator, "207651")
    assert other
    assert not RegisteredModel.objects.filter(model_id__in=list(other)).exists()


def test_a_change_made_in_pai_becomes_a_pai_audit_event_with_the_diff(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, name, before = some_version(pai_emulator)
    new_metrics = {"Results": [{"Dataset": {"DatasetId": "d-new"}, "Metrics": {"cer": 0.1}}]}
    client.update_model_version(model_id, name, {"VersionDescription": "在控制台修改", "Metrics": new_metrics})
    seq_before = AuditEvent.objects.count()

    result = sync_workspace(workspace=workspace, client=client)

    assert result.changed == 1
    assert result.created == 0
    changed = events("pai.changed")
    assert len(changed) == 1
    event = changed[0]
    assert (event.actor, event.model_id, event.version_name, event.workspace_id) == ("PAI", model_id, name, WS)
    assert event.payload == {
        "fields": {
            "VersionDescription": [before["VersionDescription"], "在控制台修改"],
            "Metrics": [before["Metrics"], new_metrics],
        }
    }
    assert AuditEvent.objects.count() == seq_before + 1
    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    assert row.version_description == "在控制台修改"
    assert row.metrics == new_metrics
    assert row.gmt_modified_time == sync.parse_time(pai_registry(pai_emulator)[model_id][name]["GmtModifiedTime"])


def test_running_sync_twice_creates_no_duplicate_events(workspace, client):
    sync_workspace(workspace=workspace, client=client)
    after_first = AuditEvent.objects.count()
    first = ModelVersion.objects.select_related("model").order_by("pk").first()
    synced_at = first.synced_at

    result = sync_workspace(workspace=workspace, client=client)

    assert AuditEvent.objects.count() == after_first
    assert (result.created, result.changed, result.gone) == (0, 0, 0)
    assert ModelVersion.objects.count() == result.versions
    # Still, every version reads as seen by this sync (through its model, no version row written).
    assert ModelVersion.objects.select_related("model").get(pk=first.pk).synced_at > synced_at
    assert verify_chain().ok


def test_a_version_pai_no_longer_lists_is_marked_gone_and_comes_back_when_listed_again(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, name, _ = some_version(pai_emulator)
    removed = {}

    def remove(data):
        versions = data["versions"][model_id]
        removed["v"] = next(v for v in versions if v["VersionName"] == name)
        versions.remove(removed["v"])

    edit_pai_store(pai_emulator, remove)
    result = sync_workspace(workspace=workspace, client=client)

    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    assert row.gone
    assert result.gone == 1
    assert ModelVersion.objects.filter(gone=True).count() == 1
    gone = events("pai.gone")
    assert [(e.actor, e.model_id, e.version_name) for e in gone] == [("PAI", model_id, name)]

    edit_pai_store(pai_emulator, lambda data: data["versions"][model_id].append(removed["v"]))
    result = sync_workspace(workspace=workspace, client=client)

    row.refresh_from_db()
    assert not row.gone
    assert result.reappeared == 1
    assert [(e.model_id, e.version_name) for e in events("pai.reappeared")] == [(model_id, name)]
    assert len(events("pai.gone")) == 1


def test_a_model_pai_no_longer_lists_is_marked_gone_with_its_versions(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, _, _ = some_version(pai_emulator)
    names = sorted(pai_registry(pai_emulator)[model_id])

    def remove(data):
        data["models"] = [m for m in data["models"] if m["ModelId"] != model_id]
        data["versions"].pop(model_id)

    edit_pai_store(pai_emulator, remove)
    sync_workspace(workspace=workspace, client=client)

    assert RegisteredModel.objects.get(model_id=model_id).gone
    assert RegisteredModel.objects.filter(gone=True).count() == 1
    assert set(ModelVersion.objects.filter(gone=True).values_list("version_name", flat=True)) == set(names)
    assert ModelVersion.objects.filter(gone=True).exclude(model__model_id=model_id).count() == 0
    [event] = events("pai.gone")
    assert (event.model_id, event.version_name, event.payload) == (model_id, "", {"versions": names})


def test_unpushed_local_changes_are_not_overwritten_but_the_remote_change_is_audited(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, name, pai = some_version(pai_emulator)
    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    editor = get_user_model().objects.create_user("erin")
    # An accepted local edit of the description that the push pipeline has not delivered yet.
    Change.objects.create(
        version=row,
        revision=1,
        kind=ChangeKind.EDIT,
        author=editor,
        fields={"VersionDescription": [pai["VersionDescription"], "our edit"]},
    )
    ModelVersion.objects.filter(pk=row.pk).update(version_description="our edit", revision=1, pushed_revision=0)
    # Meanwhile someone changes the same field and another one in the PAI console.
    client.update_model_version(model_id, name, {"VersionDescription": "their edit", "Options": '{"a":1}'})

    sync_workspace(workspace=workspace, client=client)

    row.refresh_from_db()
    assert row.version_description == "our edit"
    assert row.options == '{"a":1}'  # no local edit of Options: PAI's value is taken
    # PAI's change of Options is a new revision (a page or decision on revision 1 is now stale), owed nothing.
    assert (row.revision, row.pushed_revision) == (2, 0)
    remote = Change.objects.get(version=row, revision=2)
    assert (remote.kind, remote.author, remote.fields) == (
        "pai",
        None,
        {"Options": [pai.get("Options", ""), '{"a":1}']},
    )
    assert row.gmt_modified_time == sync.parse_time(pai_registry(pai_emulator)[model_id][name]["GmtModifiedTime"])
    [event] = events("pai.changed")
    assert event.payload == {
        "fields": {
            "VersionDescription": [pai["VersionDescription"], "their edit"],
            "Options": [pai.get("Options", ""), '{"a":1}'],
        }
    }

    # The next sync sees nothing new and says nothing more.
    sync_workspace(workspace=workspace, client=client)
    assert len(events("pai.changed")) == 1
    row.refresh_from_db()
    assert row.version_description == "our edit"


def test_a_version_with_unpushed_changes_and_no_change_rows_keeps_every_editable_field(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, name, _ = some_version(pai_emulator)
    ModelVersion.objects.filter(model__model_id=model_id, version_name=name).update(
        version_description="ours", options="{}", revision=2, pushed_revision=1
    )
    client.update_model_version(model_id, name, {"VersionDescription": "theirs", "Options": '{"b":2}'})

    sync_workspace(workspace=workspace, client=client)

    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    assert (row.version_description, row.options) == ("ours", "{}")
    [event] = events("pai.changed")
    assert event.payload["fields"]["Options"] == [row.options, '{"b":2}']


def test_our_own_push_landing_in_pai_is_not_reported_as_a_remote_change(workspace, client, pai_emulator):
    sync_workspace(workspace=workspace, client=client)
    model_id, name, pai = some_version(pai_emulator)
    row = ModelVersion.objects.get(model__model_id=model_id, version_name=name)
    editor = get_user_model().objects.create_user("erin")
    Change.objects.create(
        version=row, revision=1, kind=ChangeKind.EDIT, author=editor,
        fields={"VersionDescription": [pai["VersionDescription"], "our edit"]},
    )  # fmt: skip
    ModelVersion.objects.filter(pk=row.pk).update(version_description="our edit", revision=1, pushed_revision=0)
    # The push has reached PAI but its outcome is not recorded yet when the sync runs.
    client.update_model_version(model_id, name, {"VersionDescription": "our edit"})

    sync_workspace(workspace=workspace, client=client)

    assert events("pai.changed") == []
    row.refresh_from_db()
    assert row.version_description == "our edit"


def test_a_failure_halfway_is_reported_and_keeps_the_pages_synced_before(workspace, client, pai_emulator, monkeypatch):
    # Pages of two models: the first page is saved, the failure comes on the second.
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 2)
    sync_workspace(workspace=workspace, client=client)
    registry = pai_registry(pai_emulator)
    # The order sync walks models in: oldest first.
    ordered = [m["ModelId"] for m in client.list_models(workspace_id=WS, SortBy="GmtCreateTime", Order="ASC")]
    for model_id in ordered[:2]:
        client.update_model_version(model_id, sorted(registry[model_id])[-1], {"Options": '{"halfway":1}'})
    # A version removed from PAI must not be marked gone by a sync that could not list it.
    last_model = ordered[-1]
    doomed = sorted(registry[last_model])[0]
    edit_pai_store(
        pai_emulator,
        lambda data: data["versions"][last_model].remove(
            next(v for v in data["versions"][last_model] if v["VersionName"] == doomed)
        ),
    )

    calls = Counter()
    original = client.list_model_versions_page

    def flaky_after_two_models(model_id, **kwargs):
        calls[model_id] += 1
        if len(calls) > 2:
            pai_emulator.faults.update({"unavailable_rate": 1.0})
        return original(model_id, **kwargs)

    client.list_model_versions_page = flaky_after_two_models

    with pytest.raises(SyncFailed) as failed:
        sync_workspace(workspace=workspace, client=client)

    third = ordered[2]
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.FAILED
    assert f"ListModelVersions {third}" in workspace.sync_error
    assert "ServiceUnavailable" in workspace.sync_error
    assert failed.value.result.models == 2
    assert workspace.sync_progress["models"] == 2
    # What was synced before the failure stays.
    for model_id in ordered[:2]:
        row = ModelVersion.objects.get(model__model_id=model_id, version_name=sorted(registry[model_id])[-1])
        assert row.options == '{"halfway":1}'
    assert len(events("pai.changed")) >= 2
    # Nothing is marked gone for what could not be listed.
    assert not ModelVersion.objects.filter(gone=True).exists()
    assert not RegisteredModel.objects.filter(gone=True).exists()
    assert verify_chain().ok

    # Once PAI is back, the next sync finishes and catches up.
    pai_emulator.faults.update({"unavailable_rate": 0.0})
    client.list_model_versions_page = original
    sync_workspace(workspace=workspace, client=client)
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.OK
    assert workspace.sync_error == ""
    assert ModelVersion.objects.get(model__model_id=last_model, version_name=doomed).gone


def test_a_sync_is_refused_while_another_one_runs(workspace, client):
    started = timezone.now() - timedelta(minutes=3)
    Workspace.objects.filter(pk=workspace.pk).update(sync_state=SyncState.RUNNING, sync_started_at=started)
    workspace.refresh_from_db()

    with pytest.raises(ApplicationError, match="already running"):
        sync_workspace(workspace=workspace, client=client)

    workspace.refresh_from_db()
    assert (workspace.sync_state, workspace.sync_started_at) == (SyncState.RUNNING, started)
    assert not ModelVersion.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_sync_left_running_for_over_15_minutes_is_replaced(workspace, client):
    Workspace.objects.filter(pk=workspace.pk).update(
        sync_state=SyncState.RUNNING, sync_started_at=timezone.now() - timedelta(minutes=16)
    )
    workspace.refresh_from_db()

    sync_workspace(workspace=workspace, client=client)

    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.OK
    assert ModelVersion.objects.exists()


# ---- unit tests at the client boundary --------------------------------------------------


class FakePai:
    """Just enough of PaiClient for sync: paging over in-memory models and versions."""

    def __init__(self, versions: dict[str, list[str]]) -> None:
        self.versions = {m: [self.version(n) for n in names] for m, names in versions.items()}
        self.calls = 0
        self.fail: dict[int, Exception] = {}  # call number -> error to raise
        self.on_call = None

    @staticmethod
    def version(name: str, **fields: Any) -> dict[str, Any]:
        return {"VersionName": name, "ApprovalStatus": "Pending", "GmtCreateTime": "2026-11-26T19:00:00.123Z", **fields}

    def _tick(self) -> None:
        self.calls += 1
        if self.on_call:
            self.on_call(self)
        if self.calls in self.fail:
            raise self.fail[self.calls]

    def list_models_page(self, *, workspace_id: str, page_number: int, page_size: int = 100, **filters) -> Page:
        self._tick()
        ids = sorted(self.versions)
        chunk = ids[(page_number - 1) * page_size : page_number * page_size]
        return Page(len(ids), [{"ModelId": m, "ModelName": m, "WorkspaceId": workspace_id} for m in chunk], "r")

    def list_model_versions_page(self, model_id: str, *, page_number: int, page_size: int = 100, **filters) -> Page:
        self._tick()
        rows = self.versions[model_id]
        return Page(len(rows), rows[(page_number - 1) * page_size : page_number * page_size], "r")


@pytest.fixture
def plain_workspace(db) -> Workspace:
    return Workspace.objects.create(name="Unit", workspace_id="ws-unit")


def test_a_server_error_on_the_nth_call_fails_the_sync_and_names_the_call(plain_workspace):
    fake = FakePai({"m-1": ["1.0.0"], "m-2": ["1.0.0", "1.1.0"]})
    sync_workspace(workspace=plain_workspace, client=fake)
    fake.calls = 0
    error = PaiServerError("The service is busy.", status=500, code="InternalError", request_id="REQ-1")
    fake.fail = {3 + i: error for i in range(sync.fetch.PAGE_ATTEMPTS)}  # ListModels, m-1, then m-2 every try

    with pytest.raises(SyncFailed, match="InternalError"):
        sync_workspace(workspace=plain_workspace, client=fake)

    plain_workspace.refresh_from_db()
    assert plain_workspace.sync_state == SyncState.FAILED
    assert (
        plain_workspace.sync_error == "ListModelVersions m-2: 500 InternalError The service is busy. (RequestId REQ-1)"
    )
    assert fake.calls == 2 + sync.fetch.PAGE_ATTEMPTS


def test_a_retryable_error_is_retried_and_the_sync_completes(plain_workspace):
    fake = FakePai({"m-1": ["1.0.0"], "m-2": ["1.0.0"]})
    fake.fail = {2: PaiThrottled("slow down", status=429, code="Throttling.User", retry_after=0)}

    result = sync_workspace(workspace=plain_workspace, client=fake)

    assert result.versions == 2
    plain_workspace.refresh_from_db()
    assert plain_workspace.sync_state == SyncState.OK


def test_a_listing_that_shifts_while_paging_marks_nothing_gone(plain_workspace, monkeypatch):
    monkeypatch.setattr(sync.fetch, "PAGE_SIZE", 2)
    fake = FakePai({"m-1": ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]})
    sync_workspace(workspace=plain_workspace, client=fake)

    def delete_during_paging(pai):
        # After page 1 of m-1 was read, 1.0.0 is deleted: 1.2.0 slides onto page 1 and is never seen.
        if pai.calls == 3:
            pai.versions["m-1"].pop(0)

    fake.calls = 0
    fake.on_call = delete_during_paging
    result = sync_workspace(workspace=plain_workspace, client=fake)

    assert result.skipped_gone_checks == ["m-1"]
    assert not ModelVersion.objects.filter(gone=True).exists()
    assert not AuditEvent.objects.filter(action="pai.gone").exists()


def test_new_versions_of_a_known_model_are_one_created_event_naming_them(plain_workspace):
    fake = FakePai({"m-1": ["1.0.0"]})
    sync_workspace(workspace=plain_workspace, client=fake)
    fake.versions["m-1"] += [fake.version("1.1.0"), fake.version("1.2.0")]

    result = sync_workspace(workspace=plain_workspace, client=fake)

    assert result.created == 2
    last = AuditEvent.objects.filter(action="pai.created").order_by("-seq").first()
    assert last.payload == {"versions": ["1.1.0", "1.2.0"], "new_model": False}
    assert ModelVersion.objects.filter(model__model_id="m-1").count() == 3


def test_the_sync_costs_a_fixed_number_of_queries_per_model(plain_workspace):
    def registry(n):
        return {f"m-{m}": [f"1.0.{i}" for i in range(n)] for m in range(3)}

    sync_workspace(workspace=plain_workspace, client=FakePai(registry(5)))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        sync_workspace(workspace=plain_workspace, client=FakePai(registry(5)))
    with CaptureQueriesContext(connection) as large:
        sync_workspace(workspace=plain_workspace, client=FakePai(registry(300)))
    # 885 new versions are written in batches (SQLite caps a statement at 999 parameters,
    # about 24 rows), never a query per row.
    assert len(large.captured_queries) - len(small.captured_queries) <= 885 // 10
    assert ModelVersion.objects.count() == 900


def test_ensure_configured_workspaces_creates_missing_rows_once(db):
    Workspace.objects.create(name="Existing", workspace_id="111")
    with override_settings(PAI_WORKSPACE_IDS=["111", "222"]):
        first = ensure_configured_workspaces()
        second = ensure_configured_workspaces()
    assert [w.workspace_id for w in first] == ["111", "222"]
    assert [w.pk for w in first] == [w.pk for w in second]
    assert Workspace.objects.get(workspace_id="111").name == "Existing"
    assert Workspace.objects.count() == 2


# ---- the command -----------------------------------------------------------------------


def test_the_command_prints_progress_and_a_summary(workspace, capsys, pai_emulator):
    models = len(pai_registry(pai_emulator))
    versions = sum(len(v) for v in pai_registry(pai_emulator).values())

    call_command("sync_pai", workspace=WS)

    out, err = capsys.readouterr()
    assert f"{models}/{models}" in err  # tqdm's bar
    assert f"{WS}: {models} models, {versions} versions, {versions} created, 0 changed, 0 gone" in out
    assert ModelVersion.objects.count() == versions


def test_the_command_reports_a_failure_and_exits_1(workspace, capsys, pai_emulator):
    pai_emulator.faults.update({"unavailable_rate": 1.0})

    with pytest.raises(CommandError, match="ServiceUnavailable") as failed:
        call_command("sync_pai", workspace=WS)

    assert failed.value.returncode == 1
    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.FAILED


def test_the_command_refuses_an_unknown_workspace(db):
    with pytest.raises(CommandError, match="No workspace nope"):
        call_command("sync_pai", workspace="nope")
