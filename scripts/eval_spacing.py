"""Measure how often a moved word boundary lets a listed name through: a space dropped or put inside a word.

Listed names (primary and alternative names of the shipped CSL snapshot, seeded sample) whose plain spelling
is held or denied against their own entry are rewritten twice: once with the space between two adjacent
words dropped ("OPENJOINT STOCK COMPANY ..."), once with a space put inside one word of at least six letters
("HUA WEI TECHNOLOGIES"). A rewrite gets through when no hit on its entry (or an entry with the very same
name) would be held or denied under the shipped ruleset's list policy. Prints the counts per rewrite and
examples (`--all`: every rewrite that got through).

Run: `.venv/bin/python scripts/eval_spacing.py [--cases N] [--seed S]`
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "eval"))

from harness import list_outcome, shipped_matcher  # noqa: E402

from screening.resources import load_ruleset  # noqa: E402


def drop_space(name: str, rng: random.Random) -> str | None:
    """The name with the space between two adjacent words (each of two letters or more) dropped."""
    words = name.split(" ")
    gaps = [i for i in range(len(words) - 1) if len(words[i]) >= 2 and len(words[i + 1]) >= 2]
    if not gaps:
        return None
    i = rng.choice(gaps)
    return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])


def insert_space(name: str, rng: random.Random) -> str | None:
    """The name with a space put inside one word of six letters or more, three letters from either end."""
    words = name.split(" ")
    long = [i for i, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
    if not long:
        return None
    i = rng.choice(long)
    cut = rng.randrange(3, len(words[i]) - 2)
    words[i] = words[i][:cut] + " " + words[i][cut:]
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=20_000, help="rewrites of each kind")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--all", action="store_true", help="list every rewrite that got through")
    args = parser.parse_args()
    ruleset = load_ruleset()
    matcher, lists = shipped_matcher(ruleset)
    outcome = list_outcome(ruleset)
    same_name: dict[str, set[str]] = {}
    for entry in lists.entries:
        for name in entry.names:
            same_name.setdefault(name.casefold(), set()).add(entry.entry_id)
    pool = [name for entry in lists.entries for name in entry.names if " " in name.strip()]
    rng = random.Random(args.seed)

    def alerted(query: str, expected: set[str]) -> bool:
        return any(hit[0] in expected and outcome(hit[3], hit[2]) != "allow" for hit in matcher(query, None))

    results = {}
    for label, rewrite in (("space dropped", drop_space), ("space inserted", insert_space)):
        # The rewrites are drawn before any is matched, so two versions of the matcher see the same ones.
        drawn: list[tuple[str, str]] = []
        while len(drawn) < 2 * args.cases:
            name = rng.choice(pool).strip()
            query = rewrite(name, rng)
            if query is not None:
                drawn.append((name, query))
        through: list[dict[str, str]] = []
        made = 0
        for name, query in drawn:
            expected = same_name[name.casefold()]
            if not alerted(name, expected):
                continue
            made += 1
            if not alerted(query, expected):
                through.append({"listed": name, "query": query})
            if made == args.cases:
                break
        results[label] = {"cases": made, "through": len(through), "examples": through}
    if not args.all:
        for result in results.values():
            result["examples"] = result["examples"][:10]
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
