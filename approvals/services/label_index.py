"""Keeping VersionLabel (the label filter's index) in step with ModelVersion.labels.

Whatever writes a version's labels (an edit, a conflict resolution, the sync)
calls `labels_index` in the same transaction, so the filter never answers from
labels the version no longer has (docs/architecture.md, "Labels").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection

from approvals.models import VersionLabel

# SQLite takes at most 999 parameters a statement: 3 columns a row.
CHUNK = 300


def labels_index(labels_by_pk: Mapping[int, Sequence[Mapping[str, Any]]], *, fresh: bool = False) -> None:
    """Replace the index rows of these versions with their labels ({version pk: [{Key, Value}]}).

    `fresh`: the versions were just created and have no rows yet (the first sync): nothing to delete.
    """
    pks = list(labels_by_pk)
    if not fresh:
        for start in range(0, len(pks), CHUNK):
            VersionLabel.objects.filter(version_id__in=pks[start : start + CHUNK]).delete()
    rows = [
        (pk, str(label.get("Key")), str(label.get("Value") or ""))
        for pk, labels in labels_by_pk.items()
        for label in labels
        if isinstance(label, Mapping) and label.get("Key") is not None
    ]
    if not rows:
        return
    if connection.vendor == "postgresql":
        # A first sync writes a row per label of every version: COPY takes them in one stream.
        table = connection.ops.quote_name(VersionLabel._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} (version_id, key, value) FROM STDIN") as stream,
        ):
            for row in rows:
                stream.write_row(row)
        return
    VersionLabel.objects.bulk_create(
        [VersionLabel(version_id=pk, key=key, value=value) for pk, key, value in rows], batch_size=CHUNK
    )
