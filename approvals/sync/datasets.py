"""Naming the datasets that Metrics refer to: GetDataset for each DatasetId the sync saw, kept in DatasetName.

A name is a nicety: 403 and 404 are stored as "not found" (the page shows the id), and any
other failure leaves the dataset for the next sync without failing this one. A name is asked
for again after NAME_TTL, and at most MAX_LOOKUPS per sync, so a big registry costs little."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
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


def name_datasets(client: PaiClient, ids: Iterable[str], now: datetime) -> int:
    """Ask PAI for the datasets not named in the last NAME_TTL; returns how many were asked for."""
    wanted = set(ids)
    fresh = set(
        DatasetName.objects.filter(dataset_id__in=wanted, fetched_at__gte=now - NAME_TTL).values_list(
            "dataset_id", flat=True
        )
    )
    asked = 0
    for dataset_id in sorted(wanted - fresh)[:MAX_LOOKUPS]:
        try:
            dataset = client.get_dataset(dataset_id)
        except PaiError as exc:
            logger.warning("sync: GetDataset %s failed, kept for the next sync: %s", dataset_id, exc)
            break  # throttled or down: the next sync goes on
        asked += 1
        DatasetName.objects.update_or_create(
            dataset_id=dataset_id,
            defaults={
                "name": str((dataset or {}).get("Name") or "")[:256],
                "uri": str((dataset or {}).get("Uri") or "")[:1024],
                "found": dataset is not None,
                "fetched_at": now,
            },
        )
    return asked
