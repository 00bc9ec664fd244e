"""Reads for the pages: the review queue, version listings, a model, a version.

Every listing costs a fixed number of queries whatever its page size: rows come
with select_related, and what a row needs from other tables (its last audit
event) is fetched for the whole page in one query. Pages are cut with LIMIT
page_size + 1, so knowing whether there is a next page never needs a COUNT.
"""

from __future__ import annotations

from approvals.pai.fields import SOURCE_ID_RE


def parse_source_id(source_id: str) -> dict[str, str] | None:
    """region, workspace, kind and id of a PAIFlow / TrainingService SourceId, or None."""
    if not SOURCE_ID_RE.match(source_id or ""):
        return None
    parts = dict(part.split("=", 1) for part in source_id.split(","))
    return {"region": parts["region"], "workspace": parts["workspaceId"], "kind": parts["kind"], "id": parts["id"]}
