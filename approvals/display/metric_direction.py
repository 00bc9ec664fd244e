"""Whether a higher or a lower value of a metric is better, and how a delta reads (better / worse).

The workspace's metric gates say it where they name the metric (MetricGate.higher_is_better);
otherwise the metric's name decides, word by word: `val_loss`, `cer`, `latency_ms` are better
lower, `top1_accuracy`, `f1`, `bleu` higher. A name that says neither has no direction, and its
deltas stay neutral. Pure: the gates come in as objects with metric, dataset, higher_is_better.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

HIGHER = "higher"
LOWER = "lower"
BETTER = "better"
WORSE = "worse"

# Words of metric names, lower case.
LOWER_IS_BETTER = frozenset(
    [
        "loss",
        "cer",
        "wer",
        "ser",
        "ter",
        "per",
        "error",
        "err",
        "errors",
        "latency",
        "lat",
        "delay",
        "duration",
        "time",
        "ms",
        "seconds",
        "mae",
        "mse",
        "rmse",
        "mape",
        "perplexity",
        "ppl",
        "fpr",
        "fnr",
        "far",
        "frr",
        "eer",
        "miss",
        "misses",
        "distance",
        "memory",
        "size",
        "params",
        "flops",
    ]
)
HIGHER_IS_BETTER = frozenset(
    [
        "accuracy",
        "acc",
        "f1",
        "f1score",
        "auc",
        "roc",
        "auroc",
        "aupr",
        "bleu",
        "rouge",
        "meteor",
        "precision",
        "recall",
        "map",
        "ap",
        "iou",
        "miou",
        "dice",
        "ndcg",
        "mrr",
        "hit",
        "hits",
        "hitrate",
        "top1",
        "top5",
        "throughput",
        "qps",
        "tps",
        "fps",
        "score",
        "r2",
        "psnr",
        "ssim",
        "sacrebleu",
        "chrf",
        "exact",
        "em",
    ]
)

_WORD = re.compile(r"[a-z]+|[0-9]+")
_NUMBERED_HIGHER = re.compile(r"(top|hit|p|r|map|ndcg|recall|precision)[0-9]+")


def direction_from_name(metric: str) -> str:
    """HIGHER, LOWER or "" from the metric's name alone (its last dotted part first)."""
    for part in reversed(metric.lower().split(".")):
        tokens = re.findall(r"[a-z0-9]+", part)
        words = [w for token in tokens for w in (token, *_WORD.findall(token))]
        # "word_error_rate" → lower, "f1_score" → higher: a word of the lower list wins.
        if any(w in LOWER_IS_BETTER for w in words):
            return LOWER
        if any(w in HIGHER_IS_BETTER or _NUMBERED_HIGHER.fullmatch(w) for w in words):
            return HIGHER
    return ""


@dataclass(frozen=True)
class MetricDirections:
    """The directions a page uses: the workspace's gates first, then the names'."""

    gates: tuple[tuple[str, str, bool], ...] = ()

    @classmethod
    def of(cls, gates: Iterable[object]) -> MetricDirections:
        """From MetricGate-like objects (metric, dataset, higher_is_better)."""
        return cls(tuple((str(g.dataset), str(g.metric), bool(g.higher_is_better)) for g in gates))

    def direction(self, dataset: str, metric: str) -> str:
        """A gate on this dataset's metric, else a gate on the metric for any dataset, else the name."""
        by_key = {(d, m): higher for d, m, higher in self.gates}
        for key in ((dataset, metric), ("", metric)):
            if key in by_key:
                return HIGHER if by_key[key] else LOWER
        return direction_from_name(metric)


def verdict(direction: str, delta: float | None) -> str:
    """BETTER, WORSE or "" for a delta (this version minus the other) of a metric with `direction`."""
    if delta is None or delta == 0 or direction not in (HIGHER, LOWER):
        return ""
    return BETTER if (delta > 0) == (direction == HIGHER) else WORSE
