"""A rate limit per AccessKeyId, as PAI throttles per account: a token bucket each.

A bucket holds up to `burst` tokens, starts full and refills at `rate` tokens a
second; a request takes one, or is refused with the time until the next one is
there. The arithmetic is exact (Fractions), so the retry-after is exact and
waiting that long always finds a token. Rate 0 means no limit (the default).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import throttled


@dataclass
class _Bucket:
    tokens: Fraction
    updated: Fraction


def default_burst(rate: float) -> int:
    """The burst when none is given: the rate, rounded up, at least one."""
    return max(1, math.ceil(rate))


def _checked(rate: Any, burst: Any) -> tuple[float, int]:
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate < 0:
        raise ValueError("rate must be a number of requests per second, zero or more")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int) or burst < 1):
        raise ValueError("burst must be a whole number, one or more")
    if rate == 0:
        if burst is not None:
            raise ValueError("burst needs a rate above zero")
        return 0.0, 0
    return float(rate), default_burst(rate) if burst is None else burst


class RateLimiter:
    """Token buckets by AccessKeyId, shared by the server's threads."""

    def __init__(
        self, rate: float = 0.0, burst: int | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.rate, self.burst = _checked(rate, burst)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def configure(self, rate: float, burst: int | None = None) -> None:
        """Replace the limit (rate 0 turns it off); every key starts again with a full bucket."""
        checked = _checked(rate, burst)
        with self._lock:
            self.rate, self.burst = checked
            self._buckets.clear()

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply {"rate": R, "burst": B} from the control endpoint; burst is optional."""
        unknown = set(changes) - {"rate", "burst"}
        if unknown:
            raise ValueError(f"unknown setting {sorted(unknown)[0]!r}; known: rate, burst")
        if "rate" not in changes:
            raise ValueError("rate is required (0 turns the limit off)")
        self.configure(changes["rate"], changes.get("burst"))

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"rate": self.rate, "burst": self.burst}

    def acquire(self, key: str) -> int | None:
        """Take a token from `key`'s bucket: None if there was one, else milliseconds until there is."""
        if not self.enabled:  # unlocked read: the common case costs nothing
            return None
        with self._lock:
            if not self.enabled:
                return None
            now = Fraction(self.clock())
            rate, burst = Fraction(self.rate), self.burst
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(Fraction(burst), now)
            elif now > bucket.updated:  # a clock never goes back, but a fake one might
                bucket.tokens = min(Fraction(burst), bucket.tokens + (now - bucket.updated) * rate)
                bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return math.ceil((1 - bucket.tokens) / rate * 1000)

    def check(self, key: str) -> None:
        """Raise PAI's 429 Throttling.User when `key` is past its limit."""
        retry_after_ms = self.acquire(key)
        if retry_after_ms is not None:
            raise throttled(retry_after_ms)
