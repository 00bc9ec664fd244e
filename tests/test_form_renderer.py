"""The list pages' filter forms write selects and inputs in Python (approvals/web/forms/renderer.py):
every field must come out exactly as Django's own templates write it."""

from types import SimpleNamespace

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils import translation
from django.utils.safestring import mark_safe

from approvals.web.forms.filters import QueueFilterForm, VersionFilterForm
from approvals.web.forms.renderer import RENDERER

TEMPLATES = DjangoTemplates()
WORKSPACES = [
    SimpleNamespace(workspace_id="ws-1", name="Hangzhou <&> \"quoted\" 'single'", pk=1),
    SimpleNamespace(workspace_id='ws-"2"&<', name="北京", pk=2),
]


def both_ways(form: forms.Form) -> list[tuple[str, str]]:
    """Each field as this renderer writes it and as Django's templates write it."""
    pairs = []
    for name in form.fields:
        form.renderer = RENDERER
        ours = str(form[name])
        form.renderer = TEMPLATES
        theirs = str(form[name])
        pairs.append((ours, theirs))
    return pairs


QUERIES = [
    "",
    "per_page=100",
    "status=Approved&framework=Pytorch&sort=-model&per_page=200&workspace=ws-1",
    'q="<script>%26amp;&model=a b&label=stage=canary, team',
    "workspace=ws-%222%22%26%3C&review=changes_requested&assigned=me",
    "status=Nope&per_page=7&page=0&sort=%3Cbad%3E",  # errors: aria-invalid on the fields
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("form_class", [VersionFilterForm, QueueFilterForm])
def test_the_filter_forms_fields_come_out_as_djangos_templates_write_them(form_class, query, language):
    with translation.override(language):
        form = form_class(QueryDict(query), workspaces=WORKSPACES)
        form.is_valid()
        for ours, theirs in both_ways(form):
            assert ours == theirs


class Odd(forms.Form):
    """Widgets and attributes the filter forms do not use today."""

    grouped = forms.ChoiceField(choices=[("", "—"), ("Fruit <&>", [("a", "Apple"), ("b", "Bär")]), ("c", 3)])
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two")], widget=forms.SelectMultiple)
    flags = forms.CharField(widget=forms.TextInput(attrs={"required": True, "hidden": False, "data-x": 5}))
    safe = forms.CharField(widget=forms.TextInput(attrs={"title": mark_safe("<b>kept</b>")}))
    number = forms.IntegerField()
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    radio = forms.ChoiceField(choices=[("x", "X")], widget=forms.RadioSelect)  # templates, as before
    text = forms.CharField(widget=forms.Textarea)  # templates, as before


@pytest.mark.parametrize(
    "data", [None, {"grouped": "b", "many": ["1", "2"], "number": "12", "hidden": "h&", "flags": "<f>"}, {"c": "x"}]
)
def test_other_widgets_come_out_the_same_too(data):
    form = Odd(data)
    if data is not None:
        form.is_valid()

    for ours, theirs in both_ways(form):
        assert ours == theirs
