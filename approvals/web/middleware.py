"""Show dates in the reader's time zone.

static/js/timezone.js stores the browser's IANA zone name in a cookie; an
unknown or missing name falls back to settings.TIME_ZONE, so a forged cookie
can change nothing but how times are printed.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

TIMEZONE_COOKIE = "tz"


# Looked up once: available_timezones() reads the tz database from disk.
_KNOWN_ZONES = frozenset(available_timezones())


def zone_from_cookie(value: str | None) -> ZoneInfo | None:
    if not value or value not in _KNOWN_ZONES:
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_from_cookie(request.COOKIES.get(TIMEZONE_COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # Worker threads serve other requests next; none inherits this reader's zone.
            timezone.deactivate()
