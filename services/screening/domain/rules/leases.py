"""Lease rules (R16, R17, R20) and the lifecycle of orders and leases.

A dedicated lease (bare metal, colocation) or a termination that passes title is a transfer to the lessee
in the hardware's country (`RuleContext.transfer`), screened by the destination rules; a remote lease is
not an export and is screened by R17. An order cancel or a plain lease termination moves nothing (R20).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from screening.domain.model import Lease, Order, Outcome, Reason
from screening.domain.parameters import Parameters
from screening.domain.profiles import PartyProfile
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope, d5_headquarters, nothing_moves
from screening.domain.rules.inputs import Input


class LeaseTransferRule:
    """R16/R20: say when a lease is screened as a transfer (dedicated hardware abroad, or title passing)."""

    rule_id: ClassVar[str] = "R16"
    name: ClassVar[str] = "lease_offshore_hardware"
    title: ClassVar[str] = "A dedicated lease abroad, or a buy-out, is a transfer to the lessee"
    citation: ClassVar[str] = "EAR definitions of export, reexport and transfer; 15 CFR 742.6"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ACCESS_MODE,
        Input.HARDWARE_COUNTRY,
        Input.LIFECYCLE,
        Input.ITEM_CLASSIFICATION,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (
        ReasonCode.LEASE_OFFSHORE_HARDWARE,
        ReasonCode.LEASE_TITLE_TRANSFER,
    )
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """An explanation (allow) when an advanced-computing lease is screened as a transfer."""
        event = context.event
        if not isinstance(event, Lease) or not context.transfer.is_export or not context.advanced:
            return []
        where = context.countries.canonical(event.hardware_country) or "an unknown country"
        if event.action == "terminate" and event.title_transfer:
            return [
                Reason(
                    code=ReasonCode.LEASE_TITLE_TRANSFER,
                    outcome=Outcome.ALLOW,
                    party_role="lessee",
                    message=(
                        f"lease {event.lease_id} ends with title to the hardware in {where} passing to the "
                        f"lessee {event.lessee.name!r}: re-screened as a transfer (R20, R16)"
                    ),
                    evidence={"hardware_country": event.hardware_country, "title_transfer": True},
                )
            ]
        if event.hardware_country is None or where == "US":
            return []  # in the U.S. it is no export; unknown, it is held (HARDWARE_LOCATION_UNKNOWN)
        return [
            Reason(
                code=ReasonCode.LEASE_OFFSHORE_HARDWARE,
                outcome=Outcome.ALLOW,
                party_role="lessee",
                message=(
                    f"dedicated lease of hardware in {where}: control passes to the lessee "
                    f"{event.lessee.name!r}, so it is screened as a transfer to it (R16)"
                ),
                evidence={"hardware_country": event.hardware_country, "access": event.access},
            )
        ]


def restricted_evidence(context: RuleContext, profile: PartyProfile) -> list[dict[str, object]]:
    """Why a party is barred outright: a deny-list match, or blocking/affiliate ownership in force."""
    found: list[dict[str, object]] = []
    for hit in profile.hits:
        if hit.strong and context.list_policy.outcome_for(hit.entry.source, True) is Outcome.DENY:
            found.append({"list_hit": hit.evidence()})
    finding = profile.ownership
    if finding is not None:
        for regime in finding.regimes:
            if regime.restricted and regime.regime in context.regimes_in_force:
                found.append({"owned_by_listed": regime.regime, "aggregate_share": regime.aggregate_share})
    return found


class RemoteAccessRule:
    """R17: remote access to advanced compute for listed or D:5/Macau-headquartered lessees.

    Remote access is not an export today, so a listed lessee is denied as provider policy backed by
    the knowledge rules (not an export licence requirement); a D:5/Macau-headquartered one is held for
    policy review (May 2025 policy statement; RASA pending).
    """

    rule_id: ClassVar[str] = "R17"
    name: ClassVar[str] = "lease_remote_access"
    title: ClassVar[str] = "Remote access to U.S.-located advanced compute"
    citation: ClassVar[str] = "May 2025 BIS policy statement; RASA (H.R. 2683) pending"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ACCESS_MODE,
        Input.ITEM_CLASSIFICATION,
        Input.LIST_MATCHES,
        Input.OWNERSHIP,
        Input.PARTY_HEADQUARTERS,
        Input.ULTIMATE_PARENT,
    )
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LEASE_REMOTE_ACCESS_D5,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """Deny listed or list-owned lessees; hold D:5/Macau-headquartered ones."""
        event = context.event
        if not isinstance(event, Lease) or context.transfer.is_export or not context.advanced:
            return []
        countries, on = context.countries, context.on
        reasons: list[Reason] = []
        for profile in context.profiles:
            if profile.party.role not in ("lessee", "end_user"):
                continue
            party = profile.party
            listed = restricted_evidence(context, profile)
            if listed:
                reasons.append(
                    Reason(
                        code=ReasonCode.LEASE_REMOTE_ACCESS_D5,
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
            claimed = d5_headquarters(profile, countries, on)
            hq = claimed or profile.headquarters_country
            parent_hq = profile.ultimate_parent_hq_country
            if claimed is None and not countries.is_d5_or_macau(parent_hq, on):
                continue
            evidence: dict[str, object] = {"headquarters_country": hq}
            where = f"headquartered in {countries.canonical(hq)}"
            review = countries.in_review_window(claimed or parent_hq, on)
            if review is not None:  # Cambodia 7 Nov 2025 - 2 Feb 2026: D:1 and flagged, as R04/R05
                evidence["country_group_review"] = review.evidence()
            if profile.ownership is not None and profile.ownership.ultimate_parent is not None:
                parent = profile.ownership.ultimate_parent
                evidence["ultimate_parent"] = parent.evidence()
                if countries.is_d5_or_macau(parent_hq, on):
                    parent_country = countries.canonical(parent_hq)
                    where = f"with ultimate parent {parent.name} headquartered in {parent_country}"
            reasons.append(
                Reason(
                    code=ReasonCode.LEASE_REMOTE_ACCESS_D5,
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


class LifecycleRule:
    """R20 and order cancels: an event that moves nothing is recorded, with an alert when warranted.

    A lease termination grants no new access; a party listed meanwhile raises an alert for review.
    """

    rule_id: ClassVar[str] = "R20"
    name: ClassVar[str] = "lifecycle"
    title: ClassVar[str] = "Order cancels and lease terminations move nothing"
    citation: ClassVar[str] = "Contract; regulation.md §5.5 and §8 R20"
    inputs: ClassVar[tuple[Input, ...]] = (Input.LIFECYCLE, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ORDER_CANCELLED, ReasonCode.LEASE_TERMINATED)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ORDER_CANCELLED` or `LEASE_TERMINATED` (allow) on an event that moves nothing."""
        event = context.event
        if not nothing_moves(event):
            return []
        if isinstance(event, Order):
            return [
                Reason(
                    code=ReasonCode.ORDER_CANCELLED,
                    outcome=Outcome.ALLOW,
                    message=f"order {event.order_id} cancelled: no goods move; decision recorded",
                )
            ]
        listed = [
            {**hit.evidence(), "party_role": profile.party.role, "listed_on": hit.entry.start_date}
            for profile in context.profiles
            for hit in profile.hits
            if hit.strong and not context.list_policy.record_only(hit.entry.source)
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
        return [
            Reason(
                code=ReasonCode.LEASE_TERMINATED, outcome=Outcome.ALLOW, message=message, evidence=evidence
            )
        ]
