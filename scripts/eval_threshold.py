"""Compare strong-match thresholds of R06 on the evaluation set: what each decides, listed and unlisted names.

For each threshold (the weak one stays the ruleset's), the shipped lists are indexed as the service indexes
them and every case is read through the ruleset's list policy. For the variants of listed names: how many
are found (held or denied), how many are decided as their list says on a strong match (denied on a deny
list), and how many are held instead of denied. For the unlisted names: the alert rate and how many are
denied outright. Prints a markdown table and, for the tuning part only, the kinds of the variants that one
threshold denies and the other holds, with examples.

Run: `.venv/bin/python scripts/eval_threshold.py [--part tuning|heldout|all] [--thresholds 0.92 0.95]`
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "eval"))

from harness import MEASURED_ONLY, list_outcome, load_part  # noqa: E402

from screening.adapters.csl import load_list_file  # noqa: E402
from screening.domain.names import MatchThresholds  # noqa: E402
from screening.resources import SHIPPED_LIST, build_lists, data_path, load_ruleset, thresholds  # noqa: E402


def decide(cases: list[dict[str, Any]], strong: float, ruleset: Any) -> dict[str, Any]:
    """Per case, the decision the expected entry gets (variants) or the worst decision (unlisted names)."""
    weak = thresholds(ruleset).weak
    loaded = [load_list_file(data_path(SHIPPED_LIST))]
    lists = build_lists(loaded, ruleset)
    lists.index.thresholds = MatchThresholds(strong=strong, weak=weak)
    outcome = list_outcome(ruleset)
    decisions = []
    for case in cases:
        hits = lists.index.match([case["query"]], case.get("country"))
        said = [(hit.entry.entry_id, outcome(hit.entry.source, hit.strong)) for hit in hits]
        if case["kind"] == "variant":
            expected = set(case["expected"])
            mine = {decision for entry_id, decision in said if entry_id in expected}
        else:
            mine = {decision for _, decision in said}
        decisions.append("deny" if "deny" in mine else "hold" if "hold" in mine else "allow")
    return {"strong": strong, "decisions": decisions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--part", choices=("tuning", "heldout", "all"), default="tuning")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.92, 0.95])
    args = parser.parse_args()
    ruleset = load_ruleset()
    cases = [case for case in load_part(args.part) if case.get("variant") not in MEASURED_ONLY]
    runs = [decide(cases, strong, ruleset) for strong in args.thresholds]
    variants = [i for i, case in enumerate(cases) if case["kind"] == "variant"]
    negatives = [i for i, case in enumerate(cases) if case["kind"] == "negative"]
    print(f"part: {args.part}; {len(variants)} variants of listed names, {len(negatives)} unlisted names\n")
    print(
        "| strong | listed: found (held or denied) | listed: denied | listed: held, not denied "
        "| unlisted: alert rate | unlisted: denied |"
    )
    print("|---|---|---|---|---|---|")
    for run in runs:
        said = run["decisions"]
        found = sum(said[i] != "allow" for i in variants)
        denied = sum(said[i] == "deny" for i in variants)
        alerts = sum(said[i] != "allow" for i in negatives)
        wrong_denials = sum(said[i] == "deny" for i in negatives)
        print(
            f"| {run['strong']} | {found} ({found / len(variants):.4f}) "
            f"| {denied} ({denied / len(variants):.4f}) | {found - denied} "
            f"| {alerts / len(negatives):.4f} ({alerts}) | {wrong_denials} |"
        )
    if len(runs) == 2 and args.part == "tuning":
        first, second = (run["decisions"] for run in runs)
        moved = [i for i in range(len(cases)) if first[i] != second[i]]
        kinds = Counter(
            (cases[i].get("variant") or cases[i].get("source"), first[i], second[i]) for i in moved
        )
        pair = f"{runs[0]['strong']} and {runs[1]['strong']}"
        print(f"\nDecisions that differ between {pair} (kind, before, after):")
        for (kind, before, after), count in sorted(kinds.items()):
            examples = [
                cases[i]["query"]
                for i in moved
                if (cases[i].get("variant") or cases[i].get("source"), first[i], second[i])
                == (kind, before, after)
            ][:4]
            print(f"- {kind}: {before} -> {after}: {count} (e.g. {examples})")


if __name__ == "__main__":
    main()
