"""The official SDK (alibabacloud_aiworkspace20210204) against the emulator over HTTP.

If Alibaba's own client can list, read and update through the emulator, and gets
the same refusals PAI gives, the emulator speaks PAI's wire format.
"""

import json

import pytest
from alibabacloud_aiworkspace20210204 import models as pai_models
from alibabacloud_aiworkspace20210204.client import Client
from alibabacloud_tea_openapi import models as openapi_models
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import TeaException

from approvals.pai.emulator.seed_datasets import FOREIGN_WORKSPACE
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET, PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN


def sdk(server, key_id=PAI_KEY_ID, secret=PAI_KEY_SECRET, token=None) -> Client:
    config = openapi_models.Config(
        access_key_id=key_id,
        access_key_secret=secret,
        security_token=token,
        endpoint=server.endpoint,
        protocol="http",
        region_id="cn-hangzhou",
    )
    return Client(config)


def no_retry() -> RuntimeOptions:
    return RuntimeOptions(autoretry=False, max_attempts=0, read_timeout=5000, connect_timeout=2000)


def first_model(server):
    return server.store.list_models({"SortBy": "ModelName", "Order": "ASC"})["Models"][0]


def test_the_sdk_lists_models_of_a_workspace(pai_emulator):
    workspace = first_model(pai_emulator)["WorkspaceId"]
    request = pai_models.ListModelsRequest(workspace_id=workspace, page_size=100, sort_by="ModelName", order="ASC")
    body = sdk(pai_emulator).list_models(request).body
    expected = pai_emulator.store.list_models({"WorkspaceId": workspace, "PageSize": "100"})["TotalCount"]
    assert body.total_count == expected == len(body.models)
    assert {m.workspace_id for m in body.models} == {workspace}
    names = [m.model_name for m in body.models]
    assert names == sorted(names)
    assert body.models[0].latest_version.version_name
    assert len(body.request_id) == 36


def test_the_sdk_lists_versions_with_a_filter(pai_emulator):
    model = first_model(pai_emulator)
    request = pai_models.ListModelVersionsRequest(approval_status="Pending", page_size=50)
    body = sdk(pai_emulator).list_model_versions(model["ModelId"], request).body
    stored = pai_emulator.store.list_versions(model["ModelId"], {"ApprovalStatus": "Pending", "PageSize": "50"})
    assert body.total_count == stored["TotalCount"] > 0
    assert [v.version_name for v in body.versions] == [v["VersionName"] for v in stored["Versions"]]
    assert all(v.approval_status == "Pending" for v in body.versions)


def test_the_sdk_gets_a_model_and_a_version(pai_emulator):
    model = first_model(pai_emulator)
    client = sdk(pai_emulator)
    got = client.get_model(model["ModelId"], pai_models.GetModelRequest()).body
    assert got.model_name == model["ModelName"]
    assert got.latest_version.version_name == model["LatestVersion"]["VersionName"]
    version = client.get_model_version(
        model["ModelId"], model["LatestVersion"]["VersionName"], pai_models.GetModelVersionRequest()
    ).body
    assert version.metrics == model["LatestVersion"]["Metrics"]
    assert version.format_type == model["LatestVersion"]["FormatType"]
    assert version.request_id


def test_the_sdk_updates_a_version_and_reads_it_back(pai_emulator):
    model = first_model(pai_emulator)
    name = model["LatestVersion"]["VersionName"]
    client = sdk(pai_emulator)
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-sdk"}, "Metrics": {"accuracy": 0.93}}]}
    request = pai_models.UpdateModelVersionRequest(version_description="通用情感分析 v2", metrics=metrics)
    response = client.update_model_version(model["ModelId"], name, request)
    assert response.status_code == 200 and response.body.request_id
    back = client.get_model_version(model["ModelId"], name, pai_models.GetModelVersionRequest()).body
    assert back.version_description == "通用情感分析 v2"
    assert back.metrics == metrics
    assert pai_emulator.store.get_version(model["ModelId"], name)["VersionDescription"] == "通用情感分析 v2"


def test_the_sdk_works_with_sts_credentials(pai_emulator):
    model = first_model(pai_emulator)
    client = sdk(pai_emulator, PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN)
    assert client.get_model(model["ModelId"], pai_models.GetModelRequest()).body.model_id == model["ModelId"]


def refusal(call) -> TeaException:
    with pytest.raises(TeaException) as caught:
        call()
    return caught.value


def test_the_sdk_is_refused_with_a_wrong_secret(pai_emulator):
    client = sdk(pai_emulator, secret="not-the-secret")
    error = refusal(lambda: client.list_models_with_options(pai_models.ListModelsRequest(), {}, no_retry()))
    assert error.code == "SignatureDoesNotMatch"
    assert error.status_code == 400
    assert "not-the-secret" not in str(error.data)


def test_the_sdk_is_refused_with_an_unknown_access_key(pai_emulator):
    client = sdk(pai_emulator, key_id="LTAI5tNobodyHasThisKey")
    error = refusal(lambda: client.list_models_with_options(pai_models.ListModelsRequest(), {}, no_retry()))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 403)


def test_the_sdk_is_refused_metrics_over_the_limit(pai_emulator):
    model = first_model(pai_emulator)
    name = model["LatestVersion"]["VersionName"]
    big = {"blob": "x" * 8200}
    request = pai_models.UpdateModelVersionRequest(metrics=big)
    error = refusal(
        lambda: sdk(pai_emulator).update_model_version_with_options(model["ModelId"], name, request, {}, no_retry())
    )
    assert (error.code, error.status_code) == ("InvalidParameter", 400)
    assert "Metrics" in error.message
    assert pai_emulator.store.get_version(model["ModelId"], name)["Metrics"] == model["LatestVersion"]["Metrics"]


def test_the_sdk_sees_a_404_for_a_missing_version(pai_emulator):
    model = first_model(pai_emulator)
    error = refusal(
        lambda: sdk(pai_emulator).get_model_version_with_options(
            model["ModelId"], "9.9.9", pai_models.GetModelVersionRequest(), {}, no_retry()
        )
    )
    assert (error.code, error.status_code) == ("ModelVersionNotFound", 404)


def sdk_labels(client, model_id, name):
    version = client.get_model_version(model_id, name, pai_models.GetModelVersionRequest()).body
    return [(label.key, label.value) for label in version.labels]


def test_the_sdk_creates_replaces_and_deletes_labels_and_reads_them_back(pai_emulator):
    model = first_model(pai_emulator)
    name = model["LatestVersion"]["VersionName"]
    before = [(lb["Key"], lb["Value"]) for lb in model["LatestVersion"]["Labels"]]
    client = sdk(pai_emulator)
    request = pai_models.CreateModelVersionLabelsRequest(
        labels=[pai_models.Label(key="env", value="test"), pai_models.Label(key="负责人", value="张伟")]
    )
    created = client.create_model_version_labels(model["ModelId"], name, request)
    assert created.status_code == 200 and created.body.request_id
    assert sdk_labels(client, model["ModelId"], name) == [*before, ("env", "test"), ("负责人", "张伟")]

    replace = pai_models.CreateModelVersionLabelsRequest(labels=[pai_models.Label(key="env", value="prod")])
    client.create_model_version_labels(model["ModelId"], name, replace)
    assert sdk_labels(client, model["ModelId"], name) == [*before, ("env", "prod"), ("负责人", "张伟")]

    delete = pai_models.DeleteModelVersionLabelsRequest(label_keys="env,负责人,never-there")
    deleted = client.delete_model_version_labels(model["ModelId"], name, delete)
    assert deleted.status_code == 200 and deleted.body.request_id
    assert sdk_labels(client, model["ModelId"], name) == before
    assert pai_emulator.store.get_version(model["ModelId"], name)["Labels"] == model["LatestVersion"]["Labels"]


def test_the_sdk_sees_pai_refusals_of_labels(pai_emulator):
    model = first_model(pai_emulator)
    name = model["LatestVersion"]["VersionName"]
    client = sdk(pai_emulator)
    bad = pai_models.CreateModelVersionLabelsRequest(labels=[pai_models.Label(key="team=search", value="x")])
    error = refusal(
        lambda: client.create_model_version_labels_with_options(model["ModelId"], name, bad, {}, no_retry())
    )
    assert (error.code, error.status_code) == ("InvalidParameter", 400)
    good = pai_models.CreateModelVersionLabelsRequest(labels=[pai_models.Label(key="env", value="test")])
    error = refusal(
        lambda: client.create_model_version_labels_with_options(model["ModelId"], "9.9.9", good, {}, no_retry())
    )
    assert (error.code, error.status_code) == ("ModelVersionNotFound", 404)


def test_the_sdk_gets_a_dataset_and_sees_404_and_403(pai_emulator):
    datasets = json.loads(pai_emulator.store.path.read_text(encoding="utf-8"))["datasets"]
    mine = next(d for d in datasets if d["WorkspaceId"] != FOREIGN_WORKSPACE)
    theirs = next(d for d in datasets if d["WorkspaceId"] == FOREIGN_WORKSPACE)
    client = sdk(pai_emulator)
    body = client.get_dataset(mine["DatasetId"], pai_models.GetDatasetRequest()).body
    assert (body.dataset_id, body.name, body.workspace_id) == (mine["DatasetId"], mine["Name"], mine["WorkspaceId"])
    assert (body.data_source_type, body.data_type, body.uri) == (mine["DataSourceType"], mine["DataType"], mine["Uri"])
    assert [(lb.key, lb.value) for lb in body.labels] == [(lb["Key"], lb["Value"]) for lb in mine["Labels"]]
    assert body.gmt_create_time == mine["GmtCreateTime"] and body.request_id
    for dataset_id, expected in (
        ("d-doesnotexist0000", ("DatasetNotFound", 404)),
        (theirs["DatasetId"], ("NoPermission", 403)),
    ):
        error = refusal(
            lambda d=dataset_id: client.get_dataset_with_options(d, pai_models.GetDatasetRequest(), {}, no_retry())
        )
        assert (error.code, error.status_code) == expected
