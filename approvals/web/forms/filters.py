"""Forms that read the query string of the listing pages (filters, sort, page).
The write side's forms are in forms_edit.

Bad input becomes a message beside its field, never an exception: the pages
show what was wrong instead of a 500 or a silently different list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from approvals.display.labels import STATUS_LABELS
from approvals.fields import FORMAT_TYPES, FRAMEWORK_TYPES, value_label
from approvals.models import ReviewState, SourceType, Workspace
from approvals.selectors.audit import AuditFilters
from approvals.selectors.pagination import DEFAULT_PAGE_SIZE, PAGE_SIZES
from approvals.selectors.versions import DEFAULT_VERSION_SORT, QueueFilters, VersionFilters
from approvals.web.forms.label_filter import LabelFilterField
from approvals.web.forms.renderer import RENDERER

# Beyond this a page number is a typo or a probe, and OFFSET would only scan.
MAX_PAGE = 100_000


ANY = [("", _("Any"))]


VERSION_SORT_CHOICES = [
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("-modified", _("Recently modified")),
    ("modified", _("Least recently modified")),
    ("model", _("Model name A–Z")),
    ("-model", _("Model name Z–A")),
    ("version", _("Version name A–Z")),
    ("-version", _("Version name Z–A")),
]


class PageField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=1,
            max_value=MAX_PAGE,
            widget=forms.HiddenInput,
            error_messages={
                "invalid": _("The page must be a whole number, 1 or more."),
                "min_value": _("The page must be 1 or more."),
                "max_value": format_lazy(_("The page must be at most {limit}."), limit=f"{MAX_PAGE:,}"),
            },
            **kwargs,
        )


REVIEW_CHOICES = [
    ("", _("Any")),
    (ReviewState.CHANGES_REQUESTED.value, _("Changes requested")),
    (ReviewState.READY.value, _("Ready for review")),
]
ASSIGNED_CHOICES = [("", _("Anyone")), ("me", _("Assigned to me"))]


class ReviewFilters(forms.Form):
    """The review's filters, shared by the queue and the versions page (and the API)."""

    # Selects and inputs written in Python, the same markup as Django's templates (forms/renderer.py).
    default_renderer = RENDERER

    review = forms.ChoiceField(required=False, label=_("Review"), choices=REVIEW_CHOICES)
    assigned = forms.ChoiceField(required=False, label=_("Assigned"), choices=ASSIGNED_CHOICES)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._user_pk = getattr(user, "pk", None)

    @property
    def review_state(self) -> str:
        return self.cleaned_data.get("review") or ""

    @property
    def assignee_pk(self) -> int | None:
        # Nobody signed in is assigned nothing: -1 matches no row.
        return (self._user_pk or -1) if self.cleaned_data.get("assigned") == "me" else None


class VersionFilterForm(ReviewFilters):
    """The versions page's whole state: filters, search, sort, page size and page."""

    workspace = forms.ChoiceField(required=False, label=_("Workspace"))
    model = forms.CharField(required=False, max_length=128, label=_("Model ID"))
    status = forms.ChoiceField(required=False, label=_("Approval status"), choices=ANY + list(STATUS_LABELS.items()))
    source = forms.ChoiceField(required=False, label=_("Source type"), choices=ANY + SourceType.choices)
    framework = forms.ChoiceField(
        required=False, label=_("Framework"), choices=ANY + [(name, value_label(name)) for name in FRAMEWORK_TYPES]
    )
    format = forms.ChoiceField(
        required=False, label=_("Format"), choices=ANY + [(name, value_label(name)) for name in FORMAT_TYPES]
    )
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        help_text=_("Model name, version name or description contains"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    label = LabelFilterField()
    sort = forms.ChoiceField(required=False, label=_("Sort by"), choices=VERSION_SORT_CHOICES)
    per_page = forms.TypedChoiceField(
        required=False,
        label=_("Per page"),
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(size, str(size)) for size in PAGE_SIZES],
    )
    page = PageField()

    def __init__(self, *args: Any, workspaces: Sequence[Workspace] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The review filters come after the others on the page.
        self.order_fields([name for name in self.fields if name not in ("review", "assigned")] + ["review", "assigned"])
        self._workspace_pks = {w.workspace_id: w.pk for w in workspaces}
        self.fields["workspace"].choices = [("", _("All workspaces"))] + [(w.workspace_id, w.name) for w in workspaces]
        if self.is_bound and not self.data.get("per_page"):
            # The box shows the size the page is listed with, not the first choice.
            self.data = self.data.copy()
            self.data["per_page"] = str(DEFAULT_PAGE_SIZE)

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
            labels=data.get("label") or (),
            sort=data.get("sort") or DEFAULT_VERSION_SORT,
            review=self.review_state,
            assignee_pk=self.assignee_pk,
        )

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1

    @property
    def page_size(self) -> int:
        return self.cleaned_data.get("per_page") or DEFAULT_PAGE_SIZE


QUEUE_AGES = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}


class QueueFilterForm(ReviewFilters):
    """The review queue's filters: workspace, search, source type, age, superseded, labels, review
    state and "Assigned to me"; and the page."""

    workspace = forms.ChoiceField(required=False, label=_("Workspace"))
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        help_text=_("Model or version name contains"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    source = forms.ChoiceField(required=False, label=_("Source type"), choices=ANY + SourceType.choices)
    age = forms.ChoiceField(
        required=False,
        label=_("Waiting"),
        choices=[
            *ANY,
            ("1d", _("over a day")),
            ("7d", _("over a week")),
            ("30d", _("over a month")),
            ("90d", _("over three months")),
        ],
    )
    superseded = forms.ChoiceField(
        required=False,
        label=_("Superseded"),
        help_text=_("A newer version of the model is Approved"),
        choices=[*ANY, ("hide", _("Hide superseded")), ("only", _("Only superseded"))],
    )
    label = LabelFilterField()
    page = PageField()

    def __init__(self, *args: Any, workspaces: Sequence[Workspace] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._workspace_pks = {w.workspace_id: w.pk for w in workspaces}
        self.fields["workspace"].choices = [("", _("All workspaces"))] + [(w.workspace_id, w.name) for w in workspaces]

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        age = QUEUE_AGES.get(data.get("age") or "")
        return QueueFilters(
            workspace_pk=self._workspace_pks.get(data.get("workspace") or ""),
            search=(data.get("q") or "").strip(),
            source_type=data.get("source") or "",
            older_than=timezone.now() - age if age else None,
            superseded=data.get("superseded") or "",
            labels=data.get("label") or (),
            review=self.review_state,
            assignee_pk=self.assignee_pk,
        )

    @property
    def filtered(self) -> bool:
        names = ("workspace", "q", "source", "age", "superseded", "label", "review", "assigned")
        return any(self.cleaned_data.get(name) for name in names)

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class PageForm(forms.Form):
    """Just a page number, for the lists that have no filters (queue, model page)."""

    page = PageField()

    @property
    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class AuditFilterForm(forms.Form):
    """The audit log's filters and its keyset cursor (before/after a seq)."""

    workspace = forms.CharField(
        required=False,
        max_length=64,
        label=_("Workspace"),
        help_text=_("Its name or ID"),
        widget=forms.TextInput(attrs={"list": "audit-workspaces"}),
    )
    model = forms.CharField(required=False, max_length=128, label=_("Model"), help_text=_("Its name or ID"))
    version = forms.CharField(required=False, max_length=64, label=_("Version name"))
    actor = forms.CharField(
        required=False, max_length=150, label=_("Actor"), help_text=_("A person's name or username, PAI or system")
    )
    action = forms.CharField(
        required=False,
        max_length=64,
        label=_("Action"),
        help_text=_("In words, e.g. approved, edited"),
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    date_from = forms.DateField(
        required=False,
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    date_to = forms.DateField(
        required=False,
        label=_("To (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    # Bounded by the column (a 64-bit integer): SQLite cannot even compare a larger one.
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
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


class CursorForm(forms.Form):
    cursor = forms.CharField(required=False, max_length=4096)
    per_page = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=DEFAULT_PAGE_SIZE, choices=[(n, str(n)) for n in PAGE_SIZES]
    )
    workspace = forms.CharField(required=False, max_length=64)

    @property
    def page_size(self) -> int:
        return self.cleaned_data.get("per_page") or DEFAULT_PAGE_SIZE


def cursor_form(params: Any, *, with_workspace: bool = False) -> CursorForm:
    form = CursorForm(params)
    if not with_workspace:
        del form.fields["workspace"]
    return form
