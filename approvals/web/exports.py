"""The audit log as CSV, streamed row by row, with every hashed field so an export can be checked.

After the hashed fields and the hash come the key the hash was made with, the time in the
reader's time zone, and one column per common payload entry (reason, fields changed, PAI's
RequestId), so a spreadsheet needs no JSON. Every text cell is defused for spreadsheets."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from approvals.display.audit import shown_events
from approvals.selectors import audit as audit_selectors
from approvals.selectors.reviews import all_retracted_comment_ids
from approvals.services.audit import HASHED_FIELDS

# Excel reads a CSV as UTF-8 only after this mark.
BOM = "\ufeff"


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


# Everything the chain hashes, and the hash, so an export can be checked on its own; then the
# key_id the HMAC needs, and the columns for people.
CSV_COLUMNS = (*HASHED_FIELDS, "hash", "key_id", "created_at_local", "reason", "fields_changed", "request_id")

# A cell a spreadsheet would run as a formula: one starting with = + - @ TAB or CR, or holding
# one after a separator (";=…" in a cell becomes a formula cell where ";" splits columns).
_FORMULA = re.compile(r"(^|[;,|])\s*[=+\-@\t\r]")


def csv_cell(value: str) -> str:
    """`value` with a single quote in front when a spreadsheet could read a formula in it."""
    return "'" + value if _FORMULA.search(value) else value


def _payload_entry(payload: Any, key: str) -> str:
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else ""


def _fields_changed(payload: Any) -> str:
    fields = payload.get("fields") if isinstance(payload, dict) else None
    return " ".join(str(name) for name in fields) if isinstance(fields, dict) else ""


def csv_lines(filters: audit_selectors.AuditFilters, *, user: Any, bom: bool = False) -> Iterator[str]:
    """The events `user` may read, under the same rule and masking as the audit page; with
    `bom`, UTF-8 with a byte order mark for Excel."""
    reader = audit_selectors.AuditReader.of(user)
    writer = csv.writer(_Echo())
    yield (BOM if bom else "") + writer.writerow(CSV_COLUMNS)
    rows = audit_selectors.audit_export_rows(filters, reader=reader)
    retracted = all_retracted_comment_ids()
    for event in shown_events(rows, reveal=reader.sees_who_and_where, retracted=retracted):
        yield writer.writerow(
            [
                str(event.seq),
                # ISO 8601 with its offset, exactly as the chain hashes it.
                event.created_at.isoformat(timespec="microseconds"),
                csv_cell(event.actor),
                csv_cell(event.action),
                csv_cell(event.workspace_id),
                csv_cell(event.model_id),
                csv_cell(event.model_name),
                csv_cell(event.version_name),
                csv_cell(json.dumps(event.payload, ensure_ascii=False, sort_keys=True)),
                event.client_ip or "",
                event.prev_hash,
                event.hash,
                csv_cell(event.key_id),
                timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                csv_cell(_payload_entry(event.payload, "reason")),
                csv_cell(_fields_changed(event.payload)),
                csv_cell(_payload_entry(event.payload, "request_id")),
            ]
        )
