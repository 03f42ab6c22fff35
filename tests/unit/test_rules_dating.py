"""The date an event is decided as of, and the calendar of rule changes it is decided across.

The case throughout is the Affiliates rule (regulation.md §4.2, suspended 10 Nov 2025 - 9 Nov 2026, back on
10 Nov 2026): H100s for a Malaysian company 60 % owned by an Entity List company headquartered outside D:5
(Cyberinn Pte Ltd, Singapore, tied to its entry by the registry). While the rule is suspended that is a hold;
once it is back, a deny.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.codec import Rejected, decode_event
from screening.domain.calendar import boundary_days, next_after, passed_between, rule_calendar
from screening.domain.catalogue import Catalogue
from screening.domain.dating import dating
from screening.domain.engine import ScreeningEngine
from screening.domain.model import Decision, Order
from screening.domain.names import ScreeningLists
from screening.domain.ownership import record_from_mapping
from screening.domain.rules.integrity import EventDateParams
from screening.domain.ruleset import Ruleset
from screening.service import ScreeningService
from tests.golden.harness import received_at
from tests.rule_contexts import item, lease, party, shipped_ruleset

AFFILIATES_BACK = date(2026, 11, 10)
CYBERINN = "7d28e6c6f97797ccb7f6ddb307a65fc04c2e213904240dfb122a0069"  # its Entity List entry in the CSL
RECORDS = [
    {"entity_id": "my-t", "name": "Example Tech Malaysia Sdn. Bhd.", "country": "MY", "hq_country": "MY",
     "owners": [{"entity_id": "sg-cyberinn", "share": 0.6}], "as_of": "2026-09-30"},
    {"entity_id": "sg-cyberinn", "name": "Cyberinn PTE LTD", "country": "SG", "hq_country": "SG",
     "owners": [], "as_of": "2026-09-30", "list_entry_ids": [CYBERINN]},
]  # fmt: skip


def _order(ship_date: str | None = None, occurred: str = "2026-10-01") -> dict[str, Any]:
    return {
        "event_id": f"dating-{occurred}-{ship_date}",
        "occurred_at": f"{occurred}T09:00:00Z",
        "order_id": "SO-DATING",
        "buyer": {"name": "Example Tech Malaysia Sdn. Bhd.", "country": "MY", "party_id": "my-t"},
        "ship_from_country": "US",
        "ship_to_country": "MY",
        "items": [{"line_id": "1", "product": "NVIDIA H100 SXM 80GB", "quantity": 8}],
        **({"ship_date": ship_date} if ship_date else {}),
    }


def _lease(start: str, end: str | None) -> dict[str, Any]:
    return {
        "event_id": f"dating-lease-{start}-{end}",
        "occurred_at": "2026-10-01T09:00:00Z",
        "lease_id": "L-DATING",
        "lessee": {"name": "Example Tech Malaysia Sdn. Bhd.", "country": "MY", "party_id": "my-t"},
        "resources": [{"product": "NVIDIA H100 SXM 80GB", "quantity": 64}],
        "hardware_country": "MY",
        "access": "dedicated",
        "start": start,
        **({"end": end} if end else {}),
    }


@pytest.fixture(scope="module")
def engine(ruleset: Ruleset, catalogue: Catalogue) -> ScreeningEngine:
    return ScreeningEngine(ruleset, catalogue)


def _decide(
    engine: ScreeningEngine, lists: ScreeningLists, raw: dict[str, Any], as_of: date | None = None
) -> Decision:
    event = decode_event("lease" if "lease_id" in raw else "order", orjson.dumps(raw))
    assert not isinstance(event, Rejected), event
    registry = InMemoryOwnershipRegistry([record_from_mapping(r) for r in RECORDS])
    service = ScreeningService(engine, lambda: lists, registry, InMemoryDecisionLedger())
    context = asyncio.run(service.context_for([event]))
    trigger = "event" if as_of is None else "rescreen"
    return engine.decide(event, context, datetime(2026, 10, 1, tzinfo=UTC), trigger, as_of=as_of)


def _affiliates(decision: Decision) -> list[str]:
    return [r.outcome.value for r in decision.reasons if r.code == "BIS_AFFILIATES_50"]


def _dated(decision: Decision) -> dict[str, Any]:
    (reason,) = [r for r in decision.reasons if r.code == "DECISION_DATE"]
    return reason.evidence


# -------------------------------------------------------------------------------------------- orders
def test_an_order_is_decided_as_of_its_ship_date(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    decision = _decide(engine, shipped_lists, _order(ship_date="2026-12-01"))
    assert decision.outcome.value == "deny"
    assert _affiliates(decision) == ["deny"]
    assert _dated(decision)["decided_as_of"] == "2026-12-01"
    assert _dated(decision)["basis"] == "ship_date"


def test_an_order_without_a_ship_date_is_decided_as_of_occurred_at_and_says_nothing_more(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    decision = _decide(engine, shipped_lists, _order())
    assert decision.outcome.value == "hold"
    assert "deny" not in _affiliates(decision)
    assert not [r for r in decision.reasons if r.code == "DECISION_DATE"]


def test_a_rescreen_decides_an_open_order_as_of_the_later_of_its_date_and_the_rescreens(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    before = _decide(engine, shipped_lists, _order(), as_of=date(2026, 11, 9))
    after = _decide(engine, shipped_lists, _order(), as_of=AFFILIATES_BACK)
    assert before.outcome.value == "hold"
    assert after.outcome.value == "deny"
    assert _dated(after)["basis"] == "rescreen"
    assert _dated(after)["rescreen_date"] == "2026-11-10"
    # A ship date still ahead is kept by a rescreen before it.
    ahead = _decide(engine, shipped_lists, _order(ship_date="2026-12-01"), as_of=AFFILIATES_BACK)
    assert _dated(ahead)["decided_as_of"] == "2026-12-01"
    assert before.decision_id != after.decision_id


def test_a_ship_date_before_the_event_is_not_believed(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    raw = _order(ship_date="2022-01-01", occurred="2026-12-01")
    decision = _decide(engine, shipped_lists, raw)
    assert decision.outcome.value == "deny"
    assert _dated(decision)["decided_as_of"] == "2026-12-01"
    assert "not believed" in _dated(decision)["why"]


def test_an_implausible_occurred_at_moves_the_own_date_and_a_ship_date_cannot_go_back_past_it() -> None:
    raw = decode_event("order", orjson.dumps(_order(ship_date="2025-01-01", occurred="2025-01-01")))
    assert isinstance(raw, Order)
    event = replace(raw, received_at=received_at({"received_at": "2026-11-20T00:00:00Z"}))
    dated = dating(event, shipped_ruleset().params(EventDateParams), ())
    assert dated.dates == (date(2026, 11, 20),)
    assert dated.basis == "received_at"


# -------------------------------------------------------------------------------------------- leases
def test_a_lease_across_the_boundary_is_decided_under_the_affiliates_rule_from_that_day(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    decision = _decide(engine, shipped_lists, _lease("2026-10-01", "2027-03-31"))
    assert decision.outcome.value == "deny"
    considered = _dated(decision)["dates_considered"]
    assert considered == [
        {"date": "2026-10-01", "outcome": "hold"},
        {"date": "2026-11-10", "outcome": "deny"},
    ]
    assert _dated(decision)["decided_as_of"] == "2026-11-10"


def test_a_lease_that_ends_before_the_boundary_stays_on_hold(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    decision = _decide(engine, shipped_lists, _lease("2026-10-01", "2026-11-09"))
    assert decision.outcome.value == "hold"
    assert not [r for r in decision.reasons if r.code == "DECISION_DATE"]  # one date: occurred_at's


def test_a_rescreen_drops_the_days_of_a_lease_that_have_passed() -> None:
    event = lease(
        party("Lessee", role="lessee", country="MY"), [item("H100 SXM")], "MY", "dedicated", day="2025-12-01"
    )
    calendar = boundary_days(rule_calendar(shipped_ruleset()))
    params = shipped_ruleset().params(EventDateParams)
    assert dating(event, params, calendar).dates == (date(2025, 12, 1), date(2026, 1, 15), date(2026, 2, 3),
                                                     date(2026, 7, 10), date(2026, 11, 10))  # fmt: skip
    assert dating(event, params, calendar, rescreen_on=date(2026, 8, 1)).dates == (
        date(2026, 8, 1),
        date(2026, 11, 10),
    )


# ------------------------------------------------------------------------------------------ calendar
def test_the_calendar_lists_every_dated_change_of_the_shipped_ruleset() -> None:
    calendar = rule_calendar(shipped_ruleset())
    days = {boundary.on: boundary for boundary in calendar}
    # An inclusive end changes the rules the day after: the suspension's last day is 9 Nov 2026.
    assert any(c.key == "suspended_to" for c in days[AFFILIATES_BACK].changes)
    assert date(2026, 11, 9) not in days
    assert any(c.key == "suspended_from" for c in days[date(2025, 11, 10)].changes)
    assert any("AE" in c.table for c in days[date(2026, 7, 10)].changes)  # the UAE joins A:5
    assert any(c.key == "review_window_from" for c in days[date(2025, 11, 7)].changes)  # Cambodia
    assert any(c.table == "rules.is_informed" for c in days[date(2025, 4, 9)].changes)  # the H20 notice
    assert any(c.key == "hbm_from" for c in days[date(2024, 12, 2)].changes)  # 3A090.c
    assert [b.on for b in calendar] == sorted(days)


def test_boundaries_passed_and_next() -> None:
    calendar = rule_calendar(shipped_ruleset())
    passed = passed_between(calendar, date(2026, 7, 10), date(2026, 12, 1))
    assert [b.on for b in passed] == [AFFILIATES_BACK]
    assert passed_between(calendar, date(2026, 11, 10), date(2026, 12, 1)) == ()
    found = next_after(calendar, date(2026, 10, 1))
    assert found is not None and found.on == AFFILIATES_BACK
    assert next_after(calendar, AFFILIATES_BACK) is None


def test_every_boundary_is_a_day_on_which_some_decision_can_change(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    """Not a boundary in name only: the Affiliates case changes on its boundary and not the day before."""
    before = _decide(engine, shipped_lists, _order(ship_date="2026-11-09"))
    on = _decide(engine, shipped_lists, _order(ship_date="2026-11-10"))
    assert (before.outcome.value, on.outcome.value) == ("hold", "deny")
