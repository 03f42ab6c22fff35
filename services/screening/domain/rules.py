"""The control rules (regulation rule catalogue R04-R20) evaluated on one event, as of its date.

Inputs are values: the event, the classified items, the party profiles and the ruleset. Output is a list
of reasons; the decision's outcome is the most severe of them. No I/O, no clock, no environment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from screening.domain.classification import ItemResult
from screening.domain.model import Event, Lease, Licence, Order, Outcome, Reason
from screening.domain.profiles import OwnershipStatus, PartyProfile
from screening.domain.ruleset import Ruleset

# Defaults for word lists the ruleset may override (`[rules.prc_advanced_ic] evaluation_words`,
# `[rules.ai_training] training_words` / `prohibited_end_use_words`).
EVALUATION_WORDS = ("evaluation", "teardown", "tear-down", "benchmark", "technical analysis")
TRAINING_WORDS = ("train", "training", "pre-train", "pretrain")
PROHIBITED_END_USE_WORDS = ("military", "weapon", "wmd", "missile", "nuclear explosive")

# "3e26 FLOP", "3 x 10^26 FLOP", "3×10²⁶ operations": a declared training-compute estimate.
_FLOP_ESTIMATE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:e\+?|[x×*]\s*10\s*\^?\s*)(\d+)\s*(?:flop|flops|operations|ops)\b",
    re.IGNORECASE,
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


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
    recipients: tuple[PartyProfile, ...]  # buyer/end user, or lessee: whose headquarters count (R05)
    is_export: bool
    legs: tuple[Leg, ...] = ()

    @property
    def destinations(self) -> tuple[str, ...]:
        """Every country the items are destined to, physical ship-to first."""
        return tuple(leg.destination for leg in self.legs)


def _licence_covers(
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


def _licence_evidence(licence: Licence) -> dict[str, object]:
    return {
        "licence": {
            "number": licence.number,
            "type": licence.type,
            "eccn": licence.eccn,
            "destination": licence.destination,
            "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        }
    }


class RuleEvaluator:
    """Evaluates the rule catalogue on one event with a fixed ruleset."""

    def __init__(self, ruleset: Ruleset) -> None:
        self._ruleset = ruleset
        self._countries = ruleset.countries

    # ------------------------------------------------------------------------------------------------
    def evaluate(
        self, event: Event, items: Sequence[ItemResult], profiles: Sequence[PartyProfile]
    ) -> list[Reason]:
        """All reasons for `event`; empty means allow."""
        on = event.occurred_at.date()
        reasons: list[Reason] = []
        for result in items:
            reasons.extend(result.reasons)
        reasons.extend(self._listed_parties(profiles))
        reasons.extend(self._ownership(event, items, profiles, on))
        if isinstance(event, Order) and event.action == "cancel":
            return [*self._informational(reasons), self._cancelled(event)]
        if isinstance(event, Lease) and event.action == "terminate" and not event.title_transfer:
            return [*self._informational(reasons), self._terminated(event, profiles)]
        transfer = self._transfer(event, profiles)
        reasons.extend(self._export_rules(event, items, transfer, on))
        if isinstance(event, Lease) and not transfer.is_export:
            reasons.extend(self._remote_lease(event, items, profiles, on))
        reasons.extend(self._red_flags(event, items, profiles))
        return reasons

    # ------------------------------------------------------------------------------------------------
    @staticmethod
    def _informational(reasons: list[Reason]) -> list[Reason]:
        """On a cancel or termination nothing moves: earlier findings are kept, downgraded to allow."""
        return [
            Reason(
                code=r.code,
                outcome=Outcome.ALLOW,
                message=f"(no goods or access move on this event) {r.message}",
                party_role=r.party_role,
                line_id=r.line_id,
                evidence={**r.evidence, "outcome_if_active": r.outcome.value},
            )
            for r in reasons
            if r.outcome is not Outcome.ALLOW
        ]

    @staticmethod
    def _cancelled(event: Order) -> Reason:
        return Reason(
            code="ORDER_CANCELLED",
            outcome=Outcome.ALLOW,
            message=f"order {event.order_id} cancelled: no goods move; decision recorded",
        )

    @staticmethod
    def _terminated(event: Lease, profiles: Sequence[PartyProfile]) -> Reason:
        listed = [
            hit.evidence() for profile in profiles for hit in profile.hits if hit.strong
        ]
        message = f"lease {event.lease_id} terminated: no new access is granted (R20)"
        if listed:
            message += "; a party is now listed: any existing access should have stopped on its listing date"
        return Reason(
            code="LEASE_TERMINATED",
            outcome=Outcome.ALLOW,
            message=message,
            evidence={"listed_parties": listed} if listed else {},
        )

    # ------------------------------------------------------------------------------------------------
    def _listed_parties(self, profiles: Sequence[PartyProfile]) -> list[Reason]:
        """R06: a party matching a control list entry, in any role."""
        reasons: list[Reason] = []
        policy = self._ruleset.list_policy
        for profile in profiles:
            for hit in profile.hits:
                outcome = policy.outcome_for(hit.entry.source, hit.strong)
                if outcome is None:
                    continue
                strength = "matches" if hit.strong else "may match"
                code = "LISTED_PARTY" if hit.strong else "POSSIBLE_LIST_MATCH"
                reasons.append(
                    Reason(
                        code=code,
                        outcome=outcome,
                        party_role=profile.party.role,
                        message=(
                            f"{profile.party.role} {profile.party.name!r} {strength} {hit.entry.source} entry "
                            f"{hit.entry.name!r} (as {hit.matched_name!r}, score {hit.score:.2f})"
                        ),
                        evidence={"list_hit": hit.evidence()},
                    )
                )
        return reasons

    # ------------------------------------------------------------------------------------------------
    def _ownership(
        self, event: Event, items: Sequence[ItemResult], profiles: Sequence[PartyProfile], on: date
    ) -> list[Reason]:
        """R09-R12: ownership by listed parties, unknown or stale ownership, registry unavailable."""
        reasons: list[Reason] = []
        advanced = any(r.advanced_computing for r in items)
        affiliates = self._ruleset.rule("affiliates")
        ofac = self._ruleset.rule("ofac_50")
        for profile in profiles:
            role = profile.party.role
            name = profile.party.name
            if profile.ownership_status is OwnershipStatus.UNAVAILABLE:
                reasons.append(
                    Reason(
                        code="OWNERSHIP_UNAVAILABLE",
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=f"ownership registry unavailable: cannot check who owns {role} {name!r}",
                    )
                )
                continue
            if self._needs_ownership(event, profile, advanced, on):
                if profile.ownership_status is OwnershipStatus.NOT_FOUND:
                    reasons.append(
                        Reason(
                            code="OWNERSHIP_UNKNOWN",
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
                            code="OWNERSHIP_STALE",
                            outcome=Outcome.HOLD,
                            party_role=role,
                            message=f"ownership record of {role} {name!r} is older than the allowed age",
                            evidence={
                                "entity_id": profile.entity.entity_id,
                                "as_of": profile.entity.as_of.isoformat() if profile.entity.as_of else None,
                            },
                        )
                    )
            finding = profile.ownership
            if finding is None:
                continue
            evidence = finding.evidence()
            for regime in finding.regimes:
                if not regime.restricted:
                    continue
                if regime.regime == "OFAC" and ofac.in_force(on):
                    reasons.append(
                        Reason(
                            code="OFAC_50",
                            outcome=Outcome.DENY,
                            party_role=role,
                            message=(
                                f"{role} {name!r} is blocked: SDN owners hold {regime.aggregate_share:.0%} "
                                "directly or indirectly (OFAC 50 Percent Rule)"
                            ),
                            evidence=evidence,
                        )
                    )
                elif regime.regime == "BIS":
                    reasons.append(self._affiliates_reason(role, name, regime.aggregate_share, on, evidence))
            if finding.unknown_share_owners:
                reasons.append(
                    Reason(
                        code="OWNERSHIP_UNKNOWN",
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=(
                            f"{role} {name!r} has a listed owner whose share is unknown (Red Flag 29): "
                            "establish the share or obtain a licence"
                        ),
                        evidence=evidence,
                    )
                )
            if finding.significant_minority:
                reasons.append(
                    Reason(
                        code="SIGNIFICANT_MINORITY",
                        outcome=Outcome.HOLD,
                        party_role=role,
                        message=(
                            f"listed owners have a significant stake in {role} {name!r} short of control "
                            f"(aggregate {finding.listed_aggregate:.1%}, "
                            f"path exposure {finding.multiplicative_exposure:.1%})"
                        ),
                        evidence=evidence,
                    )
                )
        return reasons

    def _affiliates_reason(
        self, role: str, name: str, share: float, on: date, evidence: dict[str, object]
    ) -> Reason:
        """R10: the BIS Affiliates rule by the event's date (in force, suspended, or not yet in force)."""
        rule = self._ruleset.rule("affiliates")
        base = (
            f"{role} {name!r} is {share:.0%} owned by Entity List / MEU / §744.8 SDN parties "
            "(directly or indirectly, in aggregate)"
        )
        if rule.in_force(on):
            return Reason(
                code="BIS_AFFILIATES_50",
                outcome=Outcome.DENY,
                party_role=role,
                message=f"{base}: the Affiliates rule (90 FR 47201) applies the owners' licence requirement",
                evidence=evidence,
            )
        state = "suspended (90 FR 50857)" if rule.suspended(on) else "not in force"
        return Reason(
            code="BIS_AFFILIATES_50",
            outcome=Outcome.HOLD,
            party_role=role,
            message=f"{base}: the Affiliates rule is {state} on {on.isoformat()}; held for review",
            evidence=evidence,
        )

    def _needs_ownership(self, event: Event, profile: PartyProfile, advanced: bool, on: date) -> bool:
        """R11: ownership must be known for high-risk parties of advanced-computing transactions."""
        if not advanced:
            return False
        if isinstance(event, Lease) and profile.party.role == "lessee":
            return True
        country = profile.party.country
        return any(self._countries.in_group(country, g, on) for g in ("D1", "D4", "D5")) or (
            self._countries.canonical(country) == self._countries.macau
        )

    # ------------------------------------------------------------------------------------------------
    def _transfer(self, event: Event, profiles: Sequence[PartyProfile]) -> Transfer:
        """The physical transfer an event makes: orders ship; dedicated leases hand over control (R16)."""
        if isinstance(event, Order):
            recipients = tuple(p for p in profiles if p.party.role in ("buyer", "end_user"))
            return Transfer(destination=event.ship_to_country, recipients=recipients, is_export=True)
        recipients = tuple(p for p in profiles if p.party.role in ("lessee", "end_user"))
        if event.access == "dedicated" or event.title_transfer:
            return Transfer(destination=event.hardware_country, recipients=recipients, is_export=True)
        return Transfer(destination=None, recipients=recipients, is_export=False)

    def _export_rules(
        self, event: Event, items: Sequence[ItemResult], transfer: Transfer, on: date
    ) -> list[Reason]:
        """R04 destination, R05 headquarters, R13 is-informed models, R15 PRC advanced ICs."""
        reasons: list[Reason] = []
        if not transfer.is_export:
            # Remote access keeps the hardware where it is: no export today (R17 covers it), but GP10
            # dealings in PRC advanced ICs are prohibited whatever the path.
            for result in items:
                reasons.extend(self._prc_advanced_ic(event, result, on))
            return reasons
        for result in items:
            reasons.extend(self._destination(event, result, transfer, on))
            reasons.extend(self._headquarters(event, result, transfer, on))
            reasons.extend(self._is_informed(event, result, transfer, on))
            reasons.extend(self._prc_advanced_ic(event, result, on))
        return reasons

    def _destination(self, event: Event, result: ItemResult, transfer: Transfer, on: date) -> list[Reason]:
        """R04: 3A090/4A090/.z items to D:1, D:4, D:5 (not A:5/A:6) or Macau need a licence."""
        rule = self._ruleset.rule("destination")
        eccn = result.classification.eccn
        destination = self._countries.canonical(transfer.destination)
        if not result.advanced_computing or destination is None or not rule.in_force(on):
            return []
        line = result.classification.line_id
        legacy_until = rule.param("legacy_until")
        if legacy_until is not None and on <= date.fromisoformat(str(legacy_until)):
            # Before 17 Nov 2023 the licence requirement covered China and Macau only (87 FR 62186).
            legacy = {str(c) for c in rule.param("legacy_destinations", ["CN", "MO"])}
            if destination not in legacy:
                return []
            d5 = True
        else:
            if not self._countries.needs_advanced_computing_licence(destination, on):
                return []
            d5 = self._countries.is_d5_or_macau(destination, on)
        review = self._countries.in_review_window(destination, on)
        if review is not None:
            d5 = False  # unsettled D:5 status: treat as D:1 and flag (hold below)
        licences = event.licences
        if d5:
            allowed = ["license"]
            if result.nac_eligible:
                allowed.append("NAC")
            licence = _licence_covers(licences, eccn, destination, on, allowed)
            if licence is not None:
                return [
                    Reason(
                        code="DEST_ADV_COMPUTE",
                        outcome=Outcome.ALLOW,
                        line_id=line,
                        message=f"{eccn} to {destination}: {licence.type} {licence.number} on file",
                        evidence=_licence_evidence(licence),
                    )
                ]
            nac_note = " or a NAC notification" if result.nac_eligible else ""
            return [
                Reason(
                    code="DEST_ADV_COMPUTE",
                    outcome=Outcome.DENY,
                    line_id=line,
                    message=(
                        f"{eccn} to {destination} (D:5/Macau) needs a licence{nac_note}; none on file "
                        "(15 CFR 742.6(a)(6))"
                    ),
                    evidence={"destination": destination, "eccn": eccn, "group": "D5_OR_MACAU"},
                )
            ]
        allowed = ["license"]
        if result.aca_eligible:
            allowed.append("ACA")
        licence = _licence_covers(licences, eccn, destination, on, allowed)
        if licence is not None:
            return [
                Reason(
                    code="DEST_ADV_COMPUTE",
                    outcome=Outcome.ALLOW,
                    line_id=line,
                    message=f"{eccn} to {destination}: {licence.type} {licence.number} on file",
                    evidence=_licence_evidence(licence),
                )
            ]
        message = (
            f"{eccn} to {destination} (D:1/D:4, not A:5/A:6) needs a licence or licence exception ACA; "
            "none on file (15 CFR 742.6(a)(6))"
        )
        evidence: dict[str, object] = {"destination": destination, "eccn": eccn, "group": "D1_D4"}
        if review is not None:
            message += f"; {destination}'s D:5 status is changing on {review.effective.isoformat()}: review"
            evidence["country_group_review"] = {
                "group": review.group,
                "change": review.change,
                "effective": review.effective.isoformat(),
            }
        return [
            Reason(code="DEST_ADV_COMPUTE", outcome=Outcome.HOLD, line_id=line, message=message, evidence=evidence)
        ]

    def _headquarters(self, event: Event, result: ItemResult, transfer: Transfer, on: date) -> list[Reason]:
        """R05: items for an entity headquartered (or with an ultimate parent) in D:5 or Macau."""
        rule = self._ruleset.rule("headquarters")
        destination = self._countries.canonical(transfer.destination)
        if not result.advanced_computing or not rule.in_force(on) or destination in (None, "US"):
            return []
        eccn = result.classification.eccn
        reasons: list[Reason] = []
        for profile in transfer.recipients:
            hq = profile.headquarters_country
            parent_hq = profile.ultimate_parent_hq_country
            hq_hit = self._countries.is_d5_or_macau(hq, on)
            parent_hit = self._countries.is_d5_or_macau(parent_hq, on)
            if not hq_hit and not parent_hit:
                continue
            allowed = ["license", "NAC"] if result.nac_eligible else ["license"]
            licence = _licence_covers(event.licences, eccn, destination, on, allowed)
            party = profile.party
            if parent_hit and profile.ownership is not None and profile.ownership.ultimate_parent is not None:
                parent = profile.ownership.ultimate_parent
                why = (
                    f"{party.role}'s ultimate parent {parent.name} is headquartered in "
                    f"{self._countries.canonical(parent_hq)}"
                )
                evidence: dict[str, object] = {"ultimate_parent": parent.evidence()}
            else:
                why = f"{party.role} {party.name!r} is headquartered in {self._countries.canonical(hq)}"
                evidence = {"headquarters_country": hq}
            if licence is not None:
                reasons.append(
                    Reason(
                        code="HQ_OR_PARENT_D5",
                        outcome=Outcome.ALLOW,
                        party_role=party.role,
                        line_id=result.classification.line_id,
                        message=f"{why}; {licence.type} {licence.number} on file for {eccn}",
                        evidence={**evidence, **_licence_evidence(licence)},
                    )
                )
                continue
            reasons.append(
                Reason(
                    code="HQ_OR_PARENT_D5",
                    outcome=Outcome.DENY,
                    party_role=party.role,
                    line_id=result.classification.line_id,
                    message=f"{why}; {eccn} needs a licence wherever it ships (15 CFR 742.6(a)(6)(iii)(A))",
                    evidence=evidence,
                )
            )
        return reasons

    def _is_informed(self, event: Event, result: ItemResult, transfer: Transfer, on: date) -> list[Reason]:
        """R13: models named in an is-informed notice (the H20 from 9 Apr 2025) to China/D:5 or HQ there."""
        rule = self._ruleset.rule("is_informed")
        model_name = result.model
        if model_name is None or not rule.in_force(on):
            return []
        watched = [str(m).casefold() for m in rule.param("models", [])]
        if model_name.casefold() not in watched:
            return []
        destination = self._countries.canonical(transfer.destination)
        named = {str(c) for c in rule.param("destinations", [])}
        to_destination = destination in named or self._countries.is_d5_or_macau(destination, on)
        hq_parties = [
            p
            for p in transfer.recipients
            if self._countries.is_d5_or_macau(p.headquarters_country, on)
            or self._countries.is_d5_or_macau(p.ultimate_parent_hq_country, on)
        ]
        if not to_destination and not hq_parties:
            return []
        licence = _licence_covers(
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
        if licence is not None:
            return [
                Reason(
                    code="IS_INFORMED_WATCHLIST",
                    outcome=Outcome.ALLOW,
                    line_id=line,
                    message=f"{model_name}: licence {licence.number} on file",
                    evidence=_licence_evidence(licence),
                )
            ]
        return [
            Reason(
                code="IS_INFORMED_WATCHLIST",
                outcome=Outcome.DENY,
                line_id=line,
                message=(
                    f"{model_name} needs a licence to {destination} or for parties headquartered in D:5/Macau "
                    "(BIS is-informed notice of 9 Apr 2025)"
                ),
                evidence={"model": model_name, "destination": destination},
            )
        ]

    def _prc_advanced_ic(self, event: Event, result: ItemResult, on: date) -> list[Reason]:
        """R15: PRC-designed 3A090-level ICs (Ascend 910B/C/D): General Prohibition 10 guidance."""
        rule = self._ruleset.rule("prc_advanced_ic")
        if not rule.in_force(on) or not result.prc_designed or not result.advanced_computing:
            return []
        end_use = (event.end_use if isinstance(event, Order) else event.purpose) or ""
        line = result.classification.line_id
        if any(word in end_use.casefold() for word in EVALUATION_WORDS):
            return [
                Reason(
                    code="PRC_ADV_IC_GP10",
                    outcome=Outcome.HOLD,
                    line_id=line,
                    message=(
                        f"{result.model or 'PRC-designed advanced IC'}: declared for evaluation only; "
                        "the GP10 guidance exception needs review"
                    ),
                    evidence={"model": result.model, "declared_use": end_use},
                )
            ]
        return [
            Reason(
                code="PRC_ADV_IC_GP10",
                outcome=Outcome.DENY,
                line_id=line,
                message=(
                    f"{result.model or 'PRC-designed advanced IC'} is a PRC 3A090-level IC: dealing in it risks "
                    "General Prohibition 10 (BIS guidance of 13 May 2025)"
                ),
                evidence={"model": result.model},
            )
        ]

    # ------------------------------------------------------------------------------------------------
    def _remote_lease(
        self, event: Lease, items: Sequence[ItemResult], profiles: Sequence[PartyProfile], on: date
    ) -> list[Reason]:
        """R17/R18: remote access to advanced compute for D:5/Macau-headquartered lessees."""
        if not any(r.advanced_computing for r in items):
            return []
        reasons: list[Reason] = []
        for profile in profiles:
            if profile.party.role not in ("lessee", "end_user"):
                continue
            hq = profile.headquarters_country
            parent_hq = profile.ultimate_parent_hq_country
            if not (self._countries.is_d5_or_macau(hq, on) or self._countries.is_d5_or_macau(parent_hq, on)):
                continue
            evidence: dict[str, object] = {"headquarters_country": hq}
            where = f"headquartered in {self._countries.canonical(hq)}"
            if profile.ownership is not None and profile.ownership.ultimate_parent is not None:
                parent = profile.ownership.ultimate_parent
                evidence["ultimate_parent"] = parent.evidence()
                if self._countries.is_d5_or_macau(parent_hq, on):
                    where = f"with ultimate parent {parent.name} headquartered in {self._countries.canonical(parent_hq)}"
            training = any(word in (event.purpose or "").casefold() for word in TRAINING_WORDS)
            message = (
                f"remote access to advanced compute for {profile.party.role} {profile.party.name!r} {where}: "
                "not an export today, held for policy review (May 2025 policy statement; RASA pending)"
            )
            if training:
                message += "; declared AI training"
                evidence["declared_purpose"] = event.purpose
            reasons.append(
                Reason(
                    code="LEASE_REMOTE_ACCESS_D5",
                    outcome=Outcome.HOLD,
                    party_role=profile.party.role,
                    message=message,
                    evidence=evidence,
                )
            )
        return reasons

    # ------------------------------------------------------------------------------------------------
    def _red_flags(
        self, event: Event, items: Sequence[ItemResult], profiles: Sequence[PartyProfile]
    ) -> list[Reason]:
        """R19: red flags the event itself can show, for advanced-computing transactions."""
        if not isinstance(event, Order) or not any(r.advanced_computing for r in items):
            return []
        forwarder_roles = {r.casefold() for r in self._ruleset.red_flags.get("forwarder_roles", ())}
        reseller_roles = {r.casefold() for r in self._ruleset.red_flags.get("reseller_roles", ())}
        reasons: list[Reason] = []
        ship_to = self._countries.canonical(event.ship_to_country)
        forwarders = [p for p in event.intermediaries if (p.party_role_detail or "").casefold() in forwarder_roles]
        for forwarder in forwarders:
            final = event.end_user is None or event.end_user.name.casefold() == forwarder.name.casefold()
            if final or self._countries.canonical(forwarder.country) == ship_to:
                reasons.append(
                    Reason(
                        code="RF_FREIGHT_FORWARDER_FINAL_DEST",
                        outcome=Outcome.HOLD,
                        party_role="intermediary",
                        message=(
                            f"freight forwarder {forwarder.name!r} is the ship-to / final destination "
                            "(Supp. No. 3 to Part 732)"
                        ),
                        evidence={"forwarder": forwarder.name, "ship_to_country": ship_to},
                    )
                )
        buyer_country = self._countries.canonical(event.buyer.country)
        end_user_country = self._countries.canonical(event.end_user.country) if event.end_user else None
        if ship_to and buyer_country and ship_to != buyer_country and ship_to != end_user_country:
            reasons.append(
                Reason(
                    code="RF_SHIP_TO_MISMATCH",
                    outcome=Outcome.HOLD,
                    message=(
                        f"ship-to country {ship_to} differs from the buyer's ({buyer_country}) and the end "
                        "user's country without explanation"
                    ),
                    evidence={"ship_to_country": ship_to, "buyer_country": buyer_country},
                )
            )
        if event.end_user is not None and (event.end_user.party_role_detail or "").casefold() in reseller_roles:
            reasons.append(
                Reason(
                    code="RF_RESELLER_END_USER",
                    outcome=Outcome.HOLD,
                    party_role="end_user",
                    message=f"end user {event.end_user.name!r} is a reseller: the real end user is not named",
                )
            )
        for forwarder in event.intermediaries:
            if self._countries.is_d5_or_macau(forwarder.hq_country, event.occurred_at.date()):
                reasons.append(
                    Reason(
                        code="RF_AC_D5_HQ_OR_TIES",
                        outcome=Outcome.HOLD,
                        party_role="intermediary",
                        message=f"intermediary {forwarder.name!r} is headquartered in D:5/Macau",
                    )
                )
        return reasons


def decide(reasons: Sequence[Reason]) -> Outcome:
    """The decision's outcome: the most severe reason's (deny > hold > allow)."""
    return Outcome.most_severe([r.outcome for r in reasons])
