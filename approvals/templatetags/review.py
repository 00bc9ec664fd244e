"""Template helpers; each returns plain text, which autoescaping then escapes."""

from __future__ import annotations

import json
from typing import Any

from django import template

from approvals.display import actions, labels

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON, non-ASCII kept as written (Chinese stays Chinese)."""
    if value in (None, "", {}, []):
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def pretty_json_text(value: str) -> str:
    """A JSON document held as a string (PAI's Options), indented when it parses."""
    if not value:
        return ""
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return value


@register.simple_tag
def status_label(status: str) -> str:
    return labels.status_label(status)


@register.simple_tag
def push_state_label(state: str) -> str:
    return labels.push_state_label(state)


@register.simple_tag
def action_label(code: str) -> str:
    """An audit action code in words ("version.approved" → "approved"), in the active language."""
    return actions.action_label(code)
