"""Query strings are validated by Django forms, the web pages' own where there is
one, so the web and the API filter identically; their errors become a 400 naming
the parameter."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from rest_framework.exceptions import ValidationError

from approvals.selectors import DEFAULT_PAGE_SIZE, PAGE_SIZES

F = TypeVar("F", bound=forms.Form)


def valid(form: F) -> F:
    if not form.is_valid():
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    return form


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
