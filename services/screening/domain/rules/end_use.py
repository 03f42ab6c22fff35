"""End-use rules and red flags (R18, R19): what the event declares or shows about the use and the route."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from screening.domain.model import Lease, Order, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope, d5_headquarters, mentions, mentions_terms
from screening.domain.rules.inputs import Input

# "3e26 FLOP", "3 x 10^26 FLOP", "3×10²⁶ operations": a declared training-compute estimate. A number is
# only tried from its first digit (the look-behind): a run of n digits costs O(n), not O(n²).
_FLOP_ESTIMATE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:e\+?|[x×*]\s*10\s*\^?\s*)(\d+)\s*(?:flop|flops|operations|ops)\b",
    re.IGNORECASE,
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
FLOP_ESTIMATE_CAP = 1e40
"""A declared figure at or above this is read as this: far above any threshold, and always a finite float."""


def flop_estimate(text: str) -> float | None:
    """The largest training-compute estimate declared in `text` ("3e26 FLOP", "3 x 10^26 FLOP")."""
    found = [
        _capped_flop(mantissa, exponent)
        for mantissa, exponent in _FLOP_ESTIMATE.findall(text.translate(_SUPERSCRIPTS))
    ]
    return max(found) if found else None


def _capped_flop(mantissa: str, exponent: str) -> float:
    """mantissa × 10^exponent, capped at `FLOP_ESTIMATE_CAP` before it can overflow."""
    if len(exponent.lstrip("0")) > 2:  # 10^100 and beyond
        return FLOP_ESTIMATE_CAP
    value = float(mantissa) * float(10 ** int(exponent))
    return min(value, FLOP_ESTIMATE_CAP)


@dataclass(frozen=True, slots=True, kw_only=True)
class AiTrainingParams(RuleParams):
    """`[rules.ai_training]`: the policy statement's date and the words that declare training or a ban."""

    table: ClassVar[str] = "rules.ai_training"
    training_words: tuple[str, ...]
    prohibited_end_use_words: tuple[str, ...]
    innocent_phrases: tuple[str, ...] = ()
    """Phrases read out of the declared use before the prohibited words are looked for: a prohibited word
    that is also an everyday word in them ("PLA filament" is a plastic, not the People's Liberation Army)."""


def without_phrases(text: str, phrases: Sequence[str]) -> str:
    """`text` with every whole-word mention of `phrases` blanked (case-insensitive; a phrase ending in `*`
    takes any ending of its last word), so that the words inside them are not read on their own."""
    folded = text.casefold().replace("\u2019", "'")
    for phrase in phrases:
        word = str(phrase).casefold()
        pattern = rf"\b{re.escape(word[:-1])}\w*" if word.endswith("*") else rf"\b{re.escape(word)}\b"
        folded = re.sub(pattern, " ", folded)
    return folded


class AiTrainingRule:
    """R18: declared AI training with advanced compute, for military/WMD ends or D:5/Macau parties."""

    rule_id: ClassVar[str] = "R18"
    name: ClassVar[str] = "ai_training_end_use"
    title: ClassVar[str] = "Declared AI training for prohibited end uses or D:5/Macau-headquartered parties"
    citation: ClassVar[str] = "15 CFR 744.6, 744.22, 744.23; BIS policy statement of 13 May 2025"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.DECLARED_USE,
        Input.ITEM_CLASSIFICATION,
        Input.PARTY_HEADQUARTERS,
        Input.ULTIMATE_PARENT,
        Input.EVENT_DATE,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.AI_TRAINING_END_USE,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = AiTrainingParams

    def __init__(self, params: AiTrainingParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """Deny a declared military/WMD training use; hold training for D:5/Macau-headquartered recipients."""
        declared = context.declared_use
        countries, on = context.countries, context.on
        if not self.params.in_force(on) or not context.advanced:
            return []
        if not mentions(declared, self.params.training_words):
            return []
        term = mentions_terms(
            without_phrases(declared, self.params.innocent_phrases), self.params.prohibited_end_use_words
        )
        if term is not None:
            return [
                Reason(
                    code=ReasonCode.AI_TRAINING_END_USE,
                    outcome=Outcome.DENY,
                    message=(
                        "declared AI training for a military, military-intelligence or WMD end use "
                        f"({term!r}): a licence is required (15 CFR 744.6, 744.22, 744.23; BIS policy "
                        "statement of 13 May 2025)"
                    ),
                    evidence={"declared_use": declared, "matched_term": term},
                )
            ]
        reasons: list[Reason] = []
        for profile in context.transfer.recipients:
            hq = d5_headquarters(profile, countries, on)
            parent_hq = profile.ultimate_parent_hq_country
            country = hq if hq is not None else parent_hq
            if not countries.is_d5_or_macau(country, on):
                continue
            evidence: dict[str, object] = {
                "declared_use": declared,
                "headquarters_or_parent_country": country,
            }
            review = countries.in_review_window(country, on)
            if review is not None:  # Cambodia 7 Nov 2025 - 2 Feb 2026: D:1 and flagged, as R04/R05
                evidence["country_group_review"] = review.evidence()
            reasons.append(
                Reason(
                    code=ReasonCode.AI_TRAINING_END_USE,
                    outcome=Outcome.HOLD,
                    party_role=profile.party.role,
                    message=(
                        f"declared AI training for {profile.party.role} {profile.party.name!r}, "
                        f"headquartered (or ultimately owned) in {countries.canonical(country)}: "
                        "check the end use "
                        "and end user (BIS policy statement of 13 May 2025)"
                    ),
                    evidence=evidence,
                )
            )
        return reasons


@dataclass(frozen=True, slots=True, kw_only=True)
class LargeTrainingRunParams(RuleParams):
    """`[rules.large_training_run]`: the 4E091 compute threshold and what a run above it decides."""

    table: ClassVar[str] = "rules.large_training_run"
    flop_threshold: float
    outcome: Outcome
    note: str


class LargeTrainingRunRule:
    """Log a declared training run at or above the 4E091 compute threshold (10^26 operations).

    Red Flag 28 of the AI Diffusion rule asked IaaS providers to act on such runs; the rule has not
    been enforced since 13 May 2025, so the ruleset's outcome for the flag is `allow`: it is recorded
    for review, not acted on.
    """

    rule_id: ClassVar[str] = "R18/R19 (RF28)"
    name: ClassVar[str] = "large_training_run"
    title: ClassVar[str] = "A declared training run at or above 10^26 operations (4E091, Red Flag 28)"
    citation: ClassVar[str] = "90 FR 4544; BIS announcement of 13 May 2025"
    inputs: ClassVar[tuple[Input, ...]] = (Input.DECLARED_USE, Input.ITEM_CLASSIFICATION, Input.EVENT_DATE)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LARGE_TRAINING_RUN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = LargeTrainingRunParams

    def __init__(self, params: LargeTrainingRunParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """The flag (with the ruleset's outcome) when a lease declares a run at or above the threshold."""
        event = context.event
        if not isinstance(event, Lease) or not self.params.in_force(context.on) or not context.advanced:
            return []
        declared = context.declared_use
        estimate = flop_estimate(declared)
        threshold = self.params.flop_threshold
        if estimate is None or estimate < threshold:
            return []
        return [
            Reason(
                code=ReasonCode.LARGE_TRAINING_RUN,
                outcome=self.params.outcome,
                party_role="lessee",
                message=(
                    f"declared training compute {estimate:.1e} operations is at or above {threshold:.0e} "
                    f"(ECCN 4E091 / Red Flag 28): logged; {self.params.note}"
                ),
                evidence={
                    "declared_use": declared,
                    "estimated_operations": estimate,
                    "threshold": threshold,
                    "lessee_headquarters": event.lessee.hq_country
                    or next(
                        (
                            p.headquarters_country
                            for p in context.transfer.recipients
                            if p.party.role == "lessee"
                        ),
                        None,
                    ),
                },
            )
        ]


@dataclass(frozen=True, slots=True)
class RedFlagParams:
    """`[red_flags]`: the declared roles that mark an intermediary as a forwarder or a reseller."""

    table: ClassVar[str] = "red_flags"
    forwarder_roles: frozenset[str] = field(default_factory=frozenset)
    reseller_roles: frozenset[str] = field(default_factory=frozenset)


def _advanced_order(context: RuleContext) -> Order | None:
    """The order, when the event is an order with an advanced-computing line (R19's scope)."""
    event = context.event
    return event if isinstance(event, Order) and context.advanced else None


class ForwarderFinalDestinationRule:
    """R19: a freight forwarder is named as the ship-to or final destination."""

    rule_id: ClassVar[str] = "R19"
    name: ClassVar[str] = "rf_freight_forwarder_final_destination"
    title: ClassVar[str] = "Red flag: a freight forwarder is the final destination"
    citation: ClassVar[str] = "Supp. No. 3 to Part 732"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_ROLE, Input.PARTY_COUNTRY, Input.SHIP_TO)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.RF_FREIGHT_FORWARDER_FINAL_DEST,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = RedFlagParams

    def __init__(self, params: RedFlagParams) -> None:
        self._roles = frozenset(role.casefold() for role in params.forwarder_roles)

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold per forwarder that is the end user or sits in the ship-to country."""
        order = _advanced_order(context)
        if order is None:
            return []
        ship_to = context.countries.canonical(order.ship_to_country)
        reasons: list[Reason] = []
        for forwarder in order.intermediaries:
            if (forwarder.party_role_detail or "").casefold() not in self._roles:
                continue
            final = order.end_user is None or order.end_user.name.casefold() == forwarder.name.casefold()
            if final or context.countries.canonical(forwarder.country) == ship_to:
                reasons.append(
                    Reason(
                        code=ReasonCode.RF_FREIGHT_FORWARDER_FINAL_DEST,
                        outcome=Outcome.HOLD,
                        party_role="intermediary",
                        message=(
                            f"freight forwarder {forwarder.name!r} is the ship-to / final destination "
                            "(Supp. No. 3 to Part 732)"
                        ),
                        evidence={"forwarder": forwarder.name, "ship_to_country": ship_to},
                    )
                )
        return reasons


class ShipToMismatchRule:
    """R19: the ship-to country is neither the buyer's nor the end user's."""

    rule_id: ClassVar[str] = "R19"
    name: ClassVar[str] = "rf_ship_to_mismatch"
    title: ClassVar[str] = "Red flag: ship-to country differs from the buyer's and the end user's"
    citation: ClassVar[str] = "Supp. No. 3 to Part 732; BIS diversion guidance of 13 May 2025"
    inputs: ClassVar[tuple[Input, ...]] = (Input.SHIP_TO, Input.PARTY_COUNTRY)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.RF_SHIP_TO_MISMATCH,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = RedFlagParams

    def __init__(self, params: RedFlagParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold when the goods ship to a third country without explanation."""
        order = _advanced_order(context)
        if order is None:
            return []
        canonical = context.countries.canonical
        ship_to = canonical(order.ship_to_country)
        buyer_country = canonical(order.buyer.country)
        end_user_country = canonical(order.end_user.country) if order.end_user else None
        if not (ship_to and buyer_country and ship_to != buyer_country and ship_to != end_user_country):
            return []
        return [
            Reason(
                code=ReasonCode.RF_SHIP_TO_MISMATCH,
                outcome=Outcome.HOLD,
                message=(
                    f"ship-to country {ship_to} differs from the buyer's ({buyer_country}) and the end "
                    "user's country without explanation"
                ),
                evidence={"ship_to_country": ship_to, "buyer_country": buyer_country},
            )
        ]


class ResellerEndUserRule:
    """R19: the named end user is a reseller, so the real end user is not named."""

    rule_id: ClassVar[str] = "R19"
    name: ClassVar[str] = "rf_reseller_end_user"
    title: ClassVar[str] = "Red flag: the end user is a reseller or distributor"
    citation: ClassVar[str] = "Supp. No. 3 to Part 732"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_ROLE,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.RF_RESELLER_END_USER,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = RedFlagParams

    def __init__(self, params: RedFlagParams) -> None:
        self._roles = frozenset(role.casefold() for role in params.reseller_roles)

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold when the end user declares a reseller role."""
        order = _advanced_order(context)
        if order is None or order.end_user is None:
            return []
        if (order.end_user.party_role_detail or "").casefold() not in self._roles:
            return []
        return [
            Reason(
                code=ReasonCode.RF_RESELLER_END_USER,
                outcome=Outcome.HOLD,
                party_role="end_user",
                message=f"end user {order.end_user.name!r} is a reseller: the real end user is not named",
            )
        ]


class IntermediaryHeadquartersRule:
    """R19: an intermediary states headquarters in D:5 or Macau."""

    rule_id: ClassVar[str] = "R19"
    name: ClassVar[str] = "rf_intermediary_d5_headquarters"
    title: ClassVar[str] = "Red flag: an intermediary is headquartered in D:5/Macau"
    citation: ClassVar[str] = "BIS diversion guidance of 13 May 2025"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_HEADQUARTERS,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.RF_AC_D5_HQ_OR_TIES,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = RedFlagParams

    def __init__(self, params: RedFlagParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold per intermediary whose stated headquarters are in D:5/Macau."""
        order = _advanced_order(context)
        if order is None:
            return []
        return [
            Reason(
                code=ReasonCode.RF_AC_D5_HQ_OR_TIES,
                outcome=Outcome.HOLD,
                party_role="intermediary",
                message=f"intermediary {intermediary.name!r} is headquartered in D:5/Macau",
            )
            for intermediary in order.intermediaries
            if context.countries.is_d5_or_macau(intermediary.hq_country, context.on)
        ]
