"""Build the address-screening evaluation set from the shipped CSL snapshot and real addresses off its index.

Deterministic (seeded). Writes `tests/eval/address_eval_set.jsonl`, one case per line, each with a `split`:
`tuning` (what thresholds and weights may be fitted to) or `heldout` (never looked at while tuning: only
measured, and reported in its own columns). The split is by a hash of the listed address a case is made
from (positives and near misses) or of the address itself (real negatives), so one address is never on
both sides.

- positives `{"kind": "variant", "variant": <how made>, "query", "country", "expected": [entry ids],
  "listed": <the listed address>}`: a street-level address of the list (one that names more than a city)
  written another way: abbreviations or their expansion, word order (house number after the street, parts
  from the largest to the smallest as Chinese addresses are written), a typo in a name, no postcode, no
  district or city, case and punctuation, a line of extra text (an attention line), and two of these at
  once. `expected` holds every entry that carries the address.
- near misses `{"kind": "near_miss", ...}` (negatives made from the list): the same street with another
  house number (`other_number`), the same street and number in another city of the same country
  (`other_city`), and another room or floor of the same building (`other_unit`). None is the listed
  address; `other_unit` is the same building, so it is reported but held to a looser bar.
- real negatives `{"kind": "negative", "source": ...}`: real addresses that are not in the list's address
  data: `gleif` (companies' legal and headquarters addresses in the GLEIF samples, CC0) and `other_lists`
  (street addresses of OFAC SDN (2021) and non-SDN (2025) entries and of the Denied Persons List (2022):
  the shipped snapshot carries street addresses for the Entity List only). An `other_lists` address is
  dropped when its party's name is an Entity List name, or its text equals a listed address (a simple
  comparison of letters and digits, independent of the matcher): the same place, which a hit rightly finds.
  Any other hit on them counts as a false alert, also where two lists happen to share a building.

Run: `.venv/bin/python tests/eval/build_address_eval_set.py --data DIR` where DIR holds the source folders
`ofac/`, `bis/` and `ownership/` (see the data sources note); regenerates the JSONL (commit it).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from screening.adapters.csl import load_list_file
from screening.domain.addresses import AddressIndex, ListedAddress, country_code, normalise_address

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CSL = ROOT / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"
OUT = HERE / "address_eval_set.jsonl"
SEED = 20260731
HELDOUT_SHARE = 0.3
POSITIVE_ADDRESSES = 900  # listed addresses variants are made of
OTHER_LIST_NEGATIVES = 3000

ABBREVIATIONS = [
    ("Street", "St."), ("Road", "Rd."), ("Avenue", "Ave."), ("Building", "Bldg."), ("District", "Dist."),
    ("Floor", "Fl."), ("Room", "Rm."), ("Industrial", "Ind."), ("Development", "Dev."), ("Province", "Prov."),
    ("Boulevard", "Blvd."), ("Highway", "Hwy."), ("Suite", "Ste."), ("Apartment", "Apt."),
    ("Technology", "Tech."),
    ("Science", "Sci."), ("Centre", "Ctr."), ("Center", "Ctr."), ("Tower", "Twr."), ("Block", "Blk."),
    ("Oblast", "Obl."), ("Prospekt", "Pr."), ("Ulitsa", "Ul."),
]  # fmt: skip


def split_of(key: str) -> str:
    """`heldout` for about `HELDOUT_SHARE` of keys, by hash; else `tuning`."""
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return "heldout" if digest / 0xFFFFFFFF < HELDOUT_SHARE else "tuning"


def simple_key(text: str) -> str:
    """Letters and digits only, casefolded: the matcher-independent comparison of two address texts."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def simple_name(text: str) -> str:
    """A party name compared by letters and digits only (legal forms kept): for dropping listed parties."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


# ------------------------------------------------------------------------------------------ positives
def parts_of(text: str) -> tuple[list[str], str]:
    """The comma parts of a listed address and its ISO-2 country (the last part)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return parts[:-1], parts[-1]


def abbreviate(text: str, rng: random.Random) -> str | None:
    """Abbreviations for the words written out, and written out where the list abbreviates."""
    changed = text
    for full, short in ABBREVIATIONS:
        if re.search(rf"\b{full}\b", changed, re.IGNORECASE):
            changed = re.sub(rf"\b{full}\b", short, changed, flags=re.IGNORECASE)
        elif re.search(rf"\b{re.escape(short)}", changed):
            changed = re.sub(rf"\b{re.escape(short)}", full, changed)
    changed = re.sub(r"\bNo\.\s*", "" if rng.random() < 0.5 else "#", changed)
    return changed if changed != text else None


def reorder(parts: list[str], rng: random.Random) -> list[str] | None:
    """House number after the street ("12 X Road" → "X Road 12"), or the parts largest first."""
    moved = []
    for part in parts:
        match = re.match(r"^(?:No\.\s*)?(\d+[A-Za-z]?)\s+(.+)$", part)
        moved.append(f"{match.group(2)} {match.group(1)}" if match else part)
    if moved != parts and rng.random() < 0.6:
        return moved
    if len(parts) >= 3:
        return list(reversed(parts))
    return moved if moved != parts else None


def typo(parts: list[str], rng: random.Random) -> list[str] | None:
    """One edit (drop, double or swap a letter) in the longest word of six letters or more."""
    words = [(index, word) for index, part in enumerate(parts) for word in re.findall(r"[A-Za-z]{6,}", part)]
    if not words:
        return None
    index, word = max(words, key=lambda item: (len(item[1]), -item[0]))
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        wrong = word[:at] + word[at + 1 :]
    elif kind == "double":
        wrong = word[:at] + word[at] + word[at:]
    else:
        wrong = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    changed = list(parts)
    changed[index] = parts[index].replace(word, wrong, 1)
    return changed


def without_postcode(parts: list[str]) -> list[str] | None:
    """The parts without the last one that is a postcode (digits, or letters and digits, alone in a part)."""
    for index in range(len(parts) - 1, 0, -1):
        part = parts[index].strip()
        if (
            re.fullmatch(r"(?=.*\d)[0-9A-Z]{2,5}[- ]?[0-9A-Z]{2,4}", part)
            and len(re.sub(r"\D", "", part)) >= 4
        ):
            return parts[:index] + parts[index + 1 :]
    return None


def without_locality(parts: list[str]) -> list[str] | None:
    """The street-level parts only: the last part that is not a postcode (city or district) dropped."""
    if len(parts) < 3:
        return None
    for index in range(len(parts) - 1, 0, -1):
        if not any(char.isdigit() for char in parts[index]):
            return parts[:index] + parts[index + 1 :]
    return None


def positives(listed: ListedAddress, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(variant kind, query text) for one listed address."""
    parts, _ = parts_of(listed.text)
    made: dict[str, str] = {}
    short = abbreviate(", ".join(parts), rng)
    if short:
        made["abbreviation"] = short
    order = reorder(parts, rng)
    if order:
        made["word_order"] = ", ".join(order)
    wrong = typo(parts, rng)
    if wrong:
        made["typo"] = ", ".join(wrong)
    bare = without_postcode(parts)
    if bare:
        made["missing_postcode"] = ", ".join(bare)
    local = without_locality(parts)
    if local:
        made["missing_locality"] = ", ".join(local)
    made["case_punctuation"] = re.sub(r"[.,#]", " ", ", ".join(parts)).upper()
    made["extra_line"] = rng.choice(
        ("Attn: Receiving Dept., ", "ATTN PROCUREMENT / ", "Warehouse, ")
    ) + ", ".join(parts)
    if short and bare:
        made["combined"] = abbreviate(", ".join(bare), rng) or ", ".join(bare)
    kinds = sorted(made)
    for kind in rng.sample(kinds, min(len(kinds), 3)):
        yield kind, made[kind]


# ------------------------------------------------------------------------------------------ near misses
STREET_WORDS = re.compile(
    r"\b(road|rd|street|st|str|avenue|ave|boulevard|blvd|lu|jie|ulitsa|ul|prospekt|prospect|highway|lane|"
    r"drive|way|shosse|sokak|sok|cad|caddesi)\b\.?",
    re.IGNORECASE,
)
UNIT_WORDS = re.compile(
    r"\b(room|rm|unit|suite|flat|office|floor|fl|apartment|apt)\b\.?|\d+/?f\b", re.IGNORECASE
)


def _renumber(part: str, rng: random.Random) -> str | None:
    number = re.search(r"\b(\d{1,4})\b", part)
    if number is None:
        return None
    other = int(number.group(1)) + rng.choice((2, 3, 4, 6, 10, 14))
    return part[: number.start(1)] + str(other) + part[number.end(1) :]


def near_misses(listed: ListedAddress, cities: list[str], rng: random.Random) -> Iterator[tuple[str, str]]:
    """Another house number on the same street (`other_number`); another room or floor of the same
    building (`other_unit`); the same street and house number in another city of the country
    (`other_city`: the street part alone, with the other city)."""
    parts, _ = parts_of(listed.text)
    streets = [
        index
        for index, part in enumerate(parts)
        if STREET_WORDS.search(part) and re.search(r"\b\d{1,4}\b", part)
    ]
    units = [index for index, part in enumerate(parts) if UNIT_WORDS.search(part) and re.search(r"\d", part)]
    if streets:
        index = streets[0]
        changed = _renumber(parts[index], rng)
        if changed:
            yield "other_number", ", ".join([*parts[:index], changed, *parts[index + 1 :]])
        # Only where the listed address names its city: otherwise another city is no contradiction.
        locality = next(
            (i for i in range(len(parts) - 1, index, -1) if parts[i].replace(" ", "").isalpha()), None
        )
        own = simple_key(parts[locality]) if locality is not None else ""
        others = [
            city
            for city in cities
            if simple_key(city) not in simple_key(listed.text)
            and own not in simple_key(city)
            and SequenceMatcher(None, simple_key(city), own).ratio() < 0.7
        ]
        if locality is not None and own and others:
            yield "other_city", f"{parts[index]}, {rng.choice(others)}"
    if units and (not streets or units[0] != streets[0]):
        index = units[0]
        changed = _renumber(parts[index], rng)
        if changed:
            yield "other_unit", ", ".join([*parts[:index], changed, *parts[index + 1 :]])


# ------------------------------------------------------------------------------------------ real negatives
def gleif_addresses(folder: Path) -> Iterator[tuple[str, str]]:
    """(address text, country) of every legal and headquarters address in the GLEIF samples."""
    seen: set[str] = set()

    def walk(node: Any) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("legalAddress", "headquartersAddress", "LegalAddress", "HeadquartersAddress") and (
                    isinstance(value, dict)
                ):
                    lines = value.get("addressLines") or [
                        value.get("FirstAddressLine"),
                        *(
                            value.get("AdditionalAddressLine") or []
                            if isinstance(value.get("AdditionalAddressLine"), list)
                            else [value.get("AdditionalAddressLine")]
                        ),
                    ]
                    city = value.get("city") or value.get("City")
                    postcode = value.get("postalCode") or value.get("PostalCode")
                    country = value.get("country") or value.get("Country")
                    text = ", ".join(str(part) for part in (*lines, city, postcode) if part)
                    if text and country and text not in seen:
                        seen.add(text)
                        yield text, str(country)
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for path in sorted(folder.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        yield from walk(document)


def ofac_addresses(add_file: Path, names: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(address text, country, party name) of OFAC address rows with a street."""
    with add_file.open(encoding="latin-1") as handle:
        for row in csv.reader(handle):
            if len(row) < 5:
                continue
            street, locality, country_name = (value.strip() for value in row[2:5])
            if street in ("-0-", "") or country_name in ("-0-", ""):
                continue
            code = country_code(country_name)
            if code is None:
                continue
            parts = [street] + ([locality] if locality not in ("-0-", "") else [])
            yield ", ".join(parts), code, names.get(row[0].strip(), "")


def ofac_names(primary: Path) -> dict[str, str]:
    with primary.open(encoding="latin-1") as handle:
        return {row[0].strip(): row[1].strip() for row in csv.reader(handle) if len(row) > 1}


def dpl_addresses(path: Path) -> Iterator[tuple[str, str, str]]:
    with path.open(encoding="latin-1") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            street = (row.get("Street_Address") or "").strip()
            country = (row.get("Country") or "").strip() or "US"
            if not street or len(country) != 2:
                continue
            parts = [street, row.get("City") or "", row.get("State") or "", row.get("Postal_Code") or ""]
            yield (
                ", ".join(part.strip() for part in parts if part and part.strip()),
                country,
                row.get("Name") or "",
            )


# ------------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding ofac/, bis/ and ownership/")
    args = parser.parse_args()
    rng = random.Random(SEED)
    loaded = load_list_file(CSL)
    index = AddressIndex.build(loaded.entries)
    el_names = {simple_name(name) for entry in loaded.entries if entry.source == "EL" for name in entry.names}
    listed_keys = {simple_key(listed.text.rsplit(",", 1)[0]) for listed in index.addresses}
    cases: list[dict[str, Any]] = []

    pool = [listed for listed in index.addresses if any(entry.source == "EL" for entry in listed.entries)]
    rng.shuffle(pool)
    # Cities: the last named part of listed addresses (before the postcode), seen in three or more of them.
    seen_cities: dict[tuple[str, str], int] = {}
    for listed in index.addresses:
        parts, country = parts_of(listed.text)
        named = [part for part in parts[1:] if part.replace(" ", "").replace("'", "").isalpha()]
        if named and not STREET_WORDS.search(named[-1]) and not UNIT_WORDS.search(named[-1]):
            seen_cities[(country, named[-1])] = seen_cities.get((country, named[-1]), 0) + 1
    cities_by_country: dict[str, list[str]] = {}
    for (country, city), count in sorted(seen_cities.items()):
        if (
            count >= 3
            and country_code(city) is None  # "Singapore", "Hong Kong": a country, not another city
            and not re.search(
                r"(?i)district|region|oblast|province|building|center|centre|zone|central", city
            )
        ):
            cities_by_country.setdefault(country, []).append(city)
    for listed in pool[:POSITIVE_ADDRESSES]:
        _, country = parts_of(listed.text)
        split = split_of(listed.text)
        expected = sorted(entry.entry_id for entry in listed.entries)
        for kind, query in positives(listed, rng):
            cases.append(
                {"kind": "variant", "variant": kind, "query": query, "country": country, "expected": expected,
                 "listed": listed.text, "split": split}
            )  # fmt: skip
        for kind, query in near_misses(listed, cities_by_country.get(country, []), rng):
            if simple_key(query) in listed_keys:
                continue  # another listed address after all
            cases.append(
                {"kind": "near_miss", "variant": kind, "query": query, "country": country,
                 "listed": listed.text, "split": split}
            )  # fmt: skip

    for text, country in gleif_addresses(args.data / "ownership"):
        if normalise_address(text).empty:
            continue
        cases.append(
            {
                "kind": "negative",
                "source": "gleif",
                "query": text,
                "country": country,
                "split": split_of(text),
            }
        )

    names = ofac_names(args.data / "ofac" / "watchman_2021-07" / "sdn.csv")
    names |= ofac_names(args.data / "ofac" / "non_sdn_consolidated_2025-12" / "cons_prim.csv")
    others = [
        *ofac_addresses(args.data / "ofac" / "watchman_2021-07" / "add.csv", names),
        *ofac_addresses(args.data / "ofac" / "non_sdn_consolidated_2025-12" / "cons_add.csv", names),
        *dpl_addresses(args.data / "bis" / "denied_persons_list_2022-09.txt"),
    ]
    kept: dict[str, tuple[str, str]] = {}
    for text, country, name in others:
        key = simple_key(text)
        if (
            key in listed_keys
            or simple_name(name) in el_names
            or key in kept
            or normalise_address(text).empty
        ):
            continue
        kept[key] = (text, country)
    chosen = sorted(kept.values())
    rng.shuffle(chosen)
    for text, country in chosen[:OTHER_LIST_NEGATIVES]:
        cases.append(
            {
                "kind": "negative",
                "source": "other_lists",
                "query": text,
                "country": country,
                "split": split_of(text),
            }
        )

    with OUT.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for case in cases:
        key = f"{case['kind']}/{case.get('variant') or case.get('source')}/{case['split']}"
        counts[key] = counts.get(key, 0) + 1
    print(json.dumps(counts, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
