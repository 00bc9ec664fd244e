"""The decision form (approve or reject, with a reason) and the conflict form (keep PAI's or mine)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.display.labels import field_label
from approvals.models import ApprovalStatus


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

    # The revision the page showed: a decision covers exactly that content.
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    # The services name fields as PAI does; this form names them in lower case.
    SERVICE_FIELDS = {"ApprovalStatus": "status", "Reason": "reason"}


class ConflictForm(forms.Form):
    """One "keep PAI's" / "apply mine" choice per field in conflict."""

    CHOICES = [("theirs", _("keep PAI's")), ("yours", _("apply mine"))]
    # The revision the page showed: a resolution chooses between the values it showed.
    revision = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, conflict: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in conflict:
            self.fields[f"keep_{field}"] = forms.ChoiceField(
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                label=field_label(field),
                error_messages={"required": gettext("Choose which value of %(field)s to keep.") % {"field": field}},
            )
        self.conflict_fields = list(conflict)

    def keep(self) -> dict[str, str]:
        return {field: self.cleaned_data[f"keep_{field}"] for field in self.conflict_fields}

    def field_for(self, service_field: str | None) -> str | None:
        name = f"keep_{service_field}"
        return name if name in self.fields else None
