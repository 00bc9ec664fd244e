"""One named helper per kind of audit event, so no caller spells out a version's identifiers.

Each appends to the chain (services/audit.py) inside the caller's transaction.
The action codes are what the log stores and filters by; they never change.
"""

from __future__ import annotations

from typing import Any

from approvals.models import AuditEvent, ModelVersion, RegisteredModel, Workspace
from approvals.services.audit import append_event

PAI = "PAI"  # the actor of what the sync found changed in PAI
SYSTEM = "system"  # the actor of the push pipeline's outcomes


def _about_version(
    version: ModelVersion, *, actor: str, action: str, payload: dict[str, Any], client_ip: str | None = None
) -> AuditEvent:
    return append_event(
        actor=actor,
        action=action,
        workspace_id=version.workspace.workspace_id,
        model_id=version.model.model_id,
        model_name=version.model.name,
        version_name=version.version_name,
        payload=payload,
        client_ip=client_ip,
    )


def _by_pai(
    action: str, workspace: Workspace, model: RegisteredModel, *, version_name: str = "", payload: dict[str, Any]
) -> AuditEvent:
    return append_event(
        actor=PAI,
        action=action,
        workspace_id=workspace.workspace_id,
        model_id=model.model_id,
        model_name=model.name,
        version_name=version_name,
        payload=payload,
    )


def _change_payload(diff: dict[str, list[Any]], revision: int, reason: str) -> dict[str, Any]:
    return {"fields": diff, "revision": revision, **({"reason": reason} if reason else {})}


# --- people's changes ---------------------------------------------------------


def version_edited(
    version: ModelVersion, *, user: Any, diff: dict[str, list[Any]], reason: str = "", client_ip: str | None = None
) -> AuditEvent:
    payload = _change_payload(diff, version.revision, reason)
    return _about_version(
        version, actor=user.get_username(), action="version.edited", payload=payload, client_ip=client_ip
    )


def version_decided(
    version: ModelVersion,
    *,
    user: Any,
    diff: dict[str, list[Any]],
    reason: str = "",
    details: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """version.approved or version.rejected, by the status the decision set, with the decision's details."""
    action = f"version.{diff['ApprovalStatus'][1].lower()}"
    payload = {**_change_payload(diff, version.revision, reason), **(details or {})}
    return _about_version(version, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def version_conflict_resolved(
    version: ModelVersion, *, user: Any, diff: dict[str, list[Any]], client_ip: str | None = None
) -> AuditEvent:
    payload = _change_payload(diff, version.revision, "")
    action = "version.conflict_resolved"
    return _about_version(version, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def approval_recorded(
    version: ModelVersion, *, user: Any, payload: dict[str, Any], client_ip: str | None = None
) -> AuditEvent:
    action = "version.approval_recorded"
    return _about_version(version, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


# --- the push pipeline ----------------------------------------------------------


def push_outcome(version: ModelVersion, *, state: str, payload: dict[str, Any]) -> AuditEvent:
    """push.done, push.retrying, push.failed or push.conflict: every attempt's outcome is audited."""
    return _about_version(version, actor=SYSTEM, action=f"push.{state}", payload=payload)


# --- what the sync found in PAI ---------------------------------------------------


def pai_changed(
    workspace: Workspace, model: RegisteredModel, *, version_name: str = "", diff: dict[str, list[Any]]
) -> AuditEvent:
    return _by_pai("pai.changed", workspace, model, version_name=version_name, payload={"fields": diff})


def pai_reappeared(workspace: Workspace, model: RegisteredModel, *, version_name: str = "") -> AuditEvent:
    return _by_pai("pai.reappeared", workspace, model, version_name=version_name, payload={})


def pai_created(workspace: Workspace, model: RegisteredModel, *, names: list[str], new_model: bool) -> AuditEvent:
    # One event per model and sync, not per version: a first sync of 100,000 versions
    # writes one event per model, each naming its versions.
    version_name = names[0] if len(names) == 1 else ""
    payload = {"versions": names, "new_model": new_model}
    return _by_pai("pai.created", workspace, model, version_name=version_name, payload=payload)


def pai_created_page(workspace: Workspace, created: list[tuple[RegisteredModel, list[str], bool]]) -> AuditEvent | None:
    """One `pai.created` event for the versions a page of the sync created, whatever the number of models.

    One model: the event names it in its columns, as `pai_created` does (a re-sync that finds a new
    version). Several: the columns name no model and the payload holds them by ModelId,
    {"models": {id: {"name", "versions", "new_model"}}}, which the audit log's model filter
    looks into (selectors/audit.py); display/created.py reads both shapes."""
    if not created:
        return None
    if len(created) == 1:
        model, names, new_model = created[0]
        return pai_created(workspace, model, names=names, new_model=new_model)
    models = {
        model.model_id: {"name": model.name, "versions": names, "new_model": new_model}
        for model, names, new_model in created
    }
    payload = {"models": models, "count": sum(len(names) for _model, names, _new in created)}
    return append_event(actor=PAI, action="pai.created", workspace_id=workspace.workspace_id, payload=payload)


def pai_gone(
    workspace: Workspace, model: RegisteredModel, *, version_name: str = "", names: list[str] | None = None
) -> AuditEvent:
    """A version PAI no longer lists, or (with `names`) a whole model and its versions."""
    payload = {"versions": names} if names is not None else {}
    return _by_pai("pai.gone", workspace, model, version_name=version_name, payload=payload)


# --- tokens and syncs ----------------------------------------------------------------


def token_created(
    *, user: Any, name: str, prefix: str, expires_at: Any = None, client_ip: str | None = None
) -> AuditEvent:
    payload = {"name": name, "prefix": prefix, **({"expires_at": expires_at.isoformat()} if expires_at else {})}
    return append_event(actor=user.get_username(), action="token.created", payload=payload, client_ip=client_ip)


def token_revoked(*, user: Any, name: str, prefix: str, client_ip: str | None = None) -> AuditEvent:
    payload = {"name": name, "prefix": prefix}
    return append_event(actor=user.get_username(), action="token.revoked", payload=payload, client_ip=client_ip)


def token_revoked_by_system(*, user: Any, name: str, prefix: str, reason: str) -> AuditEvent:
    """A change to the user (password, deactivation) revoked the token: whoever made it, the system revokes."""
    payload = {"name": name, "prefix": prefix, "user": user.get_username(), "reason": reason}
    return append_event(actor=SYSTEM, action="token.revoked", payload=payload)


def sync_requested(*, user: Any, workspace: Workspace, client_ip: str | None = None, by: str = "") -> AuditEvent:
    """sync.requested by a person, or (`by`, user None) by a command such as manage.py pai_emulator_add_version."""
    actor = by or user.get_username()
    return append_event(actor=actor, action="sync.requested", workspace_id=workspace.workspace_id, client_ip=client_ip)


def membership_changed(membership: Any, *, granted: bool, by: str, client_ip: str | None = None) -> AuditEvent:
    """membership.granted or membership.revoked: who holds which role where, and who said so."""
    workspace = membership.workspace
    payload = {
        "user": membership.user.get_username(),
        "role": membership.role,
        "workspace": workspace.workspace_id if workspace else None,
        "source": membership.source,
    }
    return append_event(
        actor=by,
        action="membership.granted" if granted else "membership.revoked",
        workspace_id=workspace.workspace_id if workspace else "",
        payload=payload,
        client_ip=client_ip,
    )


def approvals_dismissed(
    version: ModelVersion, *, actor: str, payload: dict[str, Any], client_ip: str | None = None
) -> AuditEvent:
    """version.approvals_dismissed: which approvals, why, and by what change."""
    action = "version.approvals_dismissed"
    return _about_version(version, actor=actor, action=action, payload=payload, client_ip=client_ip)


def policy_changed(*, user: Any, workspace: Any, before: dict, after: dict, client_ip: str | None = None) -> AuditEvent:
    payload = {"before": before, "after": after}
    return append_event(
        actor=user.get_username(),
        action="policy.changed",
        workspace_id=workspace.workspace_id,
        payload=payload,
        client_ip=client_ip,
    )


def gate_waived(
    version: ModelVersion, *, user: Any, gate: str, reason: str, client_ip: str | None = None
) -> AuditEvent:
    payload = {"gate": gate, "reason": reason, "revision": version.revision}
    action = "version.gate_waived"
    return _about_version(version, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def decision_withdrawn(version: ModelVersion, *, decided: str, differences: dict[str, Any]) -> AuditEvent:
    """version.decision_withdrawn: PAI's content differed from the approved revision; nothing was sent."""
    payload = {"decided": decided, "revision": version.revision, "differences": differences}
    return _about_version(version, actor=SYSTEM, action="version.decision_withdrawn", payload=payload)


# --- sign-in and single sign-on ----------------------------------------------------------

IDENTITY_PROVIDER = "identity-provider"  # the actor of roles the provider's groups gave or took


def signed_in(
    *, user: Any, method: str, details: dict[str, Any] | None = None, client_ip: str | None = None
) -> AuditEvent:
    """signin.succeeded: by password or through the identity provider (`method`)."""
    payload = {"method": method, **(details or {})}
    return append_event(actor=user.get_username(), action="signin.succeeded", payload=payload, client_ip=client_ip)


def sign_in_failed(*, username: str, method: str, reason: str, client_ip: str | None = None) -> AuditEvent:
    """signin.failed: who was named (maybe nobody yet), how, and why it was refused."""
    payload = {"method": method, "reason": reason}
    return append_event(
        actor=username[:150] or "anonymous", action="signin.failed", payload=payload, client_ip=client_ip
    )


def provider_session_ended(*, user: Any, reason: str, deactivated: bool, client_ip: str | None = None) -> AuditEvent:
    """session.ended: the provider refused to renew a session; with `deactivated`, the account too."""
    payload = {"user": user.get_username(), "reason": reason, "deactivated": deactivated}
    return append_event(actor=SYSTEM, action="session.ended", payload=payload, client_ip=client_ip)


def group_rule_changed(rule: Any, *, created: bool, by: str, client_ip: str | None = None) -> AuditEvent:
    """group_rule.created or group_rule.deleted: which group gives which role where."""
    workspace_id = rule.workspace.workspace_id if rule.workspace_id else ""
    payload = {"group": rule.group, "role": rule.role, "workspace": workspace_id or None}
    action = "group_rule.created" if created else "group_rule.deleted"
    return append_event(actor=by, action=action, workspace_id=workspace_id, payload=payload, client_ip=client_ip)


# --- reviews: comments, changes requested, assignment, due dates ---------------------------


def comment_created(version: ModelVersion, *, user: Any, comment: Any, client_ip: str | None = None) -> AuditEvent:
    payload = {"comment_id": comment.pk, "text": comment.text, "mentions": list(comment.mentions)}
    return _about_version(
        version, actor=user.get_username(), action="comment.created", payload=payload, client_ip=client_ip
    )


def comment_retracted(version: ModelVersion, *, user: Any, comment: Any, client_ip: str | None = None) -> AuditEvent:
    payload = {"comment_id": comment.pk}
    return _about_version(
        version, actor=user.get_username(), action="comment.retracted", payload=payload, client_ip=client_ip
    )


def changes_requested(version: ModelVersion, *, user: Any, reason: str, client_ip: str | None = None) -> AuditEvent:
    action = "review.changes_requested"
    payload = {"reason": reason}
    return _about_version(version, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def review_ready(version: ModelVersion, *, user: Any, requested_by: str, client_ip: str | None = None) -> AuditEvent:
    """review.ready: an editor's change answered the changes requested by `requested_by`."""
    payload = {"requested_by": requested_by}
    return _about_version(
        version, actor=user.get_username(), action="review.ready", payload=payload, client_ip=client_ip
    )


def review_assigned(version: ModelVersion, *, user: Any, assignee: str, client_ip: str | None = None) -> AuditEvent:
    """review.assigned: `assignee` reviews it now ("" when the assignment was taken away)."""
    payload = {"assignee": assignee}
    return _about_version(
        version, actor=user.get_username(), action="review.assigned", payload=payload, client_ip=client_ip
    )


def review_overdue(version: ModelVersion, *, due_at: Any) -> AuditEvent:
    """review.overdue: recorded once per version, by the beat, when its review time passed."""
    payload = {"due_at": due_at.isoformat()}
    return _about_version(version, actor=SYSTEM, action="review.overdue", payload=payload)


def sync_failed(workspace: Workspace, *, error: str) -> AuditEvent:
    """sync.failed: a workspace's sync stopped halfway; what it was doing and why."""
    return append_event(
        actor=SYSTEM, action="sync.failed", workspace_id=workspace.workspace_id, payload={"error": error}
    )
