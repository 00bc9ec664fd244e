"""Who is told of an audit event, and as what kind of notification (README "Notifications for people").

One rule for every action: only active members of the event's workspace, never the actor,
each person once (a mention outranks a plain comment). One addition: a failed sync also tells
active staff, who configure workspaces and start syncs, members or not. A fixed number of queries per event;
actions nobody is told of cost none.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from approvals.models import (
    AuditEvent,
    Change,
    ChangeKind,
    Comment,
    ModelVersion,
    NotificationKind,
    Workspace,
)
from approvals.permissions import APPROVER, EDITOR
from approvals.selectors.people import member_pks, members
from approvals.services.notification_kinds import pending_created

KIND_OF_ACTION = {
    "pai.created": NotificationKind.NEW_PENDING,
    "review.assigned": NotificationKind.ASSIGNED,
    "comment.created": NotificationKind.COMMENT,
    "review.changes_requested": NotificationKind.CHANGES_REQUESTED,
    "review.ready": NotificationKind.READY,
    "version.approved": NotificationKind.APPROVED,
    "version.rejected": NotificationKind.REJECTED,
    "version.approvals_dismissed": NotificationKind.APPROVALS_DISMISSED,
    "push.failed": NotificationKind.PUSH_FAILED,
    "push.conflict": NotificationKind.PUSH_CONFLICT,
    "review.overdue": NotificationKind.OVERDUE,
    "sync.failed": NotificationKind.SYNC_FAILED,
}
AUTHORING = (ChangeKind.EDIT, ChangeKind.RESOLUTION)


def _editors(version: ModelVersion) -> set[int]:
    """The people who put content into the version (edits, resolutions that applied theirs)."""
    rows = Change.objects.filter(version=version, kind__in=AUTHORING, author__isnull=False)
    return set(rows.values_list("author_id", flat=True))


def _unpushed_authors(version: ModelVersion) -> set[int]:
    """Whose changes PAI does not hold yet: the push that failed was carrying them."""
    rows = Change.objects.filter(version=version, revision__gt=version.pushed_revision, author__isnull=False)
    return set(rows.values_list("author_id", flat=True))


def _pks_named(*usernames: str) -> set[int]:
    names = [name for name in usernames if name]
    if not names:
        return set()
    return set(get_user_model().objects.filter(username__in=names).values_list("pk", flat=True))


def _version_of(event: AuditEvent) -> ModelVersion | None:
    return (
        ModelVersion.objects.select_related("workspace")
        .filter(model__model_id=event.model_id, version_name=event.version_name)
        .first()
    )


def _new_pending(event: AuditEvent) -> tuple[Workspace | None, dict[int, str]]:
    """The workspace's approvers, if one of the versions the sync created waits for review: once
    for the event, however many models it names (a sync writes one per page of models)."""
    if not pending_created(event):
        return None, {}
    workspace = Workspace.objects.filter(workspace_id=event.workspace_id).first()
    if workspace is None:
        return None, {}
    approvers = members(workspace, role=APPROVER).values_list("pk", flat=True)
    return workspace, dict.fromkeys(approvers, NotificationKind.NEW_PENDING)


def _about_version(event: AuditEvent, version: ModelVersion) -> dict[int, str]:
    kind = KIND_OF_ACTION[event.action]
    payload = event.payload
    action = event.action
    if action == "review.assigned":
        people = _pks_named(payload.get("assignee") or "")
    elif action == "review.changes_requested":
        # A version nobody edited here yet (a new one from PAI) asks the workspace's editors.
        people = _editors(version) or set(members(version.workspace, role=EDITOR).values_list("pk", flat=True))
    elif action == "review.ready":
        people = _pks_named(payload.get("requested_by") or "")
    elif action in ("version.approved", "version.rejected", "version.approvals_dismissed"):
        people = _editors(version) | ({version.assignee_id} if version.assignee_id else set())
    elif action in ("push.failed", "push.conflict"):
        people = _unpushed_authors(version)
    elif action == "review.overdue":
        people = {version.assignee_id} if version.assignee_id else None
        if people is None:
            people = set(members(version.workspace, role=APPROVER).values_list("pk", flat=True))
    else:  # comment.created: the assignee and the participants (commenters and editors); mentions outrank
        commenters = Comment.objects.filter(version=version).values_list("author_id", flat=True)
        people = set(commenters) | _editors(version) | ({version.assignee_id} if version.assignee_id else set())
        told = dict.fromkeys(people, kind)
        told.update(dict.fromkeys(_pks_named(*payload.get("mentions", [])), NotificationKind.MENTIONED))
        return told
    return dict.fromkeys(people, kind)


def _sync_failed(event: AuditEvent) -> tuple[Workspace | None, dict[int, str], set[int]]:
    """The workspace's approvers, and active staff (members or not)."""
    workspace = Workspace.objects.filter(workspace_id=event.workspace_id).first()
    if workspace is None:
        return None, {}, set()
    approvers = set(members(workspace, role=APPROVER).values_list("pk", flat=True))
    staff = set(get_user_model().objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True))
    return workspace, dict.fromkeys(approvers | staff, NotificationKind.SYNC_FAILED), staff


def recipients_of(event: AuditEvent) -> dict[int, str]:
    """{user pk: NotificationKind} for the event; empty when nobody is told."""
    if event.action not in KIND_OF_ACTION or not isinstance(event.payload, dict):
        return {}
    staff: set[int] = set()
    if event.action == "pai.created":
        workspace, told = _new_pending(event)
    elif event.action == "sync.failed":
        workspace, told, staff = _sync_failed(event)
    else:
        version = _version_of(event)
        if version is None:
            return {}
        workspace, told = version.workspace, _about_version(event, version)
    told.pop(None, None)
    actor = _pks_named(event.actor) if event.actor else set()
    for pk in actor:
        told.pop(pk, None)
    if not told or workspace is None:
        return {}
    allowed = member_pks(workspace, told) | staff
    return {pk: kind for pk, kind in told.items() if pk in allowed}
