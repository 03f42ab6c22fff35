"""Load trade.gov's Consolidated Screening List (CSL) into list entries, with a version for every decision.

Also reads the supplemental table of Chinese names of listed parties (`data/cjk_names.csv`), which the index
adds as further names of the entries it names (see `load_cjk_aliases`).

Three layouts are read: the official `consolidated.csv` (29 columns), trade.gov's JSON (`{"results": [...]}`)
and the compact JSON snapshot (`{"tables": ..., "entries": [{"n": ..., "a": [...], ...}]}`). The version is
`csl:<source date>:<first 12 hex of the SHA-256 of the file bytes>`, so a decision names the exact data.

The source date (`LoadedList.as_of`, when the lists' publisher made the file) comes from, in order: a date
the caller gives (a download's Last-Modified, or `--as-of`), a date in the file name
(`consolidated_2026-07-31.csv`), the file's own generation time (JSON `sourceGeneratedAt`), or else the newest
`start_date` of its entries (the file is at least that old, so its age is never understated). With none of
these it is unknown (`basis` says which).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from screening.domain.lists import ListEntry, source_code

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


REQUIRED_COLUMNS = ("source", "name", "alt_names", "addresses", "type", "programs", "start_date")
"""Columns of trade.gov's `consolidated.csv` that a downloaded or loaded CSV must have (the screening reads
them)."""


@dataclass(frozen=True, slots=True)
class LoadedList:
    """Entries of one list file, that file's version string and its source date."""

    entries: list[ListEntry]
    version: str
    as_of: datetime | None = None
    """When the lists' publisher made the file (UTC); None when nothing tells."""
    basis: str = "unknown"
    """Where `as_of` comes from: given, file_name, generated, newest_entry or unknown."""
    columns: tuple[str, ...] = ()
    """The header of a CSV file (empty for JSON)."""


class ListFormatError(ValueError):
    """The file is not a CSL layout this loader knows (permanent: fix the file, do not retry)."""


def load_list_file(path: Path, as_of: datetime | None = None) -> LoadedList:
    """Load a CSL file (CSV or JSON, by content) from `path`; `as_of` is its source date when known."""
    return parse_list_bytes(path.read_bytes(), path.name, as_of)


def parse_list_bytes(data: bytes, name: str, as_of: datetime | None = None) -> LoadedList:
    """Parse CSL bytes. The source date is `as_of` when given, else a YYYY-MM-DD in `name` (a file name),
    else the file's generation time, else its newest entry's `start_date` (see the module docstring)."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ListFormatError(f"not a CSL file: not UTF-8 ({error.reason} at byte {error.start})") from None
    generated_at: str | None = None
    columns: tuple[str, ...] = ()
    if text.lstrip().startswith(("{", "[")):
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise ListFormatError(f"not a CSL JSON: {error}") from None
        entries, generated_at = _parse_json(document)
    else:
        entries, columns = _parse_csv(text)
    found, basis = _source_date(as_of, name, generated_at, entries)
    label = found.date().isoformat() if found is not None else "unknown"
    return LoadedList(
        entries=entries, version=f"csl:{label}:{digest}", as_of=found, basis=basis, columns=columns
    )


def _source_date(
    given: datetime | None, name: str, generated_at: str | None, entries: Sequence[ListEntry]
) -> tuple[datetime | None, str]:
    """The source date and where it comes from (see the module docstring)."""
    if given is not None:
        return _utc(given), "given"
    match = _DATE_IN_NAME.search(name)
    if match:
        try:
            return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC), "file_name"
        except ValueError:
            pass
    if generated_at:
        try:
            return _utc(datetime.fromisoformat(generated_at.replace("Z", "+00:00"))), "generated"
        except ValueError:
            pass
    newest = max((entry.start_date[:10] for entry in entries if entry.start_date), default=None)
    if newest:
        try:
            return datetime.fromisoformat(newest).replace(tzinfo=UTC), "newest_entry"
        except ValueError:
            pass
    return None, "unknown"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def oldest_source_date(loaded: Sequence[LoadedList]) -> datetime | None:
    """The source date of several files together: the oldest (None when any is unknown)."""
    dates = [part.as_of for part in loaded]
    if not dates or any(found is None for found in dates):
        return None
    return min(found for found in dates if found is not None)


CJK_NAMES = "cjk_names.csv"
_CJK_COLUMNS = ("chinese_name", "listed_name")


def load_cjk_aliases(text: str) -> dict[str, list[str]]:
    """The supplemental Chinese-name table as listed name → Chinese names, in file order, without repeats.

    The table is a CSV with the columns `chinese_name`, `listed_name` (a name exactly as on the list) and
    `notes` (where the name comes from); lines starting with `#` are comments. Pass the result to
    `ScreeningLists.build(..., extra_aliases=...)`.
    """
    lines = [line for line in text.lstrip("\ufeff").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not all(column in reader.fieldnames for column in _CJK_COLUMNS):
        raise ListFormatError("not a Chinese-name table: the header lacks `chinese_name` or `listed_name`")
    aliases: dict[str, list[str]] = {}
    for row in reader:
        chinese = (row.get("chinese_name") or "").strip()
        listed = (row.get("listed_name") or "").strip()
        if chinese and listed and chinese not in aliases.setdefault(listed, []):
            aliases[listed].append(chinese)
    return aliases


def combine(loaded: Sequence[LoadedList]) -> tuple[list[ListEntry], str]:
    """Entries of several list files together, and their versions joined with "+"."""
    entries = [entry for part in loaded for entry in part.entries]
    return entries, "+".join(part.version for part in loaded)


# ---------------------------------------------------------------------------------------------------------


def _entry_id(source: str, name: str, entity_number: str) -> str:
    # The shipped CSV's `_id` is this digest; recomputing it keeps ids stable across the CSV and JSON forms.
    return hashlib.sha224(f"{source}|{name}|{entity_number}".encode()).hexdigest()


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _countries_from_addresses(addresses: Iterable[str]) -> tuple[str, ...]:
    """ISO-2 codes ending each address ("..., Beijing, CN" or just "CN"), in order, without repeats."""
    codes: list[str] = []
    for address in addresses:
        code = address.rsplit(",", 1)[-1].strip()
        if _COUNTRY_CODE.match(code) and code not in codes:
            codes.append(code)
    return tuple(codes)


def _or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _parse_csv(text: str) -> tuple[list[ListEntry], tuple[str, ...]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "name" not in reader.fieldnames or "source" not in reader.fieldnames:
        raise ListFormatError("not a CSL CSV: the header lacks `name` or `source`")
    columns = tuple(reader.fieldnames)
    entries = []
    try:
        rows = list(reader)
    except csv.Error as error:  # a file cut inside a quoted field
        raise ListFormatError(f"not a complete CSL CSV: {error} (line {reader.line_num})") from None
    for row in rows:
        name = (row.get("name") or "").strip()
        source = (row.get("source") or "").strip()
        if not name or not source:
            continue
        entity_number = (row.get("entity_number") or "").strip()
        address_text = row.get("addresses") or ""
        countries = list(_countries_from_addresses(address_text.split("; ")))
        for extra in (*_split(row.get("citizenships")), *_split(row.get("nationalities"))):
            if _COUNTRY_CODE.match(extra) and extra not in countries:
                countries.append(extra)
        entries.append(
            ListEntry(
                entry_id=(row.get("_id") or "").strip() or _entry_id(source, name, entity_number),
                source=source_code(source),
                name=name,
                alt_names=_split(row.get("alt_names")),
                countries=tuple(countries),
                entry_type=_or_none(row.get("type")),
                programs=_split(row.get("programs")),
                federal_register_notice=_or_none(row.get("federal_register_notice")),
                start_date=_or_none(row.get("start_date")),
                license_requirement=_or_none(row.get("license_requirement")),
                addresses=_or_none(address_text),
                source_list_url=_or_none(row.get("source_list_url")),
            )
        )
    return entries, columns


def _parse_json(document: Any) -> tuple[list[ListEntry], str | None]:
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return [_from_tradegov(result) for result in document["results"]], _or_none(
            document.get("sourceGeneratedAt")
        )
    if isinstance(document, dict) and isinstance(document.get("entries"), list):
        return _from_compact(document), _or_none(document.get("sourceGeneratedAt"))
    raise ListFormatError("not a CSL JSON: expected a `results` or an `entries` list")


def _listing(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return _split(value)
    return tuple(str(item).strip() for item in value if str(item).strip())


def _from_tradegov(result: dict[str, Any]) -> ListEntry:
    source = str(result.get("source") or "").strip()
    name = str(result.get("name") or "").strip()
    entity_number = str(result.get("entity_number") or "").strip()
    addresses = result.get("addresses") or []
    countries: list[str] = []
    texts = []
    for address in addresses:
        if isinstance(address, dict):
            code = str(address.get("country") or "").strip()
            parts = [address.get(key) for key in ("address", "city", "state", "postal_code", "country")]
            texts.append(", ".join(str(part) for part in parts if part))
        else:
            code = str(address).rsplit(",", 1)[-1].strip()
            texts.append(str(address))
        if _COUNTRY_CODE.match(code) and code not in countries:
            countries.append(code)
    for extra in (*_listing(result.get("citizenships")), *_listing(result.get("nationalities"))):
        if _COUNTRY_CODE.match(extra) and extra not in countries:
            countries.append(extra)
    return ListEntry(
        entry_id=str(result.get("id") or result.get("_id") or _entry_id(source, name, entity_number)),
        source=source_code(source),
        name=name,
        alt_names=_listing(result.get("alt_names")),
        countries=tuple(countries),
        entry_type=_or_none(result.get("type")),
        programs=_listing(result.get("programs")),
        federal_register_notice=_or_none(result.get("federal_register_notice")),
        start_date=_or_none(result.get("start_date")),
        license_requirement=_or_none(result.get("license_requirement")),
        addresses="; ".join(texts) or None,
        source_list_url=_or_none(result.get("source_list_url")),
    )


def _from_compact(document: dict[str, Any]) -> list[ListEntry]:
    tables = document.get("tables") or {}

    def lookup(table: str, index: Any) -> str | None:
        values = tables.get(table) or []
        if isinstance(index, int) and 0 <= index < len(values):
            return _or_none(values[index])
        return _or_none(index) if isinstance(index, str) else None

    entries = []
    for item in document["entries"]:
        source = lookup("sources", item.get("s")) or ""
        name = str(item.get("n") or "").strip()
        if not name or not source:
            continue
        entity_number = str(item.get("e") or "").strip()
        programmes = item.get("pg")
        indexes = programmes if isinstance(programmes, list) else [programmes]
        programs = tuple(program for program in (lookup("programmes", i) for i in indexes) if program)
        countries = tuple(dict.fromkeys(code for code in item.get("c") or [] if _COUNTRY_CODE.match(code)))
        entries.append(
            ListEntry(
                entry_id=_entry_id(source, name, entity_number),
                source=source_code(source),
                name=name,
                alt_names=_listing(item.get("a")),
                countries=countries,
                entry_type=_or_none(item.get("t")),
                programs=programs,
                federal_register_notice=_or_none(item.get("fr")),
                license_requirement=lookup("licenceRequirements", item.get("lr")),
                addresses="; ".join(countries) or None,
                source_list_url=lookup("urls", item.get("u")),
            )
        )
    return entries
