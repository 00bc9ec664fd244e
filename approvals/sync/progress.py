"""Showing a running sync's progress on the pages, and noticing when another sync took over."""

from __future__ import annotations

import time

from django.utils.translation import gettext as _

from ..errors import ApplicationError
from ..models import SyncState, Workspace
from .result import SyncResult

PROGRESS_EVERY_SECONDS = 0.5
# When each workspace's progress was last written, so a busy sync writes it twice a second at most.
_progress_saved_at: dict[int, float] = {}


def save_progress(workspace: Workspace, result: SyncResult, *, force: bool = False) -> None:
    """Show progress on the pages, now and then; abort when another sync took the workspace over."""
    last = _progress_saved_at.get(workspace.pk, 0.0)
    if not force and time.monotonic() - last < PROGRESS_EVERY_SECONDS:
        return
    _progress_saved_at[workspace.pk] = time.monotonic()
    updated = Workspace.objects.filter(
        pk=workspace.pk, sync_state=SyncState.RUNNING, sync_started_at=workspace.sync_started_at
    ).update(sync_progress=progress_figures(result))
    if not updated:
        raise ApplicationError(_("Another sync of this workspace took over (this one ran past its time); stopping."))


def progress_figures(result: SyncResult) -> dict[str, int]:
    return {
        "models": result.models,
        "models_total": result.models_total,
        "versions": result.versions,
        "created": result.created,
        "changed": result.changed,
        "gone": result.gone,
    }
