"""Metric gates, evaluated: does a version's metric hold up against the model's latest Approved version?

Pure: the service and the decision page hand in the gates, both versions' Metrics
and the waivers; the same answer refuses an approval and explains it on the page.
A version without the gated metric fails; a model with no Approved version (or a
baseline without the metric) passes: there is nothing to regress from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from approvals.display.metrics import MetricTable, format_value, is_number, parse_metrics

PASS, FAIL = "pass", "fail"
NO_BASELINE, MISSING, WAIVED = "no baseline", "missing", "waived"


@dataclass(frozen=True)
class GateResult:
    gate: Any  # a MetricGate
    value: float | None
    baseline: float | None
    outcome: str  # PASS, FAIL
    why: str  # PASS, FAIL, NO_BASELINE, MISSING or WAIVED
    waiver: Any = None

    @property
    def passed(self) -> bool:
        return self.outcome == PASS

    @property
    def regression(self) -> float | None:
        """How much worse than the baseline (negative: better), in the metric's units."""
        if self.value is None or self.baseline is None:
            return None
        change = self.value - self.baseline
        return -change if self.gate.higher_is_better else change

    @property
    def value_display(self) -> str:
        return shown(self.value)

    @property
    def baseline_display(self) -> str:
        return shown(self.baseline)

    @property
    def regression_display(self) -> str:
        return shown(self.regression)

    @property
    def allowed_display(self) -> str:
        return shown(float(self.gate.max_regression))


def shown(number: float | None) -> str:
    """A gate's number as the page prints it: whole numbers without ".0", others to six digits."""
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else format_value(number)


def _value(table: MetricTable, gate: Any) -> float | None:
    """The gate's metric in the table: on the gate's dataset, or (none named) the first dataset that has it."""
    for (dataset, metric), value in table.values.items():
        if metric == gate.metric and (not gate.dataset or dataset == gate.dataset) and is_number(value):
            return float(value)
    return None


def evaluate(gate: Any, metrics: Any, baseline_metrics: Any | None, waiver: Any = None) -> GateResult:
    value = _value(parse_metrics(metrics), gate)
    baseline = _value(parse_metrics(baseline_metrics), gate) if baseline_metrics is not None else None
    if waiver is not None:
        return GateResult(gate, value, baseline, PASS, WAIVED, waiver)
    if value is None:
        return GateResult(gate, None, baseline, FAIL, MISSING)
    if baseline is None:
        return GateResult(gate, value, None, PASS, NO_BASELINE)
    worse_by = (baseline - value) if gate.higher_is_better else (value - baseline)
    # A hair of float noise at the edge must not fail a regression exactly at the tolerance.
    ok = worse_by <= gate.max_regression + 1e-12 * max(1.0, abs(baseline))
    return GateResult(gate, value, baseline, PASS if ok else FAIL, PASS if ok else FAIL)


def evaluate_all(
    gates: Sequence[Any], metrics: Any, baseline_metrics: Any | None, waivers: Iterable[Any] = ()
) -> list[GateResult]:
    by_gate = {w.gate_id: w for w in waivers}
    return [evaluate(gate, metrics, baseline_metrics, by_gate.get(gate.pk)) for gate in gates]


def failing(results: Iterable[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]
