"""Side-by-side line diffs of two versions' JSON fields (specs, metrics, options).

Both sides are pretty-printed with sorted keys first, so a diff shows changed
values rather than keys PAI happened to return in another order.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from approvals.fields import VERSION_FIELDS, Kind
from approvals.models import ModelVersion

# (attribute, label) of every JSON field worth comparing, in PAI's order.
COMPARED_FIELDS: tuple[tuple[str, Any], ...] = tuple(
    (f.attr, _(f.label)) for f in VERSION_FIELDS if f.kind in (Kind.OBJECT, Kind.JSON_TEXT)
)


# Runs of unchanged lines longer than this fold to their first and last CONTEXT lines.
CONTEXT = 3


@dataclass(frozen=True)
class DiffRow:
    """One line pair. kind: "same", "changed", "removed" (left only), "added" (right only), "skip"."""

    kind: str
    left_number: int | None = None
    left: str = ""
    right_number: int | None = None
    right: str = ""
    skipped: int = 0


@dataclass(frozen=True)
class FieldDiff:
    attr: str
    label: Any
    rows: list[DiffRow]
    same: bool
    left_empty: bool
    right_empty: bool


def json_lines(value: Any) -> list[str]:
    """The value as indented lines; Options is JSON held in a string, indented when it parses."""
    if value in (None, "", {}, []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value.splitlines()
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True).splitlines()


def _fold(rows: list[DiffRow]) -> list[DiffRow]:
    """Fold long unchanged runs (a spec of 300 lines with one change shows that change, not a wall)."""
    folded: list[DiffRow] = []
    run: list[DiffRow] = []

    def flush(at_start: bool, at_end: bool) -> None:
        keep_head = 0 if at_start else CONTEXT
        keep_tail = 0 if at_end else CONTEXT
        if len(run) > keep_head + keep_tail + 1:
            folded.extend(run[:keep_head])
            folded.append(DiffRow(kind="skip", skipped=len(run) - keep_head - keep_tail))
            folded.extend(run[len(run) - keep_tail :] if keep_tail else [])
        else:
            folded.extend(run)
        run.clear()

    for row in rows:
        if row.kind == "same":
            run.append(row)
            continue
        flush(at_start=not folded, at_end=False)
        folded.append(row)
    flush(at_start=not folded, at_end=True)
    return folded


def line_diff(left: list[str], right: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)
            rows += [DiffRow("same", i + 1, left[i], j + 1, right[j]) for i, j in pairs]
            continue
        # A replaced block pairs its lines; the longer side's rest is removed or added.
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        rows += [DiffRow("changed", i1 + k + 1, left[i1 + k], j1 + k + 1, right[j1 + k]) for k in range(pairs)]
        rows += [DiffRow("removed", left_number=i + 1, left=left[i]) for i in range(i1 + pairs, i2)]
        rows += [DiffRow("added", right_number=j + 1, right=right[j]) for j in range(j1 + pairs, j2)]
    return _fold(rows) if rows and any(r.kind != "same" for r in rows) else rows


def compare_versions(left: ModelVersion, right: ModelVersion) -> list[FieldDiff]:
    """Every compared field of `left` (the one picked) against `right` (the page's version)."""
    diffs = []
    for attr, label in COMPARED_FIELDS:
        a, b = json_lines(getattr(left, attr)), json_lines(getattr(right, attr))
        diffs.append(
            FieldDiff(
                attr=attr,
                label=label,
                rows=line_diff(a, b) if a != b else [],
                same=a == b,
                left_empty=not a,
                right_empty=not b,
            )
        )
    return diffs
