"""Completeness rules: when a controlled line is on the event and an input a rule needs is missing or
unknown, the event is held with a code naming the missing input, never decided as if it were harmless.

Controlled lines are the ones under a licence requirement by what they are (`RuleContext.controlled`):
3A090 / 4A090 / .z items (GP10 ICs among them) and lines an is-informed notice reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from screening.domain.model import Lease, Order, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.profiles import OwnershipStatus
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope, d5_headquarters, licence_covers
from screening.domain.rules.destination import H200Params, IsInformedParams
from screening.domain.rules.inputs import Input


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationUnknownParams(RuleParams):
    """`[rules.destination_unknown]`: when a missing ship-to country holds an order."""

    table: ClassVar[str] = "rules.destination_unknown"


class DestinationUnknownRule:
    """An order of controlled lines without a ship-to country: the destination rules cannot be decided."""

    rule_id: ClassVar[str] = "R04, R05, R13, R14 (inputs)"
    name: ClassVar[str] = "destination_unknown"
    title: ClassVar[str] = "A controlled order must say where it ships"
    citation: ClassVar[str] = "15 CFR 742.6(a)(6); contract failure semantics (fail closed)"
    inputs: ClassVar[tuple[Input, ...]] = (Input.SHIP_TO, Input.ITEM_CLASSIFICATION, Input.ITEM_MODEL)
    guards: ClassVar[tuple[Input, ...]] = (Input.SHIP_TO,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.DESTINATION_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = DestinationUnknownParams

    def __init__(self, params: DestinationUnknownParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`DESTINATION_UNKNOWN` (hold) when a controlled order has no ship-to country."""
        event = context.event
        controlled = context.controlled
        if not isinstance(event, Order) or event.ship_to_country or not controlled:
            return []
        if not self.params.in_force(context.on):
            return []
        lines = _lines(context)
        return [
            Reason(
                code=ReasonCode.DESTINATION_UNKNOWN,
                outcome=Outcome.HOLD,
                message=(
                    f"order {event.order_id} has no ship-to country, and line(s) {', '.join(lines)} are "
                    "controlled: the destination licence requirement cannot be decided without it"
                ),
                evidence={"missing": "ship_to_country", "controlled_lines": lines},
            )
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyLocationParams(RuleParams):
    """`[rules.party_location_unknown]`: when a party without a country, or (for controlled lines)
    without stated headquarters, holds an event."""

    table: ClassVar[str] = "rules.party_location_unknown"


class PartyLocationUnknownRule:
    """A party without a country (any event: list screening and the onward destination read it), or, on a
    controlled event, a party whose headquarters nobody states (neither the event nor the registry)."""

    rule_id: ClassVar[str] = "R04, R05, R06, R13 (inputs)"
    name: ClassVar[str] = "party_location_unknown"
    title: ClassVar[str] = "Every party must say where it is, and where it is headquartered when it matters"
    citation: ClassVar[str] = "15 CFR 742.6(a)(6)(iii)(A); 15 CFR 744.11; contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.PARTY_COUNTRY,
        Input.PARTY_HEADQUARTERS,
        Input.ITEM_CLASSIFICATION,
    )
    guards: ClassVar[tuple[Input, ...]] = (Input.PARTY_COUNTRY, Input.PARTY_HEADQUARTERS)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.PARTY_LOCATION_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = PartyLocationParams

    def __init__(self, params: PartyLocationParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`PARTY_LOCATION_UNKNOWN` (hold) per party with a missing country or unstated headquarters."""
        if not self.params.in_force(context.on):
            return []
        controlled = bool(context.controlled)
        reasons: list[Reason] = []
        for profile in context.profiles:
            party = profile.party
            missing = []
            if not party.country:
                missing.append("country")
            registry_read = profile.ownership_status in (OwnershipStatus.KNOWN, OwnershipStatus.NOT_FOUND)
            if controlled and registry_read and profile.stated_headquarters is None:
                # (when the registry could not be read, the cause is held under its own code)
                missing.append("hq_country")
            if not missing:
                continue
            why = {
                "country": "its country (list screening and the destination rules read it)",
                "hq_country": "its headquarters (neither the event nor the ownership registry states them)",
            }
            reasons.append(
                Reason(
                    code=ReasonCode.PARTY_LOCATION_UNKNOWN,
                    outcome=Outcome.HOLD,
                    party_role=party.role,
                    message=(
                        f"{party.role} {party.name!r}: {' and '.join(why[field] for field in missing)} "
                        "unknown; held until given"
                    ),
                    evidence={"missing": missing, "controlled_lines": _lines(context)},
                )
            )
        return reasons


@dataclass(frozen=True, slots=True, kw_only=True)
class UltimateParentParams(RuleParams):
    """`[rules.ultimate_parent_unknown]`: when a party whose ultimate parent cannot be told holds."""

    table: ClassVar[str] = "rules.ultimate_parent_unknown"


class UltimateParentUnknownRule:
    """On a controlled event, a party whose ultimate parent cannot be told: not in the ownership registry,
    or its majority-ownership chain stops at an owner without a record or at an unknown share."""

    rule_id: ClassVar[str] = "R05, R13, R17 (inputs)"
    name: ClassVar[str] = "ultimate_parent_unknown"
    title: ClassVar[str] = "A controlled event needs every party's ultimate parent"
    citation: ClassVar[str] = (
        "15 CFR 742.6(a)(6)(iii)(A); BIS guidance of 31 May 2026; regulation.md §4.3 step 7"
    )
    inputs: ClassVar[tuple[Input, ...]] = (Input.ULTIMATE_PARENT, Input.OWNERSHIP, Input.ITEM_CLASSIFICATION)
    guards: ClassVar[tuple[Input, ...]] = (Input.ULTIMATE_PARENT,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ULTIMATE_PARENT_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = UltimateParentParams

    def __init__(self, params: UltimateParentParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ULTIMATE_PARENT_UNKNOWN` (hold) per party of a controlled event whose top owner is unknown."""
        if not context.controlled or not self.params.in_force(context.on):
            return []
        reasons: list[Reason] = []
        for profile in context.profiles:
            if profile.ownership_status is not OwnershipStatus.KNOWN and profile.ownership_status is not (
                OwnershipStatus.NOT_FOUND
            ):
                continue  # the registry could not be read or a record is invalid: held under their own codes
            finding = profile.ownership
            evidence: dict[str, object] = {"controlled_lines": _lines(context)}
            if finding is None:
                why = "it is not in the ownership registry"
                evidence["missing"] = "ownership_record"
            elif finding.parent_unresolved:
                top = finding.ultimate_parent
                if top is None:
                    why = "its owners' shares are unknown, so no controlling owner can be told"
                    evidence.update(missing="ultimate_parent", entity_id=finding.root_id)
                else:
                    stop = (
                        "an owner without a record"
                        if top.stop_reason == "missing_record"
                        else "unknown shares"
                    )
                    why = f"its majority-ownership chain stops at {top.name or top.entity_id} ({stop})"
                    evidence.update(missing="ultimate_parent", ultimate_parent=top.evidence())
            elif finding.ultimate_parent is not None and finding.ultimate_parent.headquarters_country is None:
                why = f"its ultimate parent {finding.ultimate_parent.name!r} has no known headquarters"
                evidence.update(
                    missing="ultimate_parent_hq", ultimate_parent=finding.ultimate_parent.evidence()
                )
            else:
                continue
            party = profile.party
            reasons.append(
                Reason(
                    code=ReasonCode.ULTIMATE_PARENT_UNKNOWN,
                    outcome=Outcome.HOLD,
                    party_role=party.role,
                    message=(
                        f"{party.role} {party.name!r}: the ultimate parent cannot be told ({why}), so the "
                        "D:5/Macau headquarters rule cannot be decided for the controlled lines"
                    ),
                    evidence=evidence,
                )
            )
        return reasons


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseInputsParams(RuleParams):
    """`[rules.lease_inputs_unknown]`: when a controlled lease without a hardware location or an access
    mode holds."""

    table: ClassVar[str] = "rules.lease_inputs_unknown"


class HardwareLocationUnknownRule:
    """A lease of controlled lines that does not say where the hardware is."""

    rule_id: ClassVar[str] = "R16, R17 (inputs)"
    name: ClassVar[str] = "hardware_location_unknown"
    title: ClassVar[str] = "A controlled lease must say where the hardware is"
    citation: ClassVar[str] = "EAR definitions of export, reexport and transfer; contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.HARDWARE_COUNTRY, Input.ITEM_CLASSIFICATION)
    guards: ClassVar[tuple[Input, ...]] = (Input.HARDWARE_COUNTRY,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.HARDWARE_LOCATION_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = LeaseInputsParams

    def __init__(self, params: LeaseInputsParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`HARDWARE_LOCATION_UNKNOWN` (hold) for a controlled lease without `hardware_country`."""
        event = context.event
        if not isinstance(event, Lease) or event.hardware_country or not context.controlled:
            return []
        if not self.params.in_force(context.on):
            return []
        return [
            Reason(
                code=ReasonCode.HARDWARE_LOCATION_UNKNOWN,
                outcome=Outcome.HOLD,
                party_role="lessee",
                message=(
                    f"lease {event.lease_id} does not say where the hardware is: whether it is an export, "
                    "and to which country, cannot be decided for the controlled lines"
                ),
                evidence={"missing": "hardware_country", "controlled_lines": _lines(context)},
            )
        ]


class AccessModeUnknownRule:
    """A lease of controlled lines that does not say whether access is remote or dedicated."""

    rule_id: ClassVar[str] = "R16, R17 (inputs)"
    name: ClassVar[str] = "access_mode_unknown"
    title: ClassVar[str] = "A controlled lease must say whether access is remote or dedicated"
    citation: ClassVar[str] = "EAR definitions of export, reexport and transfer; contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.ACCESS_MODE, Input.ITEM_CLASSIFICATION)
    guards: ClassVar[tuple[Input, ...]] = (Input.ACCESS_MODE,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ACCESS_MODE_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = LeaseInputsParams

    def __init__(self, params: LeaseInputsParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ACCESS_MODE_UNKNOWN` (hold) for a controlled lease without `access` (unless title passes)."""
        event = context.event
        if not isinstance(event, Lease) or event.access is not None or not context.controlled:
            return []
        if event.title_transfer or not self.params.in_force(context.on):
            return []
        return [
            Reason(
                code=ReasonCode.ACCESS_MODE_UNKNOWN,
                outcome=Outcome.HOLD,
                party_role="lessee",
                message=(
                    f"lease {event.lease_id} does not say whether access is remote or dedicated: dedicated "
                    "access is a transfer to the lessee; screened as remote access and held"
                ),
                evidence={"missing": "access", "controlled_lines": _lines(context)},
            )
        ]


class OriginUnknownRule:
    """An H200-class order to China/Macau with a licence on file and no ship-from country: the licence
    covers only a direct export from the U.S. (R14), which cannot be told."""

    rule_id: ClassVar[str] = "R14 (inputs)"
    name: ClassVar[str] = "origin_unknown"
    title: ClassVar[str] = "An H200-class licence to China/Macau counts only where the origin is known"
    citation: ClassVar[str] = "91 FR 1684 (15 Jan 2026); contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.SHIP_FROM, Input.ITEM_CLASSIFICATION, Input.LICENCES)
    guards: ClassVar[tuple[Input, ...]] = (Input.SHIP_FROM,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ORIGIN_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = H200Params

    def __init__(self, params: H200Params) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ORIGIN_UNKNOWN` (hold) when R14 would let a licence decide and the origin is missing."""
        event = context.event
        if not isinstance(event, Order) or event.ship_from_country:
            return []
        lines = sorted(
            {
                result.classification.line_id
                for result in context.items
                for leg in context.transfer.legs
                if self.params.box_to_china(result, leg, context.on)
                and licence_covers(
                    event.licences, result.classification.eccn, leg.destination, context.on, ["license"]
                )
            }
        )
        if not lines:
            return []
        return [
            Reason(
                code=ReasonCode.ORIGIN_UNKNOWN,
                outcome=Outcome.HOLD,
                message=(
                    f"order {event.order_id} has no ship-from country: a licence for H200-class line(s) "
                    f"{', '.join(lines)} to China/Macau covers only a direct export from the U.S. "
                    "(91 FR 1684)"
                ),
                evidence={"missing": "ship_from_country", "lines": lines},
            )
        ]


class BandwidthUnknownRule:
    """A chip outside 3A090 whose memory bandwidth is unknown, going to China/D:5 or for a party
    headquartered there: whether it reaches the H20's bandwidth (R13) cannot be told."""

    rule_id: ClassVar[str] = "R13 (inputs)"
    name: ClassVar[str] = "bandwidth_unknown"
    title: ClassVar[str] = "The is-informed bandwidth test needs the chip's memory bandwidth"
    citation: ClassVar[str] = "BIS is-informed letter of 9 Apr 2025 (NVIDIA 8-K of 15 Apr 2025)"
    inputs: ClassVar[tuple[Input, ...]] = (
        Input.ITEM_BANDWIDTH,
        Input.ITEM_CLASSIFICATION,
        Input.SHIP_TO,
        Input.PARTY_HEADQUARTERS,
        Input.ULTIMATE_PARENT,
    )
    guards: ClassVar[tuple[Input, ...]] = (Input.ITEM_BANDWIDTH,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ITEM_BANDWIDTH_UNKNOWN,)
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = IsInformedParams

    def __init__(self, params: IsInformedParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ITEM_BANDWIDTH_UNKNOWN` (hold) per accelerator line the bandwidth test cannot decide."""
        countries, on, transfer = context.countries, context.on, context.transfer
        if not transfer.is_export or not self.params.in_force(on):
            return []
        reaches = any(
            d in self.params.destinations or countries.is_d5_or_macau(d, on) for d in transfer.destinations
        ) or any(
            d5_headquarters(p, countries, on) is not None
            or countries.is_d5_or_macau(p.ultimate_parent_hq_country, on)
            for p in context.profiles
        )
        if not reaches:
            return []
        return [
            Reason(
                code=ReasonCode.ITEM_BANDWIDTH_UNKNOWN,
                outcome=Outcome.HOLD,
                line_id=result.classification.line_id,
                message=(
                    f"line {result.classification.line_id} ({result.classification.product}): an accelerator "
                    "outside 3A090 whose memory bandwidth is unknown goes to China/D:5 or a party "
                    "headquartered there: whether it reaches the H20's bandwidth (is-informed notice) cannot "
                    "be told"
                ),
                evidence={"missing": "memory_bandwidth_gbs", "tpp": result.tpp},
            )
            for result, unknown in zip(context.items, context.bandwidth_unknown, strict=True)
            if unknown
        ]


def _lines(context: RuleContext) -> list[str]:
    """Ids of the controlled lines, for evidence."""
    return [result.classification.line_id for result in context.controlled]
