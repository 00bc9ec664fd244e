"""The product's PAI client against a live emulator over loopback: every
operation, paging, every error class, credentials read per request, and logs
that never carry a secret."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from approvals.pai.client import PaiClient, credentials
from approvals.pai.emulator.seed_datasets import FOREIGN_WORKSPACE
from approvals.pai.errors import PaiRequestError, PaiServerError, PaiThrottled, PaiUnavailable
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET, PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN


def make_client(server, *, key_id=PAI_KEY_ID, secret=PAI_KEY_SECRET, token="", read_timeout=10.0):
    return PaiClient(
        endpoint=server.url,
        credentials=credentials(key_id, secret, token),
        connect_timeout=2,
        read_timeout=read_timeout,
    )


def first_model(server):
    return next(make_client(server).list_models(workspace_id="118493"))


def test_it_lists_every_model_of_a_workspace_across_pages(pai_emulator):
    client = make_client(pai_emulator)
    page = client.list_models_page(workspace_id="118493", page_number=1, page_size=3)
    every = list(client.list_models(workspace_id="118493", page_size=3))
    assert page.total_count == len(every) > 3
    assert len({m["ModelId"] for m in every}) == len(every)
    assert all(m["WorkspaceId"] == "118493" for m in every)
    assert page.request_id


def test_it_lists_every_version_of_a_model_across_pages_with_filters(pai_emulator):
    client = make_client(pai_emulator)
    model = max(client.list_models(workspace_id="118493"), key=lambda m: m.get("ModelId"))
    every = list(client.list_model_versions(model["ModelId"], page_size=2))
    total = client.list_model_versions_page(model["ModelId"], page_number=1, page_size=1).total_count
    assert len(every) == total >= 3
    pending = list(client.list_model_versions(model["ModelId"], page_size=2, ApprovalStatus="Pending"))
    assert pending == [v for v in pending if v["ApprovalStatus"] == "Pending"]
    assert {v["VersionName"] for v in pending} == {v["VersionName"] for v in every if v["ApprovalStatus"] == "Pending"}


def test_it_gets_a_model_and_a_version(pai_emulator):
    client = make_client(pai_emulator)
    model = first_model(pai_emulator)
    got = client.get_model(model["ModelId"])
    assert got["ModelName"] == model["ModelName"]
    version = next(client.list_model_versions(model["ModelId"]))
    fresh = client.get_model_version(model["ModelId"], version["VersionName"])
    assert fresh["VersionName"] == version["VersionName"] and fresh["RequestId"]


def test_it_updates_a_version_and_returns_the_request_id(pai_emulator):
    client = make_client(pai_emulator)
    model = first_model(pai_emulator)
    name = next(client.list_model_versions(model["ModelId"]))["VersionName"]
    metrics = {"Results": [{"Dataset": {"DatasetId": "d-test"}, "Metrics": {"cer": 0.171}}]}
    request_id = client.update_model_version(
        model["ModelId"], name, {"VersionDescription": "通用情感分析 v2", "Metrics": metrics}
    )
    fresh = client.get_model_version(model["ModelId"], name)
    assert request_id and request_id != fresh["RequestId"]
    assert fresh["VersionDescription"] == "通用情感分析 v2"
    assert fresh["Metrics"] == metrics


def test_it_refuses_fields_update_model_version_does_not_take(pai_emulator):
    with pytest.raises(ValueError, match="Uri"):
        make_client(pai_emulator).update_model_version("model-x", "1.0.0", {"Uri": "oss://x/"})


def test_a_refused_update_is_a_permanent_error_with_code_message_and_request_id(pai_emulator):
    client = make_client(pai_emulator)
    model = first_model(pai_emulator)
    name = next(client.list_model_versions(model["ModelId"]))["VersionName"]
    with pytest.raises(PaiRequestError) as caught:
        client.update_model_version(model["ModelId"], name, {"Metrics": {"x": "y" * 9000}})
    error = caught.value
    assert (error.status, error.code, error.retryable) == (400, "InvalidParameter", False)
    assert "Metrics" in error.message and error.request_id


def test_a_missing_version_is_a_permanent_not_found_error(pai_emulator):
    client = make_client(pai_emulator)
    model = first_model(pai_emulator)
    with pytest.raises(PaiRequestError) as caught:
        client.get_model_version(model["ModelId"], "9.9.9")
    assert (caught.value.status, caught.value.code) == (404, "ModelVersionNotFound")
    with pytest.raises(PaiRequestError) as caught:
        client.get_model("model-does-not-exist")
    assert caught.value.code == "ModelNotFound"


def test_a_wrong_secret_is_refused_as_a_permanent_signature_error(pai_emulator):
    client = make_client(pai_emulator, secret="wrong")
    with pytest.raises(PaiRequestError) as caught:
        client.get_model("anything")
    assert caught.value.code == "SignatureDoesNotMatch"


def test_it_signs_with_sts_credentials_and_their_token(pai_emulator):
    client = make_client(pai_emulator, key_id=PAI_STS_KEY_ID, secret=PAI_STS_SECRET, token=PAI_STS_TOKEN)
    assert first_model(pai_emulator)["ModelId"] == client.get_model(first_model(pai_emulator)["ModelId"])["ModelId"]


def test_it_asks_for_credentials_on_every_request_so_rotated_tokens_are_used(pai_emulator):
    class Rotating:
        def __init__(self):
            self.calls = 0

        def get_credential(self):
            self.calls += 1
            return credentials(PAI_KEY_ID, PAI_KEY_SECRET).get_credential()

    provider = Rotating()
    client = PaiClient(endpoint=pai_emulator.url, credentials=provider)
    client.get_model(first_model(pai_emulator)["ModelId"])
    client.get_model(first_model(pai_emulator)["ModelId"])
    assert provider.calls == 2


def test_service_unavailable_is_a_retryable_server_error(pai_emulator):
    pai_emulator.faults.unavailable_rate = 1.0
    with pytest.raises(PaiServerError) as caught:
        make_client(pai_emulator).get_model("model-x")
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (503, "ServiceUnavailable", True)


def test_throttling_is_retryable_and_carries_the_retry_after_delay(pai_emulator):
    pai_emulator.faults.throttle_rate = 1.0
    pai_emulator.faults.throttle_retry_after_ms = 1500
    with pytest.raises(PaiThrottled) as caught:
        make_client(pai_emulator).get_model("model-x")
    assert caught.value.code == "Throttling.User" and caught.value.retryable
    assert caught.value.retry_after == 1.5


def test_an_update_that_stalls_past_the_read_timeout_is_unavailable_yet_applied(pai_emulator):
    model_id = first_model(pai_emulator)["ModelId"]
    name = next(make_client(pai_emulator).list_model_versions(model_id))["VersionName"]
    pai_emulator.faults.stall_rate = 1.0
    pai_emulator.faults.stall_seconds = 2.0
    with pytest.raises(PaiUnavailable, match="may have been applied"):
        make_client(pai_emulator, read_timeout=0.3).update_model_version(model_id, name, {"VersionDescription": "s"})
    assert make_client(pai_emulator).get_model_version(model_id, name)["VersionDescription"] == "s"


def test_a_closed_port_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PaiClient(endpoint=f"http://127.0.0.1:{port}", credentials=credentials("id", "secret"), connect_timeout=1)
    with pytest.raises(PaiUnavailable) as caught:
        client.get_model("model-x")
    assert caught.value.retryable


def test_its_log_names_action_status_and_request_id_but_never_a_secret(pai_emulator, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(pai_emulator, key_id=PAI_STS_KEY_ID, secret=PAI_STS_SECRET, token=PAI_STS_TOKEN)
    model = client.get_model(first_model(pai_emulator)["ModelId"])
    text = caplog.text
    assert "action=GetModel" in text and "status=200" in text and model["RequestId"] in text
    for secret in (PAI_STS_SECRET, PAI_STS_TOKEN, "Signature=", "authorization"):
        assert secret not in text


# Labels and datasets. The emulator checks every signature, so each call below is signed right.


def newest_version(server):
    model = first_model(server)
    return model["ModelId"], model["LatestVersion"]["VersionName"]


def labels_of(server, model_id, name):
    return {lb["Key"]: lb["Value"] for lb in make_client(server).get_model_version(model_id, name)["Labels"]}


def test_it_creates_labels_from_a_mapping_or_pairs_and_returns_the_request_id(pai_emulator):
    client = make_client(pai_emulator)
    model_id, name = newest_version(pai_emulator)
    before = labels_of(pai_emulator, model_id, name)
    first = client.create_model_version_labels(model_id, name, {"env": "test", "负责人": "张伟"})
    second = client.create_model_version_labels(model_id, name, [("owner", "ml-platform")])
    assert first and second and first != second
    added = {"env": "test", "负责人": "张伟", "owner": "ml-platform"}
    assert labels_of(pai_emulator, model_id, name) == {**before, **added}


def test_creating_a_label_that_exists_replaces_its_value(pai_emulator):
    client = make_client(pai_emulator)
    model_id, name = newest_version(pai_emulator)
    client.create_model_version_labels(model_id, name, {"env": "test"})
    client.create_model_version_labels(model_id, name, {"env": "prod"})
    labels = make_client(pai_emulator).get_model_version(model_id, name)["Labels"]
    assert [lb for lb in labels if lb["Key"] == "env"] == [{"Key": "env", "Value": "prod"}]


def test_it_deletes_labels_and_a_missing_key_is_no_error(pai_emulator):
    client = make_client(pai_emulator)
    model_id, name = newest_version(pai_emulator)
    before = labels_of(pai_emulator, model_id, name)
    client.create_model_version_labels(model_id, name, {"a": "1", "b": "2", "c": "3"})
    assert client.delete_model_version_labels(model_id, name, ["a", "c"])
    assert labels_of(pai_emulator, model_id, name) == {**before, "b": "2"}
    assert client.delete_model_version_labels(model_id, name, ("never-there",))
    assert labels_of(pai_emulator, model_id, name) == {**before, "b": "2"}


@pytest.mark.parametrize(
    ("labels", "words"),
    [({"": "x"}, "Labels[0].Key"), ({"env": 5}, "Labels[0].Value"), ({"a=b": "x"}, "'='"), ({}, "at least one")],
)
def test_a_refused_label_is_a_permanent_error_with_pai_code(pai_emulator, labels, words):
    model_id, name = newest_version(pai_emulator)
    before = labels_of(pai_emulator, model_id, name)
    with pytest.raises(PaiRequestError) as caught:
        make_client(pai_emulator).create_model_version_labels(model_id, name, labels)
    error = caught.value
    assert (error.status, error.code, error.retryable) == (400, "InvalidParameter", False)
    assert words in error.message and error.request_id
    assert labels_of(pai_emulator, model_id, name) == before


@pytest.mark.parametrize("keys", [[], ["a,b"], "env"])
def test_it_will_not_send_a_delete_whose_keys_pai_could_misread(pai_emulator, keys):
    model_id, name = newest_version(pai_emulator)
    with pytest.raises((ValueError, TypeError)):
        make_client(pai_emulator).delete_model_version_labels(model_id, name, keys)
    assert pai_emulator.injector.stats()["requests"].get("DeleteModelVersionLabels") is None


def test_labels_of_an_unknown_version_are_a_not_found_error(pai_emulator):
    client = make_client(pai_emulator)
    model_id, _ = newest_version(pai_emulator)
    for call in (
        lambda: client.create_model_version_labels(model_id, "9.9.9", {"env": "test"}),
        lambda: client.delete_model_version_labels(model_id, "9.9.9", ["env"]),
    ):
        with pytest.raises(PaiRequestError) as caught:
            call()
        assert (caught.value.status, caught.value.code) == (404, "ModelVersionNotFound")


def seeded_dataset(server, *, foreign):
    datasets = json.loads(server.store.path.read_text(encoding="utf-8"))["datasets"]
    return next(d for d in datasets if (d["WorkspaceId"] == FOREIGN_WORKSPACE) == foreign)


def test_it_gets_a_dataset(pai_emulator):
    dataset = seeded_dataset(pai_emulator, foreign=False)
    got = make_client(pai_emulator).get_dataset(dataset["DatasetId"])
    assert got["Name"] == dataset["Name"] and got["WorkspaceId"] == dataset["WorkspaceId"] and got["RequestId"]


def test_a_dataset_it_cannot_read_or_that_is_gone_is_none_not_an_error(pai_emulator, caplog):
    caplog.set_level(logging.INFO)
    client = make_client(pai_emulator)
    assert client.get_dataset("d-doesnotexist0000") is None
    assert client.get_dataset(seeded_dataset(pai_emulator, foreign=True)["DatasetId"]) is None
    assert "status=404" in caplog.text and "status=403" in caplog.text


def test_get_dataset_still_raises_when_pai_is_failing_or_the_signature_is_wrong(pai_emulator):
    dataset_id = seeded_dataset(pai_emulator, foreign=False)["DatasetId"]
    with pytest.raises(PaiRequestError) as caught:
        make_client(pai_emulator, secret="wrong").get_dataset(dataset_id)
    assert caught.value.code == "SignatureDoesNotMatch"
    pai_emulator.faults.unavailable_rate = 1.0
    with pytest.raises(PaiServerError):
        make_client(pai_emulator).get_dataset(dataset_id)
