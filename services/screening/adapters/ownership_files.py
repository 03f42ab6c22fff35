"""Ownership records from JSONL files: the contract's records and FollowTheMoney entities, line by line.

A line with a `schema` key is a FollowTheMoney entity (the format OpenSanctions publishes); any other line
is a contract ownership record. Both may be mixed in one file. FtM `Company`, `Organization`,
`LegalEntity`, `PublicBody` and `Person` entities become records; `Ownership{owner, asset, percentage}`
becomes an owner of the asset; `UnknownLink` is an association, not ownership, and is only counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from screening.domain.ownership import (
    DEFAULT_RECORD_LIMITS,
    OwnerLink,
    OwnershipRecord,
    OwnershipRecordError,
    record_from_mapping,
    validate_record,
)

# Persons own companies too (an SDN individual is OFAC's textbook owner), so they become records.
FTM_RECORD_SCHEMATA = frozenset({"Company", "Organization", "LegalEntity", "PublicBody", "Person"})


class OwnershipFileError(ValueError):
    """A line of an ownership file that cannot be read; names the line so the file can be fixed."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True, slots=True)
class OwnershipLoad:
    """The records read from a file, and what was read but not turned into ownership."""

    records: tuple[OwnershipRecord, ...]
    unknown_links: int = 0  # FtM UnknownLink: an association of unknown nature, never ownership
    ended_ownerships: int = 0  # FtM Ownership with an endDate: no longer held
    stub_records: int = 0  # assets of an FtM Ownership that had no entity of their own in the file
    ignored: Mapping[str, int] = field(default_factory=dict)  # other FtM schemata, by schema


def load_ownership_file(path: str | Path) -> list[OwnershipRecord]:
    """Read the ownership records of a JSONL file (contract records, FtM entities, or both)."""
    return list(read_ownership_file(path).records)


def parse_ownership_lines(lines: Iterable[str]) -> list[OwnershipRecord]:
    """Read ownership records from JSONL lines (contract records, FtM entities, or both)."""
    return list(read_ownership_lines(lines).records)


def read_ownership_file(path: str | Path) -> OwnershipLoad:
    """Like `load_ownership_file`, with the counts of what was skipped."""
    with Path(path).open(encoding="utf-8") as lines:
        return read_ownership_lines(lines)


def read_ownership_lines(lines: Iterable[str]) -> OwnershipLoad:
    """Like `parse_ownership_lines`, with the counts of what was skipped.

    Records come out in the order their entities first appear. A contract record replaces an FtM entity of
    the same id, and a later contract record replaces an earlier one (as on the compacted topic).
    """
    contract: dict[str, OwnershipRecord] = {}
    ftm = _FtmCollector()
    order: dict[str, int] = {}  # entity id -> line it first appeared on, in order of appearance
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise OwnershipFileError(number, f"not JSON: {error.msg}") from error
        if not isinstance(data, dict):
            raise OwnershipFileError(number, "expected a JSON object")
        try:
            if "schema" in data:
                for entity_id in ftm.add(data):
                    order.setdefault(entity_id, number)
            else:
                record = record_from_mapping(data)
                contract[record.entity_id] = record
                order.setdefault(record.entity_id, number)
        except OwnershipRecordError as error:
            raise OwnershipFileError(number, str(error)) from error
    from_ftm = ftm.records()
    for entity_id, record in from_ftm.items():
        # FtM entities pass the same validator as contract records; the line is where the entity first
        # appeared (as itself or as the asset of an ownership edge).
        if entity_id not in contract:
            try:
                validate_record(record)
            except OwnershipRecordError as error:
                raise OwnershipFileError(order[entity_id], str(error)) from error
    records = tuple(contract.get(entity_id) or from_ftm[entity_id] for entity_id in order)
    return OwnershipLoad(
        records=records,
        unknown_links=ftm.unknown_links,
        ended_ownerships=ftm.ended_ownerships,
        stub_records=sum(1 for entity_id in ftm.stubs if entity_id not in contract),
        ignored=dict(ftm.ignored),
    )


class _FtmCollector:
    """Gathers FtM entities; ownership edges may come before or after the entities they join."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, float | None]] = {}
        self.unknown_links = 0
        self.ended_ownerships = 0
        self.ignored: Counter[str] = Counter()

    def add(self, data: dict[str, Any]) -> list[str]:
        """Take one entity; return the ids of the records it introduces (for output order)."""
        schema = data.get("schema")
        entity_id = data.get("id")
        properties = data.get("properties") or {}
        if not isinstance(entity_id, str) or not entity_id or not isinstance(properties, dict):
            raise OwnershipRecordError("an FtM entity needs a string `id` and an object `properties`")
        if schema in FTM_RECORD_SCHEMATA:
            self.entities[entity_id] = data
            return [entity_id]
        if schema == "Ownership":
            return self._add_ownership(properties)
        if schema == "UnknownLink":
            self.unknown_links += 1
        else:
            self.ignored[str(schema)] += 1
        return []

    def _add_ownership(self, properties: dict[str, Any]) -> list[str]:
        if _values(properties, "endDate"):
            self.ended_ownerships += 1
            return []
        share = _share(_values(properties, "percentage"))
        assets = _values(properties, "asset")
        for asset in assets:
            owners = self.links.setdefault(asset, {})
            for owner in _values(properties, "owner"):
                if owner == asset:  # treasury shares: a company holding its own stock does not control itself
                    continue
                # The same edge often comes twice (e.g. Wikidata with and without a start date); two known
                # shares that disagree are kept at the larger, the cautious reading for a 50% rule.
                previous = owners.get(owner)
                if previous is None:
                    owners[owner] = share
                elif share is not None:
                    owners[owner] = max(previous, share)
        return assets

    @property
    def stubs(self) -> list[str]:
        """Assets of ownership edges that have no entity of their own."""
        return [entity_id for entity_id in self.links if entity_id not in self.entities]

    def records(self) -> dict[str, OwnershipRecord]:
        """Every FtM-derived record by id; an asset without an entity gets a stub named by its id."""
        result: dict[str, OwnershipRecord] = {}
        for entity_id in {**self.entities, **dict.fromkeys(self.links)}:
            owners = tuple(OwnerLink(owner, share) for owner, share in self.links.get(entity_id, {}).items())
            data = self.entities.get(entity_id)
            if data is None:
                result[entity_id] = OwnershipRecord(entity_id=entity_id, name=entity_id, owners=owners)
            else:
                result[entity_id] = _record_from_entity(entity_id, data, owners)
        return result


def _record_from_entity(
    entity_id: str, data: Mapping[str, Any], owners: tuple[OwnerLink, ...]
) -> OwnershipRecord:
    properties: Mapping[str, Any] = data.get("properties") or {}
    names = _values(properties, "name")
    aliases = [*names[1:], *_values(properties, "alias"), *_values(properties, "previousName")]
    # weakAlias is left out on purpose: FtM marks those as too generic to match on. Entities of open data
    # carry many names in many languages: the first ones within the service's limits are kept.
    limits = DEFAULT_RECORD_LIMITS
    kept = [alias for alias in dict.fromkeys(aliases) if alias and len(alias) <= limits.max_name_chars]
    return OwnershipRecord(
        entity_id=entity_id,
        name=names[0] if names else entity_id,
        aliases=tuple(kept[: limits.max_aliases]),
        country=_country(properties, "jurisdiction", "country", "mainCountry"),
        hq_country=_country(properties, "mainCountry"),
        owners=owners,
        as_of=_as_of(data),
        source=next(iter(_values(properties, "sourceUrl")), None) or _datasets(data),
    )


def _values(properties: Mapping[str, Any], key: str) -> list[str]:
    """An FtM property's values: always a list of strings in the format, tolerated as a bare string."""
    value = properties.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)]


def _share(values: list[str]) -> float | None:
    """FtM `percentage` (a percent, e.g. "51" or "51.5%") as a fraction; None when absent or unreadable.

    Unreadable stays unknown rather than failing the file: an unknown share of a listed owner is a hold.
    """
    for value in values:
        try:
            percent = float(value.strip().rstrip("%").strip())
        except ValueError:
            continue
        if 0.0 <= percent <= 100.0:
            return percent / 100.0
    return None


def _country(properties: Mapping[str, Any], *keys: str) -> str | None:
    """The first ISO alpha-2 code among `keys`; FtM writes them lower-case, sometimes with a region suffix."""
    for key in keys:
        for value in _values(properties, key):
            code = value.split("-", 1)[0]
            if len(code) == 2 and code.isascii() and code.isalpha():
                return code.upper()
    return None


def _as_of(data: Mapping[str, Any]) -> date | None:
    """When the entity was last known to be as stated (OpenSanctions' `last_change`/`last_seen`)."""
    properties: Mapping[str, Any] = data.get("properties") or {}
    candidates = [data.get("last_change"), data.get("last_seen"), *_values(properties, "modifiedAt")]
    for candidate in candidates:
        if isinstance(candidate, str) and len(candidate) >= 10:
            try:
                return date.fromisoformat(candidate[:10])
            except ValueError:
                continue
    return None


def _datasets(data: Mapping[str, Any]) -> str | None:
    datasets = data.get("datasets")
    if isinstance(datasets, list) and datasets:
        return "followthemoney:" + ",".join(str(name) for name in datasets)
    return None
