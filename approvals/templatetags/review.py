"""Template helpers; each returns plain text, which autoescaping then escapes."""

from __future__ import annotations

import json
from typing import Any

from django import template

from approvals import fields
from approvals.display import actions, durations, labels

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


@register.filter
def value_label(value: str) -> str:
    """PAI's enum value as pages spell it (approvals.fields.VALUE_LABELS): "Pytorch" reads "PyTorch"."""
    return fields.value_label(value or "")


@register.filter
def age(moment: Any) -> str:
    """How long ago, in the active language, with our own units ("6 个月", not "6 月")."""
    return durations.age(moment)


@register.simple_tag
def field_label(name: str) -> str:
    """PAI's field `name` in plain words, in the active language (approvals/fields.py's label)."""
    return labels.field_label(name)


@register.filter
def grouped(value: int) -> str:
    """An integer with a comma every three digits in both languages: 10,000 (Chinese pages
    write it so too; Django's zh_Hans format groups nothing)."""
    return f"{value:,}"
