"""`screening match`: screen names against the control lists from the command line.

`screening match NAME [--country CC] [--json]` screens one name; `--file FILE` (`-` for stdin) screens
JSONL lines `{"name": ..., "country": ...}` and answers one JSON line per input. `--lists FILE` (repeatable)
replaces the shipped CSL snapshot. Thresholds and the per-list policy come from the ruleset
(`[matching]`, `[lists]`).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import orjson

from screening.adapters.csl import CJK_NAMES, combine, load_cjk_aliases, load_list_file, parse_list_bytes
from screening.domain.lists import ListHit, ListPolicy
from screening.domain.names import MatchThresholds, ScreeningLists
from screening.resources import screening_version  # (importing it installs the name matcher's word tables)

SHIPPED_LIST = "consolidated_2026-07-31.csv"
RULESET = "ruleset.toml"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `match` subcommand to an argparse subparsers object; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "match",
        help="screen names against the control lists",
        description="Screen a name (or a JSONL file of names) against the Consolidated Screening List.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="the party name to screen")
    parser.add_argument("--country", metavar="CC", help="the party's ISO-2 country (supporting evidence)")
    parser.add_argument("--json", action="store_true", help="print one JSON line per name")
    parser.add_argument(
        "--file", metavar="FILE", help='JSONL of {"name": ..., "country": ...} per line; "-" reads stdin'
    )
    parser.add_argument(
        "--lists",
        metavar="FILE",
        action="append",
        type=Path,
        help="a CSL file (CSV or JSON); repeat for several; default: the shipped snapshot",
    )
    parser.add_argument("--limit", type=int, default=5, help="hits per name (default 5)")
    parser.set_defaults(handler=run)
    return parser


def load_ruleset() -> tuple[ListPolicy, MatchThresholds]:
    """The per-list policy and the match thresholds from the shipped ruleset."""
    with resources.files("screening").joinpath("data", RULESET).open("rb") as handle:
        ruleset = tomllib.load(handle)
    lists = ruleset.get("lists", {})
    matching = ruleset.get("matching", {})
    policy = ListPolicy(
        deny_lists=frozenset(lists.get("deny", ())), hold_lists=frozenset(lists.get("hold", ()))
    )
    defaults = MatchThresholds()
    thresholds = MatchThresholds(
        strong=float(matching.get("strong", defaults.strong)),
        weak=float(matching.get("weak", defaults.weak)),
    )
    return policy, thresholds


def load_lists(paths: list[Path] | None, thresholds: MatchThresholds) -> ScreeningLists:
    """Load and index the given list files, or the shipped snapshot."""
    if paths:
        entries, version = combine([load_list_file(path) for path in paths])
    else:
        data = resources.files("screening").joinpath("data", SHIPPED_LIST).read_bytes()
        loaded = parse_list_bytes(data, SHIPPED_LIST)
        entries, version = loaded.entries, loaded.version
    # The shipped Chinese names of listed parties apply to any list file: they name entries by listed name.
    table = resources.files("screening").joinpath("data", CJK_NAMES).read_text(encoding="utf-8")
    return ScreeningLists.build(
        entries, screening_version(version), thresholds, extra_aliases=load_cjk_aliases(table)
    )


def hit_record(hit: ListHit, policy: ListPolicy) -> dict[str, Any] | None:
    """One hit as printed: the entry, the list, the name that matched, score, outcome and why."""
    outcome = policy.outcome_for(hit.entry.source, hit.strong)
    if outcome is None:
        return None
    return {
        "name": hit.entry.name,
        "source": hit.entry.source,
        "entry_id": hit.entry.entry_id,
        "matched_name": hit.matched_name,
        "score": round(hit.score, 4),
        "outcome": outcome.value,
        "why": hit.why,
    }


def _queries(args: argparse.Namespace, stdin: TextIO) -> Iterator[tuple[str, str | None]]:
    if args.name:
        yield args.name, args.country
    if args.file:
        handle = stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise SystemExit(f"{args.file}:{number}: not JSON: {error}") from error
                if not isinstance(record, dict) or not isinstance(record.get("name"), str):
                    raise SystemExit(f'{args.file}:{number}: expected {{"name": ..., "country": ...}}')
                country = record.get("country")
                yield record["name"], country if isinstance(country, str) and country else args.country
        finally:
            if handle is not stdin:
                handle.close()


def _print_table(query: str, country: str | None, hits: list[dict[str, Any]], out: TextIO) -> None:
    suffix = f" [{country}]" if country else ""
    out.write(f"{query}{suffix}\n")
    if not hits:
        out.write("  no hits\n")
        return
    out.write(f"  {'score':>6}  {'outcome':<7}  {'list':<6}  entry  (matched name)\n")
    for hit in hits:
        matched = "" if hit["matched_name"] == hit["name"] else f"  ({hit['matched_name']})"
        out.write(
            f"  {hit['score']:>6.3f}  {hit['outcome']:<7}  {hit['source']:<6}  {hit['name']}{matched}\n"
        )


def run(args: argparse.Namespace, stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Screen the names given by `args`; returns the exit status (0 ok, 2 usage error)."""
    out = stdout or sys.stdout
    if not args.name and not args.file:
        sys.stderr.write("screening match: give a NAME or --file FILE\n")
        return 2
    policy, thresholds = load_ruleset()
    lists = load_lists(args.lists, thresholds)
    for query, country in _queries(args, stdin or sys.stdin):
        hits = lists.index.match([query], country=country, limit=args.limit)
        records = [record for record in (hit_record(hit, policy) for hit in hits) if record is not None]
        if args.json:
            line = {"query": query, "country": country, "lists_version": lists.version, "hits": records}
            out.write(orjson.dumps(line).decode() + "\n")
        else:
            _print_table(query, country, records, out)
    return 0
