"""CreateModelVersionLabels and DeleteModelVersionLabels on the emulator, over real HTTP."""

import json

import pytest
import requests

from approvals.pai.signing import encode_path
from tests.test_emulator_api import assert_error


def labels_path(model_id, version_name):
    return encode_path(["api", "v1", "models", model_id, "versions", version_name, "labels"])


def version_path(model_id, version_name):
    return encode_path(["api", "v1", "models", model_id, "versions", version_name])


@pytest.fixture
def target(pai_emulator):
    """(model id, version) of the first model's newest version; the demo gives it a `stage` label."""
    model = pai_emulator.store.list_models({"SortBy": "ModelName", "Order": "ASC"})["Models"][0]
    return model["ModelId"], model["LatestVersion"]


def stored_labels(server, model_id, version_name):
    return server.store.get_version(model_id, version_name)["Labels"]


def test_it_adds_labels_after_the_ones_a_version_has(pai_request, pai_emulator, target):
    model_id, version = target
    body = {"Labels": [{"Key": "env", "Value": "test"}, {"Key": "负责人", "Value": "张伟"}]}
    response = pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"RequestId"}
    assert stored_labels(pai_emulator, model_id, version["VersionName"]) == version["Labels"] + body["Labels"]


def test_creating_a_key_that_exists_replaces_its_value_in_place(pai_request, pai_emulator, target):
    model_id, version = target
    (stage,) = version["Labels"]
    body = {"Labels": [{"Key": stage["Key"], "Value": "retired"}]}
    assert pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body).ok
    assert stored_labels(pai_emulator, model_id, version["VersionName"]) == [{"Key": stage["Key"], "Value": "retired"}]


def test_it_deletes_the_keys_named_and_ignores_missing_ones(pai_request, pai_emulator, target):
    model_id, version = target
    path = labels_path(model_id, version["VersionName"])
    body = {"Labels": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]}
    assert pai_request("POST", path, json_body=body).ok
    response = pai_request("DELETE", path, query={"LabelKeys": "a,c,never-there"})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"RequestId"}
    assert stored_labels(pai_emulator, model_id, version["VersionName"]) == [
        *version["Labels"],
        {"Key": "b", "Value": "2"},
    ]


def test_labels_come_back_in_get_and_list_model_versions(pai_request, target):
    model_id, version = target
    assert pai_request("POST", labels_path(model_id, version["VersionName"]), json_body={"Labels": [{"Key": "x"}]}).ok
    expected = [*version["Labels"], {"Key": "x", "Value": ""}]
    assert pai_request("GET", version_path(model_id, version["VersionName"])).json()["Labels"] == expected
    listed = pai_request("GET", encode_path(["api", "v1", "models", model_id, "versions"]), query={"PageSize": "100"})
    (row,) = [v for v in listed.json()["Versions"] if v["VersionName"] == version["VersionName"]]
    assert row["Labels"] == expected
    filtered = pai_request("GET", encode_path(["api", "v1", "models", model_id, "versions"]), query={"Label": "x"})
    assert [v["VersionName"] for v in filtered.json()["Versions"]] == [version["VersionName"]]


def test_a_label_change_moves_the_modification_times_like_an_update(pai_request, pai_emulator, target):
    model_id, version = target
    path = labels_path(model_id, version["VersionName"])
    stamps = [version["GmtModifiedTime"]]
    assert pai_request("POST", path, json_body={"Labels": [{"Key": "env", "Value": "test"}]}).ok
    stamps.append(pai_emulator.store.get_version(model_id, version["VersionName"])["GmtModifiedTime"])
    assert pai_request("DELETE", path, query={"LabelKeys": "env"}).ok
    stamps.append(pai_emulator.store.get_version(model_id, version["VersionName"])["GmtModifiedTime"])
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert pai_emulator.store.get_model(model_id)["GmtLatestVersionModifiedTime"] == stamps[-1]


def test_a_call_that_changes_nothing_leaves_the_version_alone(pai_request, pai_emulator, target):
    model_id, version = target
    path = labels_path(model_id, version["VersionName"])
    assert pai_request("DELETE", path, query={"LabelKeys": "never-there"}).ok
    assert pai_request("POST", path, json_body={"Labels": version["Labels"]}).ok
    assert pai_emulator.store.get_version(model_id, version["VersionName"]) == version


def test_label_changes_are_on_disk_before_they_are_answered(pai_request, pai_emulator, target):
    model_id, version = target
    body = {"Labels": [{"Key": "durable", "Value": "yes"}]}
    assert pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body).ok
    saved = json.loads(pai_emulator.store.path.read_text(encoding="utf-8"))["versions"][model_id]
    (row,) = [v for v in saved if v["VersionName"] == version["VersionName"]]
    assert {"Key": "durable", "Value": "yes"} in row["Labels"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "Labels must be a list"),
        ({"Labels": []}, "at least one"),
        ({"Labels": [{"Key": "", "Value": "x"}]}, "Labels[0].Key"),
        ({"Labels": [{"Key": "env", "Value": 3}]}, "Labels[0].Value"),
        ({"Labels": [{"Key": "ok"}, {"Key": "k" * 200}]}, "Labels[1].Key"),
        ({"Labels": [{"Key": "team=search"}]}, "'='"),
        ({"Labels": [{"Key": f"k{i}"} for i in range(51)]}, "the limit is 50"),
    ],
)
def test_it_refuses_bad_labels_with_invalid_parameter_and_changes_nothing(
    pai_request, pai_emulator, target, body, words
):
    model_id, version = target
    response = pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body)
    assert words in assert_error(response, 400, "InvalidParameter")["Message"]
    assert pai_emulator.store.get_version(model_id, version["VersionName"]) == version


@pytest.mark.parametrize("raw", [b"[1]", b"{nope", b""])
def test_a_create_body_that_is_not_a_json_object_is_refused(pai_request, target, raw):
    model_id, version = target
    assert_error(pai_request("POST", labels_path(model_id, version["VersionName"]), body=raw), 400, "InvalidParameter")


@pytest.mark.parametrize("query", [None, {"LabelKeys": ""}, {"LabelKeys": " , "}])
def test_a_delete_without_label_keys_is_refused(pai_request, pai_emulator, target, query):
    model_id, version = target
    response = pai_request("DELETE", labels_path(model_id, version["VersionName"]), query=query)
    assert "LabelKeys" in assert_error(response, 400, "InvalidParameter")["Message"]
    assert pai_emulator.store.get_version(model_id, version["VersionName"]) == version


def test_an_unknown_model_or_version_answers_the_same_404_as_get_model_version(pai_request, target):
    model_id, _ = target
    body = {"Labels": [{"Key": "env", "Value": "test"}]}
    for mid, name, code in ((model_id, "9.9.9", "ModelVersionNotFound"), ("model-missing", "1.0.0", "ModelNotFound")):
        got = assert_error(pai_request("GET", version_path(mid, name)), 404, code)
        created = assert_error(pai_request("POST", labels_path(mid, name), json_body=body), 404, code)
        deleted = assert_error(pai_request("DELETE", labels_path(mid, name), query={"LabelKeys": "env"}), 404, code)
        assert got["Message"] == created["Message"] == deleted["Message"]


def test_other_methods_on_labels_are_a_405_naming_post_and_delete(pai_request, target):
    model_id, version = target
    response = pai_request("PUT", labels_path(model_id, version["VersionName"]), json_body={"Labels": []})
    assert_error(response, 405, "UnsupportedHTTPMethod")
    assert response.headers["Allow"] == "POST, DELETE"


def test_label_calls_are_signed_like_every_other_call(pai_request, target):
    model_id, version = target
    body = {"Labels": [{"Key": "env", "Value": "test"}]}
    response = pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body, secret="wrong")
    assert_error(response, 400, "SignatureDoesNotMatch")
    response = pai_request(
        "DELETE", labels_path(model_id, version["VersionName"]), query={"LabelKeys": "stage"}, secret="x"
    )
    assert_error(response, 400, "SignatureDoesNotMatch")


def test_a_stall_applies_a_label_change_and_then_times_out_the_client(pai_request, pai_emulator, target):
    model_id, version = target
    pai_emulator.faults.stall_rate, pai_emulator.faults.stall_seconds = 1.0, 2.0
    body = {"Labels": [{"Key": "applied", "Value": "unanswered"}]}
    with pytest.raises(requests.exceptions.ReadTimeout):
        pai_request("POST", labels_path(model_id, version["VersionName"]), json_body=body, timeout=0.3)
    assert {"Key": "applied", "Value": "unanswered"} in stored_labels(pai_emulator, model_id, version["VersionName"])
