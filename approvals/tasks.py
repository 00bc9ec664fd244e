"""Thin Celery tasks: each calls one service and logs the outcome.

Task names are `approvals.tasks.<function>` and never change: queued messages
carry them. Each body imports its service (the one function-level import the
architecture allows, docs/architecture.md): services enqueue these tasks, so
the tasks module itself imports nothing of the dashboard but the models.

Sync tasks are not retried: the next beat runs them again, and a failed sync
says what failed on the workspace. Push tasks reschedule themselves for the
backoff the push pipeline asks for.
"""

from __future__ import annotations

import logging

from celery import shared_task

from approvals.models import SYNC_STALE_AFTER

logger = logging.getLogger(__name__)

# A sync may run as long as its claim lasts; past that another may take the workspace over.
SYNC_TIME_LIMIT = int(SYNC_STALE_AFTER.total_seconds())


@shared_task
def sync_workspaces() -> int:
    """Queue one sync per workspace (those in PAI_WORKSPACE_IDS and those added in admin)."""
    from approvals.services.workspaces import workspace_pks_to_sync

    pks = workspace_pks_to_sync()
    for pk in pks:
        sync_workspace_task.delay(pk)
    return len(pks)


@shared_task(soft_time_limit=SYNC_TIME_LIMIT - 60, time_limit=SYNC_TIME_LIMIT)
def sync_workspace_task(workspace_pk: int) -> dict[str, object]:
    from approvals.errors import ApplicationError
    from approvals.models import Workspace
    from approvals.sync import sync_workspace

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
    from approvals.services import push

    outcome = push.push_version(version_id=version_id)
    if outcome.retry_in is not None:
        push_version.apply_async((version_id,), countdown=outcome.retry_in)
    return outcome.state


@shared_task
def sweep_overdue_pushes() -> int:
    """Re-enqueue pushes owed for over a minute: a broker down at commit time loses nothing."""
    from approvals.services import push

    ids = push.overdue_versions()
    for version_id in ids:
        push_version.delay(version_id)
    return len(ids)


@shared_task
def write_audit_checkpoint() -> int:
    """Beat: sign the audit log's newest event into every checkpoint sink that lacks it."""
    from approvals.services.audit_checkpoints import checkpoint_write

    return len(checkpoint_write(only_if_new=True))


@shared_task
def record_overdue_reviews() -> int:
    """Beat: record review.overdue once for each version whose review time passed."""
    from approvals.services.overdue import overdue_reviews_record

    return overdue_reviews_record()


@shared_task
def send_notification_emails() -> int:
    """After a commit that told people, and every minute (the sweep): send the mails due at once."""
    from approvals.services.mail import send_pending_emails

    return send_pending_emails()


@shared_task
def send_email_digests() -> int:
    """Beat, once a day: one mail per person with what their digest collected."""
    from approvals.services.mail import send_email_digests as send

    return send()


@shared_task
def deliver_channel(channel_id: int) -> int:
    """Send a notification channel what it is owed; come back after the backoff when an attempt fails."""
    from approvals.services.channel_delivery import channel_deliver

    outcome = channel_deliver(channel_id=channel_id)
    if outcome.retry_in is not None:
        deliver_channel.apply_async((channel_id,), countdown=outcome.retry_in)
    return outcome.sent


@shared_task
def deliver_audit_stream(sink: str) -> int:
    """Send an audit stream sink its pending events in order; a failure blocks the rest until retried."""
    from approvals.services.audit_stream import stream_deliver

    outcome = stream_deliver(sink=sink)
    if outcome.retry_in is not None:
        deliver_audit_stream.apply_async((sink,), countdown=outcome.retry_in)
    return outcome.sent


@shared_task
def sweep_outbox() -> int:
    """Beat: queue every channel and sink still owed a message that is due (a lost task loses nothing)."""
    from approvals.services.outbox import destinations_owed

    channel_ids, sinks = destinations_owed()
    for channel_id in channel_ids:
        deliver_channel.delay(channel_id)
    for sink in sinks:
        deliver_audit_stream.delay(sink)
    return len(channel_ids) + len(sinks)
