"""The write side's forms: edit a version, decide, resolve a conflict.

They parse and validate; PAI's own rules come from pai.fields.check_update so
they are written once, and the approval rules stay in the services. Bad input
becomes a message beside its field and nothing is saved.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.display.json_text import canonical, pretty
from approvals.pai.fields import METRICS_MAX_CHARS, OBJECT_FIELDS, SOURCE_ID_FORMAT, SOURCE_TYPES, check_update
from approvals.web.forms.json_fields import JsonObjectField, JsonTextField

# PAI's field, its label as PAI's console names it, and how it is edited.
EDIT_FIELDS: tuple[tuple[str, Any], ...] = (
    ("VersionDescription", _("Version description")),
    ("Metrics", _("Metrics")),
    ("TrainingSpec", _("Training spec")),
    ("InferenceSpec", _("Inference spec")),
    ("EvaluationSpec", _("Evaluation spec")),
    ("CompressionSpec", _("Compression spec")),
    ("DistillationSpec", _("Distillation spec")),
    ("ExtraInfo", _("Extra info")),
    ("Options", _("Options")),
    ("SourceType", _("Source type")),
    ("SourceId", _("Source ID")),
)


FIELD_LABELS = dict(EDIT_FIELDS)


def _same_text(a: str, b: str) -> bool:
    # Browsers send textarea newlines as CRLF; a description nobody touched must not count as changed.
    return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")


class VersionEditForm(forms.Form):
    """Every field UpdateModelVersion takes except ApprovalStatus, filled with the version's values.

    `changed_values()` gives only the fields that differ from the version as the
    page showed it: those, and nothing else, go to the service.
    """

    VersionDescription = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4}))
    Metrics = JsonObjectField(
        help_text=format_lazy(
            _("A JSON object, at most {limit} characters once serialized compactly, as PAI counts."),
            limit=f"{METRICS_MAX_CHARS:,}",
        )
    )
    TrainingSpec = JsonObjectField(help_text=_("A JSON object."))
    InferenceSpec = JsonObjectField(help_text=_("A JSON object."))
    EvaluationSpec = JsonObjectField(help_text=_("A JSON object."))
    CompressionSpec = JsonObjectField(help_text=_("A JSON object."))
    DistillationSpec = JsonObjectField(help_text=_("A JSON object."))
    ExtraInfo = JsonObjectField(help_text=_("A JSON object."))
    Options = JsonTextField(help_text=_("JSON text, kept as a string; may be empty."))
    SourceType = forms.ChoiceField(choices=[(name, name) for name in SOURCE_TYPES])
    SourceId = forms.CharField(
        required=False,
        max_length=512,
        help_text=format_lazy(_("For PAIFlow and TrainingService: {format}"), format=SOURCE_ID_FORMAT),
    )
    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, current: dict[str, Any], revision: int, **kwargs: Any) -> None:
        """`current`: the version's PAI values now (pai_values()); `revision`: its revision now."""
        initial = {name: self._display(name, current[name]) for name, _ in EDIT_FIELDS}
        initial["base_revision"] = revision
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        self.current = current
        for name, label in EDIT_FIELDS:
            self.fields[name].label = label
        # A type PAI introduced after this code was written stays selectable as it is.
        if current["SourceType"] not in SOURCE_TYPES:
            self.fields["SourceType"].choices += [(current["SourceType"], current["SourceType"])]
        self.fields["SourceType"].error_messages["invalid_choice"] = gettext("SourceType must be one of %(types)s.") % {
            "types": ", ".join(SOURCE_TYPES)
        }

    @staticmethod
    def _display(name: str, value: Any) -> Any:
        if name in OBJECT_FIELDS:
            return pretty(value if value is not None else {})
        if name == "Options" and value:
            try:
                return pretty(json.loads(value))
            except ValueError:
                return value
        return value

    def _differs(self, name: str, value: Any) -> bool:
        old = self.current[name]
        if name in OBJECT_FIELDS:
            return canonical(value) != canonical(old)
        if name == "Options":
            # Shown indented; unchanged if it still says the same JSON as PAI's string.
            if not value or not old:
                return value != old
            try:
                return canonical(json.loads(old)) != canonical(json.loads(value))
            except ValueError:
                return True
        if name == "VersionDescription":
            return not _same_text(value, old or "")
        return value != (old or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        body = self.changed_values()
        # PAI's own rules (objects, the Metrics size, enums, SourceId format), defined once.
        for problem in check_update(body, self.current):
            target = problem.field if problem.field in self.fields else None
            self.add_error(target, problem.message)
        return data

    def changed_values(self) -> dict[str, Any]:
        """{PAI field: new value} for the fields that differ; valid fields only."""
        values: dict[str, Any] = {}
        for name, _label in EDIT_FIELDS:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if name == "VersionDescription":
                value = value.replace("\r\n", "\n")
            elif name == "Options":
                value = value.strip()
            if self._differs(name, value):
                values[name] = value
        return values


def rebase_edit_data(
    data: Any, *, changed: dict[str, list[Any]], current: dict[str, Any], revision: int
) -> tuple[dict[str, Any], list[str]]:
    """After a stale save: the form data for the fresh version, keeping this person's edits.

    A field someone else changed meanwhile shows their value (it is listed in
    the second result when this person had changed it too); a field only this
    person changed keeps their text. The result is shown for review, never saved.
    """
    base = {**current, **{field: before for field, (before, _after) in changed.items()}}
    mine = VersionEditForm(data, current=base, revision=revision)
    mine.is_valid()
    edits = mine.changed_values()
    fresh = VersionEditForm(current=current, revision=revision)
    rebased = {name: fresh[name].initial for name in fresh.fields}
    both = []
    for name in edits:
        if name in changed:
            both.append(name)
        else:
            rebased[name] = data.get(name, "")
    # Fields this person edited that do not even parse are kept as typed, to fix.
    for name in mine.errors:
        if name in FIELD_LABELS and name not in changed:
            rebased[name] = data.get(name, "")
    return rebased, both
