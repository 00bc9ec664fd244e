"""The label filter of the lists and the API: `label=key=value`, `label=key` (any value), ANDed.

Each term is a semi-join on VersionLabel's (key, value, version) index, so a filter
reads the index, not every version's labels (docs/architecture.md, "Labels").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from approvals.models import ModelVersion, VersionLabel


@dataclass(frozen=True)
class LabelTerm:
    key: str
    value: str | None = None  # None: any value

    def __str__(self) -> str:
        return self.key if self.value is None else f"{self.key}={self.value}"


def filter_by_labels(queryset: QuerySet[ModelVersion], terms: Sequence[LabelTerm]) -> QuerySet[ModelVersion]:
    """The versions of `queryset` that hold every term's label."""
    for term in terms:
        rows = VersionLabel.objects.filter(key=term.key)
        if term.value is not None:
            rows = rows.filter(value=term.value)
        queryset = queryset.filter(pk__in=rows.values("version_id"))
    return queryset
