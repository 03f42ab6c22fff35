"""What the rules know about each party: list hits, registry entity, ownership findings, headquarters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from screening.domain.clearances import Clearance
from screening.domain.list_links import OwnerListMatch
from screening.domain.lists import ListHit
from screening.domain.model import Party
from screening.domain.ownership import OwnershipFinding, OwnershipRecord


class OwnershipStatus(StrEnum):
    """How much the service knows about a party's owners."""

    KNOWN = "known"  # a registry record was found and its owners are known
    NOT_FOUND = "not_found"  # the registry has no record for the party
    UNAVAILABLE = "unavailable"  # the registry could not be read (Redis down): fail closed
    INVALID = "invalid"  # a stored record the party's chain touches fails validation: fail closed


@dataclass(frozen=True, slots=True)
class OwnershipSnapshot:
    """The registry records a batch needs, as read in one go, and how each party resolved.

    `resolved` maps a party key (see `party_key`) to a registry entity id. `available` is False when the
    registry could not be read; every party is then `UNAVAILABLE`. `invalid` maps the id of every stored
    record that failed validation when it was read to what is wrong with it: such a record is not in
    `records`, and a party whose ownership chain reaches it is `INVALID`.
    """

    records: Mapping[str, OwnershipRecord]
    resolved: Mapping[str, str]
    available: bool
    version: str
    error: str | None = None
    invalid: Mapping[str, str] = field(default_factory=dict)

    def entity_for(self, party: Party) -> OwnershipRecord | None:
        """The registry record tied to `party`, if any."""
        entity_id = self.resolved.get(party_key(party))
        return self.records.get(entity_id) if entity_id is not None else None

    def status_for(self, party: Party) -> OwnershipStatus:
        """Known, not found, unavailable, or invalid (the chain reaches a record that fails validation)."""
        if not self.available:
            return OwnershipStatus.UNAVAILABLE
        if self.invalid and self.invalid_records_for(party):
            return OwnershipStatus.INVALID
        return OwnershipStatus.KNOWN if self.entity_for(party) is not None else OwnershipStatus.NOT_FOUND

    def invalid_records_for(self, party: Party) -> dict[str, str]:
        """The invalid records (id → problem) the party's entity or any of its owners, at any depth, is."""
        entity_id = self.resolved.get(party_key(party))
        if entity_id is None or not self.invalid:
            return {}
        return {i: self.invalid[i] for i in self.chain_ids(entity_id) if i in self.invalid}

    def chain_ids(self, entity_id: str) -> list[str]:
        """The entity and every owner above it, at any depth, nearest first: owners named without a record
        (or with an invalid one, which is not in `records`) are reached, and nothing above them is."""
        seen = {entity_id: None}
        frontier = [entity_id]
        while frontier:  # every id is visited once: cycles stop, the walk is bounded by the snapshot
            upward: list[str] = []
            for current in frontier:
                record = self.records.get(current)
                for owner in record.owners if record is not None else ():
                    if owner.entity_id not in seen:
                        seen[owner.entity_id] = None
                        upward.append(owner.entity_id)
            frontier = upward
        return list(seen)


def party_key(party: Party) -> str:
    """A stable key for a party within a batch: its registry id when given, else name and country."""
    if party.party_id:
        return f"id:{party.party_id}"
    return f"name:{party.name.casefold().strip()}|{(party.country or '').upper()}"


@dataclass(frozen=True, slots=True)
class PartyProfile:
    """Everything the rules use about one party."""

    party: Party
    hits: tuple[ListHit, ...]
    entity: OwnershipRecord | None
    ownership_status: OwnershipStatus
    ownership: OwnershipFinding | None
    stale: bool = False
    owner_reviews: tuple[OwnerListMatch, ...] = ()
    """Possible list entries of the party's owners that are not evidence enough to call them listed."""
    named_recipient_hits: tuple[ListHit, ...] = ()
    """Matches of the party's names on the ruleset's named recipients of its country (the UAE government
    and the UAE supplement's entities: R04), matched like any list."""
    clearances: Mapping[str, Clearance] = field(default_factory=dict)
    """The party's cleared matches, by list entry id (reviewers found them false positives)."""

    @property
    def headquarters_country(self) -> str | None:
        """Where the party is headquartered: stated, else the registry's, else where it is located."""
        if self.party.hq_country:
            return self.party.hq_country
        if self.entity is not None and self.entity.headquarters_country:
            return self.entity.headquarters_country
        return self.party.country

    @property
    def headquarters_claims(self) -> tuple[str, ...]:
        """Every headquarters country somebody states for the party (the event, the registry record), or,
        when nobody does, where it is located. The rules act on any of them: a producer cannot talk a
        registry's China headquarters away by stating another country."""
        stated = [c for c in (self.party.hq_country, self.entity.hq_country if self.entity else None) if c]
        if stated:
            return tuple(dict.fromkeys(stated))
        fallback = self.headquarters_country
        return (fallback,) if fallback else ()

    @property
    def stated_headquarters(self) -> str | None:
        """Headquarters somebody states: the event's `hq_country`, else the registry record's; never the
        location taken for it."""
        if self.party.hq_country:
            return self.party.hq_country
        if self.entity is not None and self.entity.hq_country:
            return self.entity.hq_country
        return None

    @property
    def ultimate_parent_hq_country(self) -> str | None:
        """Headquarters country of the top of the majority-ownership chain, if it goes above the party."""
        if self.ownership is None or self.ownership.ultimate_parent is None:
            return None
        return self.ownership.ultimate_parent.headquarters_country
