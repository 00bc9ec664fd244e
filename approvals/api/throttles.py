"""Per-user (and, for anonymous callers, per-IP) rate limits from settings.REST_FRAMEWORK."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RateFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        # DRF binds the rates when its module is imported; reading them per request
        # lets an override of settings (a deployment's env, a test) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_RateFromSettings, UserRateThrottle):
    pass


class AnonThrottle(_RateFromSettings, AnonRateThrottle):
    pass
