"""The edit form's Labels: one `key=value` a line, checked by PAI's label rules (approvals.pai.labels).

Kept apart from forms/edit.py, which takes the field from here by the table's kind.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.pai.labels import MAX_LABELS_PER_VERSION, canonical, check_label_set

LABELS_TEXTAREA = {"rows": 5, "spellcheck": "false", "autocomplete": "off", "class": "labels"}


def labels_text(labels: Any) -> str:
    """A version's labels as the form shows them: `key=value`, one a line, by key."""
    return "\n".join(f"{label['Key']}={label['Value']}" for label in canonical(labels))


def parse_labels_text(text: str) -> list[dict[str, str]]:
    """The form's text as [{Key, Value}] (canonical order); ValidationError naming the line at fault."""
    labels: list[dict[str, str]] = []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, _sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            raise forms.ValidationError(
                gettext("Line %(line)s: a label needs a key before '=' (key=value).") % {"line": number}, code="labels"
            )
        if "=" in value:
            raise forms.ValidationError(
                gettext("Line %(line)s: a label value cannot contain '='.") % {"line": number}, code="labels"
            )
        if key in lines:
            raise forms.ValidationError(
                gettext("Line %(line)s: the key %(key)s is already on line %(first)s; a key holds one value.")
                % {"line": number, "key": key, "first": lines[key]},
                code="labels",
            )
        lines[key] = number
        labels.append({"Key": key, "Value": value})
    if len(labels) > MAX_LABELS_PER_VERSION:
        raise forms.ValidationError(
            gettext("%(count)s labels; a version holds at most %(max)s.")
            % {"count": len(labels), "max": MAX_LABELS_PER_VERSION},
            code="labels",
        )
    problems = check_label_set(labels)
    if problems:
        # "Labels[2].Key is 130 bytes…": say which line that is.
        index = int(problems[0].field.split("[", 1)[1].split("]", 1)[0]) if "[" in problems[0].field else None
        where = list(lines.values())[index] if index is not None else None
        message = problems[0].message
        if where is not None:
            message = gettext("Line %(line)s: %(problem)s") % {"line": where, "problem": message}
        raise forms.ValidationError(message, code="labels")
    return canonical(labels)


class LabelsField(forms.CharField):
    """A version's whole set of labels; an empty text is no labels."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            _(
                "One label a line, as key=value (a key alone: an empty value). Delete a line to remove the "
                "label. Keys and values: at most 128 bytes, no '=' or ','."
            ),
        )
        super().__init__(required=False, strip=False, widget=forms.Textarea(attrs=LABELS_TEXTAREA), **kwargs)

    def to_python(self, value: Any) -> Any:
        return parse_labels_text(super().to_python(value) or "")
