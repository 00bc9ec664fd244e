"""Comments on a version: written by its editors and approvers, append-only.

A retraction hides the text on every page and answer and is itself recorded; the
audit log keeps what was said (it is append-only, docs/architecture.md invariant 6).
An @name is a mention only when `name` is a member of the version's workspace; any
other @name stays plain text and tells nobody.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.display.comments import mention_candidates
from approvals.display.text import visible_text
from approvals.errors import ApplicationError
from approvals.models import COMMENT_MAX_CHARS, Comment
from approvals.permissions import APPROVER, EDITOR, has_any_role
from approvals.selectors.people import members_named
from approvals.services import audit_events
from approvals.services.reviews import unreadable_problem
from approvals.services.versions import _locked, _storable

COMMENTERS = (EDITOR, APPROVER)


def comment_text_problem(text: str) -> str:
    """Why `text` cannot be a comment, or "" (the forms show it at the field; the service refuses it)."""
    if not visible_text(text):
        return _("Write something: the comment is empty or only whitespace.")
    if len(text) > COMMENT_MAX_CHARS:
        return _("A comment has at most %(limit)s characters; this one has %(count)s.") % {
            "limit": f"{COMMENT_MAX_CHARS:,}",
            "count": f"{len(text):,}",
        }
    if not _storable(text):
        return _("The comment contains a NUL character or an unpaired surrogate, which cannot be stored.")
    return unreadable_problem(text)


def comment_create(*, version_id: int, user: Any, text: str, client_ip: str | None = None) -> Comment:
    """Add a comment (editors and approvers of the workspace); mentions are resolved to members."""
    text = (text or "").strip()
    problem = comment_text_problem(text)
    if problem:
        raise ApplicationError(problem, field="text")
    with transaction.atomic():
        version = _locked(version_id)
        if not has_any_role(user, COMMENTERS, version.workspace):
            raise ApplicationError(_("Only editors and approvers of this workspace can comment on its versions."))
        found = {u.get_username() for u in members_named(version.workspace, mention_candidates(text))}
        mentions = [name for name in mention_candidates(text) if name in found]
        comment = Comment.objects.create(version=version, author=user, text=text, mentions=mentions)
        audit_events.comment_created(version, user=user, comment=comment, client_ip=client_ip)
    return comment


def comment_retract(*, version_id: int, comment_id: int, user: Any, client_ip: str | None = None) -> Comment:
    """Hide a comment's text (its author only); the retraction is recorded."""
    with transaction.atomic():
        version = _locked(version_id)
        comment = Comment.objects.select_for_update().filter(pk=comment_id, version=version).first()
        if comment is None:
            raise ApplicationError(_("This version has no such comment."), field="comment")
        if comment.author_id != user.pk or not has_any_role(user, COMMENTERS, version.workspace):
            raise ApplicationError(_("Only the comment's author can retract it."))
        if comment.retracted:
            raise ApplicationError(_("This comment is already retracted."))
        comment.retracted_at = timezone.now()
        comment.save(update_fields=["retracted_at"])
        audit_events.comment_retracted(version, user=user, comment=comment, client_ip=client_ip)
    return comment
