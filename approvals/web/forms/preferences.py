"""The notification preferences page: per kind of event, how e-mail tells the person; their language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from approvals.display.labels import notification_kind_label
from approvals.models import EmailChoice, NotificationKind

EMAIL_CHOICES = [
    (EmailChoice.IMMEDIATE.value, _("At once")),
    (EmailChoice.DIGEST.value, _("Daily digest")),
    (EmailChoice.OFF.value, _("Off")),
]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of e-mails"),
        required=False,
        help_text=_("Empty: the language you last signed in with."),
    )

    def __init__(self, *args: Any, choices: dict[str, str], language: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The one I last used")), *settings.LANGUAGES]
        self.fields["language"].initial = language
        for kind in NotificationKind.values:
            self.fields[f"email_{kind}"] = forms.ChoiceField(
                label=notification_kind_label(kind), choices=EMAIL_CHOICES, initial=choices.get(kind)
            )

    def email_choices(self) -> dict[str, str]:
        return {kind: self.cleaned_data[f"email_{kind}"] for kind in NotificationKind.values}

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[f"email_{kind}"] for kind in NotificationKind.values]
