"""Metrics edited as a table, one row per dataset × metric, beside the JSON (kept for the rest).

The table covers PAI's documented shape, `{"Results": [{"Dataset": {"DatasetId": …},
"Metrics": {name: value}}]}` with flat values; a Metrics object of any other shape is
edited as JSON only (`table_rows` returns None). Building keeps what the table does not
show: a Result's other keys and its Dataset object stay as they were.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Blank rows offered for new metrics (more after each preview, as rows fill).
SPARE_ROWS = 3
MAX_ROWS = 500
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

Row = tuple[str, str, Any]  # (DatasetId, metric, value)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (isinstance(value, float) and not math.isfinite(value))


def table_rows(metrics: Any) -> list[Row] | None:
    """The rows of a Metrics object in PAI's documented shape, or None when the table cannot show it."""
    if metrics in (None, {}):
        return []
    if not isinstance(metrics, dict) or set(metrics) != {"Results"} or not isinstance(metrics["Results"], list):
        return None
    rows: list[Row] = []
    seen: set[str] = set()
    for result in metrics["Results"]:
        dataset = result.get("Dataset") if isinstance(result, dict) else None
        values = result.get("Metrics") if isinstance(result, dict) else None
        if (
            not isinstance(dataset, dict)
            or not isinstance(dataset.get("DatasetId"), str)
            or not isinstance(values, dict)
        ):
            return None
        if dataset["DatasetId"] in seen or not all(_scalar(v) for v in values.values()):
            return None
        seen.add(dataset["DatasetId"])
        rows += [(dataset["DatasetId"], str(name), value) for name, value in values.items()]
    return rows


def shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parsed_value(text: str) -> Any:
    """A number when the text is one (1, 0.25, 1e-3), true/false, else the text itself."""
    text = text.strip()
    if _NUMBER.match(text):
        number = float(text)
        if math.isfinite(number):
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else number
    if text in ("true", "false"):
        return text == "true"
    return text


def build_metrics(current: Any, rows: list[Row]) -> dict[str, Any]:
    """The Metrics object the rows say, keeping each Result's other keys and Dataset as they were."""
    if not rows:
        return {}
    old = {r["Dataset"]["DatasetId"]: r for r in (current or {}).get("Results", [])} if current else {}
    by_dataset: dict[str, dict[str, Any]] = {}
    for dataset, metric, value in rows:
        by_dataset.setdefault(dataset, {})[metric] = value
    results = []
    for dataset, values in by_dataset.items():
        result = dict(old.get(dataset, {"Dataset": {"DatasetId": dataset}}))
        result["Metrics"] = values
        results.append(result)
    return {"Results": results}


def row_names(index: int) -> tuple[str, str, str]:
    return f"metric-{index}-dataset", f"metric-{index}-name", f"metric-{index}-value"


class MetricTableMixin:
    """Adds the table's fields to a form with a "Metrics" JSON field; `metric_table()` cleans them.

    The table wins unless the JSON was edited; both edited is an error at the JSON field."""

    fields: dict[str, forms.Field]
    data: Any
    is_bound: bool

    def add_metric_rows(self, current: Any) -> None:
        rows = table_rows(current)
        self.metric_table_rows: list[tuple[str, str, str]] | None = None
        if rows is None:
            return
        count = len(rows) + SPARE_ROWS
        if self.is_bound:
            posted = [int(m.group(1)) for key in self.data for m in [re.match(r"metric-(\d+)-name$", key)] if m]
            count = min(max([count, *(i + 1 for i in posted)]), MAX_ROWS)
        self.metric_table_rows = []
        for index in range(count):
            dataset, metric, value = rows[index] if index < len(rows) else ("", "", "")
            names = row_names(index)
            labels = (gettext_lazy("Dataset"), gettext_lazy("Metric"), gettext_lazy("Value"))
            for name, label, initial in zip(names, labels, (dataset, metric, shown_value(value)), strict=True):
                self.fields[name] = forms.CharField(required=False, max_length=256, label=label, initial=initial)
            self.metric_table_rows.append(names)

    def metric_cells(self) -> list[list[Any]]:
        """The table's bound fields, row by row, for the template."""
        return [[self[name] for name in names] for names in self.metric_table_rows or []]

    def metric_table(self, cleaned: dict[str, Any]) -> tuple[list[Row] | None, dict[str, str]]:
        """The rows as typed (None without a table, or when the post did not send it) and
        {field name: error} for rows that are wrong."""
        if self.metric_table_rows is None or row_names(0)[1] not in self.data:
            return None, {}
        rows: list[Row] = []
        errors: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        for dataset_name, metric_name, value_name in self.metric_table_rows:
            dataset = (cleaned.get(dataset_name) or "").strip()
            metric = (cleaned.get(metric_name) or "").strip()
            value = cleaned.get(value_name) or ""
            if not metric and not value.strip():
                continue  # an empty row, or one emptied to remove the metric
            if not metric:
                errors[metric_name] = _("Name the metric, or empty its value to remove the row.")
                continue
            if not value.strip():
                errors[value_name] = _("Give %(metric)s a value, or empty its name to remove the row.") % {
                    "metric": metric
                }
                continue
            if not dataset:
                errors[dataset_name] = _("Give the DatasetId %(metric)s was measured on.") % {"metric": metric}
                continue
            if (dataset, metric) in seen:
                errors[metric_name] = _("%(metric)s on %(dataset)s is in the table twice.") % {
                    "metric": metric,
                    "dataset": dataset,
                }
                continue
            seen.add((dataset, metric))
            rows.append((dataset, metric, parsed_value(value)))
        return rows, errors
