"""Licence rule: the licences an event names must be on file, valid, for its parties, with quantity left."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from screening.domain.licensing import check_licences
from screening.domain.model import Reason
from screening.domain.parameters import Parameters
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope
from screening.domain.rules.inputs import Input


class LicenceOnFileRule:
    """Every licence (or NAC/ACA notification) the event names is checked against the licence store
    (`screening.domain.licensing`): the destination rules count it as the store records it, and any
    problem with it (not on file, expired, revoked or suspended, another type, ECCN or destination, other
    parties, quantity exhausted) is a hold for review, never an automatic allow or deny."""

    rule_id: ClassVar[str] = "R04, R05, R13, R14"
    name: ClassVar[str] = "licence_on_file"
    title: ClassVar[str] = "Licences on file: valid, for these parties, with quantity left"
    citation: ClassVar[str] = "15 CFR 750.7, 750.8, 740.8; 15 CFR 762"
    inputs: ClassVar[tuple[Input, ...]] = (Input.LICENCES, Input.EVENT_DATE, Input.PARTY_NAMES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (
        ReasonCode.LICENCE_VERIFIED,
        ReasonCode.LICENCE_UNVERIFIED,
        ReasonCode.LICENCE_UNKNOWN,
        ReasonCode.LICENCE_EXPIRED,
        ReasonCode.LICENCE_REVOKED,
        ReasonCode.LICENCE_MISMATCH,
        ReasonCode.LICENCE_PARTY_MISMATCH,
        ReasonCode.LICENCE_EXHAUSTED,
        ReasonCode.LICENCES_UNAVAILABLE,
    )
    scope: ClassVar[Scope] = Scope.MOVEMENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per licence the event names (none when no licence store was consulted)."""
        if context.licence_book is None:
            return []
        claimed = replace(context.event, licences=context.claimed_licences)
        return check_licences(
            claimed, context.items, context.licence_book, context.on, context.licence_shortfalls
        )
