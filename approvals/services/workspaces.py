"""Starting syncs: audited, queued once the audit event is committed; the periodic sync's list."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from approvals import tasks
from approvals.errors import ApplicationError
from approvals.models import Workspace
from approvals.services import audit_events
from approvals.sync import ensure_configured_workspaces


def sync_request(*, user: Any, workspace_id: str = "", client_ip: str | None = None, by: str = "") -> list[Workspace]:
    """Queue a sync of one workspace, or of all; returns the workspaces to watch (`by`: a command's name)."""
    ensure_configured_workspaces()
    queryset = Workspace.objects.order_by("pk")
    if workspace_id:
        queryset = queryset.filter(workspace_id=workspace_id)
    workspaces = list(queryset)
    if not workspaces:
        if workspace_id:
            raise ApplicationError(_("No workspace has this WorkspaceId."), field="WorkspaceId")
        raise ApplicationError(_("No workspace is configured; add one in the admin or PAI_WORKSPACE_IDS."))
    with transaction.atomic():
        for workspace in workspaces:
            audit_events.sync_requested(user=user, workspace=workspace, client_ip=client_ip, by=by)
            # robust: a broker that is down loses this request only; the beat syncs anyway.
            transaction.on_commit(lambda pk=workspace.pk: tasks.sync_workspace_task.delay(pk), robust=True)
    return workspaces


def workspace_pks_to_sync() -> list[int]:
    """Every workspace, those named in PAI_WORKSPACE_IDS created first, for the periodic sync."""
    ensure_configured_workspaces()
    return list(Workspace.objects.order_by("pk").values_list("pk", flat=True))
