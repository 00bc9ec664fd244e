"""Deciding a version: approve or reject, under its workspace's policy (docs/architecture.md, invariants 5 and 8).

A decision names the revision its approver saw: a newer one refuses it, saying
what changed. Approvals are pinned to that revision; the decision is made once
the policy's number of distinct approvers approved the current revision, no
metric gate fails and nobody approved content of their own. It commits its
Change and audit event in one transaction and enqueues the push on commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from approvals.display.gates import failing
from approvals.display.text import visible_text
from approvals.errors import ApplicationError
from approvals.models import Approval, ApprovalStatus, Change, ChangeKind, ModelVersion, PushState, ReviewState
from approvals.permissions import APPROVER, has_role
from approvals.selectors.policies import Policy, gate_results, policy_of
from approvals.services import audit_events
from approvals.services.versions import _fresh, _locked, _record

BLOCKING_PUSH_STATES = (PushState.FAILED, PushState.CONFLICT)


def live_approvals(version: ModelVersion) -> list[Approval]:
    """The approvals of the current revision, oldest first."""
    return list(
        version.approvals.filter(dismissed_at__isnull=True, revision=version.revision)
        .select_related("approver")
        .order_by("created_at")
    )


def changes_requested_refusal(version: ModelVersion) -> str:
    """Why an approval waits for the editors, or "" (the pages show the same words)."""
    if version.review_state != ReviewState.CHANGES_REQUESTED:
        return ""
    requester = version.review_requested_by
    return _(
        "%(who)s requested changes (%(reason)s); the version can be approved once an editor has changed it "
        "and it is ready for review again. Rejecting is still possible."
    ) % {"who": requester.get_username() if requester else _("An approver"), "reason": version.review_reason}


def _refuse_approval(version: ModelVersion, user: Any, policy: Policy, reason: str) -> None:
    waiting = changes_requested_refusal(version)
    if waiting:
        raise ApplicationError(waiting)
    if policy.reason_required_on_approval and not reason:
        raise ApplicationError(_("This workspace's policy asks for a reason with every approval."), field="Reason")
    if policy.separation_of_duties and version.changes.filter(author=user, authored=True).exists():
        raise ApplicationError(_("You edited this version; another approver has to approve it."))
    if version.approvals.filter(approver=user, dismissed_at__isnull=True).exists():
        raise ApplicationError(_("You already approved this version; it waits for another approver."))
    failed = failing(gate_results(version, policy))
    if failed:
        raise ApplicationError(
            _("A metric gate fails, so the version cannot be approved: %(gates)s.")
            % {"gates": "; ".join(str(result.gate) for result in failed)}
        )


def version_decide(
    *,
    version_id: int,
    user: Any,
    status: str,
    revision: int | None = None,
    reason: str = "",
    client_ip: str | None = None,
) -> Change | Approval:
    """Approve or reject the revision the approver saw (`revision`; None only for code with no page).

    Returns the Change that decides, or the Approval that waits for more approvers.
    """
    reason = visible_text(reason)
    if status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        raise ApplicationError(_("The decision must be Approved or Rejected."), field="ApprovalStatus")
    if status == ApprovalStatus.REJECTED and not reason:
        raise ApplicationError(_("A rejection needs a reason."), field="Reason")
    with transaction.atomic():
        version = _locked(version_id)
        if not has_role(user, APPROVER, version.workspace):
            raise ApplicationError(_("Only approvers of this workspace can approve or reject its versions."))
        if version.gone:
            raise ApplicationError(_("PAI no longer lists this version; it cannot be decided."))
        if version.approval_status != ApprovalStatus.PENDING:
            raise ApplicationError(
                _("This version is already %(status)s; PAI does not allow a change.")
                % {"status": version.approval_status}
            )
        _fresh(version, revision, _("the decision"))
        if version.push_state in BLOCKING_PUSH_STATES:
            raise ApplicationError(
                _("The version's push is %(state)s; resolve that before deciding.") % {"state": version.push_state}
            )
        policy = policy_of(version.workspace)
        approvers: list[str] = []
        if status == ApprovalStatus.APPROVED:
            _refuse_approval(version, user, policy, reason)
            approval = Approval.objects.create(version=version, approver=user, revision=version.revision, reason=reason)
            approvals = live_approvals(version)
            approvers = [a.approver.get_username() for a in approvals]
            if len(approvals) < policy.required_approvers:
                payload = {
                    "revision": version.revision,
                    "approvals": len(approvals),
                    "required": policy.required_approvers,
                    "approvers": approvers,
                    "reason": reason,
                }
                audit_events.approval_recorded(version, user=user, payload=payload, client_ip=client_ip)
                return approval
        # The decision's event names the revision decided, who approved it and the policy in force.
        details = {"decided_revision": version.revision, "approvers": approvers, "policy": policy.summary()}
        diff = {"ApprovalStatus": [version.approval_status, status]}
        return _record(
            version=version,
            user=user,
            kind=ChangeKind.DECISION,
            diff=diff,
            reason=reason,
            client_ip=client_ip,
            details=details,
        )
