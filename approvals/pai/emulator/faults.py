"""Fault injection for chaos tests: latency, 503s, throttling and stalls.

Faults apply to the API operations only, never to the control endpoints.
A seedable random.Random makes a run with a given seed repeatable.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

RATES = ("unavailable_rate", "throttle_rate", "stall_rate")


@dataclass
class Faults:
    latency_ms: int = 0
    unavailable_rate: float = 0.0
    throttle_rate: float = 0.0
    throttle_retry_after_ms: int = 1000
    stall_rate: float = 0.0
    stall_seconds: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply a partial change after checking all of it; ValueError names the bad key."""
        checked = {}
        known = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            if value < 0 or (name in RATES and value > 1):
                raise ValueError(f"{name} must be {'from 0 to 1' if name in RATES else 'zero or more'}")
            checked[name] = int(value) if name.endswith("_ms") else float(value)
        for name, value in checked.items():
            setattr(self, name, value)


class FaultInjector:
    """Rolls the dice for each API request and counts what happened."""

    def __init__(self, faults: Faults | Mapping[str, Any] | None = None, random_seed: int | None = None) -> None:
        if isinstance(faults, Faults):
            self.faults = faults
        else:
            self.faults = Faults()
            self.faults.update(faults or {})
        self._rng = random.Random(random_seed)
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def before(self, action: str) -> str | None:
        """Count the request; return "unavailable", "throttle" or None (latency is the caller's sleep)."""
        with self._lock:
            self.requests[action] += 1
            if self.faults.latency_ms > 0:
                self.injected["latency"] += 1
            if self._roll(self.faults.unavailable_rate):
                self.injected["unavailable"] += 1
                return "unavailable"
            if self._roll(self.faults.throttle_rate):
                self.injected["throttle"] += 1
                return "throttle"
            return None

    def stall_after(self) -> bool:
        with self._lock:
            if self._roll(self.faults.stall_rate):
                self.injected["stall"] += 1
                return True
            return False

    def count_response(self, status: int, code: str | None) -> None:
        with self._lock:
            self.responses[str(status) if code is None else f"{status} {code}"] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "total_requests": sum(self.requests.values()),
                "faults": {k: self.injected.get(k, 0) for k in ("latency", "unavailable", "throttle", "stall")},
                "responses": dict(self.responses),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self.injected.clear()
            self.responses.clear()
