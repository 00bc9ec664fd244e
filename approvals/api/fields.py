"""Input fields that accept exactly the JSON type PAI takes, with PAI's messages.

DRF's own fields coerce (5 becomes "5"); an UpdateModelVersion body with a number
where PAI wants a string is refused by PAI, so it is refused here, at its field.
Values must also survive the databases: no NUL, no lone surrogates, bounded depth.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

from approvals.pai.labels import canonical, check_label_set

MAX_DEPTH = 64


def storage_problem(value: Any) -> str | None:
    """Why `value` (any JSON) cannot be stored as it is, or None."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep."
        if isinstance(item, str):
            if "\x00" in item:
                return "contains a NUL character, which cannot be stored."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "contains invalid Unicode (a lone surrogate)."
        elif isinstance(item, float) and not math.isfinite(item):
            # 1e400 parses as inf: no database stores it (PostgreSQL's jsonb refuses it).
            return "contains a number that is not finite (too large for a 64-bit float, like 1e400)."
        elif isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return None


class _Named:
    """Messages that name the field as PAI does ("Metrics must be a JSON object.")."""

    type_message = "{name} is invalid."
    field_name: str

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)  # type: ignore[misc]
        message = self.type_message.format(name=field_name)
        self.error_messages.update({"null": message, "invalid": message, "not_a_dict": message})  # type: ignore[attr-defined]

    def _check_storable(self, value: Any) -> None:
        problem = storage_problem(value)
        if problem:
            raise serializers.ValidationError(f"{self.field_name} {problem}")


class PaiString(_Named, serializers.CharField):
    type_message = "{name} must be a string."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        self._check_storable(data)
        return data


class PaiObject(_Named, serializers.DictField):
    type_message = "{name} must be a JSON object."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        self._check_storable(data)
        return data  # kept exactly as sent: PAI stores it whole

    def to_representation(self, value: Any) -> Any:
        return value


class PaiChoice(_Named, serializers.ChoiceField):
    def __init__(self, choices: Any, **kwargs: Any) -> None:
        super().__init__(choices=choices, **kwargs)
        self._allowed = ", ".join(str(c) for c in self.choices)

    def bind(self, field_name: str, parent: Any) -> None:
        self.type_message = f"{{name}} must be one of {self._allowed}."
        super().bind(field_name, parent)
        self.error_messages["invalid_choice"] = self.type_message.format(name=field_name)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class PaiLabels(_Named, serializers.ListField):
    """A version's whole set of labels, [{"Key": ..., "Value": ...}], checked by PAI's label rules."""

    type_message = "{name} must be a list of Key and Value objects."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, child=serializers.JSONField(), **kwargs)

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            # Not self.fail: its message is formatted again, and "{Key, Value}" is no placeholder.
            raise serializers.ValidationError(f"{self.field_name} must be a list of {{Key, Value}} objects.")
        self._check_storable(data)
        problems = check_label_set(data)
        if problems:
            raise serializers.ValidationError(problems[0].message)
        return canonical(data)

    def to_representation(self, value: Any) -> Any:
        return value
