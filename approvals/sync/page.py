"""One page of models: fetched whole by the fetch thread, then written in one transaction.

A sync reads ListModels a page (100 models) at a time. The fetch thread reads a
page and every listed model's versions; the main thread writes that page in one
transaction while the thread already reads the next one, so no transaction waits
on PAI and PAI never waits on the database. A failure while writing a page rolls
that page back whole; the pages before it stay saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from ..models import RegisteredModel, Workspace
from ..pai.client import Page, PaiClient
from ..pai.errors import PaiRequestError
from . import fetch
from .datasets import DatasetLookups, dataset_ids, store_dataset_names
from .fetch import LIST_ORDER, Listing, fetch_page, list_all
from .page_writes import PageWrites, write_page
from .progress import save_progress
from .result import ProgressCallback, SyncResult
from .upsert import known_versions, mark_model_gone, mark_versions_seen, mirror_commit, upsert_models, upsert_versions


@dataclass
class FetchedPage:
    number: int
    page: Page
    # The page's models not listed on an earlier page, each with its versions (None: PAI says
    # ModelNotFound, deleted between ListModels and now).
    models: list[tuple[dict, Listing | None]]
    # What GetDataset said of the datasets the page's versions name first (sync/datasets.py).
    datasets: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)

    @property
    def last(self) -> bool:
        return not self.page.items or self.number * fetch.PAGE_SIZE >= self.page.total_count


def fetch_models_page(
    client: PaiClient,
    workspace_id: str,
    number: int,
    seen: set[str],
    doing: Callable[[str], None],
    lookups: DatasetLookups | None = None,
) -> FetchedPage:
    """ListModels page `number`, ListModelVersions of each of its models not in `seen` (added to it),
    and GetDataset of the datasets their Metrics name that `lookups` has not asked for yet."""
    doing(f"ListModels {workspace_id} page {number}")
    page = fetch_page(
        lambda: client.list_models_page(
            workspace_id=workspace_id, page_number=number, page_size=fetch.PAGE_SIZE, **LIST_ORDER
        ),
        f"ListModels {workspace_id} page {number}",
    )
    models: list[tuple[dict, Listing | None]] = []
    for item in page.items:
        model_id = str(item.get("ModelId"))
        if model_id in seen:
            continue  # the listing shifted while we paged: saved with the earlier page
        seen.add(model_id)
        doing(f"ListModelVersions {model_id}")
        try:
            listing: Listing | None = list_all(
                lambda n, m=model_id: client.list_model_versions_page(
                    m, page_number=n, page_size=fetch.PAGE_SIZE, **LIST_ORDER
                ),
                "VersionName",
                f"ListModelVersions {model_id}",
            )
        except PaiRequestError as exc:
            if exc.code != "ModelNotFound":
                raise
            listing = None
        models.append((item, listing))
    answers: list[tuple[str, dict[str, Any] | None]] = []
    if lookups is not None and not lookups.exhausted:
        doing(f"GetDataset for the datasets Metrics name on page {number}")
        ids = {d for _item, got in models if got for v in got.items for d in dataset_ids(v.get("Metrics"))}
        answers = lookups.ask(client, ids)
    return FetchedPage(number, page, models, answers)


def save_models_page(
    workspace: Workspace,
    fetched: FetchedPage,
    started: datetime,
    result: SyncResult,
    *,
    on_progress: ProgressCallback | None,
) -> None:
    """Write one fetched page in one transaction: its models, their versions, what went, when seen.

    The statements are per page, not per model: the new versions of all its models in one
    COPY, one `pai.created` audit event for all of them (one computation of who is told),
    one UPDATE of when the models and their versions were seen. Only a model with changed versions costs
    statements of its own."""
    result.models_total = fetched.page.total_count
    with transaction.atomic():
        mirror_commit()
        rows, unchanged_models = upsert_models(workspace, [item for item, _listing in fetched.models], started)
        # One read of what we hold for the whole page, not one per model.
        known = known_versions([model.pk for model, is_new in rows if not is_new], started)
        seen: list[int] = []
        writes = PageWrites()
        for (model, is_new), (_item, listing) in zip(rows, fetched.models, strict=True):
            if listing is None:
                mark_model_gone(workspace, model, result)
                continue
            upsert_versions(
                workspace,
                model,
                listing,
                started,
                result,
                known=known.get(model.pk, {}),
                model_is_new=is_new,
                writes=writes,
            )
            seen.append(model.pk)
        write_page(workspace, writes)
        mark_versions_seen(seen, started, synced=unchanged_models)
        store_dataset_names(fetched.datasets, started)
        # Also the takeover check: a sync that lost the workspace rolls this page back.
        save_progress(workspace, result, force=True)
    if on_progress:
        on_progress(result)


def stored_models(workspace: Workspace) -> list[RegisteredModel]:
    """The workspace's models not yet gone (for the gone check after the last page)."""
    return list(
        RegisteredModel.objects.filter(workspace=workspace, gone=False).only(
            "pk", "model_id", "name", "versions_seen_at"
        )
    )
