"""What a notification says, in the language active when it is called: what happened, by whom,
in which workspace, model and version (the inbox, the e-mails and their digest)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from approvals.display.created import created_models, named_by
from approvals.models import AuditEvent, NotificationKind

# A notification of a sync's page of models names this many of them.
NAMED_MODELS = 5


def _where(event: AuditEvent, model_id: str = "") -> str:
    _model_id, model_name, version_name = named_by(event, model_id)
    if version_name:
        return _("%(model)s version %(version)s in workspace %(workspace)s") % {
            "model": model_name,
            "version": version_name,
            "workspace": event.workspace_id,
        }
    return _("model %(model)s in workspace %(workspace)s") % {
        "model": model_name,
        "workspace": event.workspace_id,
    }


def headline(kind: str, event: AuditEvent, model_id: str = "") -> str:
    """One sentence: who did what where (`model_id`: the notification's model, in a sync's event
    about a page of models)."""
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    if kind == NotificationKind.SYNC_FAILED:
        return _("The sync of workspace %(workspace)s from PAI failed.") % {"workspace": event.workspace_id}
    values = {"who": event.actor, "where": _where(event, model_id)}
    if kind == NotificationKind.NEW_PENDING:
        created = created_models(event)
        if model_id and not event.model_id:
            created = [m for m in created if m.model_id == model_id]
            payload = {"versions": created[0].versions if created else []}
        if len(created) > 1:  # a sync's page of models: one notification says them all
            names = ", ".join(m.model_name or m.model_id for m in created[:NAMED_MODELS])
            return _(
                "%(count)s new versions of %(models)s models in workspace %(workspace)s wait for review: %(names)s."
            ) % {
                "count": sum(len(m.versions) for m in created),
                "models": len(created),
                "workspace": event.workspace_id,
                "names": names + ("…" if len(created) > NAMED_MODELS else ""),
            }
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
