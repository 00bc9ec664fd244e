"""What the version page and the decision page show about acting on a version: the Edit link,
the decision buttons and what blocks them, the approvals so far, and the push state.

Display only: the services enforce the same rules whatever a page showed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from approvals import services
from approvals.display.json_text import shown
from approvals.display.labels import field_label
from approvals.models import Approval, ApprovalStatus, ChangeKind, ModelVersion, PushState
from approvals.permissions import APPROVER, EDITOR, has_role
from approvals.web.forms.decision import ConflictForm


def decision_blocker(version: ModelVersion) -> str:
    """Why no decision can be made now, or "".

    Display only: mirrors the service's rules so nobody clicks into a refusal;
    version_decide enforces them whatever the page showed.
    """
    if version.gone:
        return _("PAI no longer lists this version.")
    if version.approval_status != ApprovalStatus.PENDING:
        return _("This version is %(status)s; PAI does not allow another decision.") % {
            "status": version.approval_status
        }
    if version.push_state in services.BLOCKING_PUSH_STATES:
        return _("The push is %(state)s; resolve that before deciding.") % {"state": version.push_state}
    return ""


def approve_blocker(version: ModelVersion, user: Any, approvals: list[Approval]) -> str:
    """Why this user may reject but not approve, or "" (display only, as above)."""
    if any(a.approver_id == user.pk for a in approvals):
        return _("You approved this version; it waits for another approver.")
    if settings.APPROVALS_SEPARATION_OF_DUTIES and version.changes.filter(author=user, kind=ChangeKind.EDIT).exists():
        return _("You edited this version; another approver has to approve it.")
    return ""


def version_actions_context(request: HttpRequest, version: ModelVersion) -> dict[str, Any]:
    """The version page's write side: Edit link, decision buttons, approvals so far, push state."""
    user = request.user
    is_approver = has_role(user, APPROVER)
    approvals = list(version.approvals.select_related("approver").order_by("created_at"))
    blocker = decision_blocker(version) if is_approver else ""
    return {
        **push_state_context(request, version),
        "is_approver": is_approver,
        "decision_blocker": blocker,
        "approve_blocker": approve_blocker(version, user, approvals) if is_approver and not blocker else "",
        "approvals": approvals,
        "required_approvers": settings.APPROVALS_REQUIRED_APPROVERS,
    }


# The push is still moving: the page polls until it settles.
ACTIVE_PUSH_STATES = (PushState.QUEUED, PushState.PUSHING, PushState.RETRYING)


def push_state_context(request: HttpRequest, version: ModelVersion) -> dict[str, Any]:
    """What the push-state partial needs, for the page and for the polled fragment."""
    user = request.user
    can_fix = has_role(user, EDITOR) or has_role(user, APPROVER)
    context: dict[str, Any] = {
        "version": version,
        "push_active": version.push_state in ACTIVE_PUSH_STATES,
        "can_edit": has_role(user, EDITOR) and not version.gone,
        "can_fix_push": can_fix,
    }
    if version.push_state == PushState.CONFLICT and version.conflict:
        context["conflict_rows"] = conflict_rows(version)
        context["conflict_form"] = ConflictForm(conflict=version.conflict) if can_fix else None
    return context


def conflict_rows(version: ModelVersion, form: ConflictForm | None = None) -> list[dict[str, Any]]:
    """One row per field in conflict, with the form's error for its choice, if any."""
    errors = form.errors if form is not None and form.is_bound else {}
    return [
        {
            "field": field,
            "label": field_label(field),
            "base": shown(sides.get("base")),
            "theirs": shown(sides.get("theirs")),
            "yours": shown(sides.get("yours")),
            "error": " ".join(errors.get(f"keep_{field}", [])),
        }
        for field, sides in version.conflict.items()
    ]
