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

from .models import ApprovalStatus
from .pai.fields import METRICS_MAX_CHARS, OBJECT_FIELDS, SOURCE_ID_FORMAT, SOURCE_TYPES, check_update

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
JSON_TEXTAREA = {"rows": 8, "spellcheck": "false", "autocomplete": "off", "class": "json"}


def pretty(value: Any) -> str:
    """Indented JSON as the textareas show it; non-ASCII kept as written."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def canonical(value: Any) -> str:
    # Compares JSON the way PAI stores it: key order aside, but 1, 1.0 and true stay different.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _same_text(a: str, b: str) -> bool:
    # Browsers send textarea newlines as CRLF; a description nobody touched must not count as changed.
    return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")


def parse_json_text(text: str) -> Any:
    """json.loads with an error that names the line and column, as an editor would."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = gettext("Line %(line)s, column %(column)s: %(problem)s")
        raise forms.ValidationError(
            message % {"line": exc.lineno, "column": exc.colno, "problem": exc.msg}, code="json"
        ) from None
    except RecursionError:
        # Thousands of nested brackets exhaust the parser's stack: refuse, do not crash.
        raise forms.ValidationError(gettext("The JSON is nested too deeply."), code="json") from None


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


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(ApprovalStatus.APPROVED, _("Approve")), (ApprovalStatus.REJECTED, _("Reject"))],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("The decision must be Approved or Rejected.")},
    )
    reason = forms.CharField(
        required=False,
        max_length=4000,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept in the dashboard's audit log; PAI has no comment field."),
    )

    # The services name fields as PAI does; this form names them in lower case.
    SERVICE_FIELDS = {"ApprovalStatus": "status", "Reason": "reason"}


class ConflictForm(forms.Form):
    """One "keep PAI's" / "apply mine" choice per field in conflict."""

    CHOICES = [("theirs", _("keep PAI's")), ("yours", _("apply mine"))]

    def __init__(self, *args: Any, conflict: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in conflict:
            self.fields[f"keep_{field}"] = forms.ChoiceField(
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                label=FIELD_LABELS.get(field, field),
                error_messages={"required": gettext("Choose which value of %(field)s to keep.") % {"field": field}},
            )
        self.conflict_fields = list(conflict)

    def keep(self) -> dict[str, str]:
        return {field: self.cleaned_data[f"keep_{field}"] for field in self.conflict_fields}

    def field_for(self, service_field: str | None) -> str | None:
        name = f"keep_{service_field}"
        return name if name in self.fields else None
