"""Query parameters of the two List operations: filters, sorting and paging.

Pure functions over lists of stored dicts; the store hands in only the rows
that can match (one model's versions, not all of them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from approvals import fields as table

from .errors import invalid_parameter

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# Far past any real registry; a bigger number is a client bug, not a page.
MAX_PAGE_NUMBER = 1_000_000

MODEL_SORT_KEYS = ("GmtCreateTime", "GmtModifiedTime", "ModelName")
VERSION_SORT_KEYS = ("GmtCreateTime", "GmtModifiedTime", "VersionName")

# Exact-match filters: query parameter -> stored field.
MODEL_EXACT_FILTERS = ("WorkspaceId", "ModelName", "Domain", "Task", "Provider", "Origin", "ModelType")
VERSION_EXACT_FILTERS = ("VersionName", "ApprovalStatus", "FormatType", "FrameworkType", "SourceType", "SourceId")
VERSION_ENUM_FILTERS = {
    "ApprovalStatus": table.APPROVAL_STATUSES,
    "FormatType": table.FORMAT_TYPES,
    "FrameworkType": table.FRAMEWORK_TYPES,
    "SourceType": table.SOURCE_TYPES,
}
_DIGITS = re.compile(r"^[0-9]{1,12}$")


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.match(raw) or not low <= int(raw) <= high:
        raise invalid_parameter(f"{name} must be an integer from {low} to {high}; got {raw[:40]!r}.")
    return int(raw)


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    number = _int_param(params, "PageNumber", 1, 1, MAX_PAGE_NUMBER)
    size = _int_param(params, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return number, size


def _version_key(name: str) -> tuple[Any, ...]:
    """Natural order for VersionName: 1.10.0 after 1.9.0, 1.0.0_beta before 1.0.0."""
    core, _, suffix = name.partition("_")
    numbers = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    return (numbers, 0 if suffix else 1, suffix)


def sort_rows(
    rows: list[dict[str, Any]], params: Mapping[str, str], allowed: tuple[str, ...], tie: str
) -> list[dict[str, Any]]:
    sort_by = params.get("SortBy") or "GmtCreateTime"
    if sort_by not in allowed:
        raise invalid_parameter(f"SortBy must be one of {', '.join(allowed)}.")
    order = (params.get("Order") or "DESC").upper()
    if order not in ("ASC", "DESC"):
        raise invalid_parameter("Order must be ASC or DESC.")
    key: Callable[[dict[str, Any]], Any]
    if sort_by == "VersionName":

        def key(row: dict[str, Any]) -> Any:
            return _version_key(row["VersionName"])

    else:

        def key(row: dict[str, Any]) -> Any:
            return (row.get(sort_by) or "", row.get(tie) or "")

    return sorted(rows, key=key, reverse=order == "DESC")


def page(rows: list[dict[str, Any]], number: int, size: int) -> list[dict[str, Any]]:
    start = (number - 1) * size
    return rows[start : start + size]


def _label_terms(raw: str) -> list[tuple[str, str | None]]:
    """`Label=team=search,stage` -> [("team", "search"), ("stage", None)]."""
    terms = []
    for item in raw.split(","):
        key, sep, value = item.strip().partition("=")
        if key:
            terms.append((key, value if sep else None))
    return terms


def _has_labels(row: Mapping[str, Any], terms: Iterable[tuple[str, str | None]]) -> bool:
    labels = row.get("Labels") or []
    for key, value in terms:
        if not any(lb.get("Key") == key and (value is None or lb.get("Value") == value) for lb in labels):
            return False
    return True


def filter_models(rows: Iterable[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    exact = {f: params[f] for f in MODEL_EXACT_FILTERS if params.get(f)}
    query = (params.get("Query") or "").casefold()
    labels = _label_terms(params.get("Label") or "")
    out = []
    for row in rows:
        if any(row.get(f) != v for f, v in exact.items()):
            continue
        if query and query not in f"{row.get('ModelName', '')}\n{row.get('ModelDescription', '')}".casefold():
            continue
        if labels and not _has_labels(row, labels):
            continue
        out.append(row)
    return out


def filter_versions(rows: Iterable[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    for name, allowed in VERSION_ENUM_FILTERS.items():
        if params.get(name) and params[name] not in allowed:
            raise invalid_parameter(f"{name} must be one of {', '.join(allowed)}.")
    exact = {f: params[f] for f in VERSION_EXACT_FILTERS if params.get(f)}
    labels = _label_terms(params.get("Label") or "")
    return [
        row
        for row in rows
        if all(row.get(f) == v for f, v in exact.items()) and (not labels or _has_labels(row, labels))
    ]
