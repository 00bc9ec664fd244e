"""The names of the datasets that versions' Metrics refer to by DatasetId, as PAI's GetDataset gave them.

Filled by the sync (approvals.sync.datasets); a page reads them with one query. `found` is False
where PAI answered 403 or 404: the page then shows the id (and the Uri, if it has one)."""

from __future__ import annotations

from django.db import models


class DatasetName(models.Model):
    dataset_id = models.CharField(max_length=128, unique=True)
    name = models.CharField(max_length=256, blank=True)
    uri = models.CharField(max_length=1024, blank=True)
    found = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.dataset_id}: {self.name or '?'}"
