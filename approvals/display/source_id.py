"""A PAIFlow or TrainingService SourceId read as its parts (region, workspace, kind, id)."""

from __future__ import annotations

from approvals.pai.fields import SOURCE_ID_RE


def parse_source_id(source_id: str) -> dict[str, str] | None:
    """region, workspace, kind and id of a PAIFlow / TrainingService SourceId, or None."""
    if not SOURCE_ID_RE.match(source_id or ""):
        return None
    parts = dict(part.split("=", 1) for part in source_id.split(","))
    return {"region": parts["region"], "workspace": parts["workspaceId"], "kind": parts["kind"], "id": parts["id"]}
