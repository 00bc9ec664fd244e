"""When the audit log's filters match nothing: which filter names nothing, and what it could be.

Only asked for an empty result, so a page that finds events costs nothing more; each hint is
at most one small query, inside what the reader may read."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from approvals.display.actions import action_choices, action_codes
from approvals.models import AuditEvent, RegisteredModel, Workspace
from approvals.selectors.audit import AuditFilters, AuditReader, actors_named, workspaces_named

SUGGESTIONS = 8


@dataclass(frozen=True)
class FilterHint:
    field: str  # the form's field name
    message: str
    values: list[str]


def filter_hints(filters: AuditFilters, *, reader: AuditReader) -> list[FilterHint]:
    hints = []
    workspaces = reader.scope.filter(Workspace.objects.all(), path="pk")
    if filters.workspace_id and not workspaces.filter(workspace_id__in=workspaces_named(filters.workspace_id)).exists():
        names = list(workspaces.order_by("name").values_list("name", flat=True)[:SUGGESTIONS])
        hints.append(
            FilterHint(
                "workspace",
                _("No workspace you can read is called “%(text)s”.") % {"text": filters.workspace_id},
                names,
            )
        )
    if filters.model_id:
        models = reader.scope.filter(RegisteredModel.objects.all())
        known = (
            models.filter(model_id=filters.model_id).exists() or models.filter(name__iexact=filters.model_id).exists()
        )
        if not known:
            by_name = models.order_by("name").values_list("name", flat=True).distinct()
            names = list(by_name.filter(name__icontains=filters.model_id)[:SUGGESTIONS]) or list(by_name[:SUGGESTIONS])
            hints.append(FilterHint("model", _("No model is called “%(text)s”.") % {"text": filters.model_id}, names))
    if filters.actor:
        events = reader.visible(AuditEvent.objects.all())
        if not events.filter(actor__iexact=filters.actor).exists() and not actors_named(filters.actor).exists():
            like = events.filter(actor__icontains=filters.actor).order_by().values_list("actor", flat=True).distinct()
            hints.append(
                FilterHint(
                    "actor",
                    _("Nobody called “%(text)s” appears in the audit log.") % {"text": filters.actor},
                    sorted(like[:SUGGESTIONS]),
                )
            )
    if filters.action and not action_codes(filters.action):
        hints.append(
            FilterHint(
                "action",
                _("“%(text)s” is not an action.") % {"text": filters.action},
                [label for _code, label in action_choices()],
            )
        )
    return hints
