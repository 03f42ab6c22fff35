"""Measure address-screening quality and cost on the address evaluation set, tuning and held-out apart.

Prints a JSON document and two markdown tables. The first: per split (`tuning`, what the scorer and threshold
were fitted to; `heldout`, never looked at while tuning), recall per kind of address variant made from the
shipped CSL, and the alert rate (share held) per kind of near miss and per source of real addresses off the
list's address data. The second: cost per address not seen before (mean, p50, p99 µs; a fresh index so no
result is cached), per repeated address (the result cache), and the index build time, at the ruleset's
threshold. The machine may be shared: costs are CPU-bound and vary with its load.

Run: `.venv/bin/python scripts/eval_addresses.py`
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "eval"))

from address_harness import SPLITS, AddressReport, evaluate, load_cases  # noqa: E402

from screening.adapters.csl import load_list_file  # noqa: E402
from screening.domain.addresses import AddressIndex  # noqa: E402
from screening.domain.rules.addresses import AddressMatchParams  # noqa: E402
from screening.resources import load_ruleset  # noqa: E402

SHIPPED = ROOT / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"


def main() -> None:
    threshold = load_ruleset().params(AddressMatchParams).hold_at
    entries = load_list_file(SHIPPED).entries
    started = time.perf_counter()
    index = AddressIndex.build(entries)
    build_s = time.perf_counter() - started
    cases = load_cases()
    warm = AddressIndex.build(
        entries
    )  # warmed on a few addresses, so imports and caches of the process count
    for case in cases[:200]:
        warm.match(case["query"], case.get("country"), floor=threshold)
    report = evaluate(index, cases, threshold, time_it=True)
    repeated = time.perf_counter()
    for case in cases:
        index.match(case["query"], case.get("country"), floor=threshold, limit=10)
    cached_us = (time.perf_counter() - repeated) / len(cases) * 1e6
    summary = _summary(report, threshold, build_s, cached_us, len(index), index.vague)
    print(json.dumps(summary, indent=1))
    print()
    print(_quality_table(report))
    print()
    print(_cost_table(summary))


def _summary(
    report: AddressReport, threshold: float, build_s: float, cached_us: float, indexed: int, vague: int
) -> dict[str, Any]:
    found: dict[str, Any] = {"threshold": threshold, "listed_addresses": indexed, "vague_not_indexed": vague}
    for split in (None, *SPLITS):
        name = split or "whole"
        found[name] = {
            "variants": report.tally("variant", split).cases,
            "recall": round(report.recall(split), 4),
            "negatives": report.tally("negative", split).cases,
            "alert_rate": round(report.alert_rate(split), 4),
            "near_misses": report.tally("near_miss", split).cases,
            "near_miss_alert_rate": round(report.alert_rate(split, "near_miss"), 4),
        }
    found["cost"] = {
        "unseen_mean_us": round(report.mean_micros, 1),
        "unseen_p50_us": round(report.percentile_micros(0.5), 1),
        "unseen_p99_us": round(report.percentile_micros(0.99), 1),
        "repeated_mean_us": round(cached_us, 1),
        "index_build_s": round(build_s, 2),
    }
    return found


def _quality_table(report: AddressReport) -> str:
    rows = ["| kind | group | tuning | held-out | whole |", "| --- | --- | --- | --- | --- |"]
    for kind, label in (("variant", "recall"), ("near_miss", "alert rate"), ("negative", "alert rate")):
        for group in report.groups_of(kind):
            cells = []
            for split in (*SPLITS, None):
                tally = report.tally(kind, split, group)
                cells.append(f"{tally.rate:.3f} ({tally.hits}/{tally.cases})")
            rows.append(f"| {kind} ({label}) | {group} | " + " | ".join(cells) + " |")
        cells = []
        for split in (*SPLITS, None):
            tally = report.tally(kind, split)
            cells.append(f"**{tally.rate:.4f}** ({tally.hits}/{tally.cases})")
        rows.append(f"| {kind} ({label}) | all | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _cost_table(summary: dict[str, Any]) -> str:
    cost = summary["cost"]
    return "\n".join(
        [
            "| unseen mean µs | unseen p50 µs | unseen p99 µs | repeated µs | index build s | listed |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {cost['unseen_mean_us']} | {cost['unseen_p50_us']} | {cost['unseen_p99_us']} | "
            f"{cost['repeated_mean_us']} | {cost['index_build_s']} | {summary['listed_addresses']} |",
        ]
    )


if __name__ == "__main__":
    main()
