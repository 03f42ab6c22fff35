"""Integrity rules: the data a decision rests on must be there and be what it claims to be."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from screening.domain.model import Outcome, Reason
from screening.domain.parameters import Parameters
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope
from screening.domain.rules.inputs import Input


class ListsUnavailableRule:
    """No control lists are loaded: no party can be screened, so every event is held."""

    rule_id: ClassVar[str] = "—"
    name: ClassVar[str] = "lists_unavailable"
    title: ClassVar[str] = "Control lists must be loaded"
    citation: ClassVar[str] = "Contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.LIST_MATCHES,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LISTS_UNAVAILABLE,)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`LISTS_UNAVAILABLE` (hold) when the batch had no lists."""
        if context.lists_available:
            return []
        return [
            Reason(
                code=ReasonCode.LISTS_UNAVAILABLE,
                outcome=Outcome.HOLD,
                message="control lists are not loaded: parties cannot be screened",
            )
        ]
