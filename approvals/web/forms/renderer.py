"""The list pages' filter forms write their selects and inputs in Python (bench/RESULTS.md, "Lists,
round three"): Django's select.html includes option.html and attrs.html once per option, about
60 template renders for the versions list's filters. The markup is Django's own, character for
character (tests/test_form_renderer.py compares it with the templates' for every field); any
other widget, or a select whose options use another template, goes to the templates as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html" for kind in ("input", "text", "search", "number", "hidden", "date", "email")
)


def _value(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescaping."""
    return conditional_escape(value if isinstance(value, SafeData) else "%s" % (value,))  # noqa: UP031


def attributes(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"` each, bare for True, none for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(
            f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_value(value)}"'
        )
    return "".join(out)


def select_html(widget: dict[str, Any]) -> SafeString:
    """django/forms/widgets/select.html with its options (select_option.html) written out."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_value(option["value"])}"{attributes(option["attrs"])}>'
                f"{conditional_escape(localize(option['label']))}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308  every part above is escaped


def input_html(widget: dict[str, Any]) -> SafeString:
    """django/forms/widgets/input.html."""
    value = "" if widget["value"] is None else f' value="{_value(widget["value"])}"'
    html = f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{value}'
    return mark_safe(html + attributes(widget["attrs"]) + ">")  # noqa: S308  every part is escaped


class ListFiltersRenderer(DjangoTemplates):
    """Django's template renderer, with selects and plain inputs written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if widget is not None and widget.get("template_name") == template_name:
            if template_name == SELECT and all(
                option["template_name"] == OPTION
                for _name, options, _index in widget["optgroups"]
                for option in options
            ):
                return select_html(widget)
            if template_name in INPUTS:
                return input_html(widget)
        return super().render(template_name, context, request)


RENDERER = ListFiltersRenderer()
