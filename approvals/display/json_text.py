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


def shown(value: Any) -> str:
    """A value as the pages show it: text as written, anything else as indented JSON."""
    return value if isinstance(value, str) else pretty(value)
