"""A version's labels one row each, so the label filter reads an index (docs/architecture.md, "Labels").

ModelVersion.labels stays the copy of PAI's field that pages, pushes and diffs
read; these rows are its index, rewritten in the same transaction by whatever
writes the field (services.label_index).
"""

from __future__ import annotations

from django.db import models

from approvals.models.registry import ModelVersion


class VersionLabel(models.Model):
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="label_rows")
    # Text, not a bounded CharField: whatever PAI lists is kept, however long.
    key = models.TextField()
    value = models.TextField(blank=True)

    class Meta:
        indexes = [
            # label=key=value and label=key: the filter's lookups read this index alone.
            models.Index(fields=["key", "value", "version"], name="version_label_kv_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
