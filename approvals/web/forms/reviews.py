"""The review's forms on the version page: a comment, a request for changes, an assignment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import COMMENT_MAX_CHARS
from approvals.services.comments import comment_text_problem
from approvals.services.reviews import REASON_MAX_CHARS


class CommentForm(forms.Form):
    # No max_length: the service's message, with the limit and the count, says what is too long
    # (Django's would name the browser's bound below); the request size bounds what is read.
    text = forms.CharField(
        label=_("Comment"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_CHARS * 2}),
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
