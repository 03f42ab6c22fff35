"""Address rules (R19, RF_ADDRESS_MISMATCH): a ship-to or party address that is a listed address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from screening.domain.addresses import AddressMatch
from screening.domain.model import Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope
from screening.domain.rules.inputs import Input


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressMatchParams(RuleParams):
    """`[rules.address_match]`: the address score at or above which a match holds the event."""

    table: ClassVar[str] = "rules.address_match"
    hold_at: float

    def __post_init__(self) -> None:
        if not 0.0 < self.hold_at <= 1.0:
            raise ValueError(f"hold_at must be in (0, 1], got {self.hold_at}")


class AddressMatchRule:
    """An address of the event (the ship-to address, a party's address) matches an address a control-list
    entry carries. Front companies share addresses: the delivery address of a listed entity is a red flag
    whatever name the party gives, so the event is held with the listed address and every entry at it."""

    rule_id: ClassVar[str] = "R19 (RF_ADDRESS_MISMATCH), R06"
    name: ClassVar[str] = "address_match"
    title: ClassVar[str] = "A ship-to or party address that is an address on a control list"
    citation: ClassVar[str] = "Supp. No. 3 to Part 732 (red flags); Supp. No. 4 to Part 744; 15 CFR 744.11"
    inputs: ClassVar[tuple[Input, ...]] = (Input.ADDRESSES, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.ADDRESS_MATCH,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = AddressMatchParams

    def __init__(self, params: AddressMatchParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`ADDRESS_MATCH` (hold) per address of the event whose best listed match reaches `hold_at`."""
        best: dict[tuple[str, str | None], list[AddressMatch]] = {}
        reasons: list[Reason] = []
        for match in context.address_hits:
            if match.hit.score < self.params.hold_at:
                continue
            best.setdefault((match.where, match.party_role), []).append(match)
        for (where, role), matches in best.items():
            hit = max(matches, key=lambda found: found.hit.score).hit
            entries = hit.listed.entries
            named = ", ".join(f"{entry.source} {entry.name!r}" for entry in entries[:3])
            more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
            whose = "ship-to address" if where == "ship_to" else f"{role} address"
            reasons.append(
                Reason(
                    code=ReasonCode.ADDRESS_MATCH,
                    outcome=Outcome.HOLD,
                    party_role=role,
                    message=(
                        f"{whose} {hit.query!r} is the listed address {hit.listed.text!r} of {named}{more} "
                        f"(score {hit.score:.2f}): held for review"
                    ),
                    evidence={
                        "where": where,
                        **hit.evidence(),
                        "other_listed_addresses": len(matches) - 1,
                    },
                )
            )
        return reasons
