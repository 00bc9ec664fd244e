"""What of an audit event a reader is shown: client addresses and token names only to those
who see who acted from where (auditors and staff). The one masking rule of the audit
page, a version's history, the API and the CSV; which events they read is selectors/audit.py's."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator

from approvals.models import AuditEvent

# What stands where a hidden value was, so a reader knows something is withheld.
HIDDEN = "[hidden]"
# The payload keys of token events that name the token.
TOKEN_KEYS = ("name", "prefix")


def shown_event(event: AuditEvent, *, reveal: bool) -> AuditEvent:
    """The event as this reader sees it: a copy without the client address and token names unless `reveal`."""
    if reveal:
        return event
    masked = copy.copy(event)
    masked.client_ip = None
    if event.action.startswith("token.") and isinstance(event.payload, dict):
        masked.payload = {key: HIDDEN if key in TOKEN_KEYS else value for key, value in event.payload.items()}
    return masked


def shown_events(events: Iterable[AuditEvent], *, reveal: bool) -> Iterator[AuditEvent]:
    for event in events:
        yield shown_event(event, reveal=reveal)
