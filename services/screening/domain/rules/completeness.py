"""Completeness rules: when a controlled line is on the event and an input a rule needs is missing or
unknown, the event is held with a code naming the missing input, never decided as if it were harmless.

Controlled lines are the ones under a licence requirement by what they are (`RuleContext.controlled`):
3A090 / 4A090 / .z items (GP10 ICs among them) and lines an is-informed notice reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from screening.domain.model import Order, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope
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
        lines = [result.classification.line_id for result in controlled]
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
