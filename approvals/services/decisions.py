"""Writes: edits and decisions. Each commits its Change and AuditEvent in one
transaction and enqueues the push once that transaction has committed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from approvals.display.text import visible_text
from approvals.errors import ApplicationError
from approvals.models import Approval, ApprovalStatus, Change, ChangeKind, PushState
from approvals.permissions import APPROVER, user_in_group
from approvals.services import audit
from approvals.services.versions import _locked, _record

BLOCKING_PUSH_STATES = (PushState.FAILED, PushState.CONFLICT)


def version_decide(
    *, version_id: int, user: Any, status: str, reason: str = "", client_ip: str | None = None
) -> Change | Approval:
    """Approve or reject. Returns the Change that decides, or the Approval that waits for a second approver."""
    # Only spaces or invisible characters (U+200B…) are no reason.
    reason = visible_text(reason)
    if not user_in_group(user, APPROVER):
        raise ApplicationError(_("Only members of the approver group can approve or reject versions."))
    if status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        raise ApplicationError(_("The decision must be Approved or Rejected."), field="ApprovalStatus")
    if status == ApprovalStatus.REJECTED and not reason:
        raise ApplicationError(_("A rejection needs a reason."), field="Reason")
    with transaction.atomic():
        version = _locked(version_id)
        if version.gone:
            raise ApplicationError(_("PAI no longer lists this version; it cannot be decided."))
        if version.approval_status != ApprovalStatus.PENDING:
            raise ApplicationError(
                _("This version is already %(status)s; PAI does not allow a change.")
                % {"status": version.approval_status}
            )
        if version.push_state in BLOCKING_PUSH_STATES:
            raise ApplicationError(
                _("The version's push is %(state)s; resolve that before deciding.") % {"state": version.push_state}
            )
        if status == ApprovalStatus.APPROVED:
            if (
                settings.APPROVALS_SEPARATION_OF_DUTIES
                and version.changes.filter(author=user, kind=ChangeKind.EDIT).exists()
            ):
                raise ApplicationError(_("You edited this version; another approver has to approve it."))
            required = settings.APPROVALS_REQUIRED_APPROVERS
            if version.approvals.filter(approver=user).exists():
                raise ApplicationError(_("You already approved this version; it waits for another approver."))
            if version.approvals.count() + 1 < required:
                approval = Approval.objects.create(version=version, approver=user, reason=reason)
                audit.append_event(
                    actor=user.get_username(),
                    action="version.approval_recorded",
                    workspace_id=version.workspace.workspace_id,
                    model_id=version.model.model_id,
                    model_name=version.model.name,
                    version_name=version.version_name,
                    payload={"approvals": version.approvals.count(), "required": required, "reason": reason},
                    client_ip=client_ip,
                )
                return approval
            Approval.objects.create(version=version, approver=user, reason=reason)
        diff = {"ApprovalStatus": [version.approval_status, status]}
        return _record(
            version=version, user=user, kind=ChangeKind.DECISION, diff=diff, reason=reason, client_ip=client_ip
        )
