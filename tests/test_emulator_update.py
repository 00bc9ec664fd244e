"""UpdateModelVersion on the emulator: partial updates, PAI's validation, modification times."""

import pytest

from approvals.pai import fields
from approvals.pai.signing import encode_path


def version_path(model_id, version_name):
    return encode_path(["api", "v1", "models", model_id, "versions", version_name])


def find_version(server, status="Pending", source_type=None):
    for model in server.store.list_models({"PageSize": "100"})["Models"]:
        for version in server.store.list_versions(model["ModelId"], {"PageSize": "100"})["Versions"]:
            if version["ApprovalStatus"] == status and source_type in (None, version["SourceType"]):
                return model["ModelId"], version
    raise AssertionError(f"the demo data has no {status} version")


def refused(response, field):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["Code"] == "InvalidParameter"
    assert field in body["Message"]
    return body


def test_an_update_changes_only_the_fields_it_names(pai_request, pai_emulator):
    model_id, before = find_version(pai_emulator)
    inference = {"processor": "pytorch_gpu_2.1", "replicas": 2}
    response = pai_request("PUT", version_path(model_id, before["VersionName"]), json_body={"InferenceSpec": inference})
    assert response.status_code == 200
    assert set(response.json()) == {"RequestId"}
    after = pai_emulator.store.get_version(model_id, before["VersionName"])
    assert after["InferenceSpec"] == inference  # replaced whole, not merged
    unchanged = {k: v for k, v in before.items() if k not in ("InferenceSpec", "GmtModifiedTime")}
    assert {k: after[k] for k in unchanged} == unchanged


def test_every_updatable_field_is_stored(pai_request, pai_emulator):
    model_id, before = find_version(pai_emulator)
    body = {
        "VersionDescription": "通用情感分析。Sentiment v2",
        "ApprovalStatus": "Approved",
        "Metrics": {"Results": [{"Dataset": {"DatasetId": "d-1"}, "Metrics": {"cer": 0.175}}]},
        "TrainingSpec": {"a": 1},
        "InferenceSpec": {"processor": "tensorflow_gpu_1.12"},
        "EvaluationSpec": {"b": [1, 2]},
        "CompressionSpec": {"c": None},
        "DistillationSpec": {},
        "ExtraInfo": {"CoverUris": ["https://example.com/x.png"]},
        "Options": '{"k":"v"}',
        "SourceType": "PAIFlow",
        "SourceId": "region=cn-shanghai,workspaceId=118493,kind=PipelineRun,id=run-abc",
    }
    assert pai_request("PUT", version_path(model_id, before["VersionName"]), json_body=body).status_code == 200
    after = pai_emulator.store.get_version(model_id, before["VersionName"])
    assert {k: after[k] for k in body} == body


def test_unknown_body_keys_are_ignored(pai_request, pai_emulator):
    model_id, before = find_version(pai_emulator)
    body = {"Uri": "oss://elsewhere/", "Surprise": 1, "VersionDescription": "kept"}
    assert pai_request("PUT", version_path(model_id, before["VersionName"]), json_body=body).status_code == 200
    after = pai_emulator.store.get_version(model_id, before["VersionName"])
    assert after["Uri"] == before["Uri"]
    assert "Surprise" not in after
    assert after["VersionDescription"] == "kept"


def test_modification_times_move_forward_on_every_update(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator)
    path = version_path(model_id, version["VersionName"])
    stamps = [version["GmtModifiedTime"]]
    for i in range(5):  # quicker than a millisecond apart, yet each must be later
        pai_emulator.store.update_version(model_id, version["VersionName"], {"VersionDescription": str(i)})
        stamps.append(pai_emulator.store.get_version(model_id, version["VersionName"])["GmtModifiedTime"])
    assert pai_request("PUT", path, json_body={}).status_code == 200
    stamps.append(pai_request("GET", path).json()["GmtModifiedTime"])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert all(len(s) == 24 and s.endswith("Z") and s[19] == "." for s in stamps)
    model = pai_emulator.store.get_model(model_id)
    assert model["GmtLatestVersionModifiedTime"] == stamps[-1]


def test_approval_is_final(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator, status="Approved")
    response = pai_request(
        "PUT", version_path(model_id, version["VersionName"]), json_body={"ApprovalStatus": "Pending"}
    )
    refused(response, "ApprovalStatus")
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["ApprovalStatus"] == "Approved"


def test_a_rejection_is_final_too(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator, status="Rejected")
    response = pai_request(
        "PUT", version_path(model_id, version["VersionName"]), json_body={"ApprovalStatus": "Approved"}
    )
    refused(response, "ApprovalStatus")
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["ApprovalStatus"] == "Rejected"


def test_the_same_decision_again_is_accepted_so_a_retried_push_is_idempotent(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator, status="Pending")
    path = version_path(model_id, version["VersionName"])
    body = {"ApprovalStatus": "Approved", "VersionDescription": "approved after review"}
    assert pai_request("PUT", path, json_body=body).status_code == 200
    assert pai_request("PUT", path, json_body=body).status_code == 200
    stored = pai_emulator.store.get_version(model_id, version["VersionName"])
    assert (stored["ApprovalStatus"], stored["VersionDescription"]) == ("Approved", "approved after review")


def test_other_fields_of_a_decided_version_stay_editable(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator, status="Approved")
    path = version_path(model_id, version["VersionName"])
    assert pai_request("PUT", path, json_body={"VersionDescription": "note added later"}).status_code == 200
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["VersionDescription"] == "note added later"


def metrics_of_length(n: int) -> dict:
    value = {"k": "中" * (n - len(fields.serialize({"k": ""})))}
    assert len(fields.serialize(value)) == n
    return value


def test_metrics_of_exactly_8192_characters_are_accepted(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator)
    metrics = metrics_of_length(8192)  # 8192 characters, over 24,000 bytes: the limit counts characters
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body={"Metrics": metrics})
    assert response.status_code == 200, response.text
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["Metrics"] == metrics


def test_metrics_of_8193_characters_are_refused(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator)
    response = pai_request(
        "PUT", version_path(model_id, version["VersionName"]), json_body={"Metrics": metrics_of_length(8193)}
    )
    assert "8192" in refused(response, "Metrics")["Message"]
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["Metrics"] == version["Metrics"]


@pytest.mark.parametrize("field", fields.OBJECT_FIELDS)
@pytest.mark.parametrize("value", [[1, 2], "{}", 3, None])
def test_object_fields_must_be_objects(pai_request, pai_emulator, field, value):
    model_id, version = find_version(pai_emulator)
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body={field: value})
    refused(response, field)
    assert pai_emulator.store.get_version(model_id, version["VersionName"])[field] == version[field]


def test_options_must_be_a_string(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator)
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body={"Options": {"k": "v"}})
    refused(response, "Options")
    assert pai_emulator.store.get_version(model_id, version["VersionName"])["Options"] == version["Options"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("ApprovalStatus", "Maybe"), ("SourceType", "Git"), ("VersionDescription", 5)],
)
def test_enums_and_strings_are_checked(pai_request, pai_emulator, field, value):
    model_id, version = find_version(pai_emulator)
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body={field: value})
    refused(response, field)
    assert pai_emulator.store.get_version(model_id, version["VersionName"])[field] == version[field]


@pytest.mark.parametrize(
    ("source_type", "source_id", "ok"),
    [
        ("PAIFlow", "region=cn-hangzhou,workspaceId=1,kind=PipelineRun,id=run-1", True),
        ("TrainingService", "region=cn-hangzhou,workspaceId=1,kind=ServiceJob,id=job-1", True),
        ("PAIFlow", "run-1", False),
        ("TrainingService", "region=cn-hangzhou,workspaceId=1,kind=Notebook,id=nb-1", False),
        ("Custom", "anything at all", True),
    ],
)
def test_source_id_must_match_the_source_type(pai_request, pai_emulator, source_type, source_id, ok):
    model_id, version = find_version(pai_emulator)
    body = {"SourceType": source_type, "SourceId": source_id}
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body=body)
    stored = pai_emulator.store.get_version(model_id, version["VersionName"])
    if ok:
        assert response.status_code == 200
        assert (stored["SourceType"], stored["SourceId"]) == (source_type, source_id)
    else:
        refused(response, "SourceId")
        assert (stored["SourceType"], stored["SourceId"]) == (version["SourceType"], version["SourceId"])


def test_a_lone_source_id_is_checked_against_the_stored_source_type(pai_request, pai_emulator):
    model_id, version = find_version(pai_emulator, status="Pending", source_type="PAIFlow")
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), json_body={"SourceId": "free text"})
    refused(response, "SourceId")


@pytest.mark.parametrize(
    "raw",
    [b"[1,2]", b'"text"', b"null", b"{not json", b'{"Metrics": NaN}', b"\xff\xfe", b"[" * 100_000, b""],
)
def test_a_body_that_is_not_a_json_object_is_refused(pai_request, pai_emulator, raw):
    model_id, version = find_version(pai_emulator)
    response = pai_request("PUT", version_path(model_id, version["VersionName"]), body=raw)
    assert response.status_code == 400, response.text
    assert response.json()["Code"] == "InvalidParameter"
    assert pai_emulator.store.get_version(model_id, version["VersionName"]) == version
