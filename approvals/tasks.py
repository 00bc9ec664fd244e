"""Thin Celery tasks: each calls one service and logs the outcome.

Sync tasks are not retried: the next beat runs them again, and a failed sync
says what failed on the workspace. Push tasks reschedule themselves for the
backoff the push pipeline asks for.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import push
from .errors import ApplicationError
from .models import Workspace
from .sync import STALE_AFTER, ensure_configured_workspaces, sync_workspace

logger = logging.getLogger(__name__)

# A sync may run as long as its claim lasts; past that another may take the workspace over.
SYNC_TIME_LIMIT = int(STALE_AFTER.total_seconds())


@shared_task
def sync_workspaces() -> int:
    """Queue one sync per workspace (those in PAI_WORKSPACE_IDS and those added in admin)."""
    ensure_configured_workspaces()
    pks = list(Workspace.objects.order_by("pk").values_list("pk", flat=True))
    for pk in pks:
        sync_workspace_task.delay(pk)
    return len(pks)


@shared_task(soft_time_limit=SYNC_TIME_LIMIT - 60, time_limit=SYNC_TIME_LIMIT)
def sync_workspace_task(workspace_pk: int) -> dict[str, object]:
    workspace = Workspace.objects.filter(pk=workspace_pk).first()
    if workspace is None:
        return {"ok": False, "error": "the workspace no longer exists"}
    try:
        result = sync_workspace(workspace=workspace)
    except ApplicationError as exc:
        # Already recorded on the workspace (or refused because a sync is running).
        logger.warning("sync of %s: %s", workspace.workspace_id, exc.message)
        return {"ok": False, "error": exc.message}
    return {"ok": True, "models": result.models, "versions": result.versions, "changed": result.changed}


@shared_task
def push_version(version_id: int) -> str:
    outcome = push.push_version(version_id=version_id)
    if outcome.retry_in is not None:
        push_version.apply_async((version_id,), countdown=outcome.retry_in)
    return outcome.state


@shared_task
def sweep_overdue_pushes() -> int:
    """Re-enqueue pushes owed for over a minute: a broker down at commit time loses nothing."""
    ids = push.overdue_versions()
    for version_id in ids:
        push_version.delay(version_id)
    return len(ids)
