"""The rule registry: every rule of the catalogue, in the one order their reasons are listed.

The order changes only the order of reasons in a decision, never what a rule finds: each rule reads the
same `RuleContext` and none sees another's reasons. Adding a rule is one line here (and its class in its
family module, its parameters in `ruleset.toml`, its codes in `ReasonCode`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

from screening.domain.addresses import AddressMatch
from screening.domain.classification import ItemResult
from screening.domain.countries import CountryGroups
from screening.domain.licensing import LicenceBook, Shortfall
from screening.domain.lists import ListPolicy, ListsFreshness
from screening.domain.model import Event, Licence, Reason
from screening.domain.parameters import Parameters
from screening.domain.profiles import PartyProfile
from screening.domain.rules.addresses import AddressMatchRule
from screening.domain.rules.base import NoParameters, Rule, RuleContext, Scope, transfer_of
from screening.domain.rules.classification import ItemClassificationRule
from screening.domain.rules.completeness import (
    AccessModeUnknownRule,
    BandwidthUnknownRule,
    DestinationUnknownRule,
    HardwareLocationUnknownRule,
    OriginUnknownRule,
    PartyLocationUnknownRule,
    UltimateParentUnknownRule,
)
from screening.domain.rules.destination import (
    DestinationRule,
    H200CaseByCaseRule,
    H200LicenceScope,
    H200Params,
    HeadquartersRule,
    IsInformedParams,
    IsInformedRule,
    PrcAdvancedIcRule,
)
from screening.domain.rules.end_use import (
    AiTrainingRule,
    ForwarderFinalDestinationRule,
    IntermediaryHeadquartersRule,
    LargeTrainingRunRule,
    ResellerEndUserRule,
    ShipToMismatchRule,
)
from screening.domain.rules.integrity import (
    EventDateParams,
    EventDateRule,
    EventIdReusedRule,
    ListsStaleRule,
    ListsUnavailableRule,
)
from screening.domain.rules.leases import LeaseTransferRule, LifecycleRule, RemoteAccessRule
from screening.domain.rules.licences import LicenceOnFileRule
from screening.domain.rules.ownership import (
    AffiliatesParams,
    AffiliatesRule,
    OfacFiftyPercentRule,
    OfacParams,
    OwnerListReviewRule,
    OwnershipDataRule,
    SignificantMinorityRule,
    UnknownShareRule,
)
from screening.domain.rules.parties import ListedPartyRule, NameObfuscatedRule, PartyUnidentifiedRule

P = TypeVar("P", bound=Parameters)


class Ruleset(Protocol):
    """What the registry reads from the ruleset (`screening.domain.ruleset.Ruleset`, which imports this
    module for `parameter_classes`: a protocol here keeps the two modules from importing each other)."""

    @property
    def countries(self) -> CountryGroups: ...

    @property
    def list_policy(self) -> ListPolicy: ...

    def params(self, cls: type[P]) -> P: ...


RULES: tuple[type[Rule], ...] = (
    # who the parties and items are (kept for the record when nothing moves)
    ItemClassificationRule,
    ListedPartyRule,
    NameObfuscatedRule,
    PartyUnidentifiedRule,
    AddressMatchRule,
    OwnershipDataRule,
    OfacFiftyPercentRule,
    AffiliatesRule,
    UnknownShareRule,
    SignificantMinorityRule,
    OwnerListReviewRule,
    # what moves where, to whom
    LeaseTransferRule,
    DestinationRule,
    H200CaseByCaseRule,
    HeadquartersRule,
    IsInformedRule,
    PrcAdvancedIcRule,
    RemoteAccessRule,
    AiTrainingRule,
    LargeTrainingRunRule,
    ForwarderFinalDestinationRule,
    ShipToMismatchRule,
    ResellerEndUserRule,
    IntermediaryHeadquartersRule,
    LicenceOnFileRule,
    # inputs the rules above need
    DestinationUnknownRule,
    OriginUnknownRule,
    PartyLocationUnknownRule,
    UltimateParentUnknownRule,
    HardwareLocationUnknownRule,
    AccessModeUnknownRule,
    BandwidthUnknownRule,
    # the event itself
    LifecycleRule,
    ListsUnavailableRule,
    ListsStaleRule,
    EventIdReusedRule,
    EventDateRule,
)


def parameter_classes() -> tuple[type[Parameters], ...]:
    """The parameter class of every registered rule that reads a ruleset table (each once)."""
    found: dict[str, type[Parameters]] = {}
    for rule in RULES:
        if rule.Params is not NoParameters:
            found.setdefault(rule.Params.table, rule.Params)
    return tuple(found.values())


def build_rules(ruleset: Ruleset) -> tuple[Rule, ...]:
    """Every registered rule, built with its parameters from `ruleset`, in registry order."""
    return tuple(rule(ruleset.params(rule.Params)) for rule in RULES)


def build_context(
    event: Event,
    items: Sequence[ItemResult],
    profiles: Sequence[PartyProfile],
    ruleset: Ruleset,
    *,
    on: date | None = None,
    lists_available: bool = True,
    event_id_reused: bool = False,
    address_hits: tuple[AddressMatch, ...] = (),
    lists_freshness: ListsFreshness | None = None,
    licence_book: LicenceBook | None = None,
    claimed_licences: tuple[Licence, ...] = (),
    licence_shortfalls: tuple[Shortfall, ...] = (),
) -> RuleContext:
    """The context the rules read for `event`, with the per-date facts worked out from `ruleset`.

    `on` defaults to the event's decision date (`decision_date`)."""
    when = on or decision_date(event, ruleset)
    regimes = {
        regime
        for regime, window in (
            ("OFAC", ruleset.params(OfacParams)),
            ("BIS", ruleset.params(AffiliatesParams)),
        )
        if window.in_force(when)
    }
    informed = ruleset.params(IsInformedParams)
    in_force = informed.in_force(when)
    watched = tuple(
        informed.watch(line, result) if in_force else None
        for line, result in zip(event.items, items, strict=True)
    )
    bandwidth_unknown = tuple(
        in_force and informed.bandwidth_unknown(result, seen)
        for result, seen in zip(items, watched, strict=True)
    )
    return RuleContext(
        event=event,
        on=when,
        items=tuple(items),
        profiles=tuple(profiles),
        transfer=transfer_of(event, profiles, ruleset.countries),
        countries=ruleset.countries,
        list_policy=ruleset.list_policy,
        regimes_in_force=frozenset(regimes),
        licences=H200LicenceScope(ruleset.params(H200Params)),
        watched=watched,
        bandwidth_unknown=bandwidth_unknown,
        lists_available=lists_available,
        event_id_reused=event_id_reused,
        address_hits=address_hits,
        lists_freshness=lists_freshness,
        licence_book=licence_book,
        claimed_licences=claimed_licences,
        licence_shortfalls=licence_shortfalls,
    )


def decision_date(event: Event, ruleset: Ruleset) -> date:
    """The date the rules apply to `event`: its `occurred_at`, or the later of that and `received_at` when
    the two are implausibly far apart (`[rules.event_date]`)."""
    return ruleset.params(EventDateParams).decision_date(event)


def evaluate(rules: Sequence[Rule], context: RuleContext) -> list[tuple[Scope, Sequence[Reason]]]:
    """Every rule's findings on `context`, with the scope that says how they count."""
    return [(rule.scope, rule.evaluate(context)) for rule in rules]
