"""One page of models: fetched whole by the fetch thread, then written in one transaction.

A sync reads ListModels a page (100 models) at a time. The fetch thread reads a
page and every listed model's versions; the main thread writes that page in one
transaction while the thread already reads the next one, so no transaction waits
on PAI and PAI never waits on the database. A failure while writing a page rolls
that page back whole; the pages before it stay saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from ..models import RegisteredModel, Workspace
from ..pai.client import Page, PaiClient
from ..pai.errors import PaiRequestError
from . import fetch
from .datasets import dataset_ids
from .fetch import LIST_ORDER, Listing, fetch_page, list_all
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

    @property
    def last(self) -> bool:
        return not self.page.items or self.number * fetch.PAGE_SIZE >= self.page.total_count


def fetch_models_page(
    client: PaiClient, workspace_id: str, number: int, seen: set[str], doing: Callable[[str], None]
) -> FetchedPage:
    """ListModels page `number` and ListModelVersions of each of its models not in `seen` (added to it)."""
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
    return FetchedPage(number, page, models)


def save_models_page(
    workspace: Workspace,
    fetched: FetchedPage,
    started: datetime,
    result: SyncResult,
    *,
    datasets: set[str],
    on_progress: ProgressCallback | None,
) -> None:
    """Write one fetched page in one transaction: its models, their versions, what went, when seen."""
    result.models_total = fetched.page.total_count
    with transaction.atomic():
        mirror_commit()
        rows = upsert_models(workspace, [item for item, _listing in fetched.models], started)
        # One read of what we hold for the whole page, not one per model.
        known = known_versions([model.pk for model, is_new in rows if not is_new])
        seen: list[int] = []
        for (model, is_new), (_item, listing) in zip(rows, fetched.models, strict=True):
            if listing is None:
                mark_model_gone(workspace, model, result)
                continue
            upsert_versions(
                workspace, model, listing, started, result, known=known.get(model.pk, {}), model_is_new=is_new
            )
            datasets.update(d for item in listing.items for d in dataset_ids(item.get("Metrics")))
            seen.append(model.pk)
        mark_versions_seen(seen, started)
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
