"""What the version page and the decision page show about acting on a version: the Edit link,
the decision buttons and what blocks them, the approvals so far, and the push state.

Display only: the services enforce the same rules whatever a page showed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from approvals import services
from approvals.display.gates import failing
from approvals.display.json_text import shown
from approvals.display.labels import field_label
from approvals.models import Approval, ApprovalStatus, ModelVersion, PushState
from approvals.permissions import APPROVER, EDITOR, has_any_role, has_role
from approvals.selectors.policies import Policy, gate_baseline, gate_results, policy_of
from approvals.services.decisions import changes_requested_refusal
from approvals.web.approval_context import approval_context
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


def approve_blocker(version: ModelVersion, user: Any, approvals: list[Approval], policy: Policy, gates: list) -> str:
    """Why this user may reject but not approve, or "" (display only, as above)."""
    waiting = changes_requested_refusal(version)
    if waiting:
        return waiting
    if any(a.approver_id == user.pk for a in approvals):
        return _("You approved this version; it waits for another approver.")
    if policy.separation_of_duties and version.changes.filter(author=user, authored=True).exists():
        return _("You edited this version; another approver has to approve it.")
    if failing(gates):
        return _("A metric gate fails, so the version cannot be approved; rejecting is still possible.")
    return ""


def version_actions_context(
    request: HttpRequest,
    version: ModelVersion,
    *,
    baseline: ModelVersion | bool | None = False,
    everyone: list[Approval] | None = None,
) -> dict[str, Any]:
    """The version page's write side: Edit link, decision buttons, what is being approved, push state.

    `baseline`: the model's latest Approved version the caller already read (False: read it here);
    `everyone`: the version's approvals, dismissed ones too, oldest first, if the caller read them."""
    user = request.user
    is_approver = has_role(user, APPROVER, version.workspace)
    policy = policy_of(version.workspace, waivers_of=version)
    if everyone is None:
        everyone = list(version.approvals.select_related("approver").order_by("created_at"))
    approvals = [a for a in everyone if a.dismissed_at is None]
    if baseline is False:
        baseline = gate_baseline(version) if policy.gates else None
    gates = gate_results(version, policy, baseline=baseline, waivers_read=True)
    dismissed = [a for a in everyone if a.dismissed_at is not None]
    blocker = decision_blocker(version) if is_approver else ""
    cannot_approve = approve_blocker(version, user, approvals, policy, gates) if is_approver and not blocker else ""
    return {
        **push_state_context(request, version),
        "is_approver": is_approver,
        "decision_blocker": blocker,
        "approve_blocker": cannot_approve,
        "approvals": approvals,
        "dismissed_approvals": dismissed,
        "required_approvers": policy.required_approvers,
        "policy": policy,
        "gates": gates,
        **approval_context(version, user, approvals, dismissed, baseline=baseline),
    }


# The push is still moving: the page polls until it settles.
ACTIVE_PUSH_STATES = (PushState.QUEUED, PushState.PUSHING, PushState.RETRYING)


def push_state_context(request: HttpRequest, version: ModelVersion) -> dict[str, Any]:
    """What the push-state partial needs, for the page and for the polled fragment."""
    user = request.user
    can_fix = has_any_role(user, (EDITOR, APPROVER), version.workspace)
    context: dict[str, Any] = {
        "version": version,
        "push_active": version.push_state in ACTIVE_PUSH_STATES,
        "can_edit": has_role(user, EDITOR, version.workspace) and not version.gone,
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
