"""Tying event parties to ownership-registry entities by id or by name and country."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from screening.domain.model import Party
from screening.domain.names import normalise
from screening.domain.ownership import OwnershipRecord


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """A strict key for a company name: the name matcher's normalised tokens, sorted.

    The matcher's normalisation drops legal forms in many languages, expands abbreviations and turns
    Chinese characters into the pinyin and English business words the lists use, so "SHANGTANG TECH PTE
    LTD", "Shangtang Technology Pte. Ltd." and "商汤科技有限公司" share a key. Resolution uses only equal keys
    (a strong match by construction); fuzzy matching is kept for the control lists, where a weak match
    is held for a reviewer instead of silently tying a party to someone else's owners.
    """
    return " ".join(sorted(normalise(name).tokens))


def registry_keys(names: Iterable[str], country: str | None) -> list[str]:
    """Keys under which a registry entity is indexed: each name with its country, and without."""
    keys: list[str] = []
    for name in names:
        key = name_key(name)
        if not key:
            continue
        keys.append(f"{key}|{(country or '').upper()}")
        keys.append(f"{key}|")
    return list(dict.fromkeys(keys))


def party_lookup_keys(party: Party) -> list[str]:
    """Keys to try for a party without `party_id`: its names with its country (or with no country when the
    party has none). A same-named entity of another country is not the party."""
    country = (party.country or "").upper()
    keys = [f"{key}|{country}" for name in party.names if (key := name_key(name))]
    return list(dict.fromkeys(keys))


def collect_ancestry(
    roots: Iterable[str], lookup: Callable[[str], OwnershipRecord | None], max_depth: int
) -> Mapping[str, OwnershipRecord]:
    """The records of `roots` and of all their owners, level by level, up to `max_depth` levels.

    Owners without a record are left out (the ownership analysis reports them as missing); cycles stop
    because an entity is visited once.
    """
    records: dict[str, OwnershipRecord] = {}
    frontier = list(dict.fromkeys(roots))
    for _ in range(max_depth + 1):
        upward: list[str] = []
        for entity_id in frontier:
            record = lookup(entity_id)
            if record is None or entity_id in records:
                continue
            records[entity_id] = record
            upward.extend(owner.entity_id for owner in record.owners)
        if not upward:
            break
        frontier = upward
    return records
