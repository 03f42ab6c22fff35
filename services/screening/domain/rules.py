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
from screening.domain.ruleset import Ruleset, RuleWindow

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
        if isinstance(event, Lease):
            reasons.extend(self._lease_transfer(event, items, transfer))
        reasons.extend(self._export_rules(event, items, transfer, on))
        if isinstance(event, Lease) and not transfer.is_export:
            reasons.extend(self._remote_lease(event, items, profiles, on))
        reasons.extend(self._training_end_use(event, items, transfer, on))
        reasons.extend(self._large_training_run(event, items, transfer, on))
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
        """R20: a termination grants no new access; a party listed meanwhile raises an alert for review."""
        listed = [
            {**hit.evidence(), "party_role": profile.party.role, "listed_on": hit.entry.start_date}
            for profile in profiles
            for hit in profile.hits
            if hit.strong
        ]
        message = f"lease {event.lease_id} terminated: no new access is granted (R20)"
        evidence: dict[str, object] = {}
        if listed:
            dates = sorted({str(entry["listed_on"]) for entry in listed if entry["listed_on"]})
            since = f" on {', '.join(dates)}" if dates else ""
            message += (
                f"; ALERT: a party is now on a control list (listed{since}): any access it still had "
                "should have stopped on its listing date; review the access logs since then"
            )
            evidence = {
                "alert": "party_listed_during_lease",
                "listed_parties": listed,
                "lease_start": event.start.isoformat() if event.start else None,
            }
        return Reason(code="LEASE_TERMINATED", outcome=Outcome.ALLOW, message=message, evidence=evidence)

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
                            f"{profile.party.role} {profile.party.name!r} {strength} {hit.entry.source} "
                            f"entry {hit.entry.name!r} (as {hit.matched_name!r}, score {hit.score:.2f})"
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
        canonical = self._countries.canonical
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

    def _lease_transfer(self, event: Lease, items: Sequence[ItemResult], transfer: Transfer) -> list[Reason]:
        """R16/R20: say when a lease is screened as a transfer (dedicated hardware, or title passing)."""
        if not transfer.is_export or not any(r.advanced_computing for r in items):
            return []
        where = self._countries.canonical(event.hardware_country) or "an unknown country"
        if event.action == "terminate" and event.title_transfer:
            return [
                Reason(
                    code="LEASE_TITLE_TRANSFER",
                    outcome=Outcome.ALLOW,
                    party_role="lessee",
                    message=(
                        f"lease {event.lease_id} ends with title to the hardware in {where} passing to the "
                        f"lessee {event.lessee.name!r}: re-screened as a transfer (R20, R16)"
                    ),
                    evidence={"hardware_country": event.hardware_country, "title_transfer": True},
                )
            ]
        if where == "US":
            return []
        return [
            Reason(
                code="LEASE_OFFSHORE_HARDWARE",
                outcome=Outcome.ALLOW,
                party_role="lessee",
                message=(
                    f"dedicated lease of hardware in {where}: control passes to the lessee "
                    f"{event.lessee.name!r}, so it is screened as a transfer to it (R16)"
                ),
                evidence={"hardware_country": event.hardware_country, "access": event.access},
            )
        ]

    def _export_rules(
        self, event: Event, items: Sequence[ItemResult], transfer: Transfer, on: date
    ) -> list[Reason]:
        """R04 destination, R14 H200 case-by-case, R05 headquarters, R13 is-informed, R15 PRC ICs."""
        reasons: list[Reason] = []
        if not transfer.is_export:
            # Remote access keeps the hardware where it is: no export today (R17 covers it), but GP10
            # dealings in PRC advanced ICs are prohibited whatever the path.
            for result in items:
                reasons.extend(self._prc_advanced_ic(event, result, on))
            return reasons
        for result in items:
            for leg in transfer.legs:
                reasons.extend(self._destination(event, result, leg, on))
                reasons.extend(self._h200_case_by_case(event, result, leg, on))
            reasons.extend(self._headquarters(event, result, transfer, on))
            reasons.extend(self._is_informed(event, result, transfer, on))
            reasons.extend(self._prc_advanced_ic(event, result, on))
        return reasons

    def _destination(self, event: Event, result: ItemResult, leg: Leg, on: date) -> list[Reason]:
        """R04: 3A090/4A090/.z items to D:1, D:4, D:5 (not A:5/A:6) or Macau need a licence.

        Before 17 Nov 2023 the requirement covered China (and Macau from 17 Jan 2023) only and no licence
        exception existed; NAC dates from 17 Nov 2023 and ACA from 4 Apr 2024 (before that the NAC
        notification was the route for D:1/D:4 too).
        """
        rule = self._ruleset.rule("destination")
        eccn = result.classification.eccn
        destination = leg.destination
        if not result.advanced_computing or not rule.in_force(on):
            return []
        line = result.classification.line_id
        legacy_until = rule.param("legacy_until")
        legacy = legacy_until is not None and on <= date.fromisoformat(str(legacy_until))
        if legacy:
            # 87 FR 62186 (Oct 2022) and 88 FR 2821 (Macau, 17 Jan 2023).
            scope = {str(c) for c in rule.param("legacy_destinations", ["CN"])}
            macau_from = rule.param("legacy_macau_from")
            if macau_from is not None and on >= date.fromisoformat(str(macau_from)):
                scope.add(self._countries.macau)
            if destination not in scope:
                return []
            d5 = True
        else:
            if not self._countries.needs_advanced_computing_licence(destination, on):
                return []
            d5 = self._countries.is_d5_or_macau(destination, on)
        review = self._countries.in_review_window(destination, on)
        if review is not None:
            d5 = False  # unsettled D:5 status: treat as D:1 and flag (hold below)
        licences = self._usable_licences(event, result, leg, on)
        nac_open = not legacy and self._from(rule, "nac_from", on)
        aca_open = not legacy and self._from(rule, "aca_from", on)
        route = f" (onward from {leg.origin} to the end user)" if leg.onward else ""
        evidence: dict[str, object] = {"destination": destination, "eccn": eccn}
        if leg.onward:
            evidence["route"] = {"from": leg.origin, "to": destination, "onward": True}
        hbm_note = "; 3A090.c (HBM) is not eligible for NAC or ACA" if result.paragraph == "c" else ""
        if d5:
            allowed = ["license"]
            if result.nac_eligible and nac_open:
                allowed.append("NAC")
            licence = _licence_covers(licences, eccn, destination, on, allowed)
            if licence is not None:
                return [self._licensed("DEST_ADV_COMPUTE", line, eccn, destination, licence)]
            nac_note = " or a NAC notification" if "NAC" in allowed else ""
            scope_note = "China/Macau scope before 17 Nov 2023" if legacy else "D:5/Macau"
            return [
                Reason(
                    code="DEST_ADV_COMPUTE",
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
        licence = _licence_covers(licences, eccn, destination, on, allowed)
        if licence is not None:
            return [self._licensed("DEST_ADV_COMPUTE", line, eccn, destination, licence)]
        exception_note = f" or licence exception {exception}" if exception else ""
        message = (
            f"{eccn} to {destination}{route} (D:1/D:4, not A:5/A:6) needs a licence{exception_note}; "
            f"none on file (15 CFR 742.6(a)(6)){hbm_note}"
        )
        evidence["group"] = "D1_D4"
        if review is not None:
            message += f"; {destination}'s D:5 status is changing on {review.effective.isoformat()}: review"
            evidence["country_group_review"] = review.evidence()
        return [
            Reason(
                code="DEST_ADV_COMPUTE",
                outcome=Outcome.HOLD,
                line_id=line,
                message=message,
                evidence=evidence,
            )
        ]

    @staticmethod
    def _from(rule: RuleWindow, key: str, on: date) -> bool:
        """Whether the date parameter `key` of `rule` is absent or not after `on`."""
        value = rule.param(key)
        return value is None or on >= date.fromisoformat(str(value))

    @staticmethod
    def _licensed(code: str, line: str, eccn: str | None, destination: str, licence: Licence) -> Reason:
        return Reason(
            code=code,
            outcome=Outcome.ALLOW,
            line_id=line,
            message=f"{eccn} to {destination}: {licence.type} {licence.number} on file",
            evidence=_licence_evidence(licence),
        )

    def _h200_box_to_china(self, result: ItemResult, leg: Leg, on: date) -> bool:
        """R14's item box (3A090.a, TPP < 21,000, DRAM bandwidth < 6,500 GB/s) going to China/Macau."""
        rule = self._ruleset.rule("h200_case_by_case")
        if not rule.in_force(on) or not result.advanced_computing or result.paragraph != "a":
            return False
        tpp, bandwidth = result.tpp, result.memory_bandwidth_gbs
        if tpp is None or bandwidth is None:
            return False
        return (
            tpp < float(rule.param("tpp_below", 21000))
            and bandwidth < float(rule.param("dram_bandwidth_below_gbs", 6500))
            and leg.destination in {str(c) for c in rule.param("destinations", ["CN", "MO"])}
        )

    @staticmethod
    def _direct_from_us(event: Event, leg: Leg) -> bool:
        return isinstance(event, Order) and not leg.onward and leg.origin in (None, "US")

    def _usable_licences(self, event: Event, result: ItemResult, leg: Leg, on: date) -> tuple[Licence, ...]:
        """The licences that may cover `leg`: under R14 a licence does not stretch to a reexport."""
        if self._h200_box_to_china(result, leg, on) and not self._direct_from_us(event, leg):
            return tuple(lic for lic in event.licences if lic.type != "license")
        return event.licences

    def _h200_case_by_case(self, event: Event, result: ItemResult, leg: Leg, on: date) -> list[Reason]:
        """R14 (91 FR 1684): H200-class items to China/Macau, case by case only when exported from the U.S.

        The box: 3A090.a/4A090.a with TPP below 21,000 and DRAM bandwidth below 6,500 GB/s. The rule changes
        a licence review policy, so it only speaks where a licence is on file: for a direct export from
        the U.S. the licence clears the line (the certifications are its conditions); for a reexport from
        a third country or an in-country transfer abroad, which stay under presumption of denial, a licence
        naming China/Macau is taken as the one granted for the U.S. export and does not cover the move.
        Without a licence R04/R05 decide (deny, or allow under NAC for a NAC-eligible item).
        """
        if not self._h200_box_to_china(result, leg, on):
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
        licence = _licence_covers(event.licences, eccn, destination, on, ["license"])
        if licence is None:
            return []
        evidence.update(_licence_evidence(licence))
        if self._direct_from_us(event, leg):
            return [
                Reason(
                    code="H200_CASE_BY_CASE",
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
                code="H200_CASE_BY_CASE",
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

    def _headquarters(self, event: Event, result: ItemResult, transfer: Transfer, on: date) -> list[Reason]:
        """R05: items for an entity headquartered (or with an ultimate parent) in D:5 or Macau.

        Applies wherever the items go outside the United States (BIS guidance of 31 May 2026). A country
        whose D:5 status is unsettled on the date (Cambodia, Nov 2025 - Feb 2026) holds instead of denying.
        """
        rule = self._ruleset.rule("headquarters")
        abroad = [leg for leg in transfer.legs if leg.destination != "US"]
        if not result.advanced_computing or not rule.in_force(on) or not abroad:
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
            licence = next(
                (
                    found
                    for leg in abroad
                    if (
                        found := _licence_covers(
                            self._usable_licences(event, result, leg, on), eccn, leg.destination, on, allowed
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
                    f"{self._countries.canonical(parent_hq)}"
                )
                evidence: dict[str, object] = {"ultimate_parent": parent.evidence()}
            else:
                hit_country = hq
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
            review = self._countries.in_review_window(hit_country, on)
            if review is not None:
                reasons.append(
                    Reason(
                        code="HQ_OR_PARENT_D5",
                        outcome=Outcome.HOLD,
                        party_role=party.role,
                        line_id=result.classification.line_id,
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
        named = {str(c) for c in rule.param("destinations", [])}
        hits = [d for d in transfer.destinations if d in named or self._countries.is_d5_or_macau(d, on)]
        destination = hits[0] if hits else self._countries.canonical(transfer.destination)
        hq_parties = [
            p
            for p in transfer.recipients
            if self._countries.is_d5_or_macau(p.headquarters_country, on)
            or self._countries.is_d5_or_macau(p.ultimate_parent_hq_country, on)
        ]
        if not hits and not hq_parties:
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
                    f"{model_name} needs a licence to {destination} or for parties headquartered in "
                    "D:5/Macau (BIS is-informed notice of 9 Apr 2025)"
                ),
                evidence={"model": model_name, "destination": destination},
            )
        ]

    def _prc_advanced_ic(self, event: Event, result: ItemResult, on: date) -> list[Reason]:
        """R15: PRC-designed 3A090-level ICs (Ascend 910B/C/D): General Prohibition 10 guidance."""
        rule = self._ruleset.rule("prc_advanced_ic")
        if not rule.in_force(on) or not result.prc_designed or not result.advanced_computing:
            return []
        end_use = _declared_use(event)
        line = result.classification.line_id
        words = rule.param("evaluation_words", EVALUATION_WORDS)
        if _mentions(end_use, words):
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
                    f"{result.model or 'PRC-designed advanced IC'} is a PRC 3A090-level IC: dealing in it "
                    "risks General Prohibition 10 (BIS guidance of 13 May 2025)"
                ),
                evidence={"model": result.model, "declared_use": end_use or None},
            )
        ]

    # ------------------------------------------------------------------------------------------------
    def _remote_lease(
        self, event: Lease, items: Sequence[ItemResult], profiles: Sequence[PartyProfile], on: date
    ) -> list[Reason]:
        """R17: remote access to advanced compute for listed or D:5/Macau-headquartered lessees.

        Remote access is not an export today, so a listed lessee is denied as provider policy backed by
        the knowledge rules (not an export licence requirement); a D:5/Macau-headquartered one is held for
        policy review (May 2025 policy statement; RASA pending).
        """
        if not any(r.advanced_computing for r in items):
            return []
        reasons: list[Reason] = []
        for profile in profiles:
            if profile.party.role not in ("lessee", "end_user"):
                continue
            party = profile.party
            listed = self._restricted_evidence(profile, on)
            if listed:
                reasons.append(
                    Reason(
                        code="LEASE_REMOTE_ACCESS_D5",
                        outcome=Outcome.DENY,
                        party_role=party.role,
                        message=(
                            f"remote access to advanced compute for {party.role} {party.name!r}, a listed or "
                            "list-owned party: denied by provider policy and the knowledge rules (remote "
                            "access is not an export, so no export licence is the basis)"
                        ),
                        evidence={"restrictions": listed},
                    )
                )
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
                    where = (
                        f"with ultimate parent {parent.name} headquartered in "
                        f"{self._countries.canonical(parent_hq)}"
                    )
            reasons.append(
                Reason(
                    code="LEASE_REMOTE_ACCESS_D5",
                    outcome=Outcome.HOLD,
                    party_role=party.role,
                    message=(
                        f"remote access to advanced compute for {party.role} {party.name!r} {where}: not an "
                        "export today, held for policy review (May 2025 policy statement; RASA pending)"
                    ),
                    evidence=evidence,
                )
            )
        return reasons

    def _restricted_evidence(self, profile: PartyProfile, on: date) -> list[dict[str, object]]:
        """Why a party is barred outright: a deny-list match, or blocking/affiliate ownership in force."""
        found: list[dict[str, object]] = []
        policy = self._ruleset.list_policy
        for hit in profile.hits:
            if hit.strong and policy.outcome_for(hit.entry.source, True) is Outcome.DENY:
                found.append({"list_hit": hit.evidence()})
        finding = profile.ownership
        if finding is not None:
            rules = {"OFAC": self._ruleset.rule("ofac_50"), "BIS": self._ruleset.rule("affiliates")}
            for regime in finding.regimes:
                rule = rules.get(regime.regime)
                if regime.restricted and rule is not None and rule.in_force(on):
                    found.append(
                        {"owned_by_listed": regime.regime, "aggregate_share": regime.aggregate_share}
                    )
        return found

    def _training_end_use(
        self, event: Event, items: Sequence[ItemResult], transfer: Transfer, on: date
    ) -> list[Reason]:
        """R18: declared AI training with advanced compute, for military/WMD ends or D:5/Macau parties."""
        rule = self._ruleset.rule("ai_training")
        declared = _declared_use(event)
        if not rule.in_force(on) or not any(r.advanced_computing for r in items):
            return []
        if not _mentions(declared, rule.param("training_words", TRAINING_WORDS)):
            return []
        if _mentions(declared, rule.param("prohibited_end_use_words", PROHIBITED_END_USE_WORDS)):
            return [
                Reason(
                    code="AI_TRAINING_END_USE",
                    outcome=Outcome.DENY,
                    message=(
                        "declared AI training for a military or WMD end use: a licence is required "
                        "(15 CFR 744.6, 744.22, 744.23; BIS policy statement of 13 May 2025)"
                    ),
                    evidence={"declared_use": declared},
                )
            ]
        reasons: list[Reason] = []
        for profile in transfer.recipients:
            hq = profile.headquarters_country
            parent_hq = profile.ultimate_parent_hq_country
            country = hq if self._countries.is_d5_or_macau(hq, on) else parent_hq
            if not self._countries.is_d5_or_macau(country, on):
                continue
            reasons.append(
                Reason(
                    code="AI_TRAINING_END_USE",
                    outcome=Outcome.HOLD,
                    party_role=profile.party.role,
                    message=(
                        f"declared AI training for {profile.party.role} {profile.party.name!r}, "
                        f"headquartered (or ultimately owned) in {self._countries.canonical(country)}: "
                        "check the end use "
                        "and end user (BIS policy statement of 13 May 2025)"
                    ),
                    evidence={"declared_use": declared, "headquarters_or_parent_country": country},
                )
            )
        return reasons

    def _large_training_run(
        self, event: Event, items: Sequence[ItemResult], transfer: Transfer, on: date
    ) -> list[Reason]:
        """Log a declared training run at or above the 4E091 compute threshold (10^26 operations).

        Red Flag 28 of the AI Diffusion rule asked IaaS providers to act on such runs; the rule has not
        been enforced since 13 May 2025, so the ruleset's outcome for the flag is `allow`: it is recorded
        for review, not acted on.
        """
        rule = self._ruleset.rule("large_training_run")
        if (
            not isinstance(event, Lease)
            or not rule.in_force(on)
            or not any(r.advanced_computing for r in items)
        ):
            return []
        declared = _declared_use(event)
        estimate = _flop_estimate(declared)
        threshold = float(rule.param("flop_threshold", 1e26))
        if estimate is None or estimate < threshold:
            return []
        outcome = Outcome(str(rule.param("outcome", "allow")))
        return [
            Reason(
                code="LARGE_TRAINING_RUN",
                outcome=outcome,
                party_role="lessee",
                message=(
                    f"declared training compute {estimate:.1e} operations is at or above {threshold:.0e} "
                    f"(ECCN 4E091 / Red Flag 28): logged; {rule.param('note', 'review')}"
                ),
                evidence={
                    "declared_use": declared,
                    "estimated_operations": estimate,
                    "threshold": threshold,
                    "lessee_headquarters": event.lessee.hq_country
                    or next(
                        (p.headquarters_country for p in transfer.recipients if p.party.role == "lessee"),
                        None,
                    ),
                },
            )
        ]

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
        forwarders = [
            p for p in event.intermediaries if (p.party_role_detail or "").casefold() in forwarder_roles
        ]
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
        if (
            event.end_user is not None
            and (event.end_user.party_role_detail or "").casefold() in reseller_roles
        ):
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


def _declared_use(event: Event) -> str:
    """The free-text end use (orders) or purpose (leases) the caller declared."""
    return (event.end_use if isinstance(event, Order) else event.purpose) or ""


def _mentions(text: str, words: Sequence[str]) -> bool:
    """Whether `text` contains any of `words` (case-insensitive, whole words or phrases)."""
    folded = text.casefold()
    return any(re.search(rf"\b{re.escape(str(word).casefold())}", folded) for word in words)


def _flop_estimate(text: str) -> float | None:
    """The largest training-compute estimate declared in `text` ("3e26 FLOP", "3 x 10^26 FLOP")."""
    found = [
        float(mantissa) * 10 ** int(exponent)
        for mantissa, exponent in _FLOP_ESTIMATE.findall(text.translate(_SUPERSCRIPTS))
    ]
    return max(found) if found else None
