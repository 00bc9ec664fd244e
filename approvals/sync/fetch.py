"""Reading PAI's listings page by page, with a few retries, and knowing when a listing was complete."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..pai.client import Page
from ..pai.errors import PaiError, PaiThrottled

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # PAI's largest page
PAGE_ATTEMPTS = 3  # per page, for retryable errors (5xx, throttling, timeouts)
RETRY_BASE_SECONDS = 0.5
# Oldest first, so versions created while we page are appended, not shifted onto pages already read.
LIST_ORDER = {"SortBy": "GmtCreateTime", "Order": "ASC"}

# ---- talking to PAI ---------------------------------------------------------------


def fetch_page(fetch: Callable[[], Page], what: str) -> Page:
    """One page, retrying retryable failures a few times; the last failure propagates."""
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        try:
            return fetch()
        except PaiError as exc:
            if not exc.retryable or attempt == PAGE_ATTEMPTS:
                raise
            delay = RETRY_BASE_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
            if isinstance(exc, PaiThrottled) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            logger.warning("sync: %s failed (%s); retry %d in %.1fs", what, exc, attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


@dataclass
class Listing:
    items: list[dict[str, Any]]
    complete: bool  # every item PAI holds was seen: safe to call the missing ones gone
    # When we asked: a push recorded after this may have landed after PAI answered.
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def list_all(fetch: Callable[[int], Page], key: str, what: str) -> Listing:
    """Every page; `complete` only when the total did not move and every key was seen once.

    A version deleted while we page shifts later items onto pages already read,
    so an unstable listing must not mark anything gone.
    """
    started_at = datetime.now(UTC)
    items: dict[str, dict[str, Any]] = {}
    totals: set[int] = set()
    number = 1
    while True:
        page = fetch_page(lambda n=number: fetch(n), f"{what} page {number}")
        totals.add(page.total_count)
        for item in page.items:
            items[str(item.get(key))] = item
        if not page.items or number * PAGE_SIZE >= page.total_count:
            break
        number += 1
    complete = len(totals) == 1 and len(items) == next(iter(totals))
    return Listing(list(items.values()), complete, started_at)
