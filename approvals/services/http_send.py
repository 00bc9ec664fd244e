"""One POST to a receiver, with a timeout, no redirects, and an answer that never carries a secret."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.services.destinations import scrub

# A receiver's answer is read up to this many bytes: enough for any robot's JSON.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int
    retry_after: float | None = None
    body: str = ""

    def failed(self, error: str, *, retry_after: float | None = None) -> Answer:
        return replace(self, ok=False, error=error, retry_after=retry_after)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number, or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def post(url: str, body: bytes, headers: dict[str, str], *, secrets: list[str]) -> Answer:
    """POST `body`; 2xx is success. Errors are scrubbed of every piece of `secrets`."""
    started = time.monotonic()
    timeout = settings.NOTIFY_TIMEOUT_SECONDS

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with requests.post(
            url, data=body, headers=headers, timeout=(min(timeout, 5.0), timeout), allow_redirects=False, stream=True
        ) as response:
            text = response.raw.read(MAX_ANSWER_BYTES, decode_content=True).decode("utf-8", errors="replace")
            status = response.status_code
            retry_after = retry_after_seconds(response.headers.get("Retry-After")) if status in (429, 503) else None
    except requests.Timeout:
        return Answer(False, None, _("The receiver did not answer within %(s)s s.") % {"s": timeout}, elapsed())
    except requests.RequestException as exc:
        return Answer(False, None, scrub(f"{type(exc).__name__}: {exc}", secrets)[:500], elapsed())
    if 200 <= status < 300:
        return Answer(True, status, "", elapsed(), body=text)
    error = _("The receiver answered HTTP %(status)s: %(text)s") % {
        "status": status,
        "text": scrub(text, secrets)[:300],
    }
    return Answer(False, status, error, elapsed(), retry_after=retry_after, body=text)
