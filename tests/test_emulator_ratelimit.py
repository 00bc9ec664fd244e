"""The emulator's rate limit per AccessKey: a token bucket each, checked after the
signature, answered with 429 Throttling.User and x-acs-retry-after in milliseconds.

The bucket is tested with a fake clock; over HTTP the tests count tokens (a burst,
then a refill far slower than any test), so no assertion depends on wall-clock speed.
"""

import threading

import pytest

from approvals.pai.emulator import RateLimiter


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
