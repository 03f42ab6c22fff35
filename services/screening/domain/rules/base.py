"""What every rule shares: the `Rule` protocol, the context it reads, and how reasons make an outcome.

A rule reads one `RuleContext` (the event, its classified items, its party profiles, the physical
transfer it makes, the date the rules apply and the per-date facts the engine worked out) and returns
reasons. It never sees the other rules' reasons: the order of the registry changes the order in which
reasons are listed, never what any rule finds. `combine` is the one place that turns the reasons of all
rules into the decision's reasons and outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar, Protocol

from screening.domain.addresses import AddressMatch
from screening.domain.classification import ItemResult
from screening.domain.countries import CountryGroups
from screening.domain.licensing import LicenceBook, Shortfall
from screening.domain.lists import ListPolicy, ListsFreshness
from screening.domain.model import Event, Lease, Licence, Order, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.profiles import PartyProfile
from screening.domain.reasons import ReasonCode
from screening.domain.rules.inputs import Input


class Scope(StrEnum):
    """Which events a rule's findings count on.

    `movement` rules are about goods or access moving: on an order `cancel` or a lease `terminate` without
    title transfer nothing moves and their findings are dropped. `parties` rules are about who the parties
    and items are: their findings are kept for the record on such events, downgraded to `allow`. `event`
    rules are about the event or the data it was decided on: their findings always count as they are.
    """

    MOVEMENT = "movement"
    PARTIES = "parties"
    EVENT = "event"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoParameters(RuleParams):
    """The parameters of a rule that reads nothing from the ruleset file (no table)."""

    table: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class Leg:
    """One movement of the items: from `origin` to `destination` (countries as the EAR treats them).

    An order has one leg to its ship-to country, and a second, onward leg when the named end user is in
    another country (the items are destined there: the export is also a reexport to that country).
    """

    origin: str | None
    destination: str
    onward: bool = False


@dataclass(frozen=True, slots=True)
class Transfer:
    """Where the items physically go and to whom: the export view of an order or a dedicated lease."""

    destination: str | None  # physical destination country; None for remote access (no export)
    recipients: tuple[PartyProfile, ...]  # buyer/end user, or lessee/end user
    is_export: bool
    legs: tuple[Leg, ...] = ()

    @property
    def destinations(self) -> tuple[str, ...]:
        """Every country the items are destined to, physical ship-to first."""
        return tuple(leg.destination for leg in self.legs)


def transfer_of(event: Event, profiles: Sequence[PartyProfile], countries: CountryGroups) -> Transfer:
    """The physical transfer an event makes: orders ship; dedicated leases hand over control (R16)."""
    canonical = countries.canonical
    if isinstance(event, Order):
        recipients = tuple(p for p in profiles if p.party.role in ("buyer", "end_user"))
        ship_to = canonical(event.ship_to_country)
        legs: list[Leg] = []
        if ship_to is not None:
            legs.append(Leg(origin=canonical(event.ship_from_country), destination=ship_to))
        onward = canonical(event.end_user.country) if event.end_user is not None else None
        if onward is not None and onward != ship_to:
            legs.append(Leg(origin=ship_to, destination=onward, onward=True))
        return Transfer(
            destination=event.ship_to_country, recipients=recipients, is_export=True, legs=tuple(legs)
        )
    recipients = tuple(p for p in profiles if p.party.role in ("lessee", "end_user"))
    if event.access == "dedicated" or event.title_transfer:
        where = canonical(event.hardware_country)
        # The hardware stays where it is and changes hands there: an in-country transfer abroad.
        lease_legs = (Leg(origin=where, destination=where),) if where is not None else ()
        return Transfer(
            destination=event.hardware_country, recipients=recipients, is_export=True, legs=lease_legs
        )
    return Transfer(destination=None, recipients=recipients, is_export=False)


@dataclass(frozen=True, slots=True)
class WatchedItem:
    """A line an is-informed notice reaches (R13): which model (or chip), and on what basis."""

    model: str
    basis: str  # "catalogue model", "product name", "memory bandwidth", "interconnect bandwidth"
    evidence: Mapping[str, object]


class LicenceScope(Protocol):
    """Which licences on file may cover a leg (R14 limits a China licence to direct U.S. exports)."""

    def usable(self, event: Event, result: ItemResult, leg: Leg, on: date) -> tuple[Licence, ...]:
        """The licences that may cover `leg` of `result`."""
        ...


class AnyLicence:
    """Every licence on file may cover every leg (no rule narrows them)."""

    def usable(self, event: Event, result: ItemResult, leg: Leg, on: date) -> tuple[Licence, ...]:
        """All of the event's licences."""
        return event.licences


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may read about one event, as values.

    `on` is the date the rules apply. `regimes_in_force` names the ownership regimes (`OFAC`, `BIS`)
    whose 50% rule is in force on `on`. `licences` narrows the licences on file to those that may cover
    a leg. `watched` says, line by line (aligned with `items`), whether an is-informed notice in force on
    `on` reaches it, and `bandwidth_unknown` whether that cannot be told (an accelerator outside 3A090
    whose memory bandwidth is unknown). `lists_available` is False when no control lists were loaded.
    """

    event: Event
    on: date
    items: tuple[ItemResult, ...]
    profiles: tuple[PartyProfile, ...]
    transfer: Transfer
    countries: CountryGroups
    list_policy: ListPolicy
    regimes_in_force: frozenset[str] = frozenset()
    licences: LicenceScope = field(default_factory=AnyLicence)
    watched: tuple[WatchedItem | None, ...] = ()
    bandwidth_unknown: tuple[bool, ...] = ()
    lists_available: bool = True
    event_id_reused: bool = False
    address_hits: tuple[AddressMatch, ...] = ()
    """The event's addresses (ship-to, parties') that match listed addresses, at the hold threshold."""
    lists_freshness: ListsFreshness | None = None
    """The lists' age against the service's limit (None without lists)."""
    licence_book: LicenceBook | None = None
    """What the licence store says about the licences the event names (None: no store consulted, the
    licences count as the event states them)."""
    claimed_licences: tuple[Licence, ...] = ()
    """The licences as the event names them (`event.licences` holds what the rules count)."""
    licence_shortfalls: tuple[Shortfall, ...] = ()
    """Draw-downs of this event the licences' balances could not cover (LICENCE_EXHAUSTED)."""
    _controlled: tuple[ItemResult, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.watched:
            object.__setattr__(self, "watched", (None,) * len(self.items))
        if not self.bandwidth_unknown:
            object.__setattr__(self, "bandwidth_unknown", (False,) * len(self.items))
        # Most rules ask for the controlled lines: found once per context, not once per rule.
        controlled = tuple(
            result
            for result, watched, unknown in zip(self.items, self.watched, self.bandwidth_unknown, strict=True)
            if result.advanced_computing or watched is not None or unknown
        )
        object.__setattr__(self, "_controlled", controlled)

    @property
    def advanced(self) -> bool:
        """Whether any line is an advanced-computing item (3A090 / 4A090 / .z)."""
        return any(result.advanced_computing for result in self.items)

    @property
    def controlled(self) -> tuple[ItemResult, ...]:
        """Lines under a licence requirement by what they are, or that may be: 3A090 / 4A090 / .z (GP10
        ICs included), lines an is-informed notice in force reaches, and accelerators whose bandwidth is
        unknown while one is in force. Missing inputs of a rule about them are held."""
        return self._controlled

    @property
    def declared_use(self) -> str:
        """The free-text end use (orders) or purpose (leases) the caller declared."""
        return declared_use(self.event)

    @property
    def nothing_moves(self) -> bool:
        """An order cancel, or a lease termination without title transfer: no goods or access move."""
        return nothing_moves(self.event)


class Rule(Protocol):
    """One rule of the catalogue: what it needs, what it may say, and `evaluate`.

    `rule_id` is the catalogue number (`R04`), `name` a short identifier, `citation` its legal basis,
    `inputs` the event and profile fields it reads, `codes` every reason code it may return, `scope`
    which events its findings count on. `Params` is its typed parameter class (`NoParameters` when it
    has none); the registry builds each rule from `Params` parsed from the ruleset. A completeness rule
    also names the inputs whose absence it holds (`guards`); the generated rule documentation reads it.
    """

    rule_id: ClassVar[str]
    name: ClassVar[str]
    title: ClassVar[str]
    citation: ClassVar[str]
    inputs: ClassVar[tuple[Input, ...]]
    codes: ClassVar[tuple[ReasonCode, ...]]
    scope: ClassVar[Scope]
    Params: ClassVar[type[Parameters]]

    def __init__(self, params: Any) -> None: ...

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """The reasons this rule finds for the event (empty when it has nothing to say)."""
        ...


def combine(event: Event, findings: Sequence[tuple[Scope, Sequence[Reason]]]) -> tuple[list[Reason], Outcome]:
    """The decision's reasons and outcome from every rule's findings, in registry order.

    The outcome is the most severe reason's (deny > hold > allow). On an event where nothing moves (an
    order cancel, a lease termination without title transfer) movement findings are dropped and findings
    about the parties are kept for the record but downgraded to `allow`, their outcome kept in
    `evidence.outcome_if_active`; findings about the event itself count as they are.
    """
    inactive = nothing_moves(event)
    reasons: list[Reason] = []
    for scope, found in findings:
        if inactive and scope is Scope.MOVEMENT:
            continue
        if inactive and scope is Scope.PARTIES:
            reasons.extend(_informational(reason) for reason in found if reason.outcome is not Outcome.ALLOW)
            continue
        reasons.extend(found)
    return reasons, Outcome.most_severe([reason.outcome for reason in reasons])


def _informational(reason: Reason) -> Reason:
    return Reason(
        code=reason.code,
        outcome=Outcome.ALLOW,
        message=f"(no goods or access move on this event) {reason.message}",
        party_role=reason.party_role,
        line_id=reason.line_id,
        evidence={**reason.evidence, "outcome_if_active": reason.outcome.value},
    )


def nothing_moves(event: Event) -> bool:
    """An order cancel, or a lease termination without title transfer."""
    if isinstance(event, Order):
        return event.action == "cancel"
    return event.action == "terminate" and not event.title_transfer


# ----------------------------------------------------------------------------------------------------
# Helpers several rules share


def d5_headquarters(profile: PartyProfile, countries: CountryGroups, on: date) -> str | None:
    """A headquarters country claimed for the party that is in D:5 or Macau on `on`, if any."""
    return next((claim for claim in profile.headquarters_claims if countries.is_d5_or_macau(claim, on)), None)


def licence_covers(
    licences: Sequence[Licence], eccn: str | None, destination: str | None, on: date, types: Sequence[str]
) -> Licence | None:
    """The first licence of an allowed type naming this ECCN (or its parent), destination and date."""
    if eccn is None or destination is None:
        return None
    for licence in licences:
        if licence.type not in types or licence.eccn is None or licence.destination is None:
            continue
        if not (eccn == licence.eccn or eccn.startswith(licence.eccn.rstrip(".") + ".")):
            continue
        if licence.destination.upper() != destination.upper():
            continue
        if licence.valid_from is not None and on < licence.valid_from:
            continue
        if licence.valid_until is not None and on > licence.valid_until:
            continue
        return licence
    return None


def licence_evidence(licence: Licence) -> dict[str, object]:
    """A licence as decision evidence."""
    return {
        "licence": {
            "number": licence.number,
            "type": licence.type,
            "eccn": licence.eccn,
            "destination": licence.destination,
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        }
    }


def declared_use(event: Event) -> str:
    """The free-text end use (orders) or purpose (leases) the caller declared."""
    return (event.end_use if isinstance(event, Order) else event.purpose) or ""


@lru_cache(maxsize=4096)  # the terms come from the ruleset: a few hundred patterns, built once each
def _word_start(word: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(word.casefold())}")


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    word = term.casefold()
    return re.compile(rf"\b{re.escape(word[:-1])}" if word.endswith("*") else rf"\b{re.escape(word)}\b")


def mentions(text: str, words: Sequence[str]) -> bool:
    """Whether `text` contains any of `words` (case-insensitive, whole words or phrases)."""
    folded = text.casefold()
    return any(_word_start(str(word)).search(folded) for word in words)


def mentions_terms(text: str, terms: Sequence[str]) -> str | None:
    """The first of `terms` that `text` mentions as a whole word or phrase (case-insensitive; a term
    ending in `*` matches any ending: "weapon*" finds "weapons" and "weaponry"), or None. Typographic
    apostrophes count as straight ones."""
    folded = text.casefold().replace("\u2019", "'")
    for term in terms:
        if _term_pattern(str(term)).search(folded):
            return str(term)
    return None


def is_lease(event: Event) -> bool:
    """Whether `event` is a lease (for rules that only speak about leases)."""
    return isinstance(event, Lease)
