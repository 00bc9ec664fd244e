"""Staff waive one failing metric gate for one version, with a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

BACK_TO = ("decide", "detail")


class GateWaiverForm(forms.Form):
    reason = forms.CharField(
        max_length=4000,
        label=_("Why this gate may be waived (required)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why this gate is waived.")},
    )
    # The page the form was on, to go back to.
    back = forms.ChoiceField(choices=[(b, b) for b in BACK_TO], required=False, widget=forms.HiddenInput)
