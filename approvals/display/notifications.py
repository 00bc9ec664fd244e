"""What a notification says, in the language active when it is called: what happened, by whom,
in which workspace, model and version (the inbox, the e-mails and their digest)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from approvals.models import AuditEvent, NotificationKind


def _where(event: AuditEvent) -> str:
    if event.version_name:
        return _("%(model)s version %(version)s in workspace %(workspace)s") % {
            "model": event.model_name,
            "version": event.version_name,
            "workspace": event.workspace_id,
        }
    return _("model %(model)s in workspace %(workspace)s") % {
        "model": event.model_name,
        "workspace": event.workspace_id,
    }


def headline(kind: str, event: AuditEvent) -> str:
    """One sentence: who did what where."""
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    if kind == NotificationKind.SYNC_FAILED:
        return _("The sync of workspace %(workspace)s from PAI failed.") % {"workspace": event.workspace_id}
    values = {"who": event.actor, "where": _where(event)}
    if kind == NotificationKind.NEW_PENDING:
        names = payload.get("versions") or []
        if len(names) > 1:
            return _("%(count)s new versions of %(where)s wait for review.") % {"count": len(names), **values}
        return _("A new version waits for review: %(where)s.") % values
    sentences = {
        NotificationKind.ASSIGNED: _("%(who)s assigned you the review of %(where)s."),
        NotificationKind.MENTIONED: _("%(who)s mentioned you in a comment on %(where)s."),
        NotificationKind.COMMENT: _("%(who)s commented on %(where)s."),
        NotificationKind.CHANGES_REQUESTED: _("%(who)s requested changes to %(where)s."),
        NotificationKind.READY: _("%(who)s changed %(where)s; it is ready for review again."),
        NotificationKind.APPROVED: _("%(who)s approved %(where)s."),
        NotificationKind.REJECTED: _("%(who)s rejected %(where)s."),
        NotificationKind.APPROVALS_DISMISSED: _("Approvals of %(where)s were dismissed after a change."),
        NotificationKind.PUSH_FAILED: _("Pushing %(where)s to PAI failed."),
        NotificationKind.PUSH_CONFLICT: _("Pushing %(where)s to PAI found a conflict with a change made in PAI."),
        NotificationKind.OVERDUE: _("The review of %(where)s is overdue."),
    }
    return sentences.get(kind, _("%(who)s: %(where)s.")) % values


def detail(kind: str, event: AuditEvent) -> str:
    """What the event said beyond the headline: the comment, the reason, the error ("" if nothing)."""
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    if kind in (NotificationKind.MENTIONED, NotificationKind.COMMENT):
        return str(payload.get("text") or "")
    if kind in (NotificationKind.CHANGES_REQUESTED, NotificationKind.REJECTED):
        return str(payload.get("reason") or "")
    if kind == NotificationKind.OVERDUE:
        return _("It was due at %(due)s.") % {"due": payload.get("due_at", "")}
    if kind in (NotificationKind.PUSH_FAILED, NotificationKind.PUSH_CONFLICT, NotificationKind.SYNC_FAILED):
        return str(payload.get("error") or payload.get("message") or "")
    return ""
