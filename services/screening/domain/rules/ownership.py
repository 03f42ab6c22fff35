"""Ownership rules (R09–R12): who owns each party, and what the service does not know about it.

The ownership analysis (fixed-point 50% rule per regime, multiplicative exposure, unknown shares, ultimate
parent) runs once per party before the rules (`screening.domain.ownership.analyse`); these rules turn its
findings into reasons by the event's date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from screening.domain.list_links import OwnerListMatch
from screening.domain.model import Lease, Outcome, Reason
from screening.domain.ownership import OwnershipPolicy
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.profiles import OwnershipStatus, PartyProfile
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope
from screening.domain.rules.inputs import Input


@dataclass(frozen=True, slots=True, kw_only=True)
class OfacParams(RuleParams):
    """`[rules.ofac_50]`: when OFAC's 50 Percent Rule applies and which lists seed it."""

    table: ClassVar[str] = "rules.ofac_50"
    seed_lists: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class AffiliatesParams(RuleParams):
    """`[rules.affiliates]`: the BIS Affiliates rule's window, its suspension, and the lists that seed it.

    The rule's seeds are the Entity List, the MEU List and SDNs designated under the programmes 15 CFR
    744.8(a)(1) lists, not every SDN (regulation.md §4.2): `sdn_programs` are those programmes' CSL tags,
    and an SDN entry carrying one seeds as `SDN:744.8` (`screening.domain.list_links.seed_codes`).
    """

    table: ClassVar[str] = "rules.affiliates"
    seed_lists: frozenset[str]
    sdn_programs: frozenset[str] = frozenset()


def _high_risk(context: RuleContext, profile: PartyProfile) -> bool:
    """R11: ownership must be known for high-risk parties of advanced-computing transactions."""
    if not context.advanced:
        return False
    if isinstance(context.event, Lease) and profile.party.role == "lessee":
        return True
    countries = context.countries
    country = profile.party.country
    return any(countries.in_group(country, g, context.on) for g in ("D1", "D4", "D5")) or (
        countries.canonical(country) == countries.macau
    )


class OwnershipDataRule:
    """R11 (data): the registry cannot be read, a record on the party's chain is invalid, a high-risk party
    has no record, or its record is stale."""

    rule_id: ClassVar[str] = "R11"
    name: ClassVar[str] = "ownership_data"
    title: ClassVar[str] = "Ownership data must be available, present for high-risk parties, and fresh"
    citation: ClassVar[str] = "Supp. 8 to Part 744; Red Flag 29; contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.PARTY_COUNTRY, Input.ITEM_CLASSIFICATION)
    codes: ClassVar[tuple[ReasonCode, ...]] = (
        ReasonCode.OWNERSHIP_UNAVAILABLE,
        ReasonCode.OWNERSHIP_INVALID,
        ReasonCode.OWNERSHIP_UNKNOWN,
        ReasonCode.OWNERSHIP_STALE,
    )
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = OwnershipPolicy

    def __init__(self, params: OwnershipPolicy) -> None:
        self.policy = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """Per party: registry unavailable; else, for high-risk parties, no record or a stale one."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            role = profile.party.role
            name = profile.party.name
            if profile.ownership_status is OwnershipStatus.UNAVAILABLE:
                reasons.append(
                    Reason(
                        code=ReasonCode.OWNERSHIP_UNAVAILABLE,
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=f"ownership registry unavailable: cannot check who owns {role} {name!r}",
                    )
                )
                continue
            if profile.ownership_status is OwnershipStatus.INVALID:
                reasons.append(
                    Reason(
                        code=ReasonCode.OWNERSHIP_INVALID,
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=(
                            f"a stored ownership record on the chain of {role} {name!r} fails validation: "
                            "its owners cannot be trusted; held until the record is corrected"
                        ),
                    )
                )
                continue
            if not _high_risk(context, profile):
                continue
            if profile.ownership_status is OwnershipStatus.NOT_FOUND:
                reasons.append(
                    Reason(
                        code=ReasonCode.OWNERSHIP_UNKNOWN,
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=(
                            f"no ownership record for {role} {name!r}, a high-risk party for "
                            "advanced-computing items (Red Flag 29 practice)"
                        ),
                    )
                )
            elif profile.stale and profile.entity is not None:
                reasons.append(
                    Reason(
                        code=ReasonCode.OWNERSHIP_STALE,
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=f"ownership record of {role} {name!r} is older than the allowed age",
                        evidence={
                            "entity_id": profile.entity.entity_id,
                            "as_of": profile.entity.as_of.isoformat() if profile.entity.as_of else None,
                        },
                    )
                )
        return reasons


class OfacFiftyPercentRule:
    """R09: a party owned 50% or more by SDNs, directly or indirectly, in aggregate, is blocked."""

    rule_id: ClassVar[str] = "R09"
    name: ClassVar[str] = "ofac_50"
    title: ClassVar[str] = "OFAC 50 Percent Rule"
    citation: ClassVar[str] = "OFAC FAQ 398, 401 (79 FR 47726)"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.LIST_MATCHES, Input.EVENT_DATE)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.OFAC_50,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = OfacParams

    def __init__(self, params: OfacParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A deny per party the OFAC regime restricts, while the rule is in force."""
        if not self.params.in_force(context.on):
            return []
        reasons: list[Reason] = []
        for profile in context.profiles:
            finding = profile.ownership
            if finding is None:
                continue
            for regime in finding.regimes:
                if regime.regime != "OFAC" or not regime.restricted:
                    continue
                role, name = profile.party.role, profile.party.name
                reasons.append(
                    Reason(
                        code=ReasonCode.OFAC_50,
                        outcome=Outcome.DENY,
                        party_role=role,
                        message=(
                            f"{role} {name!r} is blocked: SDN owners hold {regime.aggregate_share:.0%} "
                            "directly or indirectly (OFAC 50 Percent Rule)"
                        ),
                        evidence=finding.evidence(),
                    )
                )
        return reasons


class AffiliatesRule:
    """R10: the BIS Affiliates rule by the event's date (in force, suspended, or not yet in force)."""

    rule_id: ClassVar[str] = "R10"
    name: ClassVar[str] = "bis_affiliates_50"
    title: ClassVar[str] = "BIS Affiliates rule (50% owned by Entity List / MEU / §744.8 SDN parties)"
    citation: ClassVar[str] = "90 FR 47201; 90 FR 50857"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.LIST_MATCHES, Input.EVENT_DATE)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.BIS_AFFILIATES_50,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = AffiliatesParams

    def __init__(self, params: AffiliatesParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """Deny while the rule is in force; hold while suspended or before it took effect (a red flag)."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            finding = profile.ownership
            if finding is None:
                continue
            for regime in finding.regimes:
                if regime.regime == "BIS" and regime.restricted:
                    reasons.append(
                        self._reason(profile, regime.aggregate_share, context.on, finding.evidence())
                    )
        return reasons

    def _reason(self, profile: PartyProfile, share: float, on: date, evidence: dict[str, object]) -> Reason:
        role, name = profile.party.role, profile.party.name
        base = (
            f"{role} {name!r} is {share:.0%} owned by Entity List / MEU / §744.8 SDN parties "
            "(directly or indirectly, in aggregate)"
        )
        if self.params.in_force(on):
            return Reason(
                code=ReasonCode.BIS_AFFILIATES_50,
                outcome=Outcome.DENY,
                party_role=role,
                message=f"{base}: the Affiliates rule (90 FR 47201) applies the owners' licence requirement",
                evidence=evidence,
            )
        state = "suspended (90 FR 50857)" if self.params.suspended(on) else "not in force"
        return Reason(
            code=ReasonCode.BIS_AFFILIATES_50,
            outcome=Outcome.HOLD,
            party_role=role,
            message=f"{base}: the Affiliates rule is {state} on {on.isoformat()}; held for review",
            evidence=evidence,
        )


class UnknownShareRule:
    """R11 (Red Flag 29): a listed owner is known, its share is not."""

    rule_id: ClassVar[str] = "R11"
    name: ClassVar[str] = "listed_owner_unknown_share"
    title: ClassVar[str] = "A listed owner whose share is unknown (Red Flag 29)"
    citation: ClassVar[str] = "Supp. 8 to Part 744; Red Flag 29"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.OWNERSHIP_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = OwnershipPolicy

    def __init__(self, params: OwnershipPolicy) -> None:
        self.policy = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold per party with a restricted owner of unknown share anywhere above it."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            finding = profile.ownership
            if finding is None or not finding.unknown_share_owners:
                continue
            role, name = profile.party.role, profile.party.name
            reasons.append(
                Reason(
                    code=ReasonCode.OWNERSHIP_UNKNOWN,
                    outcome=Outcome.HOLD,
                    party_role=role,
                    message=(
                        f"{role} {name!r} has a listed owner whose share is unknown (Red Flag 29): "
                        "establish the share or obtain a licence"
                    ),
                    evidence=finding.evidence(),
                )
            )
        return reasons


class SignificantMinorityRule:
    """R12: listed owners hold a significant stake short of control (aggregate or along paths)."""

    rule_id: ClassVar[str] = "R12"
    name: ClassVar[str] = "significant_minority"
    title: ClassVar[str] = "Significant minority ownership by listed parties"
    citation: ClassVar[str] = "OFAC FAQ 398; BIS Affiliates-rule red flag; Supp. 8 to Part 744"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.SIGNIFICANT_MINORITY,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = OwnershipPolicy

    def __init__(self, params: OwnershipPolicy) -> None:
        self.policy = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold per party whose listed exposure crosses the ruleset's minority thresholds."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            finding = profile.ownership
            if finding is None or not finding.significant_minority:
                continue
            role, name = profile.party.role, profile.party.name
            reasons.append(
                Reason(
                    code=ReasonCode.SIGNIFICANT_MINORITY,
                    outcome=Outcome.HOLD,
                    party_role=role,
                    message=(
                        f"listed owners have a significant stake in {role} {name!r} short of control "
                        f"(aggregate {finding.listed_aggregate:.1%}, "
                        f"path exposure {finding.multiplicative_exposure:.1%})"
                    ),
                    evidence=finding.evidence(),
                )
            )
        return reasons


class OwnerListReviewRule:
    """An owner above a party may be on a list, but nothing links it to the entry: held for review.

    An owner counts as listed only by evidence (a link to the entry on its record, or exact identity with
    it: `screening.domain.list_links`). A strong name match without that evidence, any weak match, and a
    link to an entry the loaded lists do not hold are never a silent pass and never a `deny` through the
    50% rules: they hold the event with the owner, the entry and the score as evidence.
    """

    rule_id: ClassVar[str] = "R09–R12 (owners' list status)"
    name: ClassVar[str] = "owner_list_review"
    title: ClassVar[str] = "An owner's possible list entry without evidence that it is the entry"
    citation: ClassVar[str] = "OFAC FAQ 398, 401; 90 FR 47201; Supp. 8 to Part 744; regulation.md §3.4"
    inputs: ClassVar[tuple[Input, ...]] = (Input.OWNERSHIP, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.OWNER_POSSIBLE_LIST_MATCH,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = OwnershipPolicy

    def __init__(self, params: OwnershipPolicy) -> None:
        self.policy = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """A hold per party and owner with possible, unconfirmed list entries."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            by_owner: dict[str, list[OwnerListMatch]] = {}
            for match in profile.owner_reviews:
                if match.hit is not None and context.list_policy.record_only(match.hit.entry.source):
                    continue  # an investment list (NS-CMIC) has no export consequence for an owner either
                by_owner.setdefault(match.entity_id, []).append(match)
            role, name = profile.party.role, profile.party.name
            for owner_id, matches in by_owner.items():
                owner = matches[0].entity_name
                entries = "; ".join(_describe(match) for match in matches)
                reasons.append(
                    Reason(
                        code=ReasonCode.OWNER_POSSIBLE_LIST_MATCH,
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=(
                            f"{role} {name!r} has an owner, {owner!r}, that may be on a control list "
                            f"({entries}); nothing ties it to the entry (no link on its record, no exact "
                            "identity), so it is not treated as listed: review"
                        ),
                        evidence={
                            "owner": {"entity_id": owner_id, "name": owner},
                            "matches": [match.evidence() for match in matches],
                        },
                    )
                )
        return reasons


def _describe(match: OwnerListMatch) -> str:
    if match.hit is None:
        return f"{match.basis}: {match.entry_id}"
    hit = match.hit
    entry = f"{hit.entry.source} entry {hit.entry.name!r}"
    return f"{entry} as {hit.matched_name!r}, score {hit.score:.2f}, {match.basis}"
