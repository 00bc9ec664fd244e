"""Pacing the requests to PAI: a token bucket per AccessKey, shared by every worker.

PAI throttles per account and API (429 Throttling.User with x-acs-retry-after).
Instead of finding the limit by being refused, a client with a pacer reserves a
slot before each request and sleeps until it: in Redis (one Lua script, atomic,
on Redis's clock) so that every thread of every worker shares one bucket, or in
this process when there is no Redis. The bucket lets `burst` requests go at once
and then one every 1/rate seconds (GCRA: the state is the theoretical arrival
time `tat` of the next request at the rate).

When PAI throttles anyway (another client on the account, a lower limit than
configured), the pacer adapts: every request waits until PAI's retry-after has
passed, with no burst after it, and the rate is halved (never below a tenth of
the configured one); it then recovers by a twentieth of the configured rate a
second. Answers to requests already in flight do not halve it again.

No Django here: approvals/pai_clients.py builds the pacer from settings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from .pai.errors import PaiThrottled

logger = logging.getLogger(__name__)

DECREASE = 0.5  # the rate is multiplied by this when PAI throttles
FLOOR = 0.1  # ... but never goes below this fraction of the configured rate
RECOVERY = 0.05  # fraction of the configured rate regained each second
MAX_WAIT = 10.0  # seconds; a longer wait gives the request up as throttled, unreserved (the push retries later)
EXPIRE_SECONDS = 3600  # an idle key's state goes away


@dataclass
class BucketState:
    tat: float | None = None  # when the next request would go at the rate; None: never used
    rate: float | None = None  # the current rate; None: the configured one
    updated: float = 0.0  # when `rate` was last brought up to date
    until: float = 0.0  # no request before this (PAI's retry-after)


def step(
    state: BucketState,
    now: float,
    max_rate: float,
    burst: int,
    retry_after: float | None = None,
    max_wait: float = MAX_WAIT,
) -> float:
    """Reserve a slot (retry_after None) or record PAI's throttling; return the wait in seconds.

    A slot more than `max_wait` away is not reserved: the request is given up (and retried
    later by the push's backoff), so it does not push every later request further out.
    The Lua script in RedisPacer does exactly this, on Redis's clock.
    """
    rate = max_rate if state.rate is None else state.rate
    rate = min(max_rate, rate + RECOVERY * max_rate * max(0.0, now - state.updated))
    tat = now if state.tat is None else state.tat
    interval = 1.0 / rate
    if retry_after is not None:
        if now >= state.until:  # the first throttled answer, not one to a request already in flight
            rate = max(FLOOR * max_rate, rate * DECREASE)
            interval = 1.0 / rate
        state.until = max(state.until, now + retry_after)
        tat = max(tat, state.until + (burst - 1) * interval)  # no burst right after the wait
        wait = 0.0
    else:
        go_at = max(now, state.until, tat - (burst - 1) * interval)
        wait = go_at - now
        if wait <= max_wait:
            tat = max(tat, go_at) + interval
    state.tat, state.rate, state.updated = tat, rate, now
    return wait


class LocalPacer:
    """The bucket in this process: every thread of one worker shares it."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_WAIT,
    ) -> None:
        if not rate > 0 or burst < 1:
            raise ValueError("a pacer needs a rate above zero and a burst of one or more")
        self.rate, self.burst = float(rate), int(burst)
        self.clock, self.sleep, self.max_wait = clock, sleep, max_wait
        self._lock = threading.Lock()
        self._states: dict[str, BucketState] = {}

    def reserve(self, key: str) -> float:
        with self._lock:
            state = self._states.setdefault(key, BucketState())
            return step(state, self.clock(), self.rate, self.burst, max_wait=self.max_wait)

    def record_throttled(self, key: str, retry_after: float) -> None:
        with self._lock:
            step(self._states.setdefault(key, BucketState()), self.clock(), self.rate, self.burst, retry_after)

    def current_rate(self, key: str) -> float:
        with self._lock:
            state = self._states.get(key, BucketState())
            return self.rate if state.rate is None else state.rate

    # The client's side (approvals.pai.client.Pacer).
    def acquire(self, key: str) -> None:
        wait = self.reserve(key)
        if wait > self.max_wait:
            raise PaiThrottled(f"paced: the next request to PAI may go in {wait:.1f}s", retry_after=wait)
        if wait > 0:
            self.sleep(wait)

    def throttled(self, key: str, retry_after: float | None) -> None:
        self.record_throttled(key, retry_after if retry_after is not None else 1.0 / self.rate)


# KEYS[1]: the bucket; ARGV: max rate, burst, retry-after in seconds or "" to reserve, expiry,
# RECOVERY, FLOOR, DECREASE, MAX_WAIT.
# Returns the wait in microseconds and the current rate in thousandths (integers: Redis
# truncates Lua numbers).
_SCRIPT = """
local max_rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local retry_after = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local s = redis.call('HMGET', KEYS[1], 'tat', 'rate', 'updated', 'until')
local tat = tonumber(s[1]) or now
local rate = tonumber(s[2]) or max_rate
local updated = tonumber(s[3]) or 0
local untl = tonumber(s[4]) or 0
rate = math.min(max_rate, rate + tonumber(ARGV[5]) * max_rate * math.max(0, now - updated))
local interval = 1 / rate
local wait = 0
if retry_after then
  if now >= untl then
    rate = math.max(tonumber(ARGV[6]) * max_rate, rate * tonumber(ARGV[7]))
    interval = 1 / rate
  end
  untl = math.max(untl, now + retry_after)
  tat = math.max(tat, untl + (burst - 1) * interval)
else
  local go_at = math.max(now, untl, tat - (burst - 1) * interval)
  wait = go_at - now
  if wait <= tonumber(ARGV[8]) then
    tat = math.max(tat, go_at) + interval
  end
end
redis.call('HSET', KEYS[1], 'tat', tostring(tat), 'rate', tostring(rate), 'updated', tostring(now),
  'until', tostring(untl))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {math.ceil(wait * 1000000), math.floor(rate * 1000)}
"""


class RedisPacer(LocalPacer):
    """The bucket in Redis: every worker on every machine shares it. If Redis fails, this
    process paces on its own (LocalPacer) and says so in the log, rather than failing the push."""

    def __init__(self, redis_client, rate: float, burst: int = 1, *, prefix: str = "pmr", **kwargs) -> None:
        super().__init__(rate, burst, **kwargs)
        self.redis = redis_client
        self.prefix = prefix
        self._script = redis_client.register_script(_SCRIPT)

    def key(self, key: str) -> str:
        return f"{self.prefix}:pai-pace:{key}"

    def _run(self, key: str, retry_after: float | None) -> tuple[float, float] | None:
        args = [repr(self.rate), self.burst, "" if retry_after is None else repr(retry_after), EXPIRE_SECONDS]
        args += [repr(RECOVERY), repr(FLOOR), repr(DECREASE), repr(self.max_wait)]
        try:
            wait_us, rate_milli = self._script(keys=[self.key(key)], args=args)
        except redis.RedisError as exc:
            logger.warning("pai pacing: Redis failed (%s); pacing in this process", type(exc).__name__)
            return None
        return wait_us / 1_000_000, rate_milli / 1000

    def reserve(self, key: str) -> float:
        result = self._run(key, None)
        return super().reserve(key) if result is None else result[0]

    def record_throttled(self, key: str, retry_after: float) -> None:
        if self._run(key, retry_after) is None:
            super().record_throttled(key, retry_after)

    def current_rate(self, key: str) -> float:
        value = self.redis.hget(self.key(key), "rate")
        return self.rate if value is None else float(value)
