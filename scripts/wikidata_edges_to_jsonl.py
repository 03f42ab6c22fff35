"""Turn the Wikidata ownership edge CSV into ownership records (contract JSONL), one per entity.

The CSV (`../shared/data/ownership/wikidata_ownership_edges_2024-02.csv`, see SOURCES.md §4) has one row
per "owned by" / "parent organization" edge: owned_qid, owned_label, owner_qid, owner_label, start_date,
query_country_qid. Wikidata gives no percentage for these edges (the query kept "over 50% or unknown"), so
shares are null unless the CSV has a `share` (fraction) or `proportion` column with a value. Every owner
gets a record too, so an analysis finds the top of each chain instead of a missing record. Ids are
`wd-<QID>`, the same as the FollowTheMoney sample's. Countries are left empty: `query_country_qid` is the
country a query was scoped to, not a reliable country of either company.

    python scripts/wikidata_edges_to_jsonl.py EDGES.csv --country-qid Q148 -o tests/data/ownership/x.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from screening.domain.ownership import record_from_mapping, record_to_mapping

# The upstream repository commit the edges were taken from: the date the facts were last seen as stated.
SNAPSHOT_DATE = "2024-02-27"
SOURCE = "wikidata P127/P749 via haochenzmax/Predicting_MnA-main@8890f111 (2024-02-27)"


def convert(
    rows: Iterable[dict[str, str]], *, country_qid: str | None = None, as_of: str = SNAPSHOT_DATE
) -> list[dict[str, Any]]:
    """Contract records for the edges of `rows` (only those of `country_qid` when given)."""
    labels: dict[str, str] = {}
    owners: dict[str, dict[str, float | None]] = {}
    order: dict[str, None] = {}
    for row in rows:
        if country_qid and row.get("query_country_qid", "").strip() != country_qid:
            continue
        owned, owner = row["owned_qid"].strip(), row["owner_qid"].strip()
        for qid, label in ((owned, row.get("owned_label", "")), (owner, row.get("owner_label", ""))):
            order.setdefault(qid, None)
            if label and label.strip():
                labels.setdefault(qid, label.strip())
        share = _share(row)
        links = owners.setdefault(owned, {})
        # The CSV repeats an edge once per start date; a known share beats an unknown one.
        if links.get(owner) is None:
            links[owner] = share
    records = []
    for qid in order:
        mapping = {
            "entity_id": f"wd-{qid}",
            "name": labels.get(qid, qid),
            "aliases": [],
            "country": None,
            "hq_country": None,
            "owners": [{"entity_id": f"wd-{o}", "share": s} for o, s in owners.get(qid, {}).items()],
            "as_of": as_of,
            "source": SOURCE,
        }
        # Round-trip through the domain's validation so the output is a contract record by construction.
        records.append(record_to_mapping(record_from_mapping(mapping)))
    return records


def _share(row: dict[str, str]) -> float | None:
    if (value := (row.get("share") or "").strip()) != "":
        return float(value)
    if (value := (row.get("proportion") or "").strip()) != "":
        number = float(value.rstrip("%"))
        return number / 100.0 if number > 1.0 else number
    return None


def write_jsonl(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One record per line, UTF-8 kept readable."""
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: convert EDGES.csv to JSONL on stdout or into `--output`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("edges", type=Path, help="the Wikidata ownership edge CSV")
    parser.add_argument("--country-qid", help="keep only edges of this query country (Q148 = China)")
    parser.add_argument("--as-of", default=SNAPSHOT_DATE, help="as_of date of the records (ISO)")
    parser.add_argument("-o", "--output", type=Path, help="output JSONL file (default: stdout)")
    args = parser.parse_args(argv)
    with args.edges.open(encoding="utf-8", newline="") as edges:
        records = convert(csv.DictReader(edges), country_qid=args.country_qid, as_of=args.as_of)
    if args.output is None:
        write_jsonl(records, sys.stdout)
    else:
        with args.output.open("w", encoding="utf-8") as out:
            write_jsonl(records, out)
    print(f"{len(records)} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
