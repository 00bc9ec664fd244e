"""The label filter's query parameter, for the versions page, the queue and the API.

`label=stage=canary&label=team` (repeated) or `label=stage=canary, team` (one box on
the page): each term is `key=value` or `key` (any value), and a version must hold
all of them. A comma can never be in a label key or value, so it separates terms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.pai.labels import MAX_VALUE_BYTES, key_problem
from approvals.selectors.label_filter import LabelTerm

MAX_TERMS = 10
MAX_TEXT = 4000


class LabelTermsInput(forms.TextInput):
    """One text box that also reads the parameter repeated (`label=a&label=b`), as the API sends it."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [v for v in values if isinstance(v, str) and v.strip()]
        return ", ".join(values) if values else None


def parse_label_terms(text: str) -> tuple[LabelTerm, ...]:
    """`stage=canary, team` -> (LabelTerm("stage", "canary"), LabelTerm("team")); ValidationError when bad."""
    terms: list[LabelTerm] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        key, sep, value = raw.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            raise forms.ValidationError(
                gettext("%(term)s: a label filter is key=value or key; the key is missing.") % {"term": raw},
                code="label",
            )
        if "=" in value:
            raise forms.ValidationError(
                gettext("%(term)s: a label filter has at most one '=' (key=value).") % {"term": raw}, code="label"
            )
        if key_problem(key) or len(value.encode("utf-8")) > MAX_VALUE_BYTES or "\x00" in value:
            raise forms.ValidationError(
                gettext("%(term)s: keys and values are at most 128 bytes, without control characters.")
                % {"term": raw[:60]},
                code="label",
            )
        terms.append(LabelTerm(key, value if sep else None))
    if len(terms) > MAX_TERMS:
        raise forms.ValidationError(
            gettext("At most %(max)s label filters at once.") % {"max": MAX_TERMS}, code="label"
        )
    return tuple(dict.fromkeys(terms))


class LabelFilterField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            label=_("Labels"),
            help_text=_("key=value, or key for any value; several, separated by commas, must all hold"),
            widget=LabelTermsInput(attrs={"placeholder": "stage=canary, team"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        if len(text) > MAX_TEXT:
            raise forms.ValidationError(gettext("The label filter is too long."), code="label")
        return parse_label_terms(text)
