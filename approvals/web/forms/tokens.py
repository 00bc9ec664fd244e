"""The form that names a new API token."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from approvals.services.tokens import NAME_MAX


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("What will use it, e.g. “nightly training pipeline”."),
    )
