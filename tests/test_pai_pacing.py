"""Pacing the requests to PAI (approvals/pai_pacing.py): the bucket with a fake clock, the
client's hooks against the rate-limited emulator, and the bucket shared through Redis.

No assertion depends on wall-clock speed: the bucket is stepped by a fake clock, and the
Redis tests read the waits the script hands out (slots 100 s apart, far coarser than
the time the test takes).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid

import pytest
import redis
import requests
from django.conf import settings

from approvals.pai.client import PaiClient, credentials
from approvals.pai.errors import PaiThrottled
from approvals.pai_clients import client_for, pacer, reset_clients
from approvals.pai_pacing import FLOOR, MAX_WAIT, LocalPacer, RedisPacer
from tests.conftest import need_service
from tests.fixtures_pai import PAI_KEY_ID, PAI_KEY_SECRET


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def local(rate, burst=1):
    clock = FakeClock()
    return LocalPacer(rate, burst, clock=clock, sleep=clock.sleep), clock


# ---- the bucket, with a fake clock ------------------------------------------------


def test_the_burst_goes_at_once_then_one_request_every_interval():
    pace, _ = local(10, burst=3)
    assert [round(pace.reserve("k"), 6) for _ in range(6)] == [0, 0, 0, 0.1, 0.2, 0.3]


def test_an_idle_bucket_fills_up_to_its_burst_again():
    pace, clock = local(10, burst=2)
    assert [round(pace.reserve("k"), 6) for _ in range(3)] == [0, 0, 0.1]
    clock.now = 100.0
    assert [round(pace.reserve("k"), 6) for _ in range(3)] == [0, 0, 0.1]


def test_acquire_sleeps_until_the_slot():
    pace, clock = local(4)
    for _ in range(3):
        pace.acquire("k")
    assert [round(s, 6) for s in clock.slept] == [0.25, 0.25]
    assert clock.now == pytest.approx(0.5)


def test_each_access_key_has_its_own_bucket():
    pace, _ = local(1)
    assert pace.reserve("a") == 0 and pace.reserve("b") == 0
    assert pace.reserve("a") == pytest.approx(1.0)


def test_throttling_holds_every_request_until_the_retry_after_without_a_burst():
    pace, _ = local(10, burst=5)
    pace.reserve("k")
    pace.throttled("k", 2.0)
    waits = [pace.reserve("k") for _ in range(3)]
    assert waits[0] == pytest.approx(2.0)
    # halved to 5 a second: 0.2 s apart, and no burst of five after the wait
    assert waits[1] == pytest.approx(2.2) and waits[2] == pytest.approx(2.4)


def test_throttling_halves_the_rate_once_per_wait_then_it_recovers():
    pace, clock = local(20)
    pace.throttled("k", 1.0)
    assert pace.current_rate("k") == pytest.approx(10)
    pace.throttled("k", 1.0)  # an answer to a request already in flight: not halved again
    assert pace.current_rate("k") == pytest.approx(10)
    clock.now = 1.5
    pace.throttled("k", 1.0)  # throttled again after the wait: halved again
    assert pace.current_rate("k") == pytest.approx(5 + 0.05 * 20 * 1.5 * 0.5, rel=0.01)
    clock.now = 100.0
    pace.reserve("k")
    assert pace.current_rate("k") == 20  # recovered, never above the setting


def test_the_rate_never_falls_below_its_floor():
    pace, clock = local(10)
    for i in range(20):
        clock.now = i * 10.0
        pace.throttled("k", 10.0)
    assert pace.current_rate("k") >= FLOOR * 10


def test_a_throttled_answer_without_retry_after_waits_one_interval():
    pace, _ = local(2)
    pace.throttled("k", None)
    assert pace.reserve("k") == pytest.approx(0.5)


def test_a_wait_longer_than_the_limit_is_given_up_as_throttled():
    pace, clock = local(1)
    pace.throttled("k", MAX_WAIT + 5)
    with pytest.raises(PaiThrottled) as caught:
        pace.acquire("k")
    assert caught.value.retry_after > MAX_WAIT and clock.slept == []


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (5, 0)])
def test_a_pacer_refuses_nonsense(rate, burst):
    with pytest.raises(ValueError):
        LocalPacer(rate, burst)


# ---- the client's hooks, against the rate-limited emulator -----------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def acquire(self, key):
        self.calls.append(("acquire", key))

    def throttled(self, key, retry_after):
        self.calls.append(("throttled", key, retry_after))


def limit(server, rate, burst):
    requests.put(f"{server.url}/_emulator/rate-limit", json={"rate": rate, "burst": burst}, timeout=5)


def test_the_client_asks_its_pacer_before_each_request_and_tells_it_of_throttling(pai_emulator):
    limit(pai_emulator, 0.05, 1)  # one token, then one every 20 s
    recorder = Recorder()
    pai = PaiClient(endpoint=pai_emulator.url, credentials=credentials(PAI_KEY_ID, PAI_KEY_SECRET), pacer=recorder)
    model_id = pai_emulator.store.list_models({})["Models"][0]["ModelId"]
    pai.get_model(model_id)
    with pytest.raises(PaiThrottled):
        pai.get_model(model_id)
    # one paced retry after a throttled answer (it was not applied), then the caller's backoff
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["acquire", "acquire", "throttled", "acquire", "throttled"]
    assert all(call[1] == PAI_KEY_ID for call in recorder.calls)
    assert 0 < recorder.calls[2][2] <= 20
    assert pai_emulator.injector.stats()["responses"] == {"200": 1, "429 Throttling.User": 2}


def test_threads_paced_at_the_limit_are_never_throttled(pai_emulator):
    limit(pai_emulator, 20, 20)
    pace = LocalPacer(20, 1)
    model_id = pai_emulator.store.list_models({})["Models"][0]["ModelId"]

    def send():
        pai = PaiClient(endpoint=pai_emulator.url, credentials=credentials(PAI_KEY_ID, PAI_KEY_SECRET), pacer=pace)
        for _ in range(15):
            pai.get_model(model_id)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 60 requests, more than the emulator's burst of 20: unpaced, they would be throttled
    assert pai_emulator.injector.stats()["responses"] == {"200": 60}


def test_client_for_paces_when_a_rate_is_set(settings, pai_emulator):
    settings.PAI_ENDPOINT = pai_emulator.url
    settings.PAI_REQUESTS_PER_SECOND = None
    reset_clients()
    assert pacer() is None and client_for()._pacer is None
    settings.PAI_REQUESTS_PER_SECOND, settings.PAI_REQUESTS_BURST = 5, 2
    settings.PAI_PACING_REDIS_URL = ""
    reset_clients()
    chosen = pacer()
    assert isinstance(chosen, LocalPacer) and (chosen.rate, chosen.burst) == (5.0, 2)
    assert client_for()._pacer is chosen
    reset_clients()


# ---- the bucket in Redis, shared ---------------------------------------------------------


@pytest.fixture
def redis_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    need_service("Redis (a redis:// CELERY_BROKER_URL)", url.startswith("redis://"))
    return url


def two_pacers(url, rate, burst=1, **options):
    prefix = f"test-{uuid.uuid4().hex}"
    return [RedisPacer(redis.Redis.from_url(url), rate, burst, prefix=prefix, **options) for _ in range(2)]


def test_two_workers_share_one_bucket_in_redis(redis_url):
    first, second = two_pacers(redis_url, 0.01, max_wait=10_000)  # a slot every 100 s, all taken
    waits: list[float] = []
    lock = threading.Lock()

    def reserve(pace):
        for _ in range(5):
            wait = pace.reserve("key")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=reserve, args=(p,)) for p in (first, second) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 40 reservations from 8 threads of two "workers": 40 distinct slots, none shared
    assert sorted(round(w / 100) for w in waits) == list(range(40))
    first.redis.delete(first.key("key"))


def test_a_throttled_answer_in_one_worker_holds_the_other(redis_url):
    first, second = two_pacers(redis_url, 10, burst=5)
    assert first.reserve("key") == 0
    first.throttled("key", 5.0)
    wait = second.reserve("key")
    assert 4 < wait <= 5
    assert second.current_rate("key") == pytest.approx(5, abs=0.1)
    assert 5 < second.reserve("key") <= 5.2  # halved: 0.2 s later, no burst
    first.redis.delete(first.key("key"))


def test_with_redis_down_a_worker_paces_on_its_own():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pace = RedisPacer(redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1), 0.01, 1)
    assert pace.reserve("k") == 0
    assert pace.reserve("k") == pytest.approx(100, abs=5)


def test_the_settings_use_redis_when_the_broker_is_redis(redis_url):
    assert redis_url == settings.PAI_PACING_REDIS_URL


def test_a_request_given_up_takes_no_slot_from_the_others():
    pace, clock = local(10)
    pace.throttled("k", MAX_WAIT + 5)
    for _ in range(50):  # fifty pushes giving up during PAI's long retry-after
        with pytest.raises(PaiThrottled):
            pace.acquire("k")
    clock.now = MAX_WAIT + 5
    assert pace.reserve("k") == 0  # the first request after the wait goes at once


def test_redis_gives_up_a_far_slot_without_taking_it(redis_url):
    first, second = two_pacers(redis_url, 10)
    first.throttled("key", MAX_WAIT + 50)
    for _ in range(20):
        with pytest.raises(PaiThrottled):
            second.acquire("key")
    assert MAX_WAIT + 40 < first.reserve("key") <= MAX_WAIT + 50  # not 20 slots later
    first.redis.delete(first.key("key"))
