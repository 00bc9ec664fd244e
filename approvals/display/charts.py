"""Metric charts: each metric across a model's versions, by creation time, per dataset.

Drawn on the server as inline SVG (templates/approvals/_metric_charts.html) from
the versions' Metrics: no JavaScript, so a strict CSP holds, and the same numbers
go into a table beside the chart. Approval status is a marker shape and a text
label as well as a colour, so the chart reads without colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from approvals.display.metrics import NO_DATASET, format_value, is_number, parse_metrics
from approvals.models import ApprovalStatus, ModelVersion

MAX_CHARTS = 12


WIDTH, HEIGHT = 560, 220


LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    version_name: str
    status: str
    value_display: str
    current: bool


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class Chart:
    dataset: str
    metric: str
    points: list[Point]
    path: str
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    first: Point
    last: Point

    @property
    def approved(self) -> list[Point]:
        return [p for p in self.points if p.status == ApprovalStatus.APPROVED]


@dataclass
class DatasetCharts:
    dataset: str
    charts: list[Chart] = field(default_factory=list)
    name: str = ""  # PAI's name of the dataset, where it has one (set by the caller)


@dataclass(frozen=True)
class TableRow:
    version_name: str
    status: str
    created: datetime | None
    current: bool
    values: list[str]


@dataclass
class MetricCharts:
    """What the template draws: charts grouped by dataset, and the same data as tables."""

    datasets: list[DatasetCharts]
    # (dataset, metric names, one row per version) for the table fallback.
    tables: list[tuple[str, list[str], list[TableRow]]]
    versions_shown: int
    truncated: bool
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    def __bool__(self) -> bool:
        return bool(self.datasets)


def _nice_step(span: float, count: int) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about `count` intervals over `span`."""
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values (0.85, 0.86, …) from a round number below `low` to one above `high`."""
    if low == high:
        # One value everywhere: a band around it so the line sits in the middle.
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low, count - 1)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    n = max(1, round((last - first) / step))
    return [first + step * i for i in range(n + 1)]


def tick_label(value: float, step: float) -> str:
    """A tick's value with just the decimals its step needs: 0.85, not 0.866967."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (
        1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0
    )
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _chart(dataset: str, metric: str, versions: Sequence[ModelVersion], values: list, current_pk: int | None) -> Chart:
    numeric = [v for v in values if is_number(v)]
    ticks = _nice_ticks(min(numeric), max(numeric))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(versions), 1)

    def x_of(index: int) -> float:
        return round(LEFT + slot * (index + 0.5), 1)

    def y_of(value: float) -> float:
        return round(TOP + plot_h - (value - low) / (high - low) * plot_h, 1)

    points = [
        Point(
            x=x_of(i),
            y=y_of(value),
            version_name=version.version_name,
            status=version.approval_status,
            value_display=format_value(value),
            current=version.pk == current_pk,
        )
        for i, (version, value) in enumerate(zip(versions, values, strict=True))
        if is_number(value)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    # Label every version when they fit, else about eight of them, always the last.
    every = max(1, -(-len(versions) // 8))
    x_ticks = [
        Tick(x_of(i), v.version_name) for i, v in enumerate(versions) if i % every == 0 or i == len(versions) - 1
    ]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    y_ticks = [Tick(y_of(t), tick_label(t, step)) for t in ticks]
    return Chart(dataset, metric, points, path, y_ticks, x_ticks, first=points[0], last=points[-1])


def metric_charts(
    versions: Sequence[ModelVersion], *, truncated: bool = False, current: ModelVersion | None = None
) -> MetricCharts:
    """One chart per (dataset, metric) with a numeric value in any of `versions` (oldest first).

    `truncated`: the model has older versions than these (selectors.model_chart_versions says).
    """
    tables = [parse_metrics(v.metrics) for v in versions]
    keys = list(dict.fromkeys(key for table in tables for key in table.keys))
    current_pk = current.pk if current is not None else None

    by_dataset: dict[str, DatasetCharts] = {}
    numeric_keys = []
    for key in keys:
        values = [table.get(key) for table in tables]
        if not any(is_number(v) for v in values):
            continue
        numeric_keys.append(key)
        if len(numeric_keys) > MAX_CHARTS:
            truncated = True
            continue
        dataset, metric = key
        group = by_dataset.setdefault(dataset, DatasetCharts(dataset))
        group.charts.append(_chart(dataset, metric, versions, values, current_pk))

    fallback = []
    for group in by_dataset.values():
        metrics = [chart.metric for chart in group.charts]
        rows = [
            TableRow(
                version_name=v.version_name,
                status=v.approval_status,
                created=v.gmt_create_time,
                current=v.pk == current_pk,
                values=[format_value(t.get((group.dataset, m))) for m in metrics],
            )
            for v, t in zip(versions, tables, strict=True)
        ]
        fallback.append((group.dataset, metrics, rows))
    return MetricCharts(
        datasets=list(by_dataset.values()), tables=fallback, versions_shown=len(versions), truncated=truncated
    )


__all__ = ["NO_DATASET", "Chart", "MetricCharts", "metric_charts"]
