"""Naming the datasets that Metrics refer to: GetDataset for each DatasetId the sync saw, kept in DatasetName.

A name is a nicety: 403 and 404 are stored as "not found" (the page shows the id), and any
other failure leaves the dataset for the next sync without failing this one. A name is asked
for again after NAME_TTL, and at most MAX_LOOKUPS per sync, so a big registry costs little.

The fetch thread asks PAI (`DatasetLookups.ask`) for the datasets of the page it just read, so
the lookups overlap the writing of the page before; the main thread stores the answers with
the page they came with (`store_dataset_names`), in its transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..models import DatasetName
from ..pai.client import PaiClient
from ..pai.errors import PaiError

logger = logging.getLogger(__name__)

NAME_TTL = timedelta(days=1)
MAX_LOOKUPS = 200


def dataset_ids(metrics: Any) -> Iterator[str]:
    """The DatasetIds of a Metrics object shaped {"Results": [{"Dataset": {"DatasetId": ...}}]}."""
    results = metrics.get("Results") if isinstance(metrics, dict) else None
    for result in results if isinstance(results, list) else []:
        dataset = result.get("Dataset") if isinstance(result, dict) else None
        if isinstance(dataset, dict) and isinstance(dataset.get("DatasetId"), str) and dataset["DatasetId"]:
            yield dataset["DatasetId"][:128]


def fresh_dataset_names(now: datetime) -> set[str]:
    """The datasets named in the last NAME_TTL (read once, before the walk): not asked for again."""
    return set(DatasetName.objects.filter(fetched_at__gte=now - NAME_TTL).values_list("dataset_id", flat=True))


@dataclass
class DatasetLookups:
    """What one sync asks GetDataset for, used by the fetch thread only (it owns the client)."""

    fresh: set[str]
    asked: set[str] = field(default_factory=set)
    stopped: bool = False  # PAI failed once: the rest wait for the next sync

    @property
    def exhausted(self) -> bool:
        """Nothing more will be asked this sync: the pages after need not be scanned for ids."""
        return self.stopped or len(self.asked) >= MAX_LOOKUPS

    def ask(self, client: PaiClient, ids: Iterable[str]) -> list[tuple[str, dict[str, Any] | None]]:
        """GetDataset for the ids not fresh and not asked yet, within MAX_LOOKUPS: (id, dataset or None)."""
        answers: list[tuple[str, dict[str, Any] | None]] = []
        for dataset_id in sorted(set(ids) - self.fresh - self.asked):
            if self.stopped or len(self.asked) >= MAX_LOOKUPS:
                break
            try:
                dataset = client.get_dataset(dataset_id)
            except PaiError as exc:
                logger.warning("sync: GetDataset %s failed, kept for the next sync: %s", dataset_id, exc)
                self.stopped = True  # throttled or down: the sync goes on without names
                break
            self.asked.add(dataset_id)
            answers.append((dataset_id, dataset))
        return answers


def store_dataset_names(answers: list[tuple[str, dict[str, Any] | None]], now: datetime) -> None:
    """Keep what GetDataset said, one statement for a page's answers."""
    if not answers:
        return
    rows = [
        DatasetName(
            dataset_id=dataset_id,
            name=str((dataset or {}).get("Name") or "")[:256],
            uri=str((dataset or {}).get("Uri") or "")[:1024],
            found=dataset is not None,
            fetched_at=now,
        )
        for dataset_id, dataset in answers
    ]
    DatasetName.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["dataset_id"], update_fields=["name", "uri", "found", "fetched_at"]
    )


def name_datasets(client: PaiClient, ids: Iterable[str], now: datetime) -> int:
    """Ask PAI for the datasets not named in the last NAME_TTL, and store them; returns how many were asked for."""
    answers = DatasetLookups(fresh=fresh_dataset_names(now)).ask(client, ids)
    store_dataset_names(answers, now)
    return len(answers)
