"""The emulator's data sets: a varied, valid demo registry and a synthetic one for benchmarks."""

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from approvals import fields as table
from approvals.pai import fields
from approvals.pai.emulator import EmulatorServer
from approvals.pai.emulator.seed import demo_registry, synthetic_registry
from tests.fixtures_pai import PAI_ACCESS_KEYS

NOW = datetime(2026, 11, 26, 19, 0, tzinfo=UTC).timestamp()
HIGHER_IS_BETTER = {"accuracy", "f1", "top1", "mAP", "auc"}
DOMAIN_METRICS = {
    "nlp": {"accuracy", "f1"},
    "cv": {"top1", "mAP"},
    "speech": {"cer", "wer"},
    "recommendation": {"auc", "logloss"},
}


@pytest.fixture(scope="module")
def demo():
    models, versions = demo_registry(now=NOW)
    return models, versions, [v for rows in versions.values() for v in rows]


def test_the_demo_is_deterministic():
    assert demo_registry(now=NOW) == demo_registry(now=NOW)


def test_the_demo_has_workspaces_domains_and_realistic_names(demo):
    models, versions, _ = demo
    assert 25 <= len(models) <= 35
    workspaces = {m["WorkspaceId"] for m in models}
    assert len(workspaces) >= 2 and all(w.isdigit() for w in workspaces)
    assert {m["Domain"] for m in models} == set(DOMAIN_METRICS)
    assert {"sentiment-classifier", "asr-conformer-zh", "ctr-deepfm"} <= {m["ModelName"] for m in models}
    assert len({m["ModelId"] for m in models}) == len(models)
    assert all(3 <= len(versions[m["ModelId"]]) <= 12 for m in models)


def test_the_demo_has_every_approval_state_with_plenty_pending_mostly_among_new_versions(demo):
    models, versions, every = demo
    statuses = Counter(v["ApprovalStatus"] for v in every)
    assert set(statuses) == set(table.APPROVAL_STATUSES)
    assert statuses["Pending"] >= len(models)
    newest_two = [v for rows in versions.values() for v in sorted(rows, key=lambda v: v["GmtCreateTime"])[-2:]]
    older = [v for rows in versions.values() for v in sorted(rows, key=lambda v: v["GmtCreateTime"])[:-2]]

    def pending_share(rows):
        return sum(v["ApprovalStatus"] == "Pending" for v in rows) / len(rows)

    assert pending_share(newest_two) > 0.5 > pending_share(older)


def test_every_demo_version_is_valid_by_pai_rules(demo):
    _, versions, every = demo
    for rows in versions.values():
        assert len({v["VersionName"] for v in rows}) == len(rows)
    for version in every:
        body = {f: version[f] for f in fields.UPDATABLE_FIELDS}
        assert fields.check_update(body) == [], version
        assert fields.VERSION_NAME_RE.match(version["VersionName"])
        assert version["FormatType"] in table.FORMAT_TYPES
        assert version["FrameworkType"] in table.FRAMEWORK_TYPES
        assert version["Uri"].startswith("oss://")
        assert version["OwnerId"] and version["UserId"]
        assert isinstance(version["InferenceSpec"].get("processor"), str)
        assert isinstance(version["TrainingSpec"], dict) and isinstance(version["Labels"], list)
        assert isinstance(version["Options"], str)


def test_the_demo_has_all_source_types_with_the_right_kinds(demo):
    _, _, every = demo
    assert {v["SourceType"] for v in every} == set(table.SOURCE_TYPES)
    for version in every:
        if version["SourceType"] == "PAIFlow":
            assert ",kind=PipelineRun," in version["SourceId"]
        if version["SourceType"] == "TrainingService":
            assert ",kind=ServiceJob," in version["SourceId"]


def test_demo_metrics_have_pais_results_shape_domain_metrics_and_improve(demo):
    models, versions, _ = demo
    for model in models:
        rows = sorted(versions[model["ModelId"]], key=lambda v: v["GmtCreateTime"])
        for version in rows:
            results = version["Metrics"]["Results"]
            assert 1 <= len(results) <= 3
            for result in results:
                assert result["Dataset"]["DatasetId"].startswith("d-")
                assert set(result["Metrics"]) == DOMAIN_METRICS[model["Domain"]]
        first, last = rows[0]["Metrics"]["Results"][0]["Metrics"], rows[-1]["Metrics"]["Results"][0]["Metrics"]
        for name in first:
            assert (last[name] > first[name]) == (name in HIGHER_IS_BETTER), (model["ModelName"], name)


def test_the_demo_speaks_english_and_chinese_and_spreads_over_months(demo):
    models, _, every = demo
    texts = [m["ModelDescription"] for m in models] + [v["VersionDescription"] for v in every]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)
    assert any(t.isascii() for t in texts)
    created = sorted(v["GmtCreateTime"] for v in every)
    now = datetime.fromtimestamp(NOW, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert created[-1] < now
    first, last = (datetime.strptime(c[:10], "%Y-%m-%d") for c in (created[0], created[-1]))
    assert (last - first).days >= 60
    assert all(v["GmtModifiedTime"] >= v["GmtCreateTime"] and v["GmtModifiedTime"] <= now for v in every)


def test_a_synthetic_registry_has_the_size_asked_for_over_one_model_per_fifty_versions():
    models, versions = synthetic_registry(2000, now=NOW)
    assert len(models) == 40
    assert sum(len(rows) for rows in versions.values()) == 2000
    for rows in versions.values():
        assert len({v["VersionName"] for v in rows}) == len(rows) == 50
        assert all(fields.check_update({f: v[f] for f in fields.UPDATABLE_FIELDS if f in v}) == [] for v in rows)


def test_a_server_seeded_with_a_size_serves_it(tmp_path):
    server = EmulatorServer(data_path=tmp_path / "big.json", access_keys=PAI_ACCESS_KEYS, seed_size=2000).start()
    try:
        assert server.store.counts() == {"models": 40, "versions": 2000}
        model = server.store.list_models({"PageSize": "1"})["Models"][0]
        assert server.store.list_versions(model["ModelId"], {"PageSize": "100"})["TotalCount"] == 50
    finally:
        server.stop()
    data = json.loads((tmp_path / "big.json").read_text())
    assert sum(len(rows) for rows in data["versions"].values()) == 2000


def start(path, **options):
    server = EmulatorServer(data_path=path, access_keys=PAI_ACCESS_KEYS, **options).start()
    server.stop()
    return server


def test_seed_fills_a_missing_or_empty_file_only(tmp_path):
    path = tmp_path / "data.json"
    assert start(path, seed="demo").seeded
    path.write_text("")
    assert start(path, seed="demo").seeded
    kept = start(path, seed_size=100)
    assert not kept.seeded
    assert kept.store.counts()["models"] == len(demo_registry()[0])


def test_reset_seeds_over_existing_data(tmp_path):
    path = tmp_path / "data.json"
    start(path, seed="demo")
    reset = start(path, seed_size=100, reset=True)
    assert reset.seeded
    assert reset.store.counts() == {"models": 2, "versions": 100}


def test_no_seed_and_no_file_is_an_empty_registry(tmp_path):
    server = start(tmp_path / "new.json")
    assert server.store.counts() == {"models": 0, "versions": 0}
    assert json.loads((tmp_path / "new.json").read_text())["models"] == []
