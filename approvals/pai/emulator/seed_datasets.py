"""Datasets for the demo: one for each DatasetId the demo's Metrics name, with gaps.

GetDataset has three answers the dashboard must handle, and the demo shows all
three: a dataset with a readable name (most ids), 404 (an id whose dataset is
gone) and 403 (a dataset in another team's workspace that this account cannot
read). Deterministic: derived from the versions alone, no randomness.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .store import iso_millis, parse_iso_millis

# Not one of seed.WORKSPACES, and no model lives there: the caller is no member.
FOREIGN_WORKSPACE = "480213"
SPLITS = ("test", "validation", "holdout")
DATA_TYPES = {"nlp": "TEXT", "cv": "PIC", "speech": "AUDIO", "recommendation": "COMMON"}
# Of every CYCLE referenced ids (in order of first appearance), one has no dataset
# and one lives in the foreign workspace: a few of each in the demo's ~60 ids.
CYCLE, MISSING_AT, FOREIGN_AT = 15, 7, 11
DAY_MS = 86_400_000


def dataset_ids(metrics: Any) -> Iterator[str]:
    """The DatasetIds of a Metrics object shaped {"Results": [{"Dataset": {"DatasetId": ...}}]}."""
    results = metrics.get("Results") if isinstance(metrics, dict) else None
    for result in results if isinstance(results, list) else []:
        dataset = result.get("Dataset") if isinstance(result, dict) else None
        if isinstance(dataset, dict) and isinstance(dataset.get("DatasetId"), str):
            yield dataset["DatasetId"]


def demo_datasets(models: list[dict[str, Any]], versions: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    position = 0
    for model in models:
        first_use: dict[str, int] = {}  # dataset id -> creation time of the first version naming it
        for version in versions.get(model["ModelId"], []):
            created = parse_iso_millis(version["GmtCreateTime"])
            for dataset_id in dataset_ids(version.get("Metrics")):
                first_use[dataset_id] = min(first_use.get(dataset_id, created), created)
        for split_index, (dataset_id, used_ms) in enumerate(first_use.items()):
            position += 1
            if position % CYCLE == MISSING_AT:
                continue
            foreign = position % CYCLE == FOREIGN_AT
            out.append(_dataset(model, dataset_id, SPLITS[split_index % len(SPLITS)], used_ms - 2 * DAY_MS, foreign))
    return out


def _dataset(model: dict[str, Any], dataset_id: str, split: str, created_ms: int, foreign: bool) -> dict[str, Any]:
    workspace = FOREIGN_WORKSPACE if foreign else model["WorkspaceId"]
    name = f"{model['ModelName']}-{split}"
    summary = model.get("ModelDescription", "").split(". ")[0]
    stamp = iso_millis(created_ms)
    return {
        "DatasetId": dataset_id,
        "Name": name,
        "Description": f"The {split} split for {model['ModelName']}: {summary}.",
        "WorkspaceId": workspace,
        "Uri": f"oss://pai-datasets-{workspace}.oss-cn-hangzhou.aliyuncs.com/{name}/",
        "DataSourceType": "OSS",
        "DataType": DATA_TYPES.get(model.get("Domain", ""), "COMMON"),
        "Property": "DIRECTORY",
        "SourceType": "USER",
        "Accessibility": "PRIVATE",
        "Labels": [{"Key": "split", "Value": split}],
        "OwnerId": model.get("OwnerId", ""),
        "UserId": model.get("UserId", ""),
        "GmtCreateTime": stamp,
        "GmtModifiedTime": stamp,
    }
