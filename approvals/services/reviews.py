"""The dashboard's review of a Pending version: changes requested and ready again, and who reviews it.

PAI keeps the version Pending throughout: this state lives in the dashboard only. While
changes are requested no approval is accepted (services/decisions.py); an editor's next
edit makes it ready for review again (versions._record calls review_ready_after_edit).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from approvals.display.text import unreadable_characters, visible_text
from approvals.errors import ApplicationError
from approvals.models import ApprovalStatus, ModelVersion, ReviewState
from approvals.permissions import APPROVER, has_role
from approvals.services import audit_events

REASON_MAX_CHARS = 4000


def _locked(version_id: int) -> ModelVersion:
    # As services.versions._locked, which cannot be imported here: versions imports this module.
    return ModelVersion.objects.select_for_update().select_related("model", "workspace").get(pk=version_id)


def _reviewable(version: ModelVersion, user: Any) -> None:
    if not has_role(user, APPROVER, version.workspace):
        raise ApplicationError(_("Only approvers of this workspace can review its versions."))
    if version.gone:
        raise ApplicationError(_("PAI no longer lists this version."))
    if version.approval_status != ApprovalStatus.PENDING:
        raise ApplicationError(
            _("This version is already %(status)s; its review is over.") % {"status": version.approval_status}
        )


def reason_problem(reason: str) -> str:
    """Why `reason` cannot be a request's reason, or "" (the form shows it at the field; the service refuses it)."""
    if not reason:
        return _("Say what should change: a request for changes needs a reason.")
    if len(reason) > REASON_MAX_CHARS:
        return _("A reason has at most %(limit)s characters.") % {"limit": f"{REASON_MAX_CHARS:,}"}
    if "\x00" in reason or any("\ud800" <= char <= "\udfff" for char in reason):
        return _("The reason contains a NUL character or an unpaired surrogate, which cannot be stored.")
    return unreadable_problem(reason)


def unreadable_problem(text: str) -> str:
    """Why a review's text (a comment, a reason) would not read as it is, or "": control characters,
    or direction controls that reorder what the reader sees."""
    controls, directions = unreadable_characters(text)
    if controls:
        return _("The text contains a control character (%(chars)s), which is not text; remove it.") % {
            "chars": controls
        }
    if directions:
        return _(
            "The text contains a text direction control (%(chars)s), which can make it read differently "
            "than it is; remove it."
        ) % {"chars": directions}
    return ""


def review_request_changes(*, version_id: int, user: Any, reason: str, client_ip: str | None = None) -> ModelVersion:
    """An approver asks the editors for changes: approval waits until an editor changes the version."""
    reason = visible_text(reason)
    if problem := reason_problem(reason):
        raise ApplicationError(problem, field="reason")
    with transaction.atomic():
        version = _locked(version_id)
        _reviewable(version, user)
        if version.review_state == ReviewState.CHANGES_REQUESTED:
            raise ApplicationError(_("Changes are already requested; an editor's next change makes it ready again."))
        version.review_state = ReviewState.CHANGES_REQUESTED
        version.review_requested_by = user
        version.review_reason = reason
        version.save(update_fields=["review_state", "review_requested_by", "review_reason"])
        audit_events.changes_requested(version, user=user, reason=reason, client_ip=client_ip)
    return version


def review_ready_after_edit(version: ModelVersion, *, user: Any, client_ip: str | None = None) -> None:
    """Inside an edit's transaction, on the locked version: the edit answers the changes requested."""
    if version.review_state != ReviewState.CHANGES_REQUESTED:
        return
    requester = version.review_requested_by
    version.review_state = ReviewState.READY
    version.review_requested_by = None
    version.review_reason = ""
    version.save(update_fields=["review_state", "review_requested_by", "review_reason"])
    requested_by = requester.get_username() if requester else ""
    audit_events.review_ready(version, user=user, requested_by=requested_by, client_ip=client_ip)


def review_assign(*, version_id: int, user: Any, assignee: str, client_ip: str | None = None) -> ModelVersion:
    """Give the review to an approver of the workspace (`assignee` a username; "" takes it away).

    Approvers assign, themselves included ("take it").
    """
    assignee = (assignee or "").strip()
    with transaction.atomic():
        version = _locked(version_id)
        _reviewable(version, user)
        person = None
        if assignee:
            person = get_user_model().objects.filter(username=assignee, is_active=True).first()
            if person is None or not has_role(person, APPROVER, version.workspace):
                raise ApplicationError(
                    _("%(name)s is not an approver of workspace %(workspace)s; only its approvers review it.")
                    % {"name": assignee, "workspace": version.workspace.workspace_id},
                    field="assignee",
                )
        if (person.pk if person else None) == version.assignee_id:
            raise ApplicationError(_("The version is already assigned so."), field="assignee")
        version.assignee = person
        version.save(update_fields=["assignee"])
        audit_events.review_assigned(version, user=user, assignee=assignee, client_ip=client_ip)
    return version
