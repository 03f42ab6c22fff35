"""Run the address index over the address evaluation set: recall, alert rate and cost, per kind and split.

A case counts as found when a listed address carrying one of its expected entries scores at or above the
hold threshold; a negative or near miss counts as an alert when any listed address does. Used by
`test_address_quality.py` and `scripts/eval_addresses.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.domain.addresses import AddressIndex

EVAL_SET = Path(__file__).resolve().parent / "address_eval_set.jsonl"
SPLITS = ("tuning", "heldout")


def load_cases(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The evaluation cases (variants, near misses, real negatives), each with its split."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Tally:
    """Cases and hits of one group (a kind of variant, near miss or negative source, in one split)."""

    cases: int = 0
    hits: int = 0

    @property
    def rate(self) -> float:
        """Hits per case: recall for variants, alert rate for the others."""
        return self.hits / max(self.cases, 1)


@dataclass
class AddressReport:
    """Quality and cost of the address index on the evaluation set at one hold threshold."""

    threshold: float
    groups: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    micros: list[float] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def tally(self, kind: str, split: str | None = None, group: str | None = None) -> Tally:
        """The sum over groups of `kind` (variant, near_miss, negative), optionally one split and group."""
        total = Tally()
        for (found_kind, found_group, found_split), counted in self.groups.items():
            if found_kind == kind and split in (None, found_split) and group in (None, found_group):
                total.cases += counted.cases
                total.hits += counted.hits
        return total

    def recall(self, split: str | None = None) -> float:
        """Share of variants whose listed address is held."""
        return self.tally("variant", split).rate

    def alert_rate(self, split: str | None = None, kind: str = "negative") -> float:
        """Share of real unlisted addresses (or near misses) that are held."""
        return self.tally(kind, split).rate

    @property
    def mean_micros(self) -> float:
        """Mean cost per address, in microseconds."""
        return sum(self.micros) / max(len(self.micros), 1)

    def percentile_micros(self, share: float) -> float:
        """The cost per address below which `share` of the addresses fall."""
        ordered = sorted(self.micros)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def groups_of(self, kind: str) -> list[str]:
        """The groups (variant kinds or sources) of `kind`, in name order."""
        return sorted({group for found_kind, group, _ in self.groups if found_kind == kind})


def evaluate(
    index: AddressIndex, cases: Iterable[dict[str, Any]], threshold: float, time_it: bool = False
) -> AddressReport:
    """Score every case at `threshold`; `time_it` records the cost of each address (cold: no cache)."""
    report = AddressReport(threshold)
    for case in cases:
        started = time.perf_counter()
        hits = index.match(case["query"], case.get("country"), floor=threshold, limit=10)
        if time_it:
            report.micros.append((time.perf_counter() - started) * 1e6)
        kind = case["kind"]
        group = case.get("variant") or case.get("source") or kind
        tally = report.groups.setdefault((kind, group, case["split"]), Tally())
        tally.cases += 1
        if kind == "variant":
            expected = set(case["expected"])
            found = any(expected & {entry.entry_id for entry in hit.listed.entries} for hit in hits)
            tally.hits += found
            if not found:
                best = hits[0] if hits else None
                report.misses.append(
                    {"case": case, "best": (best.listed.text, round(best.score, 3)) if best else None}
                )
        elif hits:
            tally.hits += 1
            report.alerts.append({"case": case, "hit": (hits[0].listed.text, round(hits[0].score, 3))})
    return report
