"""The documentation of reason codes and rules is generated from the code and cannot drift from it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from screening.adapters.memory import InMemoryOwnershipRegistry
from screening.codec import Rejected, decode_event
from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.model import Outcome, Reason
from screening.domain.names import ScreeningLists
from screening.domain.ownership import record_from_mapping
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import Rule, RuleContext
from screening.domain.rules.registry import RULES
from screening.resources import load_catalogue, load_ruleset
from screening.rule_docs import PAGES
from tests.golden.parity import Generator

ROOT = Path(__file__).resolve().parents[2]

# Codes emitted outside the rules: by the engine for a rejected event, by the service and its adapters, and
# by reviews (`screening.domain.review`).
EMITTED_OUTSIDE_RULES = {
    ReasonCode.INVALID_EVENT,
    ReasonCode.ENGINE_ERROR,
    ReasonCode.DECISION_DATE,  # the engine, once per decision, after choosing the date
    ReasonCode.REVIEW_RELEASED,
    ReasonCode.REVIEW_CONFIRMED,
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_generated_page_is_up_to_date(page: str) -> None:
    committed = (ROOT / page).read_text(encoding="utf-8")
    assert committed == PAGES[page](), f"{page} is out of date: run `make docs`"


def test_every_code_is_emitted_by_a_rule_or_named_as_emitted_outside_the_rules() -> None:
    declared = {code for rule in RULES for code in rule.codes}
    assert set(ReasonCode) == declared | EMITTED_OUTSIDE_RULES
    assert not declared & EMITTED_OUTSIDE_RULES


def test_every_code_names_its_rule_outcomes_and_basis() -> None:
    for code in ReasonCode:
        assert code.value == code.name and code.value.isupper()
        assert code.outcomes and code.when and code.citation and code.rule, code


def test_rules_return_only_the_codes_and_outcomes_they_declare(shipped_lists: ScreeningLists) -> None:
    """Generated orders and leases through the engine, each rule's reasons checked against its declaration."""
    ruleset = load_ruleset()
    engine = ScreeningEngine(ruleset, load_catalogue())
    seen: list[tuple[str, ReasonCode, Outcome]] = []

    class Checked:
        def __init__(self, rule: Rule) -> None:
            self.rule, self.scope = rule, rule.scope

        def evaluate(self, context: RuleContext) -> Sequence[Reason]:
            found = self.rule.evaluate(context)
            seen.extend((self.rule.name, reason.code, reason.outcome) for reason in found)
            return found

    engine.rules = tuple(Checked(rule) for rule in engine.rules)  # type: ignore[misc]
    generator = Generator(seed=7)
    registry = InMemoryOwnershipRegistry([record_from_mapping(r) for r in generator.records])
    events = [
        decode_event("lease" if "lease_id" in e else "order", orjson.dumps(e)) for e in generator.events(400)
    ]
    valid = [event for event in events if not isinstance(event, Rejected)]
    snapshot = asyncio.run(registry.snapshot([p for event in valid for p in event.parties]))
    context = BatchContext(lists=shipped_lists, ownership=snapshot)
    for event in valid:
        engine.decide(event, context, datetime(2026, 8, 1, tzinfo=UTC))
    declared = {rule.name: rule.codes for rule in RULES}
    assert len({code for _, code, _ in seen}) >= 20
    for name, code, outcome in seen:
        assert code in declared[name], f"{name} returned {code}"
        assert outcome in code.outcomes, f"{name} returned {code} {outcome}"
