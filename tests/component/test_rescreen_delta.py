"""Rescreening only what changed: the dependency index the pipeline keeps, the list delta, the candidates a
change reaches, and parity with a full rescreen (in-memory ports)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOpenSubjects, InMemoryOwnershipRegistry
from screening.domain.catalogue import Catalogue
from screening.domain.dependencies import ALWAYS, name_query
from screening.domain.engine import ScreeningEngine
from screening.domain.list_delta import ChangedEntries, ListDelta
from screening.domain.lists import ListEntry
from screening.domain.names import NameIndex, ScreeningLists
from screening.domain.ownership import OwnerLink, OwnershipRecord
from screening.domain.ruleset import Ruleset
from screening.metrics import Metrics
from screening.rescreen import (
    PERIODIC,
    RescreenChange,
    Rescreener,
    RescreenReport,
    RescreenScheduler,
    full_rescreens,
    lists_change,
    ownership_change,
)
from screening.service import ScreeningService
from tests.support import FakeRecord, RecordingSender, event_consumer

AS_OF = date(2026, 10, 1)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BUYERS = [
    "Example Server Trading Sdn. Bhd.",
    "Kinabalu Office Supplies Sdn. Bhd.",
    "Penang Precision Components Sdn. Bhd.",
    "Ace Hub System",  # on the shipped Entity List
    "Alex Ramzi",  # on the shipped Entity List
    "Johor Furniture Makers Sdn. Bhd.",
]
NEW_ENTRY = ListEntry(
    entry_id="new-el-1",
    source="EL",
    name="Kinabalu Office Supplies Sdn Bhd",
    countries=("MY",),
    entry_type="Entity",
)


LISTED_ADDRESS = "Level 12, Menara Example, 88 Jalan Ampang, 50450 Kuala Lumpur"
ADDRESS_ENTRY = ListEntry(
    entry_id="new-el-2",
    source="EL",
    name="Ampang Lightwave Instruments",
    countries=("MY",),
    entry_type="Entity",
    addresses=f"{LISTED_ADDRESS}, MY",
)


def order(
    event_id: str, order_id: str, buyer: str, party_id: str | None = None, address: str | None = None
) -> bytes:
    party: dict[str, Any] = {"name": buyer, "country": "MY"}
    if party_id:
        party["party_id"] = party_id
    if address:
        party["address"] = address
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": "2026-12-01T10:00:00Z",
            "order_id": order_id,
            "action": "create",
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": party,
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


class Pipeline:
    """One service with in-memory ports, fed orders, rescreened."""

    def __init__(self, ruleset: Ruleset, catalogue: Catalogue, lists: ScreeningLists) -> None:
        self.registry = InMemoryOwnershipRegistry(
            [
                OwnershipRecord(
                    entity_id="my-penang",
                    name=BUYERS[2],
                    country="MY",
                    owners=(OwnerLink("my-holding", 1.0),),
                    as_of=AS_OF,
                ),
                OwnershipRecord(
                    entity_id="my-holding", name="Penang Holdings Berhad", country="MY", as_of=AS_OF
                ),
            ]
        )
        self.lists: list[ScreeningLists] = [lists]
        self.subjects = InMemoryOpenSubjects()
        self.service = ScreeningService(
            ScreeningEngine(ruleset, catalogue),
            lambda: self.lists[0],
            self.registry,
            InMemoryDecisionLedger(),
            self.subjects,
            clock=lambda: NOW,
        )
        self.sender = RecordingSender()
        self.pipeline = event_consumer(self.service, self.sender)
        self.rescreener = Rescreener(
            self.service, self.subjects, self.sender, "decisions", Metrics(), self.pipeline.gate, chunk_size=4
        )
        self.offset = 0

    async def consume(self, *values: bytes) -> list[dict[str, Any]]:
        before = len(self.sender.sent)
        records = []
        for value in values:
            key = orjson.loads(value)["order_id"].encode()
            records.append(FakeRecord("orders", 0, self.offset, key, value))
            self.offset += 1
        await self.pipeline.handle(records)
        return [orjson.loads(v) for t, _, v in self.sender.sent[before:] if t == "decisions"]

    async def rescreen(
        self, cause: str, change: RescreenChange | None = None
    ) -> tuple[RescreenReport, dict[str, tuple[str, list[str]]]]:
        before = len(self.sender.sent)
        report = await self.rescreener.rescreen(cause, change)
        published = [orjson.loads(v) for t, _, v in self.sender.sent[before:] if t == "decisions"]
        return report, {
            d["subject"]["id"]: (d["outcome"], sorted({r["code"] for r in d["reasons"]})) for d in published
        }


def orders(count: int) -> list[bytes]:
    """`count` orders of the six buyers in turn, and one more (`SO-A`) shipped to a buyer at the address
    of a new entry (`ADDRESS_ENTRY`)."""
    return [order(f"e{i}", f"SO-{i}", BUYERS[i % len(BUYERS)]) for i in range(count)] + [
        order("e-a", "SO-A", "Selangor Garden Tools Sdn. Bhd.", address=LISTED_ADDRESS)
    ]


@pytest.fixture(scope="module")
def next_lists(shipped_lists: ScreeningLists) -> ScreeningLists:
    return changed_lists(shipped_lists)


@pytest.fixture
def make(ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists):
    return lambda: Pipeline(ruleset, catalogue, shipped_lists)


def changed_lists(lists: ScreeningLists) -> ScreeningLists:
    """The shipped lists with an entry added (one buyer's name), one removed (another buyer's), one
    changed (a third buyer's name replaced by another), and one added at another buyer's address."""
    entries = [e for e in lists.entries if e.name != "Alex Ramzi"]
    entries = [
        replace(e, name="Zenith Quantum Devices") if e.name == "Ace Hub System" else e for e in entries
    ]
    return ScreeningLists.build(
        [*entries, NEW_ENTRY, ADDRESS_ENTRY], "v-next", lists.index.thresholds, as_of=lists.as_of
    )


def test_the_list_delta_finds_added_removed_and_changed_entries(
    shipped_lists: ScreeningLists, next_lists: ScreeningLists
) -> None:
    new = next_lists
    delta = ListDelta.between(shipped_lists.entries, new.entries)

    assert delta.added == {"new-el-1", "new-el-2"}
    removed = {e.entry_id for e in shipped_lists.entries if e.name == "Alex Ramzi"}
    changed = {e.entry_id for e in shipped_lists.entries if e.name == "Ace Hub System"}
    assert delta.removed == removed and delta.changed == changed
    assert ListDelta.between(shipped_lists.entries, shipped_lists.entries).touched == frozenset()


def test_the_changed_entries_reach_the_names_the_engine_matches_to_them_and_no_others(
    next_lists: ScreeningLists,
) -> None:
    screen = ChangedEntries((NEW_ENTRY,), next_lists.index, next_lists.addresses, 0.6)

    queries = [
        (("Kinabalu Office Supplies Sdn. Bhd.",), "MY"),
        (("Kinabalu Ofice Supplies",), None),  # a typo
        (("Johor Furniture", "KinabaluOffice Supplies"), "MY"),  # glued, as an alias
        (("KINABALU OFFICE SUPPLY",), None),
        (("Kinabalu Holdings",), "MY"),
        (("Johor Furniture Makers Sdn. Bhd.",), "MY"),
    ]
    # Exactly the names the engine's index matches to the new entry.
    reached = [screen.reaches_name(name_query(names, country)) for names, country in queries]
    engine = [
        any(hit.entry.entry_id == "new-el-1" for hit in next_lists.index.match(names, country))
        for names, country in queries
    ]
    assert reached == engine
    assert reached[:3] == [True, True, True] and reached[-1] is False
    assert not screen.reaches_name(name_query(("Ace Hub System",), "MY"))  # listed, but not changed
    assert not screen.screens_addresses  # the new entry has no address


def test_lists_change_falls_back_to_every_subject_when_matching_or_freshness_differs(
    shipped_lists: ScreeningLists, next_lists: ScreeningLists
) -> None:
    new = next_lists
    change = lists_change(shipped_lists, new, NOW, None)
    assert change is not None and "new-el-1" in change.entries
    assert lists_change(None, new, NOW, None) is None
    assert lists_change(shipped_lists, new, NOW, 24.0) is None  # lists of July are stale in November
    other = replace(new, index=NameIndex.build([NEW_ENTRY], replace(new.index.thresholds, weak=0.7)))
    assert lists_change(shipped_lists, other, NOW, None) is None


async def test_the_pipeline_records_what_each_decision_depended_on(make) -> None:
    p: Pipeline = make()
    await p.consume(order("e1", "SO-1", BUYERS[2]), order("e2", "SO-2", BUYERS[3], party_id="p-ace"))

    penang = set(p.subjects.depends["order:SO-1"])
    assert {"entity:my-penang", "entity:my-holding"} <= penang  # the chain, owners too
    assert "name:" + name_query((BUYERS[2],), "MY") in penang
    assert "name:" + name_query(("Penang Holdings Berhad",), "MY") in penang  # the owner's names
    assert any(k.startswith("regkey:") for k in penang)  # the seller is looked up by name
    ace = set(p.subjects.depends["order:SO-2"])
    ace_ids = {e.entry_id for e in p.lists[0].entries if e.name == "Ace Hub System"}
    assert {f"entry:{i}" for i in ace_ids} <= ace  # the entry its finding matched
    assert "entity:p-ace" in ace  # its own registry id, with no record for it yet


async def test_a_delta_rescreen_publishes_what_a_full_one_does_and_decides_only_the_candidates(
    make, next_lists: ScreeningLists
) -> None:
    delta, full = make(), make()
    for p in (delta, full):
        await p.consume(*orders(24))
    report, published = await delta.rescreen("lists")  # lists unchanged: builds and marks the index
    assert report.mode == "full" and report.indexed and published == {}

    for p in (delta, full):
        old, p.lists[0] = p.lists[0], next_lists
    change = lists_change(old, delta.lists[0], NOW, None)
    delta_report, delta_published = await delta.rescreen("lists", change)
    full_report, full_published = await full.rescreen("lists")

    assert delta_report.mode == "delta" and full_report.mode == "full"
    assert delta_published == full_published
    changed_buyers = {BUYERS[1], BUYERS[3], BUYERS[4]}
    expected = {f"SO-{i}" for i in range(24) if BUYERS[i % 6] in changed_buyers} | {"SO-A"}
    assert set(full_published) == expected
    assert full_report.scanned == 25
    assert delta_report.candidates is not None and delta_report.candidates == delta_report.scanned == 13
    assert delta_report.queries_screened > 0


async def test_an_ownership_change_reaches_the_subjects_of_the_entity_and_of_what_it_owns(make) -> None:
    p: Pipeline = make()
    await p.consume(*orders(12))
    await p.rescreen("ownership")
    sugon = OwnershipRecord(entity_id="cn-sugon", name="Sugon", country="CN", as_of=AS_OF)
    holding = OwnershipRecord(
        entity_id="my-holding",
        name="Penang Holdings Berhad",
        country="MY",
        owners=(OwnerLink("cn-sugon", 1.0),),
        as_of=AS_OF,
    )
    await p.registry.upsert([sugon, holding])

    report, published = await p.rescreen(
        "ownership", ownership_change([("cn-sugon", sugon), ("my-holding", holding)])
    )

    assert report.mode == "delta"
    assert report.candidates == 2  # SO-2 and SO-8: the buyer owned by my-holding
    assert set(published) == {"SO-2", "SO-8"}
    assert all(outcome == "deny" for outcome, _ in published.values())


async def test_a_new_record_for_a_party_reaches_it_through_its_name_key(make) -> None:
    p: Pipeline = make()
    await p.consume(*orders(6))
    await p.rescreen("ownership")
    record = OwnershipRecord(entity_id="my-johor", name=BUYERS[5], country="MY", as_of=AS_OF)

    report, _ = await p.rescreen("ownership", ownership_change([("my-johor", record)]))

    assert report.mode == "delta" and report.candidates == 1


async def test_without_the_completeness_mark_every_subject_is_re_decided(make) -> None:
    p: Pipeline = make()
    await p.consume(*orders(6))

    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))
    assert report.mode == "full" and report.why_full is not None and report.scanned == 7
    assert report.indexed  # the full rescreen marked it: the next change is a delta

    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))
    assert report.mode == "delta" and report.scanned == 0

    p.subjects.index_failures += 1  # a write of the index failed in this process
    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))
    assert report.mode == "full" and report.scanned == 7 and report.indexed
    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))
    assert report.mode == "delta"


async def test_a_subject_without_known_dependencies_is_a_candidate_of_every_change(make) -> None:
    p: Pipeline = make()
    await p.consume(*orders(6))
    await p.rescreen("lists")
    (stored,) = await p.subjects.load(["order:SO-0"])
    await p.subjects.record([replace(stored, dependencies=None)], [])
    assert p.subjects.depends["order:SO-0"] == (ALWAYS,)

    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"nothing"})))

    assert report.mode == "delta" and report.candidates == 1


class RecordingRescreener:
    """Stands in for a `Rescreener`: records each run's cause and change."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, RescreenChange | None]] = []

    async def rescreen(self, cause: str, change: RescreenChange | None = None) -> RescreenReport:
        self.runs.append((cause, change))
        return RescreenReport(cause=cause)


async def test_the_scheduler_merges_changes_and_any_request_without_one_makes_it_full() -> None:
    rescreener = RecordingRescreener()
    scheduler = RescreenScheduler(rescreener, Metrics(), settle_s=0.01)  # type: ignore[arg-type]
    scheduler.request("lists", RescreenChange(entries=frozenset({"a"})))
    scheduler.request("ownership", RescreenChange(entities=frozenset({"x"})))
    await scheduler.idle()
    scheduler.request("lists", RescreenChange(entries=frozenset({"b"})))
    scheduler.request("lists")
    await scheduler.idle()

    assert rescreener.runs == [
        ("lists+ownership", RescreenChange(entries=frozenset({"a"}), entities=frozenset({"x"}))),
        ("lists", None),
    ]


async def test_the_periodic_rescreen_re_decides_every_subject_even_with_the_index_complete(make) -> None:
    p: Pipeline = make()
    await p.consume(*orders(6))
    await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))  # full: marks the index
    report, _ = await p.rescreen("lists", RescreenChange(entries=frozenset({"new-el-1"})))
    assert report.mode == "delta" and report.scanned == 0

    report, _ = await p.rescreen(PERIODIC)

    assert report.mode == "full" and report.scanned == 7 and report.indexed


async def test_full_rescreens_are_requested_every_period_and_outweigh_a_pending_delta() -> None:
    rescreener = RecordingRescreener()
    scheduler = RescreenScheduler(rescreener, Metrics(), settle_s=0.05)  # type: ignore[arg-type]
    periodic = asyncio.create_task(full_rescreens(scheduler, 0.02))
    scheduler.request("lists", RescreenChange(entries=frozenset({"a"})))  # pending when the period ends
    try:
        async with asyncio.timeout(10):
            while len(rescreener.runs) < 2:
                await asyncio.sleep(0.01)
    finally:
        periodic.cancel()
    await scheduler.stop()

    assert rescreener.runs[0] == ("lists+periodic", None)  # merged with the delta: every subject
    assert all(change is None and PERIODIC in cause for cause, change in rescreener.runs)
