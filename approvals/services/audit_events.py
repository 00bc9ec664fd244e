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


def sync_requested(*, user: Any, workspace: Workspace, client_ip: str | None = None) -> AuditEvent:
    return append_event(
        actor=user.get_username(), action="sync.requested", workspace_id=workspace.workspace_id, client_ip=client_ip
    )


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


def sync_failed(workspace: Workspace, *, error: str) -> AuditEvent:
    """sync.failed: a workspace's sync stopped halfway; what it was doing and why."""
    return append_event(
        actor=SYSTEM, action="sync.failed", workspace_id=workspace.workspace_id, payload={"error": error}
    )


# --- notification channels (never their URL or secret, only what pages may show) ---------------


def _about_channel(
    channel: Any, *, actor: str, action: str, payload: dict[str, Any], client_ip: str | None
) -> AuditEvent:
    return append_event(
        actor=actor,
        action=action,
        workspace_id=channel.workspace.workspace_id,
        payload={"channel_id": channel.pk, "channel": channel.name, **payload},
        client_ip=client_ip,
    )


def channel_saved(
    channel: Any, *, user: Any, created: bool, changed: list[str], client_ip: str | None = None
) -> AuditEvent:
    payload = {"type": channel.channel_type, "url": channel.url_shown, "events": channel.events, "changed": changed}
    action = "channel.created" if created else "channel.changed"
    return _about_channel(channel, actor=user.get_username(), action=action, payload=payload, client_ip=client_ip)


def channel_deleted(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    return _about_channel(channel, actor=user.get_username(), action="channel.deleted", payload={}, client_ip=client_ip)


def channel_test(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    """channel.test: a staff member asked for a test message; the outbox sends it to this channel only."""
    return _about_channel(channel, actor=user.get_username(), action="channel.test", payload={}, client_ip=client_ip)


def channel_paused(channel: Any, *, reason: str) -> AuditEvent:
    return _about_channel(channel, actor=SYSTEM, action="channel.paused", payload={"reason": reason}, client_ip=None)


def channel_resumed(channel: Any, *, user: Any, client_ip: str | None = None) -> AuditEvent:
    return _about_channel(channel, actor=user.get_username(), action="channel.resumed", payload={}, client_ip=client_ip)


def channel_secrets_rotated(*, by: str, channels: int) -> AuditEvent:
    """channel.secrets_rotated: every channel's URL and secret encrypted again under the current key."""
    return append_event(actor=by, action="channel.secrets_rotated", payload={"channels": channels})
