"""The edit form: every editable field of the table, parsed and checked by PAI's rules.

It parses and validates; PAI's own rules come from pai.fields.check_update so
they are written once, and the approval rules stay in the services. Bad input
becomes a message beside its field and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.display.field_problems import problem_message
from approvals.display.json_text import canonical, pretty
from approvals.fields import EDITABLE, EDITABLE_NAMES, Kind, VersionField, value_label
from approvals.pai.fields import METRICS_MAX_CHARS, SOURCE_ID_FORMAT, check_update
from approvals.pai.labels import canonical as canonical_labels
from approvals.web.forms.json_fields import JsonObjectField, JsonTextField
from approvals.web.forms.labels import LabelsField, labels_text
from approvals.web.forms.metric_table import MetricTableMixin, build_metrics, shown_value, table_rows

# PAI's field and its label, for every field the form edits (approvals/fields.py's table).
EDIT_FIELDS: tuple[tuple[str, Any], ...] = tuple((f.name, _(f.label)) for f in EDITABLE)


def _same_text(a: str, b: str) -> bool:
    # Browsers send textarea newlines as CRLF; a description nobody touched must not count as changed.
    return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")


def _form_field(field: VersionField) -> forms.Field:
    """The form field for one editable version field, by its kind; help where PAI has a rule."""
    if field.kind == Kind.OBJECT:
        if field.name == "Metrics":
            limit = f"{METRICS_MAX_CHARS:,}"
            text = _("A JSON object, at most {limit} characters once serialized compactly, as PAI counts.")
            return JsonObjectField(help_text=format_lazy(text, limit=limit))
        return JsonObjectField(help_text=_("A JSON object."))
    if field.kind == Kind.JSON_TEXT:
        return JsonTextField(help_text=_("JSON text, kept as a string; may be empty."))
    if field.kind == Kind.LIST:
        return LabelsField()
    if field.kind == Kind.ENUM:
        return forms.ChoiceField(choices=[(name, value_label(name)) for name in field.choices])
    if field.name == "SourceId":
        help_text = format_lazy(_("For PAIFlow and TrainingService: {format}"), format=SOURCE_ID_FORMAT)
        return forms.CharField(required=False, max_length=512, help_text=help_text)
    return forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4}))


class VersionEditForm(MetricTableMixin, forms.Form):
    """Every field the table marks editable, filled with the version's values; Metrics also as a
    table (forms.metric_table); and a note saying why, kept as the Change's reason.

    `changed_values()` gives only the fields that differ from the version as the
    page showed it: those, and nothing else, go to the service.
    """

    base_revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Note: why this change"),
        help_text=_("Optional. Kept with the change, in the history and the audit log."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, current: dict[str, Any], revision: int, **kwargs: Any) -> None:
        """`current`: the version's PAI values now (pai_values()); `revision`: its revision now."""
        initial = {f.name: self._display(f, current[f.name]) for f in EDITABLE}
        initial["base_revision"] = revision
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        self.current = current
        fields = {f.name: _form_field(f) for f in EDITABLE}
        for f in EDITABLE:
            fields[f.name].label = _(f.label)
            if f.kind == Kind.ENUM:
                # A value PAI introduced after this code was written stays selectable as it is.
                if current[f.name] not in f.choices:
                    fields[f.name].choices += [(current[f.name], current[f.name])]
                fields[f.name].error_messages["invalid_choice"] = gettext("%(field)s must be one of %(values)s.") % {
                    "field": f.name,
                    "values": ", ".join(f.choices),
                }
        self.fields = {**fields, **self.fields}
        self.add_metric_rows(current.get("Metrics"))

    def visible_fields(self) -> list[Any]:
        """The fields shown one by one; the metric table's cells are drawn as the table."""
        return [f for f in super().visible_fields() if not f.name.startswith("metric-")]

    def error_fields(self) -> list[Any]:
        """Every field with an error, in the page's order (for the error summary)."""
        return [self[name] for name in self.fields if name in self.errors]

    @staticmethod
    def _display(field: VersionField, value: Any) -> Any:
        if field.kind == Kind.OBJECT:
            return pretty(value if value is not None else {})
        if field.kind == Kind.LIST:
            return labels_text(value)
        if field.kind == Kind.JSON_TEXT and value:
            try:
                return pretty(json.loads(value))
            except ValueError:
                return value
        return value

    def _differs(self, field: VersionField, value: Any) -> bool:
        old = self.current[field.name]
        if field.kind == Kind.OBJECT:
            return canonical(value) != canonical(old)
        if field.kind == Kind.LIST:
            return canonical_labels(value) != canonical_labels(old)
        if field.kind == Kind.JSON_TEXT:
            # Shown indented; unchanged if it still says the same JSON as PAI's string.
            if not value or not old:
                return value != old
            try:
                return canonical(json.loads(old)) != canonical(json.loads(value))
            except ValueError:
                return True
        return not _same_text(value, old or "")

    def _metrics_from_table(self, data: dict[str, Any]) -> None:
        """Put the table's Metrics in `data` when the table was changed and the JSON was not."""
        rows, errors = self.metric_table(data)
        if rows is None or "Metrics" not in data:
            return
        for name, message in errors.items():
            self.add_error(name, message)
        if errors:
            return
        original = {(d, m): v for d, m, v in table_rows(self.current.get("Metrics")) or []}
        # A value shown and sent back untouched keeps its type ("0.5" as text stays text).
        rows = [
            (d, m, original[(d, m)] if (d, m) in original and shown_value(original[(d, m)]) == shown_value(v) else v)
            for d, m, v in rows
        ]
        current = self.current.get("Metrics") or {}
        from_table = build_metrics(current, rows)
        json_edited = canonical(data["Metrics"]) != canonical(current)
        if canonical(from_table) == canonical(current):
            return
        if json_edited:
            self.add_error("Metrics", gettext("Metrics was changed both in the table and as JSON; change one of them."))
            return
        data["Metrics"] = from_table

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._metrics_from_table(data)
        body = self.changed_values()
        # PAI's own rules (objects, the Metrics size, enums, SourceId format), defined once.
        for problem in check_update(body, self.current):
            target = problem.field if problem.field in self.fields else None
            self.add_error(target, problem_message(problem))
        return data

    def changed_values(self) -> dict[str, Any]:
        """{PAI field: new value} for the fields that differ; valid fields only."""
        values: dict[str, Any] = {}
        for field in EDITABLE:
            if field.name not in self.cleaned_data:
                continue
            value = self.cleaned_data[field.name]
            if field.kind == Kind.TEXT:
                value = value.replace("\r\n", "\n")
            elif field.kind == Kind.JSON_TEXT:
                value = value.strip()
            if self._differs(field, value):
                values[field.name] = value
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
        if name in EDITABLE_NAMES and name not in changed:
            rebased[name] = data.get(name, "")
    return rebased, both
