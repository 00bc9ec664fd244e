"""The labels of a PAI model version and the rules the label calls apply.

CreateModelVersionLabels and DeleteModelVersionLabels take and give labels as
`[{"Key": ..., "Value": ...}]`. One source of truth for the emulator (which
refuses what PAI refuses) and the dashboard's forms. No Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The SDK documents both limits as 128 bytes (UTF-8), not characters.
MAX_KEY_BYTES = 128
MAX_VALUE_BYTES = 128
# Far above what people attach by hand; a bigger list is a client bug.
MAX_LABELS_PER_VERSION = 50
# "=" and "," are the separators of the Label filter (`team=search,stage`) and of
# LabelKeys (`k1,k2`): a key holding one could never be filtered on or deleted alone.
FORBIDDEN_CHARS = "=,"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class LabelProblem:
    field: str  # e.g. "Labels[2].Key"
    message: str


def _check_text(field: str, value: Any, *, limit: int, is_key: bool) -> str | None:
    """Why `value` cannot be a label key (or value), or None."""
    if not isinstance(value, str):
        return f"{field} must be a string."
    if is_key and not value:
        return f"{field} must not be empty."
    if is_key and value != value.strip():
        return f"{field} must not start or end with whitespace."
    size = len(value.encode("utf-8"))
    if size > limit:
        return f"{field} is {size} bytes in UTF-8; the limit is {limit}."
    if any(ch in value for ch in FORBIDDEN_CHARS):
        return f"{field} must not contain '=' or ','."
    if _CONTROL.search(value):
        return f"{field} must not contain control characters."
    return None


def check_labels(labels: Any, current: Sequence[Mapping[str, Any]] = ()) -> list[LabelProblem]:
    """Every reason PAI would refuse `labels` as the Labels of a CreateModelVersionLabels body.

    `current` is the version's stored labels: the result must stay within
    MAX_LABELS_PER_VERSION once new keys are added and existing ones replaced.
    """
    if not isinstance(labels, list):
        return [LabelProblem("Labels", "Labels must be a list of {Key, Value} objects.")]
    if not labels:
        return [LabelProblem("Labels", "Labels must hold at least one label.")]
    problems: list[LabelProblem] = []
    for i, item in enumerate(labels):
        if not isinstance(item, dict):
            problems.append(LabelProblem(f"Labels[{i}]", f"Labels[{i}] must be a {{Key, Value}} object."))
            continue
        key_problem = _check_text(f"Labels[{i}].Key", item.get("Key"), limit=MAX_KEY_BYTES, is_key=True)
        # The SDK leaves Value out when it is None: an absent value is an empty one.
        value_problem = _check_text(f"Labels[{i}].Value", item.get("Value", ""), limit=MAX_VALUE_BYTES, is_key=False)
        for name, message in (("Key", key_problem), ("Value", value_problem)):
            if message:
                problems.append(LabelProblem(f"Labels[{i}].{name}", message))
    if not problems:
        total = len(merge(current, labels))
        if total > MAX_LABELS_PER_VERSION:
            problems.append(
                LabelProblem("Labels", f"The version would have {total} labels; the limit is {MAX_LABELS_PER_VERSION}.")
            )
    return problems


def parse_label_keys(raw: str) -> list[str]:
    """`LabelKeys=k1, k2` -> ["k1", "k2"]; spaces around a key and empty items are dropped."""
    return [key for key in (part.strip() for part in raw.split(",")) if key]


def merge(current: Sequence[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`current` with each new label set: an existing key gets the new value in its place, others go last."""
    merged = {str(label.get("Key")): label.get("Value", "") for label in current}
    for label in new:
        merged[label["Key"]] = label.get("Value", "")
    return [{"Key": key, "Value": value} for key, value in merged.items()]


def remove(current: Sequence[Mapping[str, Any]], keys: Iterable[str]) -> list[dict[str, Any]]:
    """`current` without the labels named; a key that is not there is ignored."""
    gone = set(keys)
    return [{"Key": lb.get("Key"), "Value": lb.get("Value", "")} for lb in current if lb.get("Key") not in gone]


def as_wire(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """{"env": "test"} or [("env", "test")] -> [{"Key": "env", "Value": "test"}], in the order given."""
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    return [{"Key": key, "Value": value} for key, value in pairs]


def canonical(labels: Any) -> list[dict[str, Any]]:
    """A version's labels in one order, by key then value, each as {Key, Value}.

    PAI's order is not meaningful and changes when a key is deleted and created
    again; stored and compared in this order, a list that differs only in order is
    the same labels, so neither the sync nor a push sees a change nobody made.
    Anything that is not a {Key, ...} object is dropped (PAI never lists one).
    """
    if not isinstance(labels, list):
        return []
    items = [
        {"Key": str(item["Key"]), "Value": "" if item.get("Value") is None else str(item.get("Value"))}
        for item in labels
        if isinstance(item, dict) and item.get("Key") is not None
    ]
    return sorted(items, key=lambda item: (item["Key"], item["Value"]))


def check_label_set(labels: Any) -> list[LabelProblem]:
    """Every reason `labels` cannot be a version's whole set of labels (the edit form's and PATCH's `Labels`).

    The same rules as CreateModelVersionLabels, plus: each key once, only Key and
    Value in an item, at most MAX_LABELS_PER_VERSION labels. An empty list is a
    version with no labels.
    """
    if not isinstance(labels, list):
        return [LabelProblem("Labels", "Labels must be a list of {Key, Value} objects.")]
    if not labels:
        return []
    problems = [p for p in check_labels(labels) if p.field != "Labels"]
    seen: set[str] = set()
    for i, item in enumerate(labels):
        if not isinstance(item, dict):
            continue
        extra = sorted(set(item) - {"Key", "Value"})
        if extra:
            message = f"Labels[{i}] has {extra[0]}; a label has only Key and Value."
            problems.append(LabelProblem(f"Labels[{i}]", message))
        key = item.get("Key")
        if isinstance(key, str) and key in seen:
            message = f"The key {key!r} appears twice; each key holds one value."
            problems.append(LabelProblem(f"Labels[{i}].Key", message))
        seen.add(key if isinstance(key, str) else "")
    if len(labels) > MAX_LABELS_PER_VERSION:
        problems.append(
            LabelProblem("Labels", f"{len(labels)} labels; a version holds at most {MAX_LABELS_PER_VERSION}.")
        )
    return problems


def changed_keys(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> set[str]:
    """The keys added, removed or given another value between two sets of labels."""
    old = {str(lb.get("Key")): lb.get("Value", "") for lb in before}
    new = {str(lb.get("Key")): lb.get("Value", "") for lb in after}
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def key_problem(key: Any) -> str | None:
    """Why `key` cannot be a label key (a protected key, a filter's key), or None."""
    return _check_text("A label key", key, limit=MAX_KEY_BYTES, is_key=True)
