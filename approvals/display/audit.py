"""What of an audit event a reader is shown: client addresses and token names only to those
who see who acted from where (auditors and staff), and no retracted comment's text. The one masking rule of the audit
page, a version's history, the API and the CSV; which events they read is selectors/audit.py's."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator

from approvals.models import AuditEvent

# What stands where a hidden value was, so a reader knows something is withheld.
HIDDEN = "[hidden]"
# The payload keys of token events that name the token.
TOKEN_KEYS = ("name", "prefix")


def comment_ids(events: Iterable[AuditEvent]) -> set[int]:
    """The comments that comment events name (to ask which of them were retracted)."""
    return {
        event.payload["comment_id"]
        for event in events
        if event.action == "comment.created"
        and isinstance(event.payload, dict)
        and isinstance(event.payload.get("comment_id"), int)
    }


def _retracted(event: AuditEvent, retracted: Collection[int]) -> bool:
    return (
        event.action == "comment.created"
        and isinstance(event.payload, dict)
        and event.payload.get("comment_id") in retracted
    )


def shown_event(event: AuditEvent, *, reveal: bool, retracted: Collection[int] = ()) -> AuditEvent:
    """The event as this reader sees it: a copy without the client address and token names unless
    `reveal`, and without the text of a comment its author retracted (the stored event keeps it)."""
    hide_text = _retracted(event, retracted)
    if reveal and not hide_text:
        return event
    masked = copy.copy(event)
    if hide_text:
        masked.payload = {**event.payload, "text": HIDDEN}
    if reveal:
        return masked
    masked.client_ip = None
    if event.action.startswith("token.") and isinstance(event.payload, dict):
        masked.payload = {key: HIDDEN if key in TOKEN_KEYS else value for key, value in event.payload.items()}
    return masked


def shown_events(
    events: Iterable[AuditEvent], *, reveal: bool, retracted: Collection[int] = ()
) -> Iterator[AuditEvent]:
    for event in events:
        yield shown_event(event, reveal=reveal, retracted=retracted)


def with_workspace_names(events: Iterable[AuditEvent], names: dict[str, str]) -> list[AuditEvent]:
    """The events, each with `workspace_name`: the name the other pages show for its workspace
    ("" for none, or one the reader cannot see), so the log reads as the filters are typed."""
    events = list(events)
    for event in events:
        event.workspace_name = names.get(event.workspace_id, "")
    return events
