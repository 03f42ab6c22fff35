"""The pure decision engine: event + lists + ownership snapshot → decision. No I/O, no clock.

`ScreeningEngine.decide` classifies the items, profiles the parties (list hits, registry entity, ownership
findings) and evaluates the rules; `BatchContext` is what one batch shares (lists, ownership snapshot,
facts the service established about the batch such as reused event ids).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from screening.domain.addresses import AddressMatch
from screening.domain.calendar import boundary_days, rule_calendar
from screening.domain.catalogue import Catalogue
from screening.domain.classification import ClassificationRules, ItemResult, classify_item
from screening.domain.clearances import Clearances, party_identity
from screening.domain.dating import dating
from screening.domain.dependencies import Dependencies, address_query, name_query
from screening.domain.licensing import LicenceBook, Shortfall, effective_licences
from screening.domain.list_links import (
    ListIdentities,
    OwnerListMatch,
    OwnerListStatus,
    identities_of,
    owner_list_status,
    seed_codes,
)
from screening.domain.lists import ListHit, ListsFreshness
from screening.domain.model import Decision, Event, Item, Lease, Order, Outcome, Party, Reason, Versions
from screening.domain.names import MatchThresholds, NameIndex, ScreeningLists
from screening.domain.ownership import analyse
from screening.domain.profiles import OwnershipSnapshot, OwnershipStatus, PartyProfile, party_key
from screening.domain.reasons import ReasonCode
from screening.domain.registry import party_lookup_keys
from screening.domain.rules.addresses import AddressMatchParams
from screening.domain.rules.base import combine
from screening.domain.rules.destination import DestinationParams
from screening.domain.rules.integrity import EventDateParams
from screening.domain.rules.ownership import AffiliatesParams, OfacParams
from screening.domain.rules.registry import build_context, build_rules, evaluate
from screening.domain.ruleset import Ruleset

CACHE_LIMIT = 100_000


def decision_id_for(event_id: str, trigger: str, versions: Versions, as_of: date | None = None) -> str:
    """A deterministic decision id: the same event screened on the same data (and, for a rescreen, as of
    the same date) gets the same id."""
    parts = [event_id, trigger, versions.ruleset, versions.lists, versions.ownership]
    if as_of is not None:
        parts.append(as_of.isoformat())
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"dec-{digest[:24]}"


@dataclass
class BatchContext:
    """Data shared by all events of one batch: lists, ownership snapshot, and per-batch caches."""

    lists: ScreeningLists | None
    ownership: OwnershipSnapshot
    owner_status: dict[str, OwnerListStatus] | None = None
    """The list status of every registry entity of the batch, by evidence (computed once, on first need)."""
    owner_listed: dict[str, frozenset[str]] | None = None
    """The lists each listed registry entity of the batch is on (computed once, with `owner_status`)."""
    reused_event_ids: frozenset[str] = field(default_factory=frozenset)
    """Event ids the ledger saw before with different content (set by the service; EVENT_ID_REUSED)."""
    lists_max_age_hours: float | None = None
    """The oldest the lists may be (the service's setting; None: no limit). Older lists hold (LISTS_STALE)."""
    clearances: Clearances = field(default_factory=dict)
    """The batch's parties' cleared matches, by party identity and entry id (read by the service)."""
    licences: LicenceBook | None = None
    """What the licence store says about the batch's licences (None: no store, licences as stated)."""
    licence_shortfalls: Mapping[str, tuple[Shortfall, ...]] = field(default_factory=dict)
    """Draw-downs the balances could not cover, by event id (set by the service; LICENCE_EXHAUSTED)."""


class ScreeningEngine:
    """Pure decision-making: classify items, profile parties, evaluate rules, roll up the outcome."""

    def __init__(self, ruleset: Ruleset, catalogue: Catalogue) -> None:
        self.ruleset = ruleset
        self.catalogue = catalogue
        self.classification_rules: ClassificationRules = ruleset.classification
        self.ownership_policy = ruleset.ownership_policy
        self.rules = build_rules(ruleset)
        self._address_hold_at = ruleset.params(AddressMatchParams).hold_at
        self.address_floor = self._address_hold_at
        """The lowest score of an address match the engine looks at (the address rule's `hold_at`)."""
        self.calendar = rule_calendar(ruleset)
        self._boundaries = boundary_days(self.calendar)
        self._event_date = ruleset.params(EventDateParams)
        self._seed_lists = {
            "OFAC": ruleset.params(OfacParams).seed_lists,
            "BIS": ruleset.params(AffiliatesParams).seed_lists,
        }
        self._sdn_programs = frozenset(p.upper() for p in ruleset.params(AffiliatesParams).sdn_programs)
        # Recipients a country-group relief is limited to (the UAE supplement), matched like any list.
        destination = ruleset.params(DestinationParams)
        recipients = [recipient.entry() for recipient in destination.named_recipients]
        self._named_countries = frozenset(destination.named_recipients_from)
        self._named_recipients = (
            NameIndex.build(recipients, MatchThresholds(**ruleset.matching)) if recipients else None
        )
        # Parties and product lines repeat across a stream (the same lessors, buyers, SKUs): both caches
        # are pure functions of their keys, bounded, and the hit cache is dropped when the lists change.
        self._items_cache: dict[tuple[Item, date], ItemResult] = {}
        self._hits_cache: dict[tuple[tuple[str, ...], str | None], tuple[ListHit, ...]] = {}
        self._hits_version: str | None = None
        self._identities: tuple[str, ListIdentities] | None = None

    # ------------------------------------------------------------------------------------------------
    def decide(
        self,
        event: Event,
        context: BatchContext,
        decided_at: datetime,
        trigger: str = "event",
        as_of: date | None = None,
        cause: str | None = None,
    ) -> Decision:
        """Decide one event with the batch's lists and ownership snapshot.

        The rules apply as of the event's date or dates (`screening.domain.dating`): an order's ship date,
        each day of a lease's access period on which the rules differ (the strictest result counts), or,
        for a rescreen, no earlier than `as_of` (the rescreen's date; `cause` says what started it). The
        `DECISION_DATE` reason says which date and why whenever it is not the event's `occurred_at`, and on
        every rescreen.
        """
        dated = dating(event, self._event_date, self._boundaries, as_of, cause)
        # The addresses and the lists' age do not depend on the day the rules apply as of.
        address_hits = self._address_hits(event, context)
        freshness = self.lists_freshness(context, decided_at)
        results = [
            (day, *self._decide_on(event, context, day, address_hits, freshness)) for day in dated.dates
        ]
        # The strictest result; among equally strict ones, the earliest day it holds.
        chosen, reasons, outcome, items, _ = max(results, key=lambda found: found[2].severity)
        if (
            as_of is not None
            or len(results) > 1
            or chosen != event.occurred_at.date()
            or dated.mentions("ship_date")
        ):
            # Said whenever the date is not the event's occurred_at (a decision without it was made as of
            # that date, as the contract always had it).
            evidence = dated.evidence(chosen, [(day, found.value) for day, _, found, _, _ in results])
            reasons = [
                *reasons,
                Reason(
                    code=ReasonCode.DECISION_DATE,
                    outcome=Outcome.ALLOW,
                    message=f"decided as of {chosen.isoformat()}: {dated.why}",
                    evidence=evidence,
                ),
            ]
        versions = self.versions(context, decided_at)
        return Decision(
            decision_id=decision_id_for(event.event_id, trigger, versions, as_of),
            event_id=event.event_id,
            subject_kind=event.kind,
            subject_id=event.subject_id,
            outcome=outcome,
            reasons=tuple(reasons),
            items=tuple(result.classification for result in items),
            trigger=trigger,
            versions=versions,
            decided_at=decided_at,
            dependencies=self._dependencies(
                event, context, [p for *_, profiles in results for p in profiles], address_hits
            ),
        )

    def _dependencies(
        self,
        event: Event,
        context: BatchContext,
        profiles: Sequence[PartyProfile],
        address_hits: tuple[AddressMatch, ...],
    ) -> Dependencies:
        """What of the lists and the registry the decision read (`screening.domain.dependencies`)."""
        snapshot = context.ownership
        entries: set[str] = {e.entry_id for m in address_hits for e in m.hit.listed.entries}
        entities: set[str] = set()
        keys: set[str] = set()
        names: set[str] = set()
        for profile in profiles:
            party = profile.party
            names.add(name_query(party.names, party.country))
            entries.update(hit.entry.entry_id for hit in profile.hits)
            entries.update(hit.entry.entry_id for hit in profile.named_recipient_hits)
            if party.party_id:
                entities.add(party.party_id)
            else:
                keys.update(party_lookup_keys(party))
            resolved = snapshot.resolved.get(party_key(party))
            if resolved is not None:
                entities.update(snapshot.chain_ids(resolved))
        owners = context.owner_status or {}
        for entity_id in entities:
            record = snapshot.records.get(entity_id)
            if record is None:
                continue
            names.add(name_query(record.names, record.country))
            entries.update(record.list_entry_ids)
            status = owners.get(entity_id)
            if status is not None:
                entries.update(e.entry_id for e in status.entries)
                entries.update(m.entry_id for m in status.review)
        addresses = {address_query(p.address, p.country) for p in event.parties if p.address}
        if isinstance(event, Order) and event.ship_to_address:
            addresses.add(address_query(event.ship_to_address, event.ship_to_country))
        return Dependencies(
            entries=frozenset(entries),
            entities=frozenset(entities),
            registry_keys=frozenset(keys),
            names=frozenset(names),
            addresses=frozenset(addresses),
            always=context.lists is None or not snapshot.available,
        )

    def dated_before(self, event: Event, day: date) -> bool:
        """Whether `event` is decided as of a date before `day` (a rescreen on `day` can change it); an
        order whose ship date is `day` or later, or a lease starting then, is decided as of it already."""
        return dating(event, self._event_date, self._boundaries).dates[0] < day

    def _decide_on(
        self,
        event: Event,
        context: BatchContext,
        on: date,
        address_hits: tuple[AddressMatch, ...],
        freshness: ListsFreshness | None,
    ) -> tuple[list[Reason], Outcome, list[ItemResult], list[PartyProfile]]:
        """The reasons, outcome, classified lines and party profiles of `event` under the rules of `on`."""
        items = [self._classify(item, on) for item in event.items]
        profiles = [self._profile(party, context, on) for party in event.parties]
        counted = event
        if context.licences is not None and event.licences:
            # The rules count the licences as the store records them (`screening.domain.licensing`).
            places = [self.ruleset.countries.canonical(c) or "" for c in _destinations(event)]
            counted = replace(event, licences=effective_licences(event, items, context.licences, places, on))
        rule_context = build_context(
            counted,
            items,
            profiles,
            self.ruleset,
            on=on,
            lists_available=context.lists is not None,
            event_id_reused=event.event_id in context.reused_event_ids,
            licence_book=context.licences,
            claimed_licences=event.licences,
            licence_shortfalls=context.licence_shortfalls.get(event.event_id, ()),
            address_hits=address_hits,
            lists_freshness=freshness,
        )
        reasons, outcome = combine(event, evaluate(self.rules, rule_context))
        return reasons, outcome, items, profiles

    def versions(self, context: BatchContext, decided_at: datetime | None = None) -> Versions:
        """The versions a decision made in this context (at `decided_at`) names, with the lists' age."""
        freshness = self.lists_freshness(context, decided_at) if decided_at is not None else None
        return Versions(
            ruleset=self.ruleset.version,
            lists=context.lists.version if context.lists is not None else "unavailable",
            ownership=context.ownership.version,
            lists_as_of=_iso(freshness.as_of) if freshness is not None and freshness.as_of else None,
            lists_age_hours=freshness.age_hours if freshness is not None else None,
        )

    @staticmethod
    def lists_freshness(context: BatchContext, decided_at: datetime) -> ListsFreshness | None:
        """How old the context's lists are at `decided_at`, against the context's limit (None: no lists)."""
        if context.lists is None:
            return None
        return ListsFreshness.at(context.lists.as_of, decided_at, context.lists_max_age_hours)

    def _address_hits(self, event: Event, context: BatchContext) -> tuple[AddressMatch, ...]:
        """The ship-to address and every party address matched against the lists' addresses."""
        lists = context.lists
        if lists is None or lists.addresses is None:
            return ()
        index, floor = lists.addresses, self._address_hold_at
        found: list[AddressMatch] = []
        if isinstance(event, Order) and event.ship_to_address:
            for hit in index.match(event.ship_to_address, event.ship_to_country, floor=floor):
                found.append(AddressMatch("ship_to", None, hit))
        for party in event.parties:
            if party.address:
                for hit in index.match(party.address, party.country, floor=floor):
                    found.append(AddressMatch("party", party.role, hit))
        return tuple(found)

    # ------------------------------------------------------------------------------------------------
    def _classify(self, item: Item, on: date) -> ItemResult:
        key = (item, on)
        result = self._items_cache.get(key)
        if result is None:
            if len(self._items_cache) >= CACHE_LIMIT:
                self._items_cache.clear()
            result = self._items_cache[key] = classify_item(
                item, self.catalogue, self.classification_rules, on
            )
        return result

    def _hits(
        self, names: tuple[str, ...], country: str | None, lists: ScreeningLists
    ) -> tuple[ListHit, ...]:
        if self._hits_version != lists.version or len(self._hits_cache) >= CACHE_LIMIT:
            self._hits_cache.clear()
            self._hits_version = lists.version
        key = (names, country)
        hits = self._hits_cache.get(key)
        if hits is None:
            hits = self._hits_cache[key] = tuple(lists.index.match(names, country))
        return hits

    def _profile(self, party: Party, context: BatchContext, on: date) -> PartyProfile:
        hits = self._hits(party.names, party.country, context.lists) if context.lists is not None else ()
        status = context.ownership.status_for(party)
        entity = context.ownership.entity_for(party) if status is OwnershipStatus.KNOWN else None
        finding = None
        stale = False
        reviews: tuple[OwnerListMatch, ...] = ()
        if entity is not None:
            owners = self._owner_status(context)
            if context.owner_listed is None:
                context.owner_listed = {
                    entity_id: found.listed for entity_id, found in owners.items() if found.listed
                }
            finding = analyse(
                entity.entity_id,
                context.ownership.records,
                context.owner_listed,
                self.ownership_policy,
                self._seed_lists,
                as_of_date=on,
            )
            stale = bool(finding.stale_records)
            reviews = tuple(
                match
                for entity_id in finding.reached_ids[1:]  # the owners above the party, not the party itself
                if entity_id in owners
                for match in owners[entity_id].review
            )
        named: tuple[ListHit, ...] = ()
        if self._named_recipients is not None and party.country is not None:
            country = self.ruleset.countries.canonical(party.country)
            if country in self._named_countries:
                named = tuple(self._named_recipients.match(party.names, country))
        return PartyProfile(
            party=party,
            hits=hits,
            entity=entity,
            ownership_status=status,
            ownership=finding,
            stale=stale,
            owner_reviews=reviews,
            named_recipient_hits=named,
            clearances=context.clearances.get(party_identity(party), {}) if context.clearances else {},
        )

    def _owner_status(self, context: BatchContext) -> Mapping[str, OwnerListStatus]:
        """The list status of each registry entity of the batch: on a list only by a link on its record or
        by exact identity; its names' other matches are for review (`screening.domain.list_links`).

        Computed once per batch, on first need (the snapshot holds only this batch's ancestries).
        """
        if context.owner_status is None:
            lists = context.lists
            if lists is None:
                context.owner_status = {}
            else:
                identities = self._identities_of(lists)
                statuses = {
                    entity_id: owner_list_status(
                        record, identities, self._hits((record.name, *record.aliases), record.country, lists)
                    )
                    for entity_id, record in context.ownership.records.items()
                }
                # The 50% rules seed from list codes: an SDN of a §744.8(a)(1) programme also as SDN:744.8.
                programs = self._sdn_programs
                context.owner_status = {
                    entity_id: replace(found, listed=found.listed | seed_codes(found.entries, programs))
                    for entity_id, found in statuses.items()
                }
        return context.owner_status

    def _identities_of(self, lists: ScreeningLists) -> ListIdentities:
        if self._identities is None or self._identities[0] != lists.version:
            self._identities = (lists.version, identities_of(lists.version, lists.entries))
        return self._identities[1]


def _iso(moment: datetime) -> str:
    """`moment` as ISO 8601 with a Z for UTC."""
    return moment.isoformat().replace("+00:00", "Z")


def _destinations(event: Event) -> tuple[str, ...]:
    """Where an event's items go: an order's ship-to and end user's country, a lease's hardware country."""
    if isinstance(event, Order):
        end_user = event.end_user.country if event.end_user is not None else None
        return tuple(c for c in (event.ship_to_country, end_user) if c)
    if isinstance(event, Lease):
        return (event.hardware_country,) if event.hardware_country else ()
    return ()
