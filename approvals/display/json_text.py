"""JSON and values as the pages show them: indented, non-ASCII kept, compared by content."""

from __future__ import annotations

import json
from typing import Any


def pretty(value: Any) -> str:
    """Indented JSON as the textareas show it; non-ASCII kept as written."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def canonical(value: Any) -> str:
    # Compares JSON the way PAI stores it: key order aside, but 1, 1.0 and true stay different.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _is_labels(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and "Key" in item and set(item) <= {"Key", "Value"} for item in value)
    )


def shown(value: Any) -> str:
    """A value as the pages show it: text as written, labels as `key=value` lines (as the edit form has
    them), anything else as indented JSON."""
    if isinstance(value, str):
        return value
    if _is_labels(value):
        return "\n".join(f"{item['Key']}={item.get('Value', '')}" for item in value)
    return pretty(value)
