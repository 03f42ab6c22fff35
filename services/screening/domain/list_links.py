"""Whether a registry entity (an owner) is on a control list: by evidence, not by a name that looks alike.

An entity counts as listed on an entry only when

- its ownership record links it to the entry (`OwnershipRecord.list_entry_ids` holds the entry's id, the
  `entry_id` decisions show), or
- it is the entry by exact identity: one of the record's names (`name` or an alias) equals one of the
  names the list itself carries for the entry (its name or an alternative name; not names from the
  supplemental tables of Chinese names), compared after Unicode NFKC normalisation, case folding and
  reduction to word characters separated by single spaces, with trailing legal-form words dropped
  ("Co., Ltd.", "Limited", "GmbH"...), AND, when both the record and the entry state countries, they
  share one (Hong Kong counted as China).

A fuzzy name match of an owner without such a link (strong or weak), and a link to an entry the loaded
lists do not hold, are findings for review (`OwnerListMatch`): they hold the event, and never make the
owner listed, so they never drive a `deny` through the 50% rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from screening.domain.lists import ListEntry, ListHit
from screening.domain.ownership import OwnershipRecord

# Legal-form words dropped from the end of a name before an exact comparison.
LEGAL_FORM_WORDS = frozenset(
    {
        "ab", "ag", "as", "bhd", "bv", "cjsc", "co", "company", "corp", "corporation", "gmbh", "inc",
        "incorporated", "jsc", "kk", "limited", "llc", "llp", "lp", "ltd", "nv", "oao", "ojsc", "ooo", "oy",
        "pjsc", "plc", "pte", "pty", "pvt", "sa", "sarl", "sas", "sdn", "spa", "srl", "zao",
    }
)  # fmt: skip
_WORD = re.compile(r"\w+")
_SAME_COUNTRY = {"HK": "CN"}


def identity_key(name: str) -> str:
    """The form two names must share to be the same name: NFKC, case-folded, word characters only,
    single spaces, trailing legal-form words dropped. Empty when nothing distinctive is left."""
    words = _WORD.findall(unicodedata.normalize("NFKC", name).casefold())
    while words and words[-1] in LEGAL_FORM_WORDS:
        words.pop()
    return " ".join(words)


def _countries(codes: Iterable[str | None]) -> frozenset[str]:
    return frozenset(_SAME_COUNTRY.get(code.upper(), code.upper()) for code in codes if code)


@dataclass(frozen=True, slots=True)
class ListIdentities:
    """The loaded entries by id and by the identity key of each of their own names."""

    by_id: Mapping[str, ListEntry]
    by_key: Mapping[str, tuple[ListEntry, ...]]

    @staticmethod
    def build(entries: Sequence[ListEntry]) -> ListIdentities:
        """Index `entries` (every name the list carries for each)."""
        by_key: dict[str, list[ListEntry]] = {}
        for entry in entries:
            for key in {identity_key(name) for name in entry.names}:
                if key:
                    by_key.setdefault(key, []).append(entry)
        return ListIdentities(
            by_id={entry.entry_id: entry for entry in entries},
            by_key={key: tuple(found) for key, found in by_key.items()},
        )

    def same_entity(self, record: OwnershipRecord) -> list[ListEntry]:
        """The entries `record` is by exact identity (see the module docstring)."""
        record_countries = _countries((record.country, record.hq_country))
        found: dict[str, ListEntry] = {}
        for key in {identity_key(name) for name in record.names}:
            for entry in self.by_key.get(key, ()) if key else ():
                entry_countries = _countries(entry.countries)
                if record_countries and entry_countries and not record_countries & entry_countries:
                    continue
                found[entry.entry_id] = entry
        return list(found.values())


_BUILT: dict[str, ListIdentities] = {}
_BUILT_LIMIT = 4


def identities_of(version: str, entries: Sequence[ListEntry]) -> ListIdentities:
    """The identity index of the lists of `version` (built once per version: the version names the
    content, and building takes a while for the full list)."""
    found = _BUILT.get(version)
    if found is None:
        if len(_BUILT) >= _BUILT_LIMIT:
            _BUILT.clear()
        found = _BUILT[version] = ListIdentities.build(entries)
    return found


@dataclass(frozen=True, slots=True)
class OwnerListMatch:
    """A possible list entry of a registry entity that is not evidence enough to call it listed."""

    entity_id: str
    entity_name: str
    basis: (
        str  # "strong name match without a link", "weak name match", "linked entry not in the loaded lists"
    )
    entry_id: str
    hit: ListHit | None = None

    def evidence(self) -> dict[str, Any]:
        """Why, the entry and (for a name match) the hit with its score, as decision evidence."""
        found: dict[str, Any] = {"basis": self.basis, "entry_id": self.entry_id}
        if self.hit is not None:
            found["list_hit"] = self.hit.evidence()
        return found


SDN_744_8 = "SDN:744.8"
"""The seed code of an SDN designated under a programme that 15 CFR 744.8(a)(1) lists (the Affiliates rule's
SDN seeds, regulation.md §4.2), beside the plain list code `SDN` that every SDN entry carries."""


def seed_codes(entries: Iterable[ListEntry], sdn_programs: frozenset[str]) -> frozenset[str]:
    """The codes the 50% rules seed from for an entity on `entries`: each entry's list code, plus
    `SDN_744_8` for an SDN entry designated under one of `sdn_programs` (its CSL programme tags)."""
    codes: set[str] = set()
    for entry in entries:
        codes.add(entry.source)
        if entry.source == "SDN" and {program.strip().upper() for program in entry.programs} & sdn_programs:
            codes.add(SDN_744_8)
    return frozenset(codes)


@dataclass(frozen=True, slots=True)
class OwnerListStatus:
    """What the lists say about one registry entity: the lists it is on by evidence, and what to review."""

    listed: frozenset[str]
    linked: tuple[str, ...]  # entry ids it is on by a link on its record
    identical: tuple[str, ...]  # entry ids it is by exact identity
    review: tuple[OwnerListMatch, ...]
    entries: tuple[ListEntry, ...] = ()  # the entries it is on by evidence (link or exact identity)


def owner_list_status(
    record: OwnershipRecord, identities: ListIdentities, hits: Sequence[ListHit]
) -> OwnerListStatus:
    """The list status of `record` from its links, exact identity, and the name matches of its names."""
    confirmed: dict[str, ListEntry] = {}
    review: list[OwnerListMatch] = []
    linked: list[str] = []
    for entry_id in record.list_entry_ids:
        entry = identities.by_id.get(entry_id)
        if entry is None:
            review.append(
                OwnerListMatch(
                    record.entity_id, record.name, "linked entry not in the loaded lists", entry_id
                )
            )
            continue
        confirmed[entry_id] = entry
        linked.append(entry_id)
    identical = [
        entry.entry_id for entry in identities.same_entity(record) if entry.entry_id not in confirmed
    ]
    for entry in identities.same_entity(record):
        confirmed.setdefault(entry.entry_id, entry)
    listed = frozenset(entry.source for entry in confirmed.values())
    for hit in hits:
        if hit.entry.entry_id in confirmed or hit.entry.source in listed:
            continue  # already on that list by evidence: a look-alike adds nothing
        basis = "strong name match without a link" if hit.strong else "weak name match"
        review.append(OwnerListMatch(record.entity_id, record.name, basis, hit.entry.entry_id, hit))
    return OwnerListStatus(listed, tuple(linked), tuple(identical), tuple(review), tuple(confirmed.values()))
