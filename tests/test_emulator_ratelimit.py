"""The emulator's rate limit per AccessKey: a token bucket each, checked after the
signature, answered with 429 Throttling.User and x-acs-retry-after in milliseconds.

The bucket is tested with a fake clock; over HTTP the tests count tokens (a burst,
then a refill far slower than any test), so no assertion depends on wall-clock speed.
"""

import threading
import time

import pytest
import requests

from approvals.pai.client import PaiClient, credentials
from approvals.pai.emulator import EmulatorServer, RateLimiter
from approvals.pai.errors import PaiRequestError, PaiThrottled
from approvals.pai.signing import encode_path
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET, PAI_STS_KEY_ID, PAI_STS_SECRET, PAI_STS_TOKEN

SLOW = 0.05  # one token every 20 s: far slower than any test, so only the burst counts


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter(rate, burst=None):
    clock = FakeClock()
    return RateLimiter(rate, burst, clock=clock), clock


# ---- the bucket, with a fake clock ------------------------------------------------


def test_a_key_may_send_its_burst_at_once_and_is_then_refused():
    bucket, _ = limiter(2, 3)
    assert [bucket.acquire("a") for _ in range(3)] == [None, None, None]
    assert bucket.acquire("a") == 500


def test_the_bucket_refills_at_the_rate_but_never_beyond_the_burst():
    bucket, clock = limiter(4, 2)
    assert [bucket.acquire("a") for _ in range(3)] == [None, None, 250]
    clock.now = 0.25
    assert [bucket.acquire("a") for _ in range(2)] == [None, 250]
    clock.now = 1000.0
    assert [bucket.acquire("a") for _ in range(3)] == [None, None, 250]


def test_the_retry_after_is_the_time_until_the_next_token_in_milliseconds_rounded_up():
    bucket, clock = limiter(20, 1)
    assert bucket.acquire("a") is None
    assert bucket.acquire("a") == 50
    clock.now = 0.01
    assert bucket.acquire("a") == 40
    clock.now = 0.05
    assert bucket.acquire("a") is None
    assert bucket.acquire("a") == 50

    thirds, clock = limiter(3, 1)
    assert thirds.acquire("a") is None
    assert thirds.acquire("a") == 334  # 333.3 ms: rounded up, so waiting it always finds a token
    clock.now = 0.333
    assert thirds.acquire("a") == 1
    clock.now = 0.334
    assert thirds.acquire("a") is None


def test_a_refused_request_takes_no_token():
    bucket, clock = limiter(1, 1)
    bucket.acquire("a")
    assert [bucket.acquire("a") for _ in range(5)] == [1000] * 5
    clock.now = 1.0
    assert bucket.acquire("a") is None


def test_each_access_key_has_a_bucket_of_its_own():
    bucket, clock = limiter(1, 2)
    assert [bucket.acquire("a") for _ in range(3)] == [None, None, 1000]
    assert [bucket.acquire("b") for _ in range(3)] == [None, None, 1000]
    clock.now = 0.5
    assert bucket.acquire("a") == 500
    assert bucket.acquire("c") is None


def test_threads_sharing_a_key_get_exactly_the_burst_between_them():
    bucket, _ = limiter(1, 50)
    granted = []

    def send():
        granted.extend(r for r in (bucket.acquire("a") for _ in range(40)) if r is None)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 50


def test_it_is_off_by_default_and_with_rate_zero():
    bucket, _ = limiter(0)
    assert bucket.to_dict() == {"rate": 0.0, "burst": 0}
    assert all(bucket.acquire("a") is None for _ in range(1000))
    assert RateLimiter().enabled is False


@pytest.mark.parametrize(("rate", "burst"), [(20, 20), (0.5, 1), (2.5, 3), (1, 1)])
def test_the_burst_defaults_to_the_rate_rounded_up(rate, burst):
    assert RateLimiter(rate).to_dict() == {"rate": float(rate), "burst": burst}


def test_a_new_setting_starts_every_key_with_a_full_bucket():
    bucket, _ = limiter(1, 1)
    bucket.acquire("a")
    assert bucket.acquire("a") == 1000
    bucket.configure(1, 2)
    assert [bucket.acquire("a") for _ in range(3)] == [None, None, 1000]
    bucket.configure(0)
    assert bucket.acquire("a") is None


@pytest.mark.parametrize(
    ("rate", "burst"),
    [(-1, None), ("fast", None), (True, None), (float("inf"), None), (float("nan"), None), (5, 0), (5, 1.5), (0, 3)],
)
def test_it_refuses_bad_settings_and_keeps_the_old_ones(rate, burst):
    bucket, _ = limiter(2, 4)
    with pytest.raises(ValueError):
        bucket.configure(rate, burst)
    assert bucket.to_dict() == {"rate": 2.0, "burst": 4}


def test_the_server_takes_the_limit_as_arguments(tmp_path):
    server = EmulatorServer(data_path=tmp_path / "d.json", access_keys={}, rate_limit=3)
    assert server.rate_limiter.to_dict() == {"rate": 3.0, "burst": 3}
    assert EmulatorServer(data_path=tmp_path / "d.json", access_keys={}).rate_limiter.enabled is False


# ---- over HTTP, with the product's client ------------------------------------------


def client(server, *, key_id=PAI_KEY_ID, secret=PAI_KEY_SECRET, token=""):
    return PaiClient(endpoint=server.url, credentials=credentials(key_id, secret, token), connect_timeout=2)


def a_model(server):
    return server.store.list_models({})["Models"][0]


def put_rate_limit(server, **settings):
    return requests.put(f"{server.url}/_emulator/rate-limit", json=settings, timeout=5)


def test_past_the_burst_a_call_raises_pai_throttled_with_retry_after(pai_emulator):
    put_rate_limit(pai_emulator, rate=SLOW, burst=3)
    model = a_model(pai_emulator)
    pai = client(pai_emulator)
    for _ in range(3):
        assert pai.get_model(model["ModelId"])["ModelId"] == model["ModelId"]
    with pytest.raises(PaiThrottled) as caught:
        pai.get_model(model["ModelId"])
    assert (caught.value.status, caught.value.code) == (429, "Throttling.User")
    assert 0 < caught.value.retry_after <= 1 / SLOW
    assert caught.value.request_id


def test_the_throttled_answer_has_pai_s_error_body_and_retry_after_header(pai_emulator, pai_request):
    put_rate_limit(pai_emulator, rate=SLOW, burst=1)
    assert pai_request("GET", "/api/v1/models").status_code == 200
    response = pai_request("GET", "/api/v1/models")
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"RequestId", "Code", "Message", "HostId", "Recommend"}
    assert body["Code"] == "Throttling.User" and body["RequestId"] == response.headers["x-acs-request-id"]
    assert response.headers["x-acs-retry-after"].isdigit()
    assert 0 < int(response.headers["x-acs-retry-after"]) <= 1000 / SLOW


def test_a_second_access_key_is_not_affected(pai_emulator):
    put_rate_limit(pai_emulator, rate=SLOW, burst=2)
    model = a_model(pai_emulator)
    first = client(pai_emulator)
    first.get_model(model["ModelId"])
    first.get_model(model["ModelId"])
    with pytest.raises(PaiThrottled):
        first.get_model(model["ModelId"])
    second = client(pai_emulator, key_id=PAI_STS_KEY_ID, secret=PAI_STS_SECRET, token=PAI_STS_TOKEN)
    assert [second.get_model(model["ModelId"])["ModelId"] for _ in range(2)] == [model["ModelId"]] * 2
    with pytest.raises(PaiThrottled):
        first.get_model(model["ModelId"])


def test_after_waiting_retry_after_the_call_succeeds(pai_emulator):
    put_rate_limit(pai_emulator, rate=2, burst=1)
    model = a_model(pai_emulator)
    pai = client(pai_emulator)
    throttled = None
    for _ in range(20):  # at 2 tokens a second, 20 calls would have to take 10 s to all pass
        try:
            pai.get_model(model["ModelId"])
        except PaiThrottled as exc:
            throttled = exc
            break
    assert throttled is not None and 0 < throttled.retry_after <= 0.5
    time.sleep(throttled.retry_after)
    assert pai.get_model(model["ModelId"])["ModelId"] == model["ModelId"]


def test_a_throttled_update_is_not_applied(pai_emulator):
    put_rate_limit(pai_emulator, rate=SLOW, burst=1)
    model = a_model(pai_emulator)
    name = model["LatestVersion"]["VersionName"]
    pai = client(pai_emulator)
    pai.update_model_version(model["ModelId"], name, {"VersionDescription": "first, within the burst"})
    with pytest.raises(PaiThrottled):
        pai.update_model_version(model["ModelId"], name, {"VersionDescription": "second, throttled"})
    assert pai_emulator.store.get_version(model["ModelId"], name)["VersionDescription"] == "first, within the burst"


def test_a_request_that_fails_the_signature_check_takes_no_token(pai_emulator):
    put_rate_limit(pai_emulator, rate=SLOW, burst=1)
    model = a_model(pai_emulator)
    for _ in range(3):
        with pytest.raises(PaiRequestError) as caught:
            client(pai_emulator, secret="not-the-secret").get_model(model["ModelId"])
        assert caught.value.code == "SignatureDoesNotMatch"
    assert client(pai_emulator).get_model(model["ModelId"])["ModelId"] == model["ModelId"]


def test_the_control_endpoint_turns_the_limit_on_and_off(pai_emulator, pai_request):
    url = f"{pai_emulator.url}/_emulator/rate-limit"
    assert requests.get(url, timeout=5).json() == {"rate": 0.0, "burst": 0}
    assert [pai_request("GET", "/api/v1/models").status_code for _ in range(5)] == [200] * 5
    on = put_rate_limit(pai_emulator, rate=SLOW, burst=2)
    assert on.status_code == 200 and on.json() == {"rate": SLOW, "burst": 2}
    assert requests.get(url, timeout=5).json() == {"rate": SLOW, "burst": 2}
    assert [pai_request("GET", "/api/v1/models").status_code for _ in range(3)] == [200, 200, 429]
    assert put_rate_limit(pai_emulator, rate=0).json() == {"rate": 0.0, "burst": 0}
    assert [pai_request("GET", "/api/v1/models").status_code for _ in range(5)] == [200] * 5


def test_the_control_endpoint_defaults_the_burst_to_the_rate(pai_emulator):
    assert put_rate_limit(pai_emulator, rate=20).json() == {"rate": 20.0, "burst": 20}


@pytest.mark.parametrize(
    "bad", [{"rate": -1}, {"rate": "fast"}, {"burst": 3}, {"rate": 5, "burst": 0}, {"rate": 5, "bursts": 2}]
)
def test_the_control_endpoint_refuses_bad_settings_and_changes_nothing(pai_emulator, bad):
    put_rate_limit(pai_emulator, rate=3, burst=4)
    response = put_rate_limit(pai_emulator, **bad)
    assert response.status_code == 400
    assert response.json()["Code"] == "InvalidParameter"
    assert pai_emulator.rate_limiter.to_dict() == {"rate": 3.0, "burst": 4}


def test_the_control_endpoint_refuses_a_body_that_is_not_an_object_and_other_methods(pai_emulator):
    url = f"{pai_emulator.url}/_emulator/rate-limit"
    assert requests.put(url, json=[20], timeout=5).json()["Code"] == "InvalidParameter"
    assert requests.delete(url, timeout=5).status_code == 405


def test_the_limit_never_touches_the_control_endpoints_or_the_faults(pai_emulator, pai_request):
    put_rate_limit(pai_emulator, rate=SLOW, burst=1)
    for _ in range(5):
        assert requests.get(f"{pai_emulator.url}/_emulator/stats", timeout=5).status_code == 200
    assert requests.get(f"{pai_emulator.url}/_emulator/faults", timeout=5).json()["throttle_rate"] == 0
    assert pai_request("GET", "/api/v1/models").status_code == 200
    stats = requests.get(f"{pai_emulator.url}/_emulator/stats", timeout=5).json()
    assert stats["faults"]["throttle"] == 0


def test_throttled_answers_are_counted_in_the_stats(pai_emulator, pai_request):
    put_rate_limit(pai_emulator, rate=SLOW, burst=1)
    model = a_model(pai_emulator)
    path = encode_path(["api", "v1", "models", model["ModelId"]])
    for _ in range(3):
        pai_request("GET", path)
    stats = requests.get(f"{pai_emulator.url}/_emulator/stats", timeout=5).json()
    assert stats["requests"] == {"GetModel": 3}
    assert stats["responses"] == {"200": 1, "429 Throttling.User": 2}
