"""POST /_emulator/versions and `manage.py pai_emulator_add_version`: a new Pending version in a running
emulator, as a training job would register one, seen by the signed API and by a sync."""

from __future__ import annotations

import pytest
import requests
from django.core.management import CommandError, call_command

from approvals.models import AuditEvent, ModelVersion
from approvals.sync import sync_workspace
from tests.fixtures_pai import pai_call


def first_model(server) -> dict:
    return pai_call(server, "GET", "/api/v1/models", query={"PageSize": "1"}).json()["Models"][0]


def add(server, body) -> requests.Response:
    return requests.post(f"{server.url}/_emulator/versions", json=body, timeout=5)


def test_a_version_added_by_model_name_is_pending_next_in_line_and_listed_by_the_api(pai_emulator):
    model = first_model(pai_emulator)
    latest = model["LatestVersion"]
    answer = add(pai_emulator, {"Model": model["ModelName"], "VersionDescription": "fresh from training"})
    assert answer.status_code == 200, answer.text
    version = answer.json()["Version"]
    major, minor, patch = latest["VersionName"].split("_")[0].split(".")
    assert version["VersionName"] == f"{major}.{minor}.{int(patch) + 1}"
    assert version["ApprovalStatus"] == "Pending" and version["ModelId"] == model["ModelId"]
    path = f"/api/v1/models/{model['ModelId']}/versions/{version['VersionName']}"
    stored = pai_call(pai_emulator, "GET", path).json()
    assert stored["VersionDescription"] == "fresh from training" and stored["ApprovalStatus"] == "Pending"
    assert stored["FormatType"] == latest["FormatType"] and stored["Uri"] == latest["Uri"]  # copied from the newest
    again = pai_call(pai_emulator, "GET", f"/api/v1/models/{model['ModelId']}").json()
    assert again["LatestVersion"]["VersionName"] == version["VersionName"]
    assert again["GmtLatestVersionModifiedTime"] == stored["GmtModifiedTime"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({}, 400, "Model is required"),
        ({"Model": "no-such-model"}, 404, "no-such-model"),
        ({"Model": "sentiment-classifier", "VersionName": "v1"}, 400, "VersionName must look like"),
        ({"Model": "sentiment-classifier", "Metrics": "[]"}, 400, "Metrics must be a JSON object"),
        ({"Model": "sentiment-classifier", "Colour": "red"}, 400, "Unknown field 'Colour'"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_a_bad_body_is_refused_with_a_clear_message_and_adds_nothing(pai_emulator, body, status, says):
    before = pai_emulator.store.counts()["versions"]
    answer = add(pai_emulator, body)
    assert answer.status_code == status and says in answer.json()["Message"]
    assert pai_emulator.store.counts()["versions"] == before


def test_a_version_name_in_use_is_a_conflict(pai_emulator):
    model = first_model(pai_emulator)
    answer = add(pai_emulator, {"Model": model["ModelId"], "VersionName": model["LatestVersion"]["VersionName"]})
    assert answer.status_code == 409 and answer.json()["Code"] == "ModelVersionAlreadyExists"


def test_only_post_is_allowed(pai_emulator):
    assert requests.get(f"{pai_emulator.url}/_emulator/versions", timeout=5).status_code == 405


@pytest.mark.django_db
def test_the_command_adds_a_version_and_the_next_sync_finds_it_pending(synced_workspace, pai_emulator, capsys):
    model = ModelVersion.objects.filter(workspace=synced_workspace).select_related("model").first().model
    call_command("pai_emulator_add_version", "--model", model.name, "--emulator", pai_emulator.url)
    out = capsys.readouterr().out
    assert f"of {model.name} ({model.model_id}) in workspace {synced_workspace.workspace_id}" in out
    name = out.split("Added version ", 1)[1].split(" ", 1)[0]
    assert not ModelVersion.objects.filter(model=model, version_name=name).exists()
    sync_workspace(workspace=synced_workspace)
    version = ModelVersion.objects.get(model=model, version_name=name)
    assert version.approval_status == "Pending" and version.pending_since is not None
    created = AuditEvent.objects.filter(action="pai.created", model_id=model.model_id).order_by("seq").last()
    assert created.payload["versions"] == [name]


@pytest.mark.django_db
def test_the_command_queues_a_sync_of_the_workspace_audited_as_the_command(
    synced_workspace, pai_emulator, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("approvals.tasks.sync_workspace_task.delay", queued.append)  # the worker's part
    model = ModelVersion.objects.filter(workspace=synced_workspace).select_related("model").first().model
    with django_capture_on_commit_callbacks(execute=True):
        call_command("pai_emulator_add_version", "--model", model.model_id, "--sync", "--emulator", pai_emulator.url)
    event = AuditEvent.objects.get(action="sync.requested")
    assert event.actor == "manage.py pai_emulator_add_version"
    assert event.workspace_id == synced_workspace.workspace_id and queued == [synced_workspace.pk]


@pytest.mark.django_db
def test_the_command_refuses_an_emulator_that_is_not_on_loopback_or_not_running():
    with pytest.raises(CommandError, match="not an emulator on loopback"):
        call_command("pai_emulator_add_version", "--model", "m", "--emulator", "https://pai.example.com")
    with pytest.raises(CommandError, match="did not answer"):
        call_command("pai_emulator_add_version", "--model", "m", "--emulator", "http://127.0.0.1:9")
