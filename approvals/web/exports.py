"""The audit log as CSV, streamed row by row, with every hashed field so an export can be checked."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from approvals.display.audit import shown_events
from approvals.selectors import audit as audit_selectors
from approvals.selectors.reviews import all_retracted_comment_ids
from approvals.services.audit import HASHED_FIELDS


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


# Everything the chain hashes, and the hash, so an export can be checked on its own.
CSV_COLUMNS = (*HASHED_FIELDS, "hash")


def _csv_cell(value: str) -> str:
    # Spreadsheets run cells that start like a formula; PAI and users supply these values.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_lines(filters: audit_selectors.AuditFilters, *, user: Any) -> Iterator[str]:
    """The events `user` may read, under the same rule and masking as the audit page."""
    reader = audit_selectors.AuditReader.of(user)
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    rows = audit_selectors.audit_export_rows(filters, reader=reader)
    retracted = all_retracted_comment_ids()
    for event in shown_events(rows, reveal=reader.sees_who_and_where, retracted=retracted):
        yield writer.writerow(
            [
                str(event.seq),
                event.created_at.isoformat(),
                _csv_cell(event.actor),
                _csv_cell(event.action),
                _csv_cell(event.workspace_id),
                _csv_cell(event.model_id),
                _csv_cell(event.model_name),
                _csv_cell(event.version_name),
                json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
                event.client_ip or "",
                event.prev_hash,
                event.hash,
            ]
        )
