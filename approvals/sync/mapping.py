"""PAI's JSON for models and versions, mapped to the dashboard's fields, and diffs between them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

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
    """PAI's ISO 8601 UTC ("2026-11-26T19:00:00.123Z") as an aware datetime; None when absent or unreadable.

    datetime.fromisoformat first, as parse_datetime itself starts, without its call and
    its time-zone helpers: a first sync parses two times per version."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        parsed: datetime | None = datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed = parse_datetime(raw)
        except ValueError:
            return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def pai_stamp(item: Mapping[str, Any]) -> str:
    """What a re-sync compares to tell whether PAI changed a version: its GmtModifiedTime as PAI sent it
    and, when it has any, its Labels.

    PAI moves GmtModifiedTime on every UpdateModelVersion; that the label calls move it too is not
    documented, so the labels are part of the stamp (a version without labels, most of them, costs
    no serialization). A stamp that differs only because PAI listed the same labels in another
    order costs one field-by-field comparison, which finds no change.
    """
    modified = item.get("GmtModifiedTime")
    stamp = modified if isinstance(modified, str) else ""
    labels = item.get("Labels")
    return f"{stamp} {json.dumps(labels, ensure_ascii=False, separators=(',', ':'))}" if labels else stamp


def _converter(kind: str, pai_name: str) -> Callable[[Any], Any]:
    """What _value does for one field, decided once: mapping a version then costs one call per field."""
    if kind == "str":
        default = DEFAULTS.get(pai_name, "")
        return lambda raw: default if raw is None else raw if type(raw) is str else str(raw)
    if kind == "json":
        return lambda raw: raw if isinstance(raw, dict) else {}
    if kind == "list":
        return lambda raw: raw if isinstance(raw, list) else []
    if kind == "labels":
        return lambda raw: canonical(raw) if raw else []
    if kind == "time":
        return parse_time
    return lambda raw: _value(raw, kind, pai_name)


def _converters(spec: Mapping[str, tuple[str, str]]) -> list[tuple[str, str, Callable[[Any], Any]]]:
    return [(name, attr, _converter(kind, name)) for name, (attr, kind) in spec.items()]


_COMPILED = {id(VERSION_FIELDS): _converters(VERSION_FIELDS), id(MODEL_FIELDS): _converters(MODEL_FIELDS)}


def mapped(item: Mapping[str, Any], spec: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """PAI's JSON of a model or a version (`spec` MODEL_FIELDS or VERSION_FIELDS) as field values."""
    converters = _COMPILED[id(spec)] if spec is VERSION_FIELDS or spec is MODEL_FIELDS else _converters(spec)
    get = item.get
    return {attr: convert(get(name)) for name, attr, convert in converters}


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
