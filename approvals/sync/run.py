"""Syncing one workspace: claim it, walk its models, record progress and the outcome."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ApplicationError, SyncFailed
from ..models import SYNC_STALE_AFTER, SyncState, Workspace
from ..pai.client import PaiClient
from ..pai.errors import PaiError
from ..pai_clients import client_for
from ..services import audit_events
from .datasets import DatasetLookups, fresh_dataset_names
from .page import FetchedPage, fetch_models_page, save_models_page, stored_models
from .progress import progress_figures
from .result import ProgressCallback, SyncResult
from .upsert import mark_model_gone

logger = logging.getLogger(__name__)


class _CollectorPause:
    """The cyclic garbage collector off while syncs run, a young collection after each page.

    A sync keeps a whole page of PAI's parsed JSON alive until it is written, tens of
    thousands of dicts: the collector, triggered every 700 allocations, walked them again
    and again and took about a third of the fetch thread's CPU (a re-sync's fetch thread
    cost what a plain fetch of the same pages costs once it was off). Almost everything a
    sync drops is freed by reference counting; `collect_page` (generations 0 and 1, after
    each page is written) takes the few cycles. Counted, so that with syncs in several
    threads of a worker the collector comes back when the last one ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._was_enabled = True

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0 and self._was_enabled:
                    gc.enable()

    @staticmethod
    def collect_page() -> None:
        gc.collect(1)


collector = _CollectorPause()


def _claim(workspace: Workspace, now: datetime) -> None:
    """Mark the workspace running unless a live sync holds it: a conditional UPDATE, so two can't both win."""
    claimed = (
        Workspace.objects.filter(pk=workspace.pk)
        .filter(
            ~Q(sync_state=SyncState.RUNNING)
            | Q(sync_started_at__isnull=True)
            | Q(sync_started_at__lt=now - SYNC_STALE_AFTER)
        )
        .update(sync_state=SyncState.RUNNING, sync_started_at=now, sync_error="", sync_progress={})
    )
    if not claimed:
        workspace.refresh_from_db(fields=["sync_started_at"])
        started = workspace.sync_started_at.isoformat(timespec="seconds") if workspace.sync_started_at else "?"
        raise ApplicationError(
            _("A sync of %(workspace)s is already running (started %(started)s).")
            % {"workspace": workspace.workspace_id, "started": started}
        )
    workspace.sync_state, workspace.sync_started_at, workspace.sync_error = SyncState.RUNNING, now, ""


def _finish(workspace: Workspace, result: SyncResult, now: datetime) -> None:
    state = SyncState.OK if result.ok else SyncState.FAILED
    values: dict[str, Any] = {
        "sync_state": state,
        "sync_error": result.error,
        "sync_progress": progress_figures(result),
    }
    if result.ok:
        values["last_synced_at"] = now
    Workspace.objects.filter(pk=workspace.pk, sync_started_at=workspace.sync_started_at).update(**values)
    for attr, value in values.items():
        setattr(workspace, attr, value)


def _walk(
    *,
    workspace: Workspace,
    client: PaiClient,
    started: datetime,
    result: SyncResult,
    on_progress: ProgressCallback | None,
    where: list[str],
) -> None:
    """Every page of ListModels with every listed model's versions, each page saved in one transaction;
    the fetch thread also names the datasets each page's Metrics refer to (sync/datasets.py)."""
    seen: set[str] = set()
    totals: set[int] = set()
    fetching = [where[0]]  # what the fetch thread is doing, for the error message
    lookups = DatasetLookups(fresh=fresh_dataset_names(started))

    def doing(what: str) -> None:
        fetching[0] = what

    def next_page(number: int) -> Future[FetchedPage]:
        return fetcher.submit(fetch_models_page, client, workspace.workspace_id, number, seen, doing, lookups)

    # One thread fetches page n + 1 (its models and their versions) while this one writes
    # page n (sync/page.py). Only that thread uses the client, one request at a time.
    fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pai-sync-fetch")
    with collector.paused():
        try:
            pending = next_page(1)
            while True:
                try:
                    fetched = pending.result()
                except BaseException:
                    where[0] = fetching[0]
                    raise
                totals.add(fetched.page.total_count)
                if not fetched.last:
                    pending = next_page(fetched.number + 1)
                where[0] = f"saving ListModels page {fetched.number}"
                save_models_page(workspace, fetched, started, result, on_progress=on_progress)
                collector.collect_page()
                if fetched.last:
                    break
        finally:
            fetcher.shutdown(wait=True, cancel_futures=True)

    where[0] = "marking models PAI no longer lists"
    if len(totals) != 1 or len(seen) != next(iter(totals)):
        result.skipped_gone_checks.append(f"workspace {workspace.workspace_id}")
        return
    for model in stored_models(workspace):
        if model.model_id not in seen:
            mark_model_gone(workspace, model, result)


def sync_workspace(
    *, workspace: Workspace, client: PaiClient | None = None, on_progress: ProgressCallback | None = None
) -> SyncResult:
    """Mirror one workspace's models and versions from PAI.

    Raises ApplicationError when another sync is running, and SyncFailed (after
    recording the failure on the workspace) when PAI or the database fails
    halfway; everything synced before the failure stays.
    """
    started = timezone.now()
    clock = time.monotonic()
    _claim(workspace, started)
    result = SyncResult(workspace_id=workspace.workspace_id)
    where = [f"ListModels {workspace.workspace_id}"]  # what the sync is doing, for the error message
    try:
        # After the claim: an endpoint that is not allowed is recorded on the workspace.
        client = client if client is not None else client_for(workspace)
        _walk(
            workspace=workspace,
            client=client,
            started=started,
            result=result,
            on_progress=on_progress,
            where=where,
        )
    except PaiError as exc:
        # str(exc) carries status, Code, Message and RequestId; never credentials.
        detail = str(exc) if exc.code else f"{type(exc).__name__}: {exc}"
        result.ok, result.error = False, f"{where[0]}: {detail}"
    except ApplicationError as exc:
        result.ok, result.error = False, f"{where[0]}: {exc.message}"
    except Exception as exc:
        # A bug or a database failure: record it for the pages, keep the traceback in the log.
        logger.exception("sync of %s failed at %s", workspace.workspace_id, where[0])
        result.ok, result.error = False, f"{where[0]}: {type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - clock
    _finish(workspace, result, timezone.now())
    if not result.ok:
        try:
            with transaction.atomic():
                # Audited, so the workspace's channels and the audit stream hear of it.
                audit_events.sync_failed(workspace, error=result.error)
        except Exception:
            # The failure is on the workspace already; a database that is down cannot take the event.
            logger.exception("sync of %s: the sync.failed event could not be written", workspace.workspace_id)
    if on_progress:
        on_progress(result)
    if result.skipped_gone_checks:
        logger.warning("sync: listings changed while paging; gone not checked for %s", result.skipped_gone_checks)
    logger.info(
        "sync workspace=%s ok=%s models=%d versions=%d created=%d changed=%d gone=%d seconds=%.1f",
        workspace.workspace_id,
        result.ok,
        result.models,
        result.versions,
        result.created,
        result.changed,
        result.gone,
        result.seconds,
    )
    if not result.ok:
        raise SyncFailed(
            _("Sync of %(workspace)s failed: %(error)s") % {"workspace": workspace.workspace_id, "error": result.error},
            result=result,
        )
    return result


def ensure_configured_workspaces() -> list[Workspace]:
    """A Workspace row for every id in settings.PAI_WORKSPACE_IDS; returns them all."""
    rows = []
    for workspace_id in settings.PAI_WORKSPACE_IDS:
        row, _ = Workspace.objects.get_or_create(
            workspace_id=workspace_id, defaults={"name": workspace_id, "region": settings.PAI_REGION}
        )
        rows.append(row)
    return rows
