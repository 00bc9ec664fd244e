"""Per-user (and, for anonymous callers, per-IP) rate limits from settings.REST_FRAMEWORK.

Counted in Django's cache, which is Redis whenever one is configured (settings.CACHES),
so a limit holds across web processes and machines. DRF's own throttle reads a list
of timestamps, appends and writes it back: two processes at once both count one. Here
each window is one counter that the cache increments atomically (Redis INCR), so
concurrent requests are never lost; the price is a fixed window, where a burst can
straddle two windows.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


class _WindowCounter(SimpleRateThrottle):
    scope: str
    _wait: float = 0.0

    def get_rate(self) -> str | None:
        # DRF binds the rates when its module is imported; reading them per request
        # lets an override of settings (a deployment's env, a test) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        counter = f"{key}:{self.duration}:{window}"
        try:
            # add() only creates it; incr() is atomic. It outlives its window a little, then goes.
            self.cache.add(counter, 0, timeout=self.duration + 5)
            try:
                count = self.cache.incr(counter)
            except ValueError:  # expired between add and incr
                self.cache.add(counter, 1, timeout=self.duration + 5)
                count = 1
        except Exception as exc:
            # A cache that is down must not take the API with it; the log says limits are off.
            logger.warning("rate limit not counted, the cache failed: %s", type(exc).__name__)
            return True
        self._wait = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self._wait, 1.0)


class UserThrottle(_WindowCounter, UserRateThrottle):
    pass


class AnonThrottle(_WindowCounter, AnonRateThrottle):
    pass
