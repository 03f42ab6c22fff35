"""Licences on file in the pure engine, and the in-memory draw-down the Redis script mirrors."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from screening.adapters.licences import InMemoryLicenceStore
from screening.adapters.memory import InMemoryOwnershipRegistry
from screening.adapters.ownership_files import load_ownership_file
from screening.codec import decode_event
from screening.domain.catalogue import Catalogue
from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.licensing import LicenceBook, LicenceParty, LicenceRecord, Shortfall, draws_of
from screening.domain.model import Decision, Order, Outcome
from screening.domain.names import ScreeningLists
from screening.domain.ruleset import Ruleset
from screening.ports import DrawRequest

NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
SCENARIO = Path(__file__).resolve().parents[1] / "golden" / "scenarios" / "29a-rtx4090-china-retail-nac"
BUYER = LicenceParty("Example Retail Electronics (Shenzhen) Co., Ltd.", "CN")
NAC = LicenceRecord(
    "A654321", "NAC", ("3A090.a",), ("CN",), BUYER, BUYER, quantity_limit=500, valid_until=date(2027, 6, 30)
)


def order(**changes: object) -> Order:
    """Scenario 29a: 200 RTX 4090 to a Chinese retail distributor, NAC A654321 named by the event."""
    data = json.loads((SCENARIO / "event.json").read_text())
    data.update(changes)
    event = decode_event("order", json.dumps(data).encode())
    assert isinstance(event, Order)
    return event


def decide(
    ruleset: Ruleset,
    catalogue: Catalogue,
    lists: ScreeningLists,
    event: Order,
    book: LicenceBook | None,
    shortfalls: tuple[Shortfall, ...] = (),
) -> Decision:
    registry = InMemoryOwnershipRegistry(load_ownership_file(SCENARIO / "ownership.jsonl"))
    snapshot = asyncio.run(registry.snapshot(event.parties))
    context = BatchContext(
        lists=lists,
        ownership=snapshot,
        licences=book,
        licence_shortfalls={event.event_id: shortfalls} if shortfalls else {},
    )
    return ScreeningEngine(ruleset, catalogue).decide(event, context, NOW)


def held_for(decision: Decision) -> set[str]:
    return {r.code.value for r in decision.reasons if r.outcome is Outcome.HOLD}


@pytest.fixture
def run(ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists):  # type: ignore[no-untyped-def]
    def go(event: Order, book: LicenceBook | None, shortfalls: tuple[Shortfall, ...] = ()) -> Decision:
        return decide(ruleset, catalogue, shipped_lists, event, book, shortfalls)

    return go


def test_a_nac_on_file_allows_and_says_what_an_allow_draws_down(run) -> None:  # type: ignore[no-untyped-def]
    decision = run(order(), LicenceBook(records={"A654321": NAC}, drawn={"A654321": 120}))
    assert decision.outcome is Outcome.ALLOW
    verified = next(r for r in decision.reasons if r.code == "LICENCE_VERIFIED")
    assert verified.evidence["remaining_before"] == 380
    assert draws_of(decision.reasons) == [("A654321", "1", 200)]


def test_a_licence_only_in_the_event_is_held_unless_event_licences_are_trusted(run) -> None:  # type: ignore[no-untyped-def]
    held = run(order(), LicenceBook())
    assert held.outcome is Outcome.HOLD and held_for(held) == {"LICENCE_UNVERIFIED"}
    trusted = run(order(), LicenceBook(trust_event_licences=True))
    assert trusted.outcome is Outcome.ALLOW and draws_of(trusted.reasons) == []


def test_a_bare_licence_number_nobody_knows_is_held_not_denied(run) -> None:  # type: ignore[no-untyped-def]
    bare = order(licenses=[{"number": "A000001", "type": "NAC"}])
    decision = run(bare, LicenceBook(trust_event_licences=True))
    assert decision.outcome is Outcome.HOLD and held_for(decision) == {"LICENCE_UNKNOWN"}


@pytest.mark.parametrize(
    ("record", "code"),
    [
        (replace(NAC, valid_until=date(2026, 7, 31)), "LICENCE_EXPIRED"),
        (replace(NAC, status="revoked"), "LICENCE_REVOKED"),
        (replace(NAC, status="suspended"), "LICENCE_REVOKED"),
        (replace(NAC, consignee=LicenceParty("Another Trading Co., Ltd.", "CN")), "LICENCE_PARTY_MISMATCH"),
    ],
)
def test_a_licence_with_a_problem_is_a_hold_with_its_reason(run, record: LicenceRecord, code: str) -> None:  # type: ignore[no-untyped-def]
    decision = run(order(), LicenceBook(records={"A654321": record}))
    assert decision.outcome is Outcome.HOLD and code in held_for(decision)
    assert "DEST_ADV_COMPUTE" not in held_for(decision)  # the licence is counted: held, never denied for it


def test_the_store_says_what_a_licence_covers_not_the_event(run) -> None:  # type: ignore[no-untyped-def]
    # The event claims the NAC covers 3A090.a; the NAC on file names 4A090.b only: no licence covers the
    # line (deny, as without one), and the contradiction is said.
    decision = run(order(), LicenceBook(records={"A654321": replace(NAC, eccns=("4A090.b",))}))
    assert decision.outcome is Outcome.DENY
    assert {"LICENCE_MISMATCH", "DEST_ADV_COMPUTE"} <= {r.code.value for r in decision.reasons}


def test_a_shortfall_from_the_draw_down_is_held_as_exhausted(run) -> None:  # type: ignore[no-untyped-def]
    decision = run(order(), LicenceBook(records={"A654321": NAC}), (Shortfall("A654321", 200, 10),))
    assert decision.outcome is Outcome.HOLD and held_for(decision) == {"LICENCE_EXHAUSTED"}
    exhausted = next(r for r in decision.reasons if r.code == "LICENCE_EXHAUSTED")
    assert (exhausted.evidence["needed"], exhausted.evidence["remaining"]) == (200, 10)


def test_no_licence_store_leaves_the_event_licences_as_stated(run) -> None:  # type: ignore[no-untyped-def]
    decision = run(order(), None)
    assert decision.outcome is Outcome.ALLOW and not any(
        r.code.startswith("LICENCE") for r in decision.reasons
    )


async def test_the_draw_down_is_all_or_nothing_per_event_and_once_per_event_line() -> None:
    store = InMemoryLicenceStore([replace(NAC, quantity_limit=100)])
    first = DrawRequest("e1", [("A654321", "1", 60)])
    too_much = DrawRequest("e2", [("A654321", "1", 30), ("A654321", "2", 30)])
    assert await store.draw([first, too_much]) == {"e2": (Shortfall("A654321", 60, 40),)}
    assert store.used == {"A654321": 60}
    assert await store.draw([first]) == {}  # redelivered: drawn once
    assert await store.draw([DrawRequest("e3", [("A654321", "1", 40)])]) == {}
    assert store.used == {"A654321": 100}
