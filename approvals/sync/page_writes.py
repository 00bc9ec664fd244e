"""What a page of models writes once for all its models: the new versions, their labels, one audit event.

`upsert_versions` (sync/upsert.py) adds each model's new versions here instead of writing
them; `write_page` writes them at the end of the page's transaction, so a first sync's
page of a hundred models costs one COPY, one read of the new ids for the label index and
one `pai.created` event (with one computation of who is told) instead of a hundred each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import ModelVersion, RegisteredModel, Workspace
from ..services import audit_events
from ..services.label_index import labels_index
from .insert import insert_rows


@dataclass
class PageWrites:
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    # {model pk: {version name: labels}} of the new versions that have labels.
    new_labels: dict[int, dict[str, list]] = field(default_factory=dict)
    # (model, the names of its new versions, whether the model is new too), in the page's order.
    created: list[tuple[RegisteredModel, list[str], bool]] = field(default_factory=list)

    def add_new(self, model: RegisteredModel, rows: list[dict[str, Any]], *, model_is_new: bool) -> None:
        if not rows:
            return
        self.new_rows.extend(rows)
        labelled = {row["version_name"]: row["labels"] for row in rows if row.get("labels")}
        if labelled:
            self.new_labels[model.pk] = labelled
        self.created.append((model, [row["version_name"] for row in rows], model_is_new))


def write_page(workspace: Workspace, writes: PageWrites) -> None:
    """Insert the page's new versions, index their labels, and audit their creation in one event."""
    if not writes.new_rows:
        return
    insert_rows(ModelVersion, writes.new_rows)
    if writes.new_labels:
        # insert_rows gives no ids back: one read of the new versions of the labelled models.
        rows = ModelVersion.objects.filter(model_id__in=list(writes.new_labels)).values_list(
            "model_id", "version_name", "pk"
        )
        labels_index(
            {pk: labels for model_pk, name, pk in rows if (labels := writes.new_labels[model_pk].get(name))},
            fresh=True,
        )
    audit_events.pai_created_page(workspace, writes.created)
