"""Forms: the listing pages' query strings (filters, sort, page), and the write
side's edit, decision and conflict forms.

Bad input becomes a message beside its field, never an exception: the pages
show what was wrong instead of a 500, a silently different list, or a save.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms

from .audit_selectors import AuditFilters
from .models import ApprovalStatus, SourceType, Workspace
from .pai.fields import (
    FORMAT_TYPES,
    FRAMEWORK_TYPES,
    METRICS_MAX_CHARS,
    OBJECT_FIELDS,
    SOURCE_ID_FORMAT,
    SOURCE_TYPES,
    check_update,
)
from .selectors import DEFAULT_PAGE_SIZE, DEFAULT_VERSION_SORT, PAGE_SIZES, VersionFilters

# Beyond this a page number is a typo or a probe, and OFFSET would only scan.
MAX_PAGE = 100_000
ANY = [("", "Any")]

VERSION_SORT_CHOICES = [
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("-modified", "Recently modified"),
    ("modified", "Least recently modified"),
    ("model", "Model name A–Z"),
    ("-model", "Model name Z–A"),
    ("version", "Version name A–Z"),
    ("-version", "Version name Z–A"),
]


class PageField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=1,
            max_value=MAX_PAGE,
            widget=forms.HiddenInput,
            error_messages={
                "invalid": "The page must be a whole number, 1 or more.",
                "min_value": "The page must be 1 or more.",
                "max_value": f"The page must be at most {MAX_PAGE:,}.",
            },
            **kwargs,
        )


class VersionFilterForm(forms.Form):
    """The versions page's whole state: filters, search, sort, page size and page."""

    workspace = forms.ChoiceField(required=False, label="Workspace")
    model = forms.CharField(required=False, max_length=128, label="Model ID")
    status = forms.ChoiceField(required=False, label="Approval status", choices=ANY + ApprovalStatus.choices)
    source = forms.ChoiceField(required=False, label="Source type", choices=ANY + SourceType.choices)
    framework = forms.ChoiceField(
        required=False, label="Framework", choices=ANY + [(name, name) for name in FRAMEWORK_TYPES]
    )
    format = forms.ChoiceField(required=False, label="Format", choices=ANY + [(name, name) for name in FORMAT_TYPES])
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        help_text="Model name, version name or description contains",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    sort = forms.ChoiceField(required=False, label="Sort by", choices=VERSION_SORT_CHOICES)
    per_page = forms.TypedChoiceField(
        required=False,
        label="Per page",
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(size, str(size)) for size in PAGE_SIZES],
    )
    page = PageField()

    def __init__(self, *args: Any, workspaces: Sequence[Workspace] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._workspace_pks = {w.workspace_id: w.pk for w in workspaces}
        self.fields["workspace"].choices = [("", "All workspaces")] + [(w.workspace_id, w.name) for w in workspaces]

    def filters(self) -> VersionFilters:
        data = self.cleaned_data
        return VersionFilters(
            workspace_pk=self._workspace_pks.get(data.get("workspace") or ""),
            model_id=(data.get("model") or "").strip(),
            status=data.get("status") or "",
            source_type=data.get("source") or "",
            framework=data.get("framework") or "",
            format=data.get("format") or "",
            search=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_VERSION_SORT,
        )

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1

    @property
    def page_size(self) -> int:
        return self.cleaned_data.get("per_page") or DEFAULT_PAGE_SIZE


class PageForm(forms.Form):
    """Just a page number, for the lists that have no filters (queue, model page)."""

    page = PageField()

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class AuditFilterForm(forms.Form):
    """The audit log's filters and its keyset cursor (before/after a seq)."""

    workspace = forms.CharField(required=False, max_length=64, label="Workspace ID")
    model = forms.CharField(required=False, max_length=128, label="Model ID")
    version = forms.CharField(required=False, max_length=64, label="Version name")
    actor = forms.CharField(required=False, max_length=150, label="Actor", help_text="A username, PAI or system")
    action = forms.CharField(required=False, max_length=64, label="Action")
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            workspace_id=(data.get("workspace") or "").strip(),
            model_id=(data.get("model") or "").strip(),
            version_name=(data.get("version") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            action=(data.get("action") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# --- the write side: edit, decide, resolve a conflict ---------------------------

# PAI's field, its label as PAI's console names it, and how it is edited.
EDIT_FIELDS: tuple[tuple[str, str], ...] = (
    ("VersionDescription", "Version description"),
    ("Metrics", "Metrics"),
    ("TrainingSpec", "Training spec"),
    ("InferenceSpec", "Inference spec"),
    ("EvaluationSpec", "Evaluation spec"),
    ("CompressionSpec", "Compression spec"),
    ("DistillationSpec", "Distillation spec"),
    ("ExtraInfo", "Extra info"),
    ("Options", "Options"),
    ("SourceType", "Source type"),
    ("SourceId", "Source ID"),
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
        raise forms.ValidationError(f"Line {exc.lineno}, column {exc.colno}: {exc.msg}", code="json") from None


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
        help_text=f"A JSON object, at most {METRICS_MAX_CHARS:,} characters once serialized compactly, as PAI counts."
    )
    TrainingSpec = JsonObjectField(help_text="A JSON object.")
    InferenceSpec = JsonObjectField(help_text="A JSON object.")
    EvaluationSpec = JsonObjectField(help_text="A JSON object.")
    CompressionSpec = JsonObjectField(help_text="A JSON object.")
    DistillationSpec = JsonObjectField(help_text="A JSON object.")
    ExtraInfo = JsonObjectField(help_text="A JSON object.")
    Options = JsonTextField(help_text="JSON text, kept as a string; may be empty.")
    SourceType = forms.ChoiceField(choices=[(name, name) for name in SOURCE_TYPES])
    SourceId = forms.CharField(
        required=False, max_length=512, help_text=f"For PAIFlow and TrainingService: {SOURCE_ID_FORMAT}"
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
        self.fields["SourceType"].error_messages["invalid_choice"] = (
            f"SourceType must be one of {', '.join(SOURCE_TYPES)}."
        )

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
        for name, _ in EDIT_FIELDS:
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
        choices=[(ApprovalStatus.APPROVED, "Approve"), (ApprovalStatus.REJECTED, "Reject")],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "The decision must be Approved or Rejected."},
    )
    reason = forms.CharField(
        required=False,
        max_length=4000,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept in the dashboard's audit log; PAI has no comment field.",
    )

    # The services name fields as PAI does; this form names them in lower case.
    SERVICE_FIELDS = {"ApprovalStatus": "status", "Reason": "reason"}


class ConflictForm(forms.Form):
    """One "keep PAI's" / "apply mine" choice per field in conflict."""

    CHOICES = [("theirs", "keep PAI's"), ("yours", "apply mine")]

    def __init__(self, *args: Any, conflict: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in conflict:
            self.fields[f"keep_{field}"] = forms.ChoiceField(
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                label=FIELD_LABELS.get(field, field),
                error_messages={"required": f"Choose which value of {field} to keep."},
            )
        self.conflict_fields = list(conflict)

    def keep(self) -> dict[str, str]:
        return {field: self.cleaned_data[f"keep_{field}"] for field in self.conflict_fields}

    def field_for(self, service_field: str | None) -> str | None:
        name = f"keep_{service_field}"
        return name if name in self.fields else None
