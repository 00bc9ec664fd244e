"""Form fields for JSON: an object edited as text, and JSON held in a string; errors say where."""

from __future__ import annotations

import json
import math
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.errors import NotFinite

JSON_TEXTAREA = {"rows": 8, "spellcheck": "false", "autocomplete": "off", "class": "json"}


# Python's json messages (exc.msg, English only) by their start, in our words in both languages.
JSON_PROBLEMS = (
    ("Expecting property name enclosed in double quotes", _("a key in double quotes was expected here.")),
    (
        "Expecting value",
        _("a value was expected here (a string in double quotes, a number, true, false, null, an object or an array)."),
    ),
    ("Expecting ':' delimiter", _("a colon (:) was expected after the key.")),
    ("Expecting ',' delimiter", _("a comma (,) or a closing bracket was expected here.")),
    ("Unterminated string", _("this string has no closing double quote.")),
    ("Invalid control character", _("a string cannot hold a line break or tab as it is; write \\n or \\t.")),
    ("Invalid \\uXXXX escape", _("a \\u escape needs four hexadecimal digits.")),
    ("Invalid \\escape", _("this backslash escape is not one JSON knows.")),
    ("Extra data", _("there is more after the end of the JSON value.")),
    ("Illegal trailing comma", _("JSON allows no comma before a closing bracket.")),
)


def json_problem(msg: str) -> str:
    """Python's JSONDecodeError message in the reader's language (a general one if unknown)."""
    for start, words in JSON_PROBLEMS:
        if msg.startswith(start):
            return str(words)
    return gettext("this is not valid JSON.")


def _constant(name: str) -> Any:
    raise NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotFinite(text if len(text) <= 40 else text[:37] + "…")
    return value


def loads_finite(text: str) -> Any:
    """json.loads that refuses non-finite numbers (NotFinite) instead of making them inf or nan."""
    return json.loads(text, parse_constant=_constant, parse_float=_finite_float)


def parse_json_text(text: str) -> Any:
    """json.loads with an error that names the line and column, as an editor would."""
    try:
        return loads_finite(text)
    except NotFinite as exc:
        message = gettext("%(number)s is not a finite number: JSON has no NaN or Infinity, and no number this large.")
        raise forms.ValidationError(message % {"number": exc.args[0]}, code="json") from None
    except json.JSONDecodeError as exc:
        message = gettext("Line %(line)s, column %(column)s: %(problem)s")
        raise forms.ValidationError(
            message % {"line": exc.lineno, "column": exc.colno, "problem": json_problem(exc.msg)}, code="json"
        ) from None
    except RecursionError:
        # Thousands of nested brackets exhaust the parser's stack: refuse, do not crash.
        raise forms.ValidationError(gettext("The JSON is nested too deeply."), code="json") from None
    except ValueError:
        # Python reads integers of at most 4,300 digits.
        raise forms.ValidationError(gettext("The JSON has a number with too many digits."), code="json") from None


class JsonObjectField(forms.CharField):
    """A PAI object field edited as JSON text. Empty means {} (PAI's empty value).

    It only parses: whether the value is an object, and PAI's size limits, are
    checked by pai.fields.check_update so the rules are written once.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, strip=False, widget=forms.Textarea(attrs=JSON_TEXTAREA), **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return {} if not text.strip() else parse_json_text(text)


class JsonTextField(forms.CharField):
    """PAI's Options: JSON held as a string. Kept as typed, empty allowed, but it must parse."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, widget=forms.Textarea(attrs=JSON_TEXTAREA), **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            parse_json_text(value)
