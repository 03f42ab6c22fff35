"""Run a name matcher over the evaluation set and compute what reviewers would see, and its cost.

A matcher is a callable `(query, country) -> [(entry_id, score, strong, source), ...]` (best first, hits
at or above its weak threshold only). What a hit means is the ruleset's list policy: `outcome(source,
strong)` is the decision a hit on that list at that strength makes, `allow`, `hold` or `deny`; a `hold` or
a `deny` is an alert a reviewer must clear. A variant is found when its listed entry is among the alerting
hits; a negative is a false alert when any hit alerts. Used by `test_name_quality.py` and
`scripts/eval_names.py`.

The set has two parts (see `build_eval_set.py`): `tuning`, which changes to the matcher are measured on, and
`heldout`, which no change is fitted to; its cases are read for aggregates only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PARTS = {"tuning": HERE / "name_eval_set.jsonl", "heldout": HERE / "name_eval_heldout.jsonl"}
EVAL_SET = PARTS["tuning"]
# Kinds of variant reported by kind only, outside the headline numbers (recall, strong recall, top-1) and the
# build's thresholds: the second Chinese hold-out is measured, never tuned on, so it must not gate the build.
MEASURED_ONLY = frozenset({"chinese_holdout_2"})

Hit = tuple[str, float, bool, str]
Matcher = Callable[[str, "str | None"], Sequence[Hit]]
# (list source, strong) -> "allow", "hold" or "deny": the decision the hit makes under the list policy.
Outcome = Callable[[str, bool], str]
ALERTS = frozenset({"hold", "deny"})
REPORTED = ALERTS | {"allow"}  # the list policy answers allow only for a record-only list's match


def load_cases(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The evaluation cases of one file: variants (with expected entry ids) and negatives."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_part(part: str) -> list[dict[str, Any]]:
    """The cases of `tuning`, `heldout` or `all` (both, the tuning part first), each marked with its part."""
    names = list(PARTS) if part == "all" else [part]
    cases = []
    for name in names:
        for case in load_cases(PARTS[name]):
            case["part"] = name
            cases.append(case)
    return cases


@dataclass
class Report:
    """Quality and cost of one matcher on a set of cases."""

    variants: int = 0  # variants counted in the headline numbers (not the `MEASURED_ONLY` kinds)
    negatives: int = 0
    found: int = 0  # expected entry among the alerting hits
    found_strong: int = 0  # expected entry among the strong alerting hits
    top1: int = 0  # the best hit is an expected entry
    alerted: int = 0  # negatives with an alerting hit (held or denied: a reviewer must clear it)
    denied: int = 0  # negatives denied outright (a strong hit on a deny list)
    strong_hit: int = 0  # negatives with any strong hit
    micros: list[float] = field(default_factory=list)
    by_variant: dict[str, list[int]] = field(default_factory=dict)  # kind -> [found, cases]
    by_source: dict[str, list[int]] = field(default_factory=dict)  # negative source -> [alerted, cases]
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of variants whose entry is among the alerting hits."""
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
    def alert_rate(self) -> float:
        """Share of negatives held or denied: the alerts reviewers must clear."""
        return self.alerted / max(self.negatives, 1)

    @property
    def deny_rate(self) -> float:
        """Share of negatives denied outright."""
        return self.denied / max(self.negatives, 1)

    @property
    def strong_hit_rate(self) -> float:
        """Share of negatives with a strong hit (the old false-positive rate)."""
        return self.strong_hit / max(self.negatives, 1)

    @property
    def recall_all(self) -> float:
        """Recall over every variant, the `MEASURED_ONLY` kinds included."""
        found = sum(found for found, _ in self.by_variant.values())
        return found / max(sum(total for _, total in self.by_variant.values()), 1)

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
            "recall_all_variants": round(self.recall_all, 4),
            "strong_recall": round(self.strong_recall, 4),
            "top1": round(self.top1_accuracy, 4),
            "alert_rate": round(self.alert_rate, 4),
            "deny_rate": round(self.deny_rate, 4),
            "strong_hit_rate": round(self.strong_hit_rate, 4),
            "recall_by_variant": {
                kind: round(found / total, 4) for kind, (found, total) in sorted(self.by_variant.items())
            },
            "alert_rate_by_source": {
                source: round(alerted / total, 4)
                for source, (alerted, total) in sorted(self.by_source.items())
            },
        }


def evaluate(matcher: Matcher, cases: Sequence[dict[str, Any]], outcome: Outcome) -> Report:
    """Match every case once, timing each call, and score the answers as the list policy reads them."""
    report = Report()
    for case in cases:
        started = time.perf_counter()
        hits = list(matcher(case["query"], case.get("country")))
        report.micros.append((time.perf_counter() - started) * 1e6)
        outcomes = [outcome(hit[3], hit[2]) for hit in hits]
        alerting = [hit for hit, said in zip(hits, outcomes, strict=True) if said in ALERTS]
        # A match on a record-only list (NS-CMIC: allow, recorded) is still reported to the reviewer: a
        # variant found there is found; it is no alert on a negative (nobody has to clear it).
        reported = [hit for hit, said in zip(hits, outcomes, strict=True) if said in REPORTED]
        if case["kind"] == "variant":
            expected = set(case["expected"])
            found = any(hit[0] in expected for hit in reported)
            tally = report.by_variant.setdefault(case["variant"], [0, 0])
            tally[0] += found
            tally[1] += 1
            if case["variant"] in MEASURED_ONLY:
                continue
            report.variants += 1
            report.found += found
            report.found_strong += any(hit[0] in expected and hit[2] for hit in reported)
            report.top1 += bool(hits) and hits[0][0] in expected
            if not found:
                report.misses.append({"case": case, "hits": hits[:3]})
        else:
            report.negatives += 1
            alerted = bool(alerting)
            tally = report.by_source.setdefault(case.get("source") or "unknown", [0, 0])
            tally[0] += alerted
            tally[1] += 1
            report.alerted += alerted
            report.strong_hit += any(hit[2] for hit in hits)
            if alerted:
                report.false_alerts.append({"case": case, "hits": alerting[:3]})
                report.denied += "deny" in outcomes
    return report


def list_outcome(ruleset: Any) -> Outcome:
    """The ruleset's list policy as an `Outcome` function: what a hit on `source` decides (R06)."""

    def outcome(source: str, strong: bool) -> str:
        said = ruleset.list_policy.outcome_for(source, strong)
        return "allow" if said is None else str(said)

    return outcome


def shipped_matcher(ruleset: Any) -> tuple[Matcher, Any]:
    """Our matcher over the shipped CSL snapshot, indexed as the service indexes it, and the lists."""
    from screening.adapters.csl import load_list_file
    from screening.resources import SHIPPED_LIST, build_lists, data_path

    lists = build_lists([load_list_file(data_path(SHIPPED_LIST))], ruleset)

    def matcher(query: str, country: str | None) -> list[Hit]:
        return [
            (hit.entry.entry_id, hit.score, hit.strong, hit.entry.source)
            for hit in lists.index.match([query], country)
        ]

    return matcher, lists
