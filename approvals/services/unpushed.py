"""Reads for the pages: the review queue, version listings, a model, a version.

Every listing costs a fixed number of queries whatever its page size: rows come
with select_related, and what a row needs from other tables (its last audit
event) is fetched for the whole page in one query. Pages are cut with LIMIT
page_size + 1, so knowing whether there is a next page never needs a COUNT.
"""

from __future__ import annotations

from typing import Any

from approvals.models import Change, ModelVersion


def changed_since(version: ModelVersion, base_revision: int) -> dict[str, list[Any]]:
    """{field: [value at base_revision, value now]} over the changes accepted since that revision."""
    changed: dict[str, list[Any]] = {}
    for change in Change.objects.filter(version=version, revision__gt=base_revision).order_by("revision"):
        for field_name, (before, after) in change.fields.items():
            changed[field_name] = [changed.get(field_name, [before])[0], after]
    return changed
