"""An audit event's payload as a page shows it: the field diffs, then the other entries."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

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
