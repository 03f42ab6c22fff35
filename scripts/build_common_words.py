"""Write `services/screening/data/common_words.txt`: the common words of English, for the name matcher.

The words are SCOWL's (Spell Checker Oriented Word Lists, Kevin Atkinson) "small" size: the `english`,
`american` and `british` word lists of sizes 10, 20 and 35, as Debian's `scowl` package installs them in
`/usr/share/dict/scowl` (`apt-get install scowl`). Proper names, abbreviations and capitalised words are in
other SCOWL lists and are not read. Each word is written as the name tokeniser writes a token (accents
stripped), and kept when it is two or more lowercase letters. The copyright notice SCOWL asks for heads the
file.

Run: `.venv/bin/python scripts/build_common_words.py [--scowl DIR]` (rewrites the file; commit it).
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "services" / "screening" / "data" / "common_words.txt"
CATEGORIES = ("english", "american", "british")
SIZES = (10, 20, 35)
HEADER = """\
# Common words of English, one a line: a name whose only distinctive word agreeing with a listed name is
# one of these, with other words beside it, is thin evidence (screening.domain.names). Read by
# screening.resources; its hash is part of the lists version of every decision.
# Made by scripts/build_common_words.py from SCOWL {version}, sizes {sizes} ("small"),
# word lists {categories}: lowercase words of two letters or more, accents stripped.
#
# SCOWL (Spell Checker Oriented Word Lists) copyright notice:
#   Copyright 2000-2011 by Kevin Atkinson
#   Permission to use, copy, modify, distribute and sell these word lists, the associated scripts, the output
#   created from the scripts, and its documentation for any purpose is hereby granted without fee, provided
#   that the above copyright notice appears in all copies and that both that copyright notice and this
#   permission notice appear in supporting documentation. Kevin Atkinson makes no representations about the
#   suitability of this array for any purpose. It is provided "as is" without express or implied warranty.
# Its sources at these sizes (Moby Words II, Brian Kelk's UK English Wordlist, 12Dicts and others) are in
# the public domain or under terms of the same kind; see SCOWL's README.
"""


def words(scowl: Path) -> list[str]:
    """The words of the chosen SCOWL lists, as tokens, sorted."""
    found: set[str] = set()
    for category in CATEGORIES:
        for size in SIZES:
            path = scowl / f"{category}-words.{size}"
            if not path.exists():
                continue
            for word in path.read_text(encoding="utf-8").split():
                plain = "".join(
                    char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char)
                )
                if re.fullmatch(r"[a-z]{2,}", plain):
                    found.add(plain)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scowl", type=Path, default=Path("/usr/share/dict/scowl"))
    parser.add_argument("--version", default="2020.12.07", help="SCOWL version, for the header")
    args = parser.parse_args()
    chosen = words(args.scowl)
    if not chosen:
        raise SystemExit(f"no SCOWL word lists in {args.scowl} (apt-get install scowl)")
    header = HEADER.format(
        version=args.version, sizes=", ".join(map(str, SIZES)), categories=", ".join(CATEGORIES)
    )
    OUT.write_text(header + "\n".join(chosen) + "\n", encoding="utf-8")
    print(f"{len(chosen)} words -> {OUT}")


if __name__ == "__main__":
    main()
