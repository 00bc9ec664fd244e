"""Fault injection: set by constructor or at run time through /_emulator/faults."""

import time

import pytest
import requests

from approvals.pai.emulator import FaultInjector, Faults
from approvals.pai.signing import encode_path


def version_path(model):
    return encode_path(["api", "v1", "models", model["ModelId"], "versions", model["LatestVersion"]["VersionName"]])


def a_model(server):
    return server.store.list_models({})["Models"][0]


def put_faults(server, **changes):
    return requests.put(f"{server.url}/_emulator/faults", json=changes, timeout=5)


def test_the_control_endpoint_shows_and_changes_the_faults(pai_emulator):
    assert requests.get(f"{pai_emulator.url}/_emulator/faults", timeout=5).json() == Faults().to_dict()
    response = put_faults(pai_emulator, throttle_rate=0.25, latency_ms=5)
    assert response.status_code == 200
    assert response.json() == {**Faults().to_dict(), "throttle_rate": 0.25, "latency_ms": 5}
    assert (pai_emulator.faults.throttle_rate, pai_emulator.faults.latency_ms) == (0.25, 5)


@pytest.mark.parametrize(
    "bad",
    [{"unavailable_rate": 1.5}, {"latency_ms": -1}, {"stall_rate": "often"}, {"explode": 1}, {"throttle_rate": True}],
)
def test_the_control_endpoint_refuses_bad_settings_and_changes_nothing(pai_emulator, bad):
    response = put_faults(pai_emulator, **{"stall_seconds": 9, **bad})  # a good setting beside a bad one
    assert response.status_code == 400
    assert response.json()["Code"] == "InvalidParameter"
    assert pai_emulator.faults == Faults()


def test_unavailable_rate_one_answers_503_every_time(pai_emulator, pai_request):
    put_faults(pai_emulator, unavailable_rate=1.0)
    responses = [pai_request("GET", "/api/v1/models") for _ in range(3)]
    assert [r.status_code for r in responses] == [503] * 3
    assert {r.json()["Code"] for r in responses} == {"ServiceUnavailable"}
    assert all(r.json()["RequestId"] for r in responses)


def test_a_503_does_not_apply_the_update(pai_emulator, pai_request):
    model = a_model(pai_emulator)
    pai_emulator.faults.unavailable_rate = 1.0
    response = pai_request("PUT", version_path(model), json_body={"VersionDescription": "never"})
    assert response.status_code == 503
    assert (
        pai_emulator.store.get_version(model["ModelId"], model["LatestVersion"]["VersionName"])["VersionDescription"]
        == model["LatestVersion"]["VersionDescription"]
    )


def test_throttling_answers_429_with_retry_after_in_milliseconds(pai_emulator, pai_request):
    put_faults(pai_emulator, throttle_rate=1.0, throttle_retry_after_ms=1500)
    response = pai_request("GET", "/api/v1/models")
    assert response.status_code == 429
    assert response.json()["Code"] == "Throttling.User"
    assert response.headers["x-acs-retry-after"] == "1500"


def test_a_stall_applies_the_change_and_then_times_out_the_client(pai_emulator, pai_request):
    model = a_model(pai_emulator)
    put_faults(pai_emulator, stall_rate=1.0, stall_seconds=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        pai_request("PUT", version_path(model), json_body={"VersionDescription": "applied, unanswered"}, timeout=0.3)
    version = pai_emulator.store.get_version(model["ModelId"], model["LatestVersion"]["VersionName"])
    assert version["VersionDescription"] == "applied, unanswered"


def test_latency_delays_api_answers_but_not_control_endpoints(pai_emulator, pai_request):
    pai_emulator.faults.latency_ms = 300
    started = time.monotonic()
    assert pai_request("GET", "/api/v1/models").status_code == 200
    assert time.monotonic() - started >= 0.3
    # A control endpoint answers without the added latency: with 5 s added, well under it.
    pai_emulator.faults.latency_ms = 5000
    started = time.monotonic()
    requests.get(f"{pai_emulator.url}/_emulator/stats", timeout=10)
    assert time.monotonic() - started < 4


def test_rates_between_zero_and_one_fail_some_requests_repeatably():
    def outcomes():
        injector = FaultInjector({"unavailable_rate": 0.3, "throttle_rate": 0.3}, random_seed=42)
        return [injector.before("ListModels") for _ in range(200)]

    first = outcomes()
    assert first == outcomes()
    assert 30 < first.count("unavailable") < 90 and 20 < first.count("throttle") < 80 and None in first


def test_stats_count_requests_by_action_and_faults_by_kind(pai_emulator, pai_request):
    model = a_model(pai_emulator)
    pai_request("GET", "/api/v1/models")
    pai_request("GET", version_path(model))
    pai_emulator.faults.throttle_rate = 1.0
    pai_request("PUT", version_path(model), json_body={})
    stats = requests.get(f"{pai_emulator.url}/_emulator/stats", timeout=5).json()
    assert stats["requests"] == {"ListModels": 1, "GetModelVersion": 1, "UpdateModelVersion": 1}
    assert stats["faults"] == {"latency": 0, "unavailable": 0, "throttle": 1, "stall": 0}
    assert stats["responses"] == {"200": 2, "429 Throttling.User": 1}
    assert stats["versions"] == pai_emulator.store.counts()["versions"]
    reset = requests.delete(f"{pai_emulator.url}/_emulator/stats", timeout=5).json()
    assert reset["total_requests"] == 0


def test_faults_never_touch_the_control_endpoints(pai_emulator):
    pai_emulator.faults.unavailable_rate = 1.0
    assert requests.get(f"{pai_emulator.url}/_emulator/faults", timeout=5).status_code == 200
    assert put_faults(pai_emulator, unavailable_rate=0).status_code == 200


def test_an_unknown_control_endpoint_is_a_json_404(pai_emulator):
    response = requests.get(f"{pai_emulator.url}/_emulator/secrets", timeout=5)
    assert response.status_code == 404
    assert response.json()["Code"] == "InvalidAction.NotFound"


def test_a_stall_never_delays_a_read(pai_emulator, pai_request):
    model = a_model(pai_emulator)
    put_faults(pai_emulator, stall_rate=1.0, stall_seconds=5)
    started = time.monotonic()
    assert pai_request("GET", version_path(model), timeout=2).status_code == 200
    assert time.monotonic() - started < 2
