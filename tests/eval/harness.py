"""Run a name matcher over the evaluation set and compute its quality and cost.

A matcher is a callable `(query, country) -> [(entry_id, score, strong), ...]` (best first, hits at or above
its weak threshold only). Used by `test_name_quality.py` and `scripts/eval_names.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVAL_SET = Path(__file__).resolve().parent / "name_eval_set.jsonl"
# Kinds of variant reported by kind only, outside the headline numbers (recall, strong recall, top-1) and the
# build's thresholds: the second Chinese hold-out is measured, never tuned on, so it must not gate the build.
MEASURED_ONLY = frozenset({"chinese_holdout_2"})

Hit = tuple[str, float, bool]
Matcher = Callable[[str, "str | None"], Sequence[Hit]]


def load_cases(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The evaluation cases: variants (with expected entry ids) and negatives."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Report:
    """Quality and cost of one matcher on the evaluation set."""

    variants: int = 0  # variants counted in the headline numbers (not the `MEASURED_ONLY` kinds)
    negatives: int = 0
    found: int = 0  # expected entry among the hits (weak or strong)
    found_strong: int = 0  # expected entry among the strong hits
    top1: int = 0  # the best hit is an expected entry
    false_positive: int = 0  # negatives with any strong hit
    weak_hit: int = 0  # negatives with any hit at all
    micros: list[float] = field(default_factory=list)
    by_variant: dict[str, list[int]] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of variants whose entry is among the hits."""
        return self.found / max(self.variants, 1)

    @property
    def strong_recall(self) -> float:
        """Share of variants whose entry is a strong hit."""
        return self.found_strong / max(self.variants, 1)

    @property
    def top1_accuracy(self) -> float:
        """Share of variants whose best hit is the expected entry."""
        return self.top1 / max(self.variants, 1)

    @property
    def fp_rate(self) -> float:
        """Share of negatives with a strong hit."""
        return self.false_positive / max(self.negatives, 1)

    @property
    def weak_hit_rate(self) -> float:
        """Share of negatives with any hit (a hold for review)."""
        return self.weak_hit / max(self.negatives, 1)

    @property
    def mean_micros(self) -> float:
        """Mean time per name in microseconds."""
        return sum(self.micros) / max(len(self.micros), 1)

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a JSON-able dict."""
        return {
            "variants": self.variants,
            "negatives": self.negatives,
            "recall": round(self.recall, 4),
            "strong_recall": round(self.strong_recall, 4),
            "top1": round(self.top1_accuracy, 4),
            "fp_rate": round(self.fp_rate, 4),
            "weak_hit_rate": round(self.weak_hit_rate, 4),
            "recall_by_variant": {
                kind: round(found / total, 4) for kind, (found, total) in sorted(self.by_variant.items())
            },
        }


def evaluate(matcher: Matcher, cases: Sequence[dict[str, Any]]) -> Report:
    """Match every case once, timing each call, and score the answers."""
    report = Report()
    for case in cases:
        started = time.perf_counter()
        hits = list(matcher(case["query"], case.get("country")))
        report.micros.append((time.perf_counter() - started) * 1e6)
        if case["kind"] == "variant":
            expected = set(case["expected"])
            found = any(entry_id in expected for entry_id, _, _ in hits)
            tally = report.by_variant.setdefault(case["variant"], [0, 0])
            tally[0] += found
            tally[1] += 1
            if case["variant"] in MEASURED_ONLY:
                continue
            report.variants += 1
            strong = any(entry_id in expected and is_strong for entry_id, _, is_strong in hits)
            report.found += found
            report.found_strong += strong
            report.top1 += bool(hits) and hits[0][0] in expected
            if not found:
                report.misses.append({"case": case, "hits": hits[:3]})
        else:
            report.negatives += 1
            report.weak_hit += bool(hits)
            if any(is_strong for _, _, is_strong in hits):
                report.false_positive += 1
                report.false_positives.append({"case": case, "hits": hits[:3]})
    return report
