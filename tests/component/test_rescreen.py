"""Rescreening with in-memory ports: a list or ownership change re-decides open subjects, publishing only
the decisions that changed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import orjson
import pytest

from screening.adapters.kafka import EventConsumer
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOpenSubjects, InMemoryOwnershipRegistry
from screening.domain.catalogue import Catalogue
from screening.domain.engine import ScreeningEngine
from screening.domain.lists import ListEntry
from screening.domain.names import ScreeningLists
from screening.domain.ownership import OwnerLink, OwnershipRecord
from screening.domain.ruleset import Ruleset
from screening.metrics import Metrics
from screening.ports import OpenSubject
from screening.rescreen import RescreenAborted, RescreenChange, Rescreener, RescreenReport, RescreenScheduler
from screening.service import ScreeningService
from tests.support import FakeRecord, RecordingSender, event_consumer

BUYER = "Example Server Trading Sdn. Bhd."
AS_OF = date(2026, 10, 1)


def buyer_record(*owners: OwnerLink) -> OwnershipRecord:
    return OwnershipRecord(
        entity_id="my-buyer", name=BUYER, country="MY", hq_country="MY", owners=owners, as_of=AS_OF
    )


SUGON = OwnershipRecord(entity_id="cn-sugon", name="Sugon", country="CN", as_of=AS_OF)
UNLISTED_PARENT = OwnershipRecord(
    entity_id="my-parent", name="Example Trading Holdings Berhad", country="MY", as_of=AS_OF
)


def order(event_id: str, order_id: str, action: str = "create", buyer: str = BUYER) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": "2026-12-01T10:00:00Z",  # the BIS Affiliates rule is in force again
            "order_id": order_id,
            "action": action,
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": buyer, "country": "MY"},
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


@dataclass
class Setup:
    pipeline: EventConsumer
    rescreener: Rescreener
    sender: RecordingSender
    registry: InMemoryOwnershipRegistry
    subjects: InMemoryOpenSubjects
    lists: list[ScreeningLists | None]
    offset: int = 0

    async def consume(self, *values: bytes) -> list[dict[str, Any]]:
        """Feed orders through the pipeline; the decisions it published."""
        before = len(self.sender.sent)
        records = []
        for value in values:
            key = orjson.loads(value).get("order_id", "?").encode()
            records.append(FakeRecord("orders", 0, self.offset, key, value))
            self.offset += 1
        await self.pipeline.handle(records)
        return [orjson.loads(v) for t, _, v in self.sender.sent[before:] if t == "decisions"]

    async def rescreen(self, cause: str = "ownership") -> tuple[RescreenReport, list[dict[str, Any]]]:
        before = len(self.sender.sent)
        report = await self.rescreener.rescreen(cause)
        return report, [orjson.loads(v) for t, _, v in self.sender.sent[before:] if t == "decisions"]


@pytest.fixture
def setup(ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists):
    def make(subjects: InMemoryOpenSubjects | None = None, chunk_size: int = 500) -> Setup:
        registry = InMemoryOwnershipRegistry([buyer_record(OwnerLink("my-parent", 1.0)), UNLISTED_PARENT])
        lists: list[ScreeningLists | None] = [shipped_lists]
        subjects = subjects or InMemoryOpenSubjects()
        service = ScreeningService(
            ScreeningEngine(ruleset, catalogue),
            lambda: lists[0],
            registry,
            InMemoryDecisionLedger(),
            subjects,
        )
        sender = RecordingSender()
        pipeline = event_consumer(service, sender)
        rescreener = Rescreener(
            service, subjects, sender, "decisions", Metrics(), pipeline.gate, chunk_size=chunk_size
        )
        return Setup(pipeline, rescreener, sender, registry, subjects, lists)

    return make


async def test_a_buyer_that_becomes_owned_by_an_entity_listed_company_is_denied_on_rescreen(setup) -> None:
    s: Setup = setup()
    (first,) = await s.consume(order("e1", "SO-1"))
    assert first["outcome"] == "allow"

    await s.registry.upsert([SUGON, buyer_record(OwnerLink("cn-sugon", 1.0))])
    report, published = await s.rescreen()

    (decision,) = published
    assert decision["subject"] == {"kind": "order", "id": "SO-1"}
    assert decision["event_id"] == "e1"
    assert decision["trigger"] == "rescreen"
    assert decision["outcome"] == "deny"
    assert decision["decision_id"] != first["decision_id"]
    affiliates = [r for r in decision["reasons"] if r["code"] == "BIS_AFFILIATES_50"]
    assert affiliates and affiliates[0]["party_role"] == "buyer"
    assert decision["versions"]["ownership"] != first["versions"]["ownership"]
    assert (report.scanned, report.changed, report.published, report.by_outcome) == (1, 1, 1, {"deny": 1})

    # The deny is now the subject's last decision: a second rescreen on the same data publishes nothing.
    report, published = await s.rescreen()
    assert published == [] and (report.scanned, report.changed) == (1, 0)


async def test_an_unchanged_subject_publishes_nothing(setup) -> None:
    s: Setup = setup()
    await s.consume(order("e1", "SO-1"), order("e2", "SO-2", buyer="Nordic Compute AB"))
    await s.registry.upsert([replace(UNLISTED_PARENT, name="Example Trading Holdings (MY) Berhad")])
    report, published = await s.rescreen()
    assert published == []
    assert (report.scanned, report.changed, report.published) == (2, 0, 0)


async def test_a_cancelled_order_is_not_rescreened(setup) -> None:
    s: Setup = setup()
    await s.consume(order("e1", "SO-1"))
    await s.consume(order("e2", "SO-1", action="cancel"))
    assert s.subjects.subjects == {}
    await s.registry.upsert([SUGON, buyer_record(OwnerLink("cn-sugon", 1.0))])
    report, published = await s.rescreen()
    assert published == [] and report.scanned == 0


async def test_the_latest_event_of_a_subject_is_the_one_rescreened(setup) -> None:
    s: Setup = setup()
    await s.consume(order("e1", "SO-1"), order("e2", "SO-1", action="amend"))
    assert set(s.subjects.subjects) == {("order", "SO-1")}
    assert s.subjects.subjects[("order", "SO-1")].event == order("e2", "SO-1", action="amend")
    await s.registry.upsert([SUGON, buyer_record(OwnerLink("cn-sugon", 1.0))])
    _, published = await s.rescreen()
    assert [d["event_id"] for d in published] == ["e2"]


async def test_a_list_change_flips_an_open_subject(setup) -> None:
    s: Setup = setup()
    s.lists[0] = ScreeningLists.build(
        [ListEntry("el-1", "EL", "Example Unrelated Photonics Co., Ltd.", countries=("CN",))], "test:1"
    )
    (first,) = await s.consume(order("e1", "SO-1"))
    assert first["outcome"] == "allow"

    s.lists[0] = ScreeningLists.build(
        [
            ListEntry("el-1", "EL", "Example Unrelated Photonics Co., Ltd.", countries=("CN",)),
            ListEntry("el-2", "EL", BUYER, countries=("MY",)),
        ],
        "test:2",
    )
    report, published = await s.rescreen("lists")

    (decision,) = published
    assert decision["trigger"] == "rescreen" and decision["outcome"] == "deny"
    assert decision["versions"]["lists"] == "test:2"
    assert any(r["code"] == "LISTED_PARTY" and r["party_role"] == "buyer" for r in decision["reasons"])
    assert report.lists == "test:2"


async def test_a_subject_superseded_while_rescreening_is_not_published(setup) -> None:
    class NewerEventMeanwhile(InMemoryOpenSubjects):
        """The pipeline records a newer event of SO-1 between the scan and the publish."""

        async def fresh(self, subjects: Sequence[OpenSubject]) -> list[OpenSubject]:
            key = ("order", "SO-1")
            self.subjects[key] = replace(self.subjects[key], event=order("e9", "SO-1", action="amend"))
            return await super().fresh(subjects)

    s: Setup = setup(NewerEventMeanwhile())
    await s.consume(order("e1", "SO-1"))
    await s.registry.upsert([SUGON, buyer_record(OwnerLink("cn-sugon", 1.0))])
    report, published = await s.rescreen()
    assert published == []
    assert (report.changed, report.superseded, report.published) == (1, 1, 0)
    assert s.subjects.subjects[("order", "SO-1")].event == order("e9", "SO-1", action="amend")


async def test_an_invalid_event_closes_the_subject(setup) -> None:
    s: Setup = setup()
    await s.consume(order("e1", "SO-1"))
    (held,) = await s.consume(orjson.dumps({"event_id": "e2", "order_id": "SO-1"}))
    assert held["reasons"][0]["code"] == "INVALID_EVENT"
    assert s.subjects.subjects == {}


async def test_subjects_are_rescreened_chunk_by_chunk(setup) -> None:
    s: Setup = setup(chunk_size=3)
    await s.consume(*(order(f"e{i}", f"SO-{i}") for i in range(10)))
    await s.registry.upsert([SUGON, buyer_record(OwnerLink("cn-sugon", 1.0))])
    report, published = await s.rescreen()
    assert sorted(d["subject"]["id"] for d in published) == sorted(f"SO-{i}" for i in range(10))
    assert (report.scanned, report.published, report.by_outcome) == (10, 10, {"deny": 10})


async def test_an_unavailable_registry_aborts_the_rescreen_instead_of_holding_everything(setup) -> None:
    s: Setup = setup()
    await s.consume(order("e1", "SO-1"))
    s.registry.available = False
    with pytest.raises(RescreenAborted):
        await s.rescreen()
    assert s.sender.on("decisions")[-1]["trigger"] == "event"


class CountingRescreener:
    def __init__(self) -> None:
        self.causes: list[str] = []
        self.changes: list[RescreenChange | None] = []
        self.release = asyncio.Event()

    async def rescreen(self, cause: str, change: RescreenChange | None = None) -> RescreenReport:
        self.causes.append(cause)
        self.changes.append(change)
        await self.release.wait()
        return RescreenReport(cause=cause)


async def test_changes_during_a_rescreen_cause_exactly_one_more() -> None:
    rescreener = CountingRescreener()
    scheduler = RescreenScheduler(rescreener, Metrics(), settle_s=0.01)  # type: ignore[arg-type]
    scheduler.request("ownership")
    scheduler.request("ownership")  # same burst: one run
    await asyncio.sleep(0.05)
    assert rescreener.causes == ["ownership"]
    for cause in ("lists", "ownership", "ownership"):  # while it runs: one run after it
        scheduler.request(cause)
    rescreener.release.set()
    await scheduler.idle()
    assert rescreener.causes == ["ownership", "lists+ownership"]
    await scheduler.stop()


async def test_a_terminated_lease_is_forgotten_and_an_active_one_kept(setup) -> None:
    s: Setup = setup()

    def lease(event_id: str, lease_id: str, action: str) -> bytes:
        return orjson.dumps(
            {
                "event_id": event_id,
                "occurred_at": "2026-12-01T10:00:00Z",
                "lease_id": lease_id,
                "action": action,
                "lessee": {"name": BUYER, "country": "MY"},
                "resources": [{"product": "NVIDIA A100 80GB", "quantity": 8}],
                "hardware_country": "US",
            }
        )

    values = [lease("l1", "L-1", "start"), lease("l2", "L-2", "start"), lease("l3", "L-1", "terminate")]
    await s.pipeline.handle([FakeRecord("leases", 0, i, b"k", v) for i, v in enumerate(values)])
    assert set(s.subjects.subjects) == {("lease", "L-2")}
