"""PAI Metrics as a dataset × metric table, and comparisons between versions.

PAI only says Metrics is a JSON object; its documented shape is
`{"Results": [{"Dataset": {"DatasetId": "d-..."}, "Metrics": {"cer": 0.175}}]}`.
Versions synced from elsewhere may hold anything, so parsing never raises:
whatever is not in that shape lands under the unnamed dataset "".
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from approvals.display.metric_direction import MetricDirections, verdict

NO_DATASET = ""


Key = tuple[str, str]  # (dataset, metric)


@dataclass
class MetricTable:
    values: dict[Key, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[Key]:
        return list(self.values)

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(dataset for dataset, _ in self.values))

    def get(self, key: Key) -> Any:
        return self.values.get(key)

    def __bool__(self) -> bool:
        return bool(self.values)


def _dataset_label(dataset: Any, position: int) -> str:
    if isinstance(dataset, dict):
        for name in ("DatasetId", "DatasetName", "Name", "Uri"):
            if isinstance(dataset.get(name), str) and dataset[name]:
                return dataset[name]
    elif isinstance(dataset, str) and dataset:
        return dataset
    return f"dataset {position}"


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _flatten(f"{prefix}.{name}" if prefix else str(name), inner, into)
    else:
        into[prefix] = value


def parse_metrics(raw: Any) -> MetricTable:
    table = MetricTable()
    if not isinstance(raw, dict):
        if raw not in (None, "", [], {}):
            table.values[(NO_DATASET, "value")] = raw
        return table
    results = raw.get("Results")
    if isinstance(results, list):
        for position, item in enumerate(results, start=1):
            if not isinstance(item, dict):
                continue
            dataset = _dataset_label(item.get("Dataset"), position)
            flat: dict[str, Any] = {}
            _flatten("", item.get("Metrics", {}), flat)
            for metric, value in flat.items():
                table.values[(dataset, metric)] = value
    rest: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "Results" and isinstance(results, list):
            continue
        _flatten(str(name), value, rest)
    for metric, value in rest.items():
        table.values[(NO_DATASET, metric)] = value
    return table


def is_number(value: Any) -> bool:
    # bool is an int in Python, but true/false are not quantities to subtract.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Difference:
    """How the version on the page differs from another version, for one metric.

    `direction` is "up"/"down" (this version is higher/lower by `delta`), "same",
    "changed" (non-numeric and different), "missing" (the other lacks it) or
    "absent" (this version lacks it). `verdict` is "better", "worse" or "" (no direction known,
    or no numeric change), from the metric's direction (display.metric_direction).
    """

    other: Any
    present: bool
    direction: str
    delta: float | None = None
    verdict: str = ""

    @property
    def other_display(self) -> str:
        return format_value(self.other) if self.present else "—"

    @property
    def delta_display(self) -> str:
        return f"{self.delta:+.6g}" if self.delta is not None else ""


@dataclass(frozen=True)
class ComparisonRow:
    dataset: str
    metric: str
    value: Any
    present: bool
    differences: list[Difference]
    better: str = ""  # "higher", "lower" or "" (unknown)
    dataset_name: str = ""  # PAI's name of the dataset, where it has one

    @property
    def value_display(self) -> str:
        return format_value(self.value) if self.present else "—"


def _difference(current: MetricTable, other: MetricTable | None, key: Key, better: str = "") -> Difference | None:
    if other is None:
        return None
    if key not in other.values:
        return Difference(other=None, present=False, direction="missing")
    theirs = other.values[key]
    if key not in current.values:
        return Difference(other=theirs, present=True, direction="absent")
    ours = current.values[key]
    if is_number(ours) and is_number(theirs):
        delta = ours - theirs
        direction = "up" if delta > 0 else "down" if delta < 0 else "same"
        return Difference(other=theirs, present=True, direction=direction, delta=delta, verdict=verdict(better, delta))
    return Difference(other=theirs, present=True, direction="same" if ours == theirs else "changed")


def compare_metrics(
    current: MetricTable,
    others: Sequence[MetricTable | None],
    directions: MetricDirections | None = None,
    dataset_names: Mapping[str, str] | None = None,
) -> list[ComparisonRow]:
    """One row per (dataset, metric) of any version; `None` stands for "no such version".

    With `directions`, each row says which way is better and each numeric delta whether it is;
    with `dataset_names` ({DatasetId: name}), each row carries its dataset's name."""
    dataset_names = dataset_names or {}
    directions = directions or MetricDirections()
    keys = list(dict.fromkeys([*current.keys, *(k for o in others if o is not None for k in o.keys)]))
    rows = []
    for dataset, metric in keys:
        key = (dataset, metric)
        better = directions.direction(dataset, metric)
        differences = [d for d in (_difference(current, other, key, better) for other in others) if d is not None]
        rows.append(
            ComparisonRow(
                dataset=dataset,
                metric=metric,
                value=current.values.get(key),
                present=key in current.values,
                differences=differences,
                better=better,
                dataset_name=dataset_names.get(dataset, ""),
            )
        )
    return rows


@dataclass(frozen=True)
class MetricColumn:
    key: Key
    label: str


def key_metric_columns(
    tables: Iterable[MetricTable], limit: int = 8, dataset_names: Mapping[str, str] | None = None
) -> list[MetricColumn]:
    """Columns for a side-by-side list: metric names alone when every version uses one dataset,
    else "dataset: metric" with the dataset's name where `dataset_names` has one."""
    names = dataset_names or {}
    keys = list(dict.fromkeys(key for table in tables for key in table.keys))
    single_dataset = len({dataset for dataset, _ in keys}) <= 1
    return [
        MetricColumn(
            key=(dataset, metric),
            label=metric if single_dataset or not dataset else f"{names.get(dataset, dataset)}:{metric}",
        )
        for dataset, metric in keys[:limit]
    ]
