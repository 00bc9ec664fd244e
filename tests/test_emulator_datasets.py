"""GetDataset on the emulator, and the demo datasets behind the DatasetIds that Metrics name."""

import json

import pytest

from approvals.pai.emulator import EmulatorServer
from approvals.pai.emulator.seed import WORKSPACES, demo_registry
from approvals.pai.emulator.seed_datasets import FOREIGN_WORKSPACE, dataset_ids, demo_datasets
from approvals.pai.signing import encode_path
from tests.fixtures_pai import PAI_ACCESS_KEYS, pai_call
from tests.test_emulator_api import REQUEST_ID_RE, assert_error

NOW = 1_795_000_000.0


def dataset_path(dataset_id):
    return encode_path(["api", "v1", "datasets", dataset_id])


@pytest.fixture(scope="module")
def demo():
    models, versions = demo_registry(now=NOW)
    referenced = [d for rows in versions.values() for v in rows for d in dataset_ids(v["Metrics"])]
    return models, versions, list(dict.fromkeys(referenced)), demo_datasets(models, versions)


def seeded(server, *, foreign=False):
    """A dataset of the server's data file, in the foreign workspace or not."""
    datasets = json.loads(server.store.path.read_text(encoding="utf-8"))["datasets"]
    return next(d for d in datasets if (d["WorkspaceId"] == FOREIGN_WORKSPACE) == foreign)


def test_every_dataset_id_the_demo_metrics_name_has_a_dataset_but_a_few(demo):
    _, _, referenced, datasets = demo
    known = {d["DatasetId"] for d in datasets}
    assert known <= set(referenced)
    missing = set(referenced) - known
    assert 1 <= len(missing) <= len(referenced) // 10
    assert len(datasets) == len(known)


def test_a_few_demo_datasets_are_in_a_workspace_the_demo_account_is_not_in(demo):
    models, _, _, datasets = demo
    foreign = [d for d in datasets if d["WorkspaceId"] == FOREIGN_WORKSPACE]
    assert 1 <= len(foreign) <= len(datasets) // 10
    assert FOREIGN_WORKSPACE not in WORKSPACES
    assert FOREIGN_WORKSPACE not in {m["WorkspaceId"] for m in models}


def test_demo_datasets_have_readable_names_and_pai_fields(demo):
    models, _, _, datasets = demo
    model_names = {m["ModelName"] for m in models}
    for dataset in datasets:
        name = dataset["Name"]
        assert name.rsplit("-", 1)[0] in model_names and name.rsplit("-", 1)[1] in ("test", "validation", "holdout")
        assert dataset["Description"] and dataset["Uri"].startswith("oss://")
        assert dataset["DataSourceType"] in ("OSS", "NAS")
        assert dataset["DataType"] in ("COMMON", "PIC", "TEXT", "VIDEO", "AUDIO")
        assert dataset["Labels"] and dataset["GmtCreateTime"] == dataset["GmtModifiedTime"]
    assert len({d["Name"] for d in datasets}) == len(datasets)


def test_demo_datasets_are_deterministic_and_older_than_the_versions_using_them(demo):
    models, versions, _, datasets = demo
    assert demo_datasets(models, versions) == datasets
    first_use = {}
    for rows in versions.values():
        for v in rows:
            for d in dataset_ids(v["Metrics"]):
                first_use[d] = min(first_use.get(d, v["GmtCreateTime"]), v["GmtCreateTime"])
    assert all(d["GmtCreateTime"] < first_use[d["DatasetId"]] for d in datasets)


def test_it_gets_a_dataset_with_a_request_id(pai_request, pai_emulator):
    dataset = seeded(pai_emulator)
    response = pai_request("GET", dataset_path(dataset["DatasetId"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert REQUEST_ID_RE.match(body.pop("RequestId"))
    assert body == dataset


def test_an_unknown_dataset_is_a_404(pai_request):
    body = assert_error(pai_request("GET", dataset_path("d-doesnotexist0000")), 404, "DatasetNotFound")
    assert "d-doesnotexist0000" in body["Message"]


def test_a_dataset_in_another_workspace_is_a_403(pai_request, pai_emulator):
    foreign = seeded(pai_emulator, foreign=True)
    body = assert_error(pai_request("GET", dataset_path(foreign["DatasetId"])), 403, "NoPermission")
    assert foreign["Name"] not in body["Message"]  # a refusal tells nothing about what it guards


def test_get_dataset_is_signed_and_only_a_get(pai_request, pai_emulator):
    path = dataset_path(seeded(pai_emulator)["DatasetId"])
    assert_error(pai_request("GET", path, secret="wrong"), 400, "SignatureDoesNotMatch")
    response = pai_request("DELETE", path)
    assert_error(response, 405, "UnsupportedHTTPMethod")
    assert response.headers["Allow"] == "GET"
    assert_error(pai_request("GET", "/api/v1/datasets/"), 404, "InvalidAction.NotFound")


def test_datasets_are_in_the_data_file_and_survive_a_restart(pai_emulator):
    dataset = seeded(pai_emulator)
    saved = json.loads(pai_emulator.store.path.read_text(encoding="utf-8"))["datasets"]
    assert dataset in saved
    pai_emulator.stop()
    again = EmulatorServer(data_path=pai_emulator.store.path, access_keys=PAI_ACCESS_KEYS, seed="demo").start()
    try:
        assert not again.seeded
        assert pai_call(again, "GET", dataset_path(dataset["DatasetId"])).json()["Name"] == dataset["Name"]
    finally:
        again.stop()


def test_a_data_file_from_before_datasets_loads_with_none(tmp_path, pai_emulator):
    data = json.loads(pai_emulator.store.path.read_text(encoding="utf-8"))
    dataset_id = data.pop("datasets")[0]["DatasetId"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    server = EmulatorServer(data_path=old, access_keys=PAI_ACCESS_KEYS, seed="demo").start()
    try:
        assert server.store.counts() == pai_emulator.store.counts()
        assert_error(pai_call(server, "GET", dataset_path(dataset_id)), 404, "DatasetNotFound")
    finally:
        server.stop()
    assert json.loads(old.read_text(encoding="utf-8")) == data  # untouched until something changes


def test_a_synthetic_registry_has_no_datasets(tmp_path):
    server = EmulatorServer(data_path=tmp_path / "big.json", access_keys=PAI_ACCESS_KEYS, seed_size=100).start()
    try:
        assert_error(pai_call(server, "GET", dataset_path("d-bench0000000")), 404, "DatasetNotFound")
    finally:
        server.stop()
