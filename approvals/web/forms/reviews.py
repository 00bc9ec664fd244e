"""The review's forms on the version page: a comment, a request for changes, an assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import COMMENT_MAX_CHARS
from approvals.services.comments import comment_text_problem
from approvals.services.reviews import REASON_MAX_CHARS


class CommentForm(forms.Form):
    # One character over the limit is accepted here so the service's message (with the counts) shows.
    text = forms.CharField(
        label=_("Comment"),
        strip=False,
        max_length=COMMENT_MAX_CHARS * 2,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Plain text; links become clickable; @username tells a member of this workspace."),
        error_messages={"required": _("Write something: the comment is empty or only whitespace.")},
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        problem = comment_text_problem(text.strip())
        if problem:
            raise forms.ValidationError(problem)
        return text


class ChangesRequestedForm(forms.Form):
    reason = forms.CharField(
        label=_("What should change"),
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what should change: a request for changes needs a reason.")},
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Reviewer"), required=False)

    def __init__(self, *args: Any, reviewers: list[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (user.get_username(), user.get_username()) for user in reviewers
        ]
