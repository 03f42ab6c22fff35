"""Destination, headquarters and item rules (R04, R05, R13, R14, R15), as of the event's date.

R04, R05, R13 and R14 speak about an export: an order, a dedicated lease, or a lease whose title passes
(`RuleContext.transfer`). R15 (GP10) applies to every dealing in a PRC-designed advanced IC, remote access
included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar

from screening.domain.catalogue import alias_key
from screening.domain.classification import ItemResult
from screening.domain.countries import CountryGroups
from screening.domain.lists import ListEntry
from screening.domain.model import Event, Item, Licence, Order, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.profiles import PartyProfile
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import (
    Leg,
    RuleContext,
    Scope,
    WatchedItem,
    d5_headquarters,
    licence_covers,
    licence_evidence,
    mentions,
)
from screening.domain.rules.inputs import Input


def _licensed(code: ReasonCode, line: str, eccn: str | None, destination: str, licence: Licence) -> Reason:
    return Reason(
        code=code,
        outcome=Outcome.ALLOW,
        line_id=line,
        message=f"{eccn} to {destination}: {licence.type} {licence.number} on file",
        evidence=licence_evidence(licence),
    )


def _on_or_after(start: date | None, on: date) -> bool:
    """Whether a dated parameter is absent or not after `on`."""
    return start is None or on >= start


# ----------------------------------------------------------------------------------------------------
# R14 first: its item box narrows which licences the other destination rules may count.


@dataclass(frozen=True, slots=True, kw_only=True)
class H200Params(RuleParams):
    """`[rules.h200_case_by_case]`: the item box and destinations of 91 FR 1684."""

    table: ClassVar[str] = "rules.h200_case_by_case"
    tpp_below: float
    dram_bandwidth_below_gbs: float
    destinations: tuple[str, ...]

    def box_to_china(self, result: ItemResult, leg: Leg, on: date) -> bool:
        """R14's item box (3A090.a, TPP < 21,000, DRAM bandwidth < 6,500 GB/s) going to China/Macau."""
        if not self.in_force(on) or not result.advanced_computing or result.paragraph != "a":
            return False
        tpp, bandwidth = result.tpp, result.memory_bandwidth_gbs
        if tpp is None or bandwidth is None:
            return False
        return (
            tpp < self.tpp_below
            and bandwidth < self.dram_bandwidth_below_gbs
            and leg.destination in self.destinations
        )


def direct_from_us(event: Event, leg: Leg) -> bool:
    """Whether `leg` is the direct export of an order from the United States."""
    return isinstance(event, Order) and not leg.onward and leg.origin in (None, "US")


@dataclass(frozen=True, slots=True)
class H200LicenceScope:
    """Under R14 a licence naming China/Macau for an H200-class item covers only the direct U.S. export."""

    params: H200Params

    def usable(self, event: Event, result: ItemResult, leg: Leg, on: date) -> tuple[Licence, ...]:
        """The licences that may cover `leg`: under R14 a licence does not stretch to a reexport."""
        if self.params.box_to_china(result, leg, on) and not direct_from_us(event, leg):
            return tuple(lic for lic in event.licences if lic.type != "license")
        return event.licences


# ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NamedRecipient:
    """One recipient a country-group relief is limited to (`[[rules.destination.named_recipients]]`)."""

    table: ClassVar[str] = "rules.destination.named_recipients"
    country: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "entity"  # "government" or "entity"

    def entry(self) -> ListEntry:
        """The recipient as a list entry, so that it is matched by name and alias like any list."""
        return ListEntry(
            entry_id=f"{self.country}:{self.name}",
            source=NAMED_RECIPIENTS,
            name=self.name,
            alt_names=self.aliases,
            countries=(self.country,),
            entry_type=self.kind,
        )


NAMED_RECIPIENTS = "NAMED_RECIPIENTS"
"""The list code of the ruleset's named recipients in match evidence."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationParams(RuleParams):
    """`[rules.destination]`: R04's window, its Oct-2022 scope, when NAC and ACA opened, and the country-group
    reliefs that reach only named recipients.

    `named_recipients_from` maps a country to the date from which its group change relieves only the
    recipients `named_recipients` names (91 FR 43034: the UAE joined A:5 on 10 Jul 2026 for the UAE
    government and the entities of a new supplement). Any other recipient there is screened as the day
    before that date.
    """

    table: ClassVar[str] = "rules.destination"
    legacy_until: date | None = None
    legacy_destinations: tuple[str, ...] = ()
    legacy_macau_from: date | None = None
    nac_from: date | None = None
    aca_from: date | None = None
    named_recipients_from: Mapping[str, date] = field(default_factory=dict)
    named_recipients: tuple[NamedRecipient, ...] = ()

    def __post_init__(self) -> None:
        stray = sorted({r.country for r in self.named_recipients} - set(self.named_recipients_from))
        if stray:
            raise ValueError(f"named_recipients of {stray[0]} but no named_recipients_from date for it")

    def relief_limited(self, destination: str | None, on: date) -> date | None:
        """The date from which `destination`'s relief reaches only named recipients, when in force on `on`."""
        since = self.named_recipients_from.get(destination or "")
        return since if since is not None and on >= since else None


class DestinationRule:
    """R04: 3A090/4A090/.z items to D:1, D:4, D:5 (not A:5/A:6) or Macau need a licence.

    Before 17 Nov 2023 the requirement covered China (and Macau from 17 Jan 2023) only and no licence
    exception existed; NAC dates from 17 Nov 2023 and ACA from 4 Apr 2024 (before that the NAC
    notification was the route for D:1/D:4 too).
    """

    rule_id: ClassVar[str] = "R04"
    name: ClassVar[str] = "destination"
    title: ClassVar[str] = "Licence requirement for advanced-computing items by destination"
    citation: ClassVar[str] = (
        "15 CFR 742.6(a)(6), 740.8, 740.2(a)(9); 87 FR 62186; 88 FR 2821; 88 FR 73458; 89 FR 23876"
    )
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ITEM_CLASSIFICATION,
        Input.SHIP_TO,
        Input.PARTY_COUNTRY,
        Input.HARDWARE_COUNTRY,
        Input.LICENCES,
        Input.EVENT_DATE,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.DEST_ADV_COMPUTE,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = DestinationParams

    def __init__(self, params: DestinationParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per advanced-computing line and licence destination it goes to."""
        if not context.transfer.is_export or not self.params.in_force(context.on):
            return []
        return [
            reason
            for result in context.items
            for leg in context.transfer.legs
            for reason in self._leg(context, result, leg)
        ]

    def _leg(self, context: RuleContext, result: ItemResult, leg: Leg) -> list[Reason]:
        params, countries, on = self.params, context.countries, context.on
        eccn = result.classification.eccn
        destination = leg.destination
        if not result.advanced_computing:
            return []
        line = result.classification.line_id
        legacy = params.legacy_until is not None and on <= params.legacy_until
        relief: Reason | date | None = None
        if legacy:
            # 87 FR 62186 (Oct 2022) and 88 FR 2821 (Macau, 17 Jan 2023).
            scope = set(params.legacy_destinations)
            if params.legacy_macau_from is not None and on >= params.legacy_macau_from:
                scope.add(countries.macau)
            if destination not in scope:
                return []
            d5 = True
        else:
            relief = self._relief(context, result, destination)
            if isinstance(relief, Reason):
                return [relief]
            # A recipient the relief does not name is screened with the country's groups of the day before.
            groups_on = relief or on
            if not countries.needs_advanced_computing_licence(destination, groups_on):
                return []
            d5 = countries.is_d5_or_macau(destination, groups_on)
        review = countries.in_review_window(destination, on)
        if review is not None:
            d5 = False  # unsettled D:5 status: treat as D:1 and flag (hold below)
        licences = context.licences.usable(context.event, result, leg, on)
        nac_open = not legacy and _on_or_after(params.nac_from, on)
        aca_open = not legacy and _on_or_after(params.aca_from, on)
        route = f" (onward from {leg.origin} to the end user)" if leg.onward else ""
        evidence: dict[str, object] = {"destination": destination, "eccn": eccn}
        if leg.onward:
            evidence["route"] = {"from": leg.origin, "to": destination, "onward": True}
        hbm_note = "; 3A090.c (HBM) is not eligible for NAC or ACA" if result.paragraph == "c" else ""
        if d5:
            allowed = ["license"]
            if result.nac_eligible and nac_open:
                allowed.append("NAC")
            licence = licence_covers(licences, eccn, destination, on, allowed)
            if licence is not None:
                return [_licensed(ReasonCode.DEST_ADV_COMPUTE, line, eccn, destination, licence)]
            nac_note = " or a NAC notification" if "NAC" in allowed else ""
            scope_note = "China/Macau scope before 17 Nov 2023" if legacy else "D:5/Macau"
            return [
                Reason(
                    code=ReasonCode.DEST_ADV_COMPUTE,
                    outcome=Outcome.DENY,
                    line_id=line,
                    message=(
                        f"{eccn} to {destination}{route} ({scope_note}) needs a licence{nac_note}; none on "
                        f"file (15 CFR 742.6(a)(6)){hbm_note}"
                    ),
                    evidence={**evidence, "group": "CN_MO_2022" if legacy else "D5_OR_MACAU"},
                )
            ]
        allowed = ["license"]
        exception = None
        if result.aca_eligible and aca_open:
            exception = "ACA"
        elif result.aca_eligible and nac_open:
            exception = "NAC"
        if exception is not None:
            allowed.append(exception)
        licence = licence_covers(licences, eccn, destination, on, allowed)
        if licence is not None:
            return [_licensed(ReasonCode.DEST_ADV_COMPUTE, line, eccn, destination, licence)]
        exception_note = f" or licence exception {exception}" if exception else ""
        message = (
            f"{eccn} to {destination}{route} (D:1/D:4, not A:5/A:6) needs a licence{exception_note}; "
            f"none on file (15 CFR 742.6(a)(6)){hbm_note}"
        )
        evidence["group"] = "D1_D4"
        if not legacy and relief is not None:
            named = params.named_recipients_from[destination]
            message += (
                f"; from {named.isoformat()} only {destination}'s named recipients (its government and the "
                f"entities of the supplement) are relieved, and {', '.join(self._unnamed(context))} is not "
                "one of them: screened as before that date"
            )
            evidence["named_recipients_only"] = {
                "since": named.isoformat(),
                "not_named": self._unnamed(context),
            }
        if review is not None:
            message += f"; {destination}'s D:5 status is changing on {review.effective.isoformat()}: review"
            evidence["country_group_review"] = review.evidence()
        return [
            Reason(
                code=ReasonCode.DEST_ADV_COMPUTE,
                outcome=Outcome.HOLD,
                line_id=line,
                message=message,
                evidence=evidence,
            )
        ]

    def _relief(self, context: RuleContext, result: ItemResult, destination: str) -> Reason | date | None:
        """How a relief limited to named recipients applies to `destination`: None when there is none; an
        explanation (allow) when every recipient is named; else the day before the relief, whose country
        groups the line is screened with."""
        since = self.params.relief_limited(destination, context.on)
        if since is None:
            return None
        unnamed = self._unnamed(context)
        if unnamed:
            return since - timedelta(days=1)
        matched = [
            {"party_role": p.party.role, **hit.evidence()}
            for p in context.transfer.recipients
            for hit in p.named_recipient_hits
            if hit.strong
        ]
        return Reason(
            code=ReasonCode.DEST_ADV_COMPUTE,
            outcome=Outcome.ALLOW,
            line_id=result.classification.line_id,
            message=(
                f"{result.classification.eccn} to {destination}: every recipient is named among those "
                f"{destination}'s country-group change of {since.isoformat()} relieves (its government and "
                "the entities of the supplement): no licence needed for the destination"
            ),
            evidence={
                "destination": destination,
                "eccn": result.classification.eccn,
                "named_recipients_only": {"since": since.isoformat(), "matched": matched},
            },
        )

    @staticmethod
    def _unnamed(context: RuleContext) -> list[str]:
        """Roles of the recipients (buyer, end user, lessee) no named recipient strongly matches."""
        return [
            p.party.role
            for p in context.transfer.recipients
            if not any(hit.strong for hit in p.named_recipient_hits)
        ]


class H200CaseByCaseRule:
    """R14 (91 FR 1684): H200-class items to China/Macau, case by case only when exported from the U.S.

    The box: 3A090.a/4A090.a with TPP below 21,000 and DRAM bandwidth below 6,500 GB/s. The rule changes
    a licence review policy, so it only speaks where a licence is on file: for a direct export from
    the U.S. the licence clears the line (the certifications are its conditions); for a reexport from
    a third country or an in-country transfer abroad, which stay under presumption of denial, a licence
    naming China/Macau is taken as the one granted for the U.S. export and does not cover the move.
    Without a licence R04/R05 decide (deny, or allow under NAC for a NAC-eligible item).
    """

    rule_id: ClassVar[str] = "R14"
    name: ClassVar[str] = "h200_case_by_case"
    title: ClassVar[str] = "Case-by-case review for H200-class exports from the U.S. to China/Macau"
    citation: ClassVar[str] = "91 FR 1684 (15 Jan 2026)"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ITEM_CLASSIFICATION,
        Input.ITEM_BANDWIDTH,
        Input.SHIP_TO,
        Input.SHIP_FROM,
        Input.LICENCES,
        Input.EVENT_DATE,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.H200_CASE_BY_CASE,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = H200Params

    def __init__(self, params: H200Params) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per H200-class line and China/Macau leg with a licence on file."""
        if not context.transfer.is_export:
            return []
        return [
            reason
            for result in context.items
            for leg in context.transfer.legs
            for reason in self._leg(context, result, leg)
        ]

    def _leg(self, context: RuleContext, result: ItemResult, leg: Leg) -> list[Reason]:
        event, on = context.event, context.on
        if not self.params.box_to_china(result, leg, on):
            return []
        destination = leg.destination
        line = result.classification.line_id
        eccn = result.classification.eccn
        evidence: dict[str, object] = {
            "tpp": result.tpp,
            "dram_bandwidth_gbs": result.memory_bandwidth_gbs,
            "origin": leg.origin,
            "destination": destination,
        }
        licence = licence_covers(event.licences, eccn, destination, on, ["license"])
        if licence is None:
            return []
        evidence.update(licence_evidence(licence))
        if direct_from_us(event, leg):
            return [
                Reason(
                    code=ReasonCode.H200_CASE_BY_CASE,
                    outcome=Outcome.ALLOW,
                    line_id=line,
                    message=(
                        f"{result.model or eccn} exported from the U.S. to {destination} under licence "
                        f"{licence.number} (case-by-case policy of 91 FR 1684; its certifications are "
                        "conditions of the licence)"
                    ),
                    evidence=evidence,
                )
            ]
        path = "in-country transfer abroad" if leg.origin == destination else f"reexport from {leg.origin}"
        return [
            Reason(
                code=ReasonCode.H200_CASE_BY_CASE,
                outcome=Outcome.DENY,
                line_id=line,
                message=(
                    f"{result.model or eccn} to {destination} by {path}: presumption of denial (91 FR 1684); "
                    f"licence {licence.number}, granted under the case-by-case policy for exports from the "
                    "U.S., does not cover it"
                ),
                evidence=evidence,
            )
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadquartersParams(RuleParams):
    """`[rules.headquarters]`: when the D:5/Macau headquarters requirement applies."""

    table: ClassVar[str] = "rules.headquarters"


class HeadquartersRule:
    """R05: items for an entity headquartered (or with an ultimate parent) in D:5 or Macau.

    Any party counts (buyer, consignee, end user, intermediaries, lessee), through its ultimate parent.
    Applies wherever the items go outside the United States (BIS guidance of 31 May 2026). A country
    whose D:5 status is unsettled on the date (Cambodia, Nov 2025 - Feb 2026) holds instead of denying.
    """

    rule_id: ClassVar[str] = "R05"
    name: ClassVar[str] = "headquarters"
    title: ClassVar[str] = "Items for a party headquartered, or ultimately owned, in D:5 or Macau"
    citation: ClassVar[str] = (
        "15 CFR 742.6(a)(6)(iii)(A) (formerly 744.23(a)(3)); BIS guidance of 31 May 2026"
    )
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ITEM_CLASSIFICATION,
        Input.PARTY_HEADQUARTERS,
        Input.ULTIMATE_PARENT,
        Input.SHIP_TO,
        Input.HARDWARE_COUNTRY,
        Input.LICENCES,
        Input.EVENT_DATE,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.HQ_OR_PARENT_D5,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = HeadquartersParams

    def __init__(self, params: HeadquartersParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per advanced-computing line and party headquartered (or parented) in D:5/Macau."""
        if not context.transfer.is_export:
            return []
        return [reason for result in context.items for reason in self._item(context, result)]

    def _item(self, context: RuleContext, result: ItemResult) -> list[Reason]:
        countries, on = context.countries, context.on
        abroad = [leg for leg in context.transfer.legs if leg.destination != "US"]
        if not result.advanced_computing or not self.params.in_force(on) or not abroad:
            return []
        eccn = result.classification.eccn
        reasons: list[Reason] = []
        for profile in context.profiles:  # every party: buyer, end user, intermediaries, lessee
            claimed = d5_headquarters(profile, countries, on)
            hq = claimed or profile.headquarters_country
            parent_hq = profile.ultimate_parent_hq_country
            hq_hit = claimed is not None
            parent_hit = countries.is_d5_or_macau(parent_hq, on)
            if not hq_hit and not parent_hit:
                continue
            allowed = ["license", "NAC"] if result.nac_eligible else ["license"]
            licence = next(
                (
                    found
                    for leg in abroad
                    if (
                        found := licence_covers(
                            context.licences.usable(context.event, result, leg, on),
                            eccn,
                            leg.destination,
                            on,
                            allowed,
                        )
                    )
                    is not None
                ),
                None,
            )
            party = profile.party
            if parent_hit and profile.ownership is not None and profile.ownership.ultimate_parent is not None:
                parent = profile.ownership.ultimate_parent
                hit_country = parent_hq
                why = (
                    f"{party.role}'s ultimate parent {parent.name} is headquartered in "
                    f"{countries.canonical(parent_hq)}"
                )
                evidence: dict[str, object] = {"ultimate_parent": parent.evidence()}
            else:
                hit_country = hq
                why = f"{party.role} {party.name!r} is headquartered in {countries.canonical(hq)}"
                evidence = {"headquarters_country": hq}
            line = result.classification.line_id
            if licence is not None:
                reasons.append(
                    Reason(
                        code=ReasonCode.HQ_OR_PARENT_D5,
                        outcome=Outcome.ALLOW,
                        party_role=party.role,
                        line_id=line,
                        message=f"{why}; {licence.type} {licence.number} on file for {eccn}",
                        evidence={**evidence, **licence_evidence(licence)},
                    )
                )
                continue
            review = countries.in_review_window(hit_country, on)
            if review is not None:
                reasons.append(
                    Reason(
                        code=ReasonCode.HQ_OR_PARENT_D5,
                        outcome=Outcome.HOLD,
                        party_role=party.role,
                        line_id=line,
                        message=(
                            f"{why}, whose D:5 status is unsettled until {review.effective.isoformat()}: "
                            f"{eccn} may need a licence wherever it ships; review"
                        ),
                        evidence={**evidence, "country_group_review": review.evidence()},
                    )
                )
                continue
            reasons.append(
                Reason(
                    code=ReasonCode.HQ_OR_PARENT_D5,
                    outcome=Outcome.DENY,
                    party_role=party.role,
                    line_id=line,
                    message=f"{why}; {eccn} needs a licence wherever it ships (15 CFR 742.6(a)(6)(iii)(A))",
                    evidence=evidence,
                )
            )
        return reasons


@dataclass(frozen=True, slots=True, kw_only=True)
class IsInformedParams(RuleParams):
    """`[rules.is_informed]`: the models named in is-informed notices (with aliases), the destinations they
    name, and the H20's bandwidths: a chip reaching either is caught too."""

    table: ClassVar[str] = "rules.is_informed"
    models: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]]
    destinations: tuple[str, ...]
    reference_memory_bandwidth_gbs: float
    reference_interconnect_gbs: float

    def __post_init__(self) -> None:
        stray = sorted(set(self.aliases) - set(self.models))
        if stray:
            raise ValueError(f"aliases name {stray[0]!r}, which is not one of the models")

    def watch(self, line: Item, result: ItemResult) -> WatchedItem | None:
        """Why `line` falls under the notice: a named model (by catalogue row, product name or alias) or,
        for a chip outside 3A090, a memory or interconnect bandwidth at or above the H20's."""
        if result.model is not None:
            for model in self.models:
                if model.casefold() == result.model.casefold():
                    return WatchedItem(model, "catalogue model", {"model": model})
        products = (line.product, *(accelerator.product for accelerator in line.accelerators))
        product_keys = [alias_key(product) for product in products]
        for model in self.models:
            for name in (model, *self.aliases.get(model, ())):
                wanted = alias_key(name)
                for key in product_keys:
                    if wanted and _contains(key, wanted):
                        return WatchedItem(model, "product name", {"model": model, "named_as": name})
        if result.advanced_computing:
            return None  # 3A090/4A090/.z: the stricter advanced-computing rules apply
        memory, interconnect = result.memory_bandwidth_gbs, result.interconnect_gbs
        reference = self.reference_memory_bandwidth_gbs
        if memory is not None and memory >= reference:
            return WatchedItem(
                f"{result.model or line.product}",
                "memory bandwidth",
                {"memory_bandwidth_gbs": memory, "h20_memory_bandwidth_gbs": reference},
            )
        reference = self.reference_interconnect_gbs
        if interconnect is not None and interconnect >= reference:
            return WatchedItem(
                f"{result.model or line.product}",
                "interconnect bandwidth",
                {"interconnect_gbs": interconnect, "h20_interconnect_gbs": reference},
            )
        return None

    def bandwidth_unknown(self, result: ItemResult, watched: WatchedItem | None) -> bool:
        """Whether the bandwidth test cannot be told for a line: an accelerator outside 3A090 (it has a
        TPP), not otherwise reached, whose memory bandwidth is unknown."""
        return (
            watched is None
            and not result.advanced_computing
            and result.tpp is not None
            and result.memory_bandwidth_gbs is None
        )


def _d5_claims(profile: PartyProfile, countries: CountryGroups, on: date) -> str | None:
    """The D:5/Macau country that puts `profile` under the headquarters test: a stated headquarters, else
    its ultimate parent's."""
    claimed = d5_headquarters(profile, countries, on)
    if claimed is not None:
        return claimed
    parent = profile.ultimate_parent_hq_country
    return parent if countries.is_d5_or_macau(parent, on) else None


def _settled_d5(profile: PartyProfile, countries: CountryGroups, on: date) -> bool:
    """Whether `profile` is headquartered (or ultimately owned) in D:5/Macau through a country whose D:5
    status is not under review on `on`."""
    claims = [c for c in profile.headquarters_claims if countries.is_d5_or_macau(c, on)]
    parent = profile.ultimate_parent_hq_country
    if countries.is_d5_or_macau(parent, on):
        claims.append(parent or "")
    return any(countries.in_review_window(c, on) is None for c in claims)


def _contains(tokens: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether `wanted` appears as a contiguous run of `tokens`."""
    size = len(wanted)
    return any(tokens[start : start + size] == wanted for start in range(len(tokens) - size + 1))


class IsInformedRule:
    """R13: lines an is-informed notice reaches (the H20 from 9 Apr 2025, the MI308/MI309, and chips at or
    above the H20's memory or interconnect bandwidth) to China/D:5, or for any party headquartered (or
    ultimately owned) there. Which lines it reaches is worked out once per event (`RuleContext.watched`).
    """

    rule_id: ClassVar[str] = "R13"
    name: ClassVar[str] = "is_informed"
    title: ClassVar[str] = "Models named in a BIS is-informed notice, and chips reaching the H20's bandwidth"
    citation: ClassVar[str] = "BIS is-informed letter of 9 Apr 2025 (NVIDIA 8-K of 15 Apr 2025)"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ITEM_MODEL,
        Input.ITEM_BANDWIDTH,
        Input.SHIP_TO,
        Input.PARTY_COUNTRY,
        Input.HARDWARE_COUNTRY,
        Input.PARTY_HEADQUARTERS,
        Input.ULTIMATE_PARENT,
        Input.LICENCES,
        Input.EVENT_DATE,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.IS_INFORMED_WATCHLIST,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = IsInformedParams

    def __init__(self, params: IsInformedParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per watched line going to China/D:5 or for a party headquartered there."""
        if not context.transfer.is_export or not self.params.in_force(context.on):
            return []
        return [
            reason
            for result, watched in zip(context.items, context.watched, strict=True)
            if watched is not None
            for reason in self._item(context, result, watched)
        ]

    def _item(self, context: RuleContext, result: ItemResult, watched: WatchedItem) -> list[Reason]:
        countries, on, transfer, event = context.countries, context.on, context.transfer, context.event
        named = set(self.params.destinations)
        hits = [d for d in transfer.destinations if d in named or countries.is_d5_or_macau(d, on)]
        destination = hits[0] if hits else countries.canonical(transfer.destination)
        hq_parties = [
            p
            for p in context.profiles
            if d5_headquarters(p, countries, on) is not None
            or countries.is_d5_or_macau(p.ultimate_parent_hq_country, on)
        ]
        if not hits and not hq_parties:
            return []
        # A country whose D:5 status is unsettled on the date (Cambodia, 7 Nov 2025 - 2 Feb 2026) is treated
        # as D:1 and flagged, as R04 and R05 do: when it is the only reason the notice reaches the line, hold.
        settled = [d for d in hits if d in named or countries.in_review_window(d, on) is None] + [
            p.party.role for p in hq_parties if _settled_d5(p, countries, on)
        ]
        review = None
        if not settled:
            unsettled = [*hits, *(_d5_claims(p, countries, on) for p in hq_parties)]
            review = next(
                (found for c in unsettled if (found := countries.in_review_window(c, on)) is not None), None
            )
        licence = licence_covers(
            event.licences, result.classification.eccn or "is-informed", destination, on, ["license"]
        )
        if licence is None:
            licence = next(
                (
                    lic
                    for lic in event.licences
                    if lic.type == "license"
                    and lic.eccn is None
                    and lic.destination == destination
                    and (lic.valid_until is None or on <= lic.valid_until)
                ),
                None,
            )
        line = result.classification.line_id
        model_name = watched.model
        if licence is not None:
            return [
                Reason(
                    code=ReasonCode.IS_INFORMED_WATCHLIST,
                    outcome=Outcome.ALLOW,
                    line_id=line,
                    message=f"{model_name}: licence {licence.number} on file",
                    evidence=licence_evidence(licence),
                )
            ]
        if watched.basis in ("catalogue model", "product name"):
            what = model_name
            evidence: dict[str, object] = {"model": model_name, "destination": destination}
        else:
            what = f"{model_name} (its {watched.basis} reaches the H20's)"
            evidence = {"model": model_name, "destination": destination, "basis": watched.basis}
        if watched.basis != "catalogue model":
            evidence.update(watched.evidence)
        if not hits:
            evidence["headquartered_parties"] = [p.party.role for p in hq_parties]
        if review is not None:
            evidence["country_group_review"] = review.evidence()
            return [
                Reason(
                    code=ReasonCode.IS_INFORMED_WATCHLIST,
                    outcome=Outcome.HOLD,
                    line_id=line,
                    message=(
                        f"{what}: the notice reaches it only through {review.country}, whose D:5 status is "
                        f"unsettled until {review.effective.isoformat()} (treated as D:1): review"
                    ),
                    evidence=evidence,
                )
            ]
        return [
            Reason(
                code=ReasonCode.IS_INFORMED_WATCHLIST,
                outcome=Outcome.DENY,
                line_id=line,
                message=(
                    f"{what} needs a licence to {destination} or for parties headquartered in "
                    "D:5/Macau (BIS is-informed notice of 9 Apr 2025)"
                ),
                evidence=evidence,
            )
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrcAdvancedIcParams(RuleParams):
    """`[rules.prc_advanced_ic]`: the GP10 guidance's date, the models it names, and the words of its
    exception."""

    table: ClassVar[str] = "rules.prc_advanced_ic"
    models: tuple[str, ...]
    evaluation_words: tuple[str, ...]

    def named(self, line: Item, result: ItemResult) -> str | None:
        """The guidance's model `line` is (its catalogue model or product name contains the model's name as
        a run of words: "Ascend 910B" names the 910B1-910B4 and the 910B Pro), or None."""
        texts = [text for text in (result.model, line.product) if text]
        texts.extend(accelerator.product for accelerator in line.accelerators)
        for model in self.models:
            wanted = alias_key(model)
            if wanted and any(_contains(alias_key(text), wanted) for text in texts):
                return model
        return None


class PrcAdvancedIcRule:
    """R15: PRC-designed 3A090-level ICs under the General Prohibition 10 guidance of 13 May 2025.

    The guidance names the Ascend 910B, 910C and 910D (`[rules.prc_advanced_ic] models`) as likely produced
    in breach of the EAR: dealing in one is denied, or held when declared for evaluation only (the
    guidance's exception). Another PRC-designed IC that meets 3A090 (the 2019 Ascend 910, the Hanguang 800)
    is within the guidance's scope ("any PRC-designed 3A090 IC", regulation.md §5.4) but not named: whether
    it was produced in breach (e.g. fabricated before the 2020 Huawei foreign-direct-product rule) is a fact
    to establish, so it is held for review, never denied on the designer's nationality alone. Any dealing
    counts, remote access included, so this rule does not need an export.
    """

    rule_id: ClassVar[str] = "R15"
    name: ClassVar[str] = "prc_advanced_ic"
    title: ClassVar[str] = "PRC-designed advanced-computing ICs (General Prohibition 10 guidance)"
    citation: ClassVar[str] = "BIS GP10 guidance of 13 May 2025; 15 CFR 736.2(b)(10)"
    inputs: ClassVar[tuple[Input, ...]] = (Input.ITEM_MODEL, Input.DECLARED_USE, Input.EVENT_DATE)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.PRC_ADV_IC_GP10,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = PrcAdvancedIcParams

    def __init__(self, params: PrcAdvancedIcParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """Deny each named PRC advanced IC (hold when declared for evaluation only); hold other PRC-designed
        3A090 ICs for review."""
        if not self.params.in_force(context.on):
            return []
        return [
            reason
            for line, result in zip(context.event.items, context.items, strict=True)
            for reason in self._item(context, line, result)
        ]

    def _item(self, context: RuleContext, line: Item, result: ItemResult) -> list[Reason]:
        if not result.prc_designed or not result.advanced_computing:
            return []
        end_use = context.declared_use
        line_id = result.classification.line_id
        named = self.params.named(line, result)
        what = result.model or line.product
        evidence: dict[str, object] = {
            "model": result.model,
            "named_in_guidance": named,
            "eccn": result.classification.eccn,
            "declared_use": end_use or None,
        }
        if named is None:
            return [
                Reason(
                    code=ReasonCode.PRC_ADV_IC_GP10,
                    outcome=Outcome.HOLD,
                    line_id=line_id,
                    message=(
                        f"{what} is a PRC-designed IC that meets {result.classification.eccn} but is not one "
                        f"the GP10 guidance names ({', '.join(self.params.models)}): whether it was produced "
                        "in breach of the EAR needs review"
                    ),
                    evidence=evidence,
                )
            ]
        if mentions(end_use, self.params.evaluation_words):
            return [
                Reason(
                    code=ReasonCode.PRC_ADV_IC_GP10,
                    outcome=Outcome.HOLD,
                    line_id=line_id,
                    message=(
                        f"{what} ({named}, named in the GP10 guidance): declared for evaluation only; the "
                        "guidance's exception needs review"
                    ),
                    evidence=evidence,
                )
            ]
        return [
            Reason(
                code=ReasonCode.PRC_ADV_IC_GP10,
                outcome=Outcome.DENY,
                line_id=line_id,
                message=(
                    f"{what} ({named}) is a PRC 3A090-level IC the GP10 guidance names: dealing in it risks "
                    "General Prohibition 10 (BIS guidance of 13 May 2025)"
                ),
                evidence=evidence,
            )
        ]
