"""PAI's JSON for models and versions, mapped to the dashboard's fields, and diffs between them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..fields import VERSION_FIELDS as TABLE
from ..fields import WRITABLE_ATTRS, Kind
from ..pai.labels import canonical

# PAI field -> (model attribute, kind). Kinds: str, json (object), list, labels, time, options.
# A version's Labels are kept in one order (pai.labels.canonical): PAI's order means nothing.
_SYNC_KIND = {Kind.TEXT: "str", Kind.ENUM: "str", Kind.OBJECT: "json", Kind.LIST: "labels", Kind.TIME: "time"}
_SYNC_KIND[Kind.JSON_TEXT] = "options"
VERSION_FIELDS: dict[str, tuple[str, str]] = {f.name: (f.attr, _SYNC_KIND[f.kind]) for f in TABLE}
MODEL_FIELDS: dict[str, tuple[str, str]] = {
    "ModelName": ("name", "str"),
    "ModelDescription": ("description", "str"),
    "Domain": ("domain", "str"),
    "Task": ("task", "str"),
    "ModelType": ("model_type", "str"),
    "Origin": ("origin", "str"),
    "Provider": ("provider", "str"),
    "Accessibility": ("accessibility", "str"),
    "Labels": ("labels", "list"),
    "ExtraInfo": ("extra_info", "json"),
    "GmtCreateTime": ("gmt_create_time", "time"),
}
# Local edits own these until pushed (docs/architecture.md, invariant 2); sync leaves them alone meanwhile.
LOCALLY_OWNED = frozenset(WRITABLE_ATTRS.values())
DEFAULTS = {"SourceType": "Custom", "ApprovalStatus": "Pending"}


# ---- mapping PAI's JSON to field values ------------------------------------------


def _value(raw: Any, kind: str, pai_name: str) -> Any:
    if kind == "str":
        return DEFAULTS.get(pai_name, "") if raw is None else str(raw)
    if kind == "json":
        return raw if isinstance(raw, dict) else {}
    if kind == "list":
        return raw if isinstance(raw, list) else []
    if kind == "labels":
        return canonical(raw)
    if kind == "options":
        # Options is a JSON string on the wire; tolerate an object and keep it as its string.
        if raw is None:
            return ""
        return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    if kind == "time":
        return parse_time(raw)
    raise ValueError(kind)


def version_value(pai_name: str, raw: Any) -> Any:
    """A version field from PAI's JSON as the dashboard stores it (absent or null → the empty value)."""
    return _value(raw, VERSION_FIELDS[pai_name][1], pai_name)


def parse_time(raw: Any) -> datetime | None:
    """PAI's ISO 8601 UTC ("2026-11-26T19:00:00.123Z") as an aware datetime; None when absent or unreadable."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def mapped(item: Mapping[str, Any], spec: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    return {attr: _value(item.get(name), kind, name) for name, (attr, kind) in spec.items()}


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def field_diff(
    row: Any, values: Mapping[str, Any], spec: Mapping[str, tuple[str, str]], before: Mapping[str, Any] | None = None
) -> dict[str, list[Any]]:
    """{PaiField: [before, after]} for every field whose value differs; `before` overrides the row's value."""
    out = {}
    for name, (attr, _kind) in spec.items():
        old = before[attr] if before and attr in before else getattr(row, attr)
        new = values[attr]
        if old != new:
            out[name] = [_as_json(old), _as_json(new)]
    return out
