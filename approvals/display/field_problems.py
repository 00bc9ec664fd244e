"""PAI's field rules (pai/fields.py, no Django) worded in the reader's language: the wire layer
gives a code and its parameters, the pages and the API say it in English or Chinese."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from approvals.pai.fields import FieldProblem

MESSAGES = {
    "not_object": _("%(field)s must be a JSON object."),
    "not_string": _("%(field)s must be a string."),
    "metrics_too_long": _("Metrics is %(size)s characters once serialized; the limit is %(limit)s."),
    "not_one_of": _("%(field)s must be one of %(values)s."),
    "already_decided": _("The version is already %(status)s; an approval decision cannot be changed."),
    "bad_source_id": _("For SourceType %(source_type)s, SourceId must look like %(format)s."),
}


def problem_message(problem: FieldProblem) -> str:
    """The problem in the active language (PAI's English message for a code this table lacks)."""
    template = MESSAGES.get(problem.code)
    return str(template) % dict(problem.params) if template is not None else problem.message
