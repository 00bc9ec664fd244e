"""An audit event's payload as a page shows it (the field diffs, then the other entries), and a
version's timeline of events and comments."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from approvals.display.comments import comment_html
from approvals.models import AuditEvent

# The payload entries a timeline names in words (others show under their key).
DETAIL_LABELS = {
    "reason": _("Reason"),
    "revision": _("Revision"),
    "request_id": _("PAI RequestId"),
    "error": _("Error"),
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


def _display(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def event_changes(event: AuditEvent) -> tuple[list[FieldChange], list[tuple[str, str]]]:
    """A payload's field diffs (`{"fields": {name: [before, after]}}`) and its other entries."""
    payload = event.payload if isinstance(event.payload, dict) else {"payload": event.payload}
    changes: list[FieldChange] = []
    fields = payload.get("fields")
    if isinstance(fields, dict):
        for name, pair in fields.items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                changes.append(FieldChange(field=str(name), before=_display(pair[0]), after=_display(pair[1])))
            else:
                changes.append(FieldChange(field=str(name), before="", after=_display(pair)))
    details = [
        (str(DETAIL_LABELS.get(str(k), k)), _display(v))
        for k, v in payload.items()
        if not (k == "fields" and isinstance(fields, dict))
    ]
    return changes, details


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a version's timeline: an audit event, its diffs and details, or the comment it wrote."""

    event: AuditEvent
    changes: list[FieldChange]
    details: list[tuple[str, str]]
    comment: Any = None  # the Comment a comment.created event wrote (its text hidden once retracted)
    comment_html: str = ""


def timeline(events: Iterable[AuditEvent], comments: Mapping[int, Any]) -> list[TimelineEntry]:
    """Edits, decisions and comments interleaved as the audit log ordered them.

    A comment shows from its row, so a retracted one shows no text; a retraction says which it hid.
    """
    entries = []
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.action == "comment.created":
            comment = comments.get(payload.get("comment_id"))
            html = ""
            if comment is not None and not comment.retracted:
                html = comment_html(comment.text, comment.mentions)
            entries.append(TimelineEntry(event=event, changes=[], details=[], comment=comment, comment_html=html))
        elif event.action == "comment.retracted":
            entries.append(
                TimelineEntry(event=event, changes=[], details=[], comment=comments.get(payload.get("comment_id")))
            )
        else:
            changes, details = event_changes(event)
            entries.append(TimelineEntry(event=event, changes=changes, details=details))
    return entries
