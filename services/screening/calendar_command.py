"""`screening calendar`: the calendar of rule changes the ruleset produces, one boundary per line.

Each boundary is a day from which the rules differ from the day before (a rule window opening or closing,
a suspension, a country-group change or its review window, a classification period, a relief limited to
named recipients); `screening serve` re-decides the open orders and active leases it can affect on it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from screening.domain.calendar import rule_calendar
from screening.resources import load_ruleset


def register(commands: Any) -> None:
    """Add the `calendar` command to the `screening` parser."""
    calendar = commands.add_parser("calendar", help="list the days on which the ruleset's rules change")
    calendar.add_argument(
        "--ruleset", type=Path, default=None, help="a ruleset TOML (default: the shipped one)"
    )
    calendar.add_argument(
        "--after", type=date.fromisoformat, default=None, help="only boundaries after this date (YYYY-MM-DD)"
    )
    calendar.add_argument("--json", action="store_true", help="one JSON object per boundary")


def run(args: argparse.Namespace) -> int:
    """Print the calendar."""
    ruleset = load_ruleset(args.ruleset)
    for boundary in rule_calendar(ruleset):
        if args.after is not None and boundary.on <= args.after:
            continue
        if args.json:
            line = {
                "date": boundary.on.isoformat(),
                "ruleset": ruleset.version,
                "changes": [
                    {"table": c.table, "key": c.key, "named_date": c.named.isoformat(), "what": c.what}
                    for c in boundary.changes
                ],
            }
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
        else:
            sys.stdout.write(boundary.describe() + "\n")
    return 0
