"""Syncing one workspace: claim it, walk its models, record progress and the outcome."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ApplicationError, SyncFailed
from ..models import SYNC_STALE_AFTER, RegisteredModel, SyncState, Workspace
from ..pai.client import PaiClient
from ..pai.errors import PaiError, PaiRequestError
from ..pai_clients import client_for
from ..services import audit_events
from . import fetch
from .datasets import dataset_ids, name_datasets
from .fetch import LIST_ORDER, Listing, fetch_page, list_all
from .progress import progress_figures
from .result import ProgressCallback, SyncResult
from .upsert import mark_model_gone, mark_seen, upsert_models, upsert_versions

logger = logging.getLogger(__name__)


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
    datasets: set[str],
) -> None:
    """Every page of ListModels, and for each model every page of ListModelVersions, saved as they come;
    `datasets` collects the DatasetIds the versions' Metrics name."""

    def versions_of(model_id: str) -> Listing:
        return list_all(
            lambda n: client.list_model_versions_page(model_id, page_number=n, page_size=fetch.PAGE_SIZE, **LIST_ORDER),
            "VersionName",
            f"ListModelVersions {model_id}",
        )

    seen: set[str] = set()
    synced: list[int] = []  # models of the current page whose versions were saved
    totals: set[int] = set()
    number = 1
    # One thread fetches the next model's versions while this one saves the current
    # model's, so a sync takes about as long as the fetching alone. The client is
    # never used by both threads at once: ListModels runs only when no fetch is pending.
    fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pai-sync-fetch")
    try:
        while True:
            where[0] = f"ListModels {workspace.workspace_id} page {number}"
            page = fetch_page(
                lambda n=number: client.list_models_page(
                    workspace_id=workspace.workspace_id, page_number=n, page_size=fetch.PAGE_SIZE, **LIST_ORDER
                ),
                where[0],
            )
            totals.add(page.total_count)
            result.models_total = page.total_count
            where[0] = f"saving models of ListModels page {number}"
            rows = upsert_models(workspace, [m for m in page.items if str(m.get("ModelId")) not in seen], started)
            pending: Future[Listing] | None = fetcher.submit(versions_of, rows[0][0].model_id) if rows else None
            synced.clear()
            for index, (model, model_is_new) in enumerate(rows):
                seen.add(model.model_id)
                where[0] = f"ListModelVersions {model.model_id}"
                try:
                    listing: Listing | None = pending.result()
                except PaiRequestError as exc:
                    if exc.code != "ModelNotFound":
                        raise
                    listing = None  # deleted between ListModels and now: PAI says so outright
                pending = fetcher.submit(versions_of, rows[index + 1][0].model_id) if index + 1 < len(rows) else None
                if listing is None:
                    mark_model_gone(workspace, model, result)
                    continue
                where[0] = f"saving versions of {model.model_id}"
                upsert_versions(workspace, model, listing, started, result, model_is_new=model_is_new)
                datasets.update(d for item in listing.items for d in dataset_ids(item.get("Metrics")))
                synced.append(model.pk)
                if on_progress:
                    on_progress(result)
            mark_seen(synced, started)
            synced.clear()
            if not page.items or number * fetch.PAGE_SIZE >= page.total_count:
                break
            number += 1
    finally:
        fetcher.shutdown(wait=True, cancel_futures=True)
        mark_seen(synced, started)  # what was synced before a failure was seen too

    where[0] = "marking models PAI no longer lists"
    if len(totals) != 1 or len(seen) != next(iter(totals)):
        result.skipped_gone_checks.append(f"workspace {workspace.workspace_id}")
        return
    stored = RegisteredModel.objects.filter(workspace=workspace, gone=False).only("pk", "model_id", "name")
    for model in stored:
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
        datasets: set[str] = set()
        _walk(
            workspace=workspace,
            client=client,
            started=started,
            result=result,
            on_progress=on_progress,
            where=where,
            datasets=datasets,
        )
        where[0] = "GetDataset for the datasets Metrics name"
        name_datasets(client, datasets, started)
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
