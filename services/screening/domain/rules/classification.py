"""Classification rules (R01–R03): the holds classification itself raises for a line.

The classification of every line (ECCN, TPP, performance density, Note 2, 3A090.c) is worked out once by
`screening.domain.classification` before the rules run; this rule reports its findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from screening.domain.model import Reason
from screening.domain.parameters import Parameters
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope
from screening.domain.rules.inputs import Input


class ItemClassificationRule:
    """R01–R03: a line nothing classifies, or whose given ECCN disagrees with its parameters, is held."""

    rule_id: ClassVar[str] = "R01–R03"
    name: ClassVar[str] = "item_classification"
    title: ClassVar[str] = "Classification of each line: 3A090 / 4A090 / .z, Note 2, HBM"
    citation: ClassVar[str] = "15 CFR 774 Supp. 1 (3A090, 4A090, .z); regulation.md §1.2"
    inputs: ClassVar[tuple[Input, ...]] = (Input.ITEM_CLASSIFICATION, Input.EVENT_DATE)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.CLASSIFICATION_UNKNOWN, ReasonCode.ECCN_MISMATCH)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """The classification holds of every line."""
        return [reason for result in context.items for reason in result.reasons]
