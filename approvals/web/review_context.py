"""What the version page shows of its review: changes requested, the assignee and due time,
and the forms to comment, request changes and assign (display only: the services decide)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from approvals.models import ApprovalStatus, Comment, ModelVersion
from approvals.permissions import APPROVER, has_any_role, has_role
from approvals.selectors.people import members
from approvals.selectors.policies import policy_row
from approvals.selectors.reviews import attach_due_times, hours_of_policy
from approvals.services.comments import COMMENTERS
from approvals.web.forms.reviews import AssignForm, ChangesRequestedForm, CommentForm


def can_review(user: Any, version: ModelVersion) -> bool:
    """Whether the user may request changes and assign the review (so the page lists the reviewers)."""
    return has_role(user, APPROVER, version.workspace) and (
        version.approval_status == ApprovalStatus.PENDING and not version.gone
    )


def review_context(
    request: HttpRequest,
    version: ModelVersion,
    *,
    comments: list[Comment],
    comment_form: CommentForm | None = None,
    changes_form: ChangesRequestedForm | None = None,
    assign_form: AssignForm | None = None,
    reviewers: list[Any] | None = None,
) -> dict[str, Any]:
    """`reviewers`: the workspace's approvers when the caller read them (see can_review)."""
    user = request.user
    attach_due_times([version], hours=hours_of_policy(version.workspace_id, policy_row(version.workspace)))
    reviewing = can_review(user, version)
    if reviewers is None:
        reviewers = list(members(version.workspace, role=APPROVER)) if reviewing else []
    return {
        "comments": comments,
        "can_comment": has_any_role(user, COMMENTERS, version.workspace),
        "comment_form": comment_form or CommentForm(),
        "can_review": reviewing,
        "changes_form": changes_form or ChangesRequestedForm(),
        "assign_form": assign_form
        or AssignForm(
            initial={"assignee": version.assignee.get_username() if version.assignee else ""}, reviewers=reviewers
        ),
        "reviewers": reviewers,
    }
