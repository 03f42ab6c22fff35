"""The batch pipeline with in-memory ports and a recording sender: no broker, no Redis."""

from __future__ import annotations

import orjson
import pytest

from screening.adapters.kafka import EventConsumer
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.domain.catalogue import Catalogue
from screening.domain.engine import ScreeningEngine
from screening.domain.names import ScreeningLists
from screening.domain.ruleset import Ruleset
from screening.resilience import Unavailable
from screening.service import ScreeningService
from tests.support import FakeRecord, RecordingSender, event_consumer, order_event


def order(event_id: str, order_id: str) -> bytes:
    return order_event(event_id, order_id)


@pytest.fixture
def build(ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists):
    def make(
        registry: InMemoryOwnershipRegistry | None = None,
        lists: ScreeningLists | None = shipped_lists,
        fail: bool = False,
    ) -> tuple[EventConsumer, RecordingSender, InMemoryDecisionLedger]:
        ledger = InMemoryDecisionLedger()
        service = ScreeningService(
            ScreeningEngine(ruleset, catalogue),
            lambda: lists,
            registry or InMemoryOwnershipRegistry(),
            ledger,
        )
        sender = RecordingSender(fail)
        return event_consumer(service, sender), sender, ledger

    return make


async def test_every_valid_event_of_a_batch_gets_one_decision_keyed_by_its_subject(build) -> None:
    pipeline, sender, _ = build()
    records = [FakeRecord("orders", 0, i, f"SO-{i}".encode(), order(f"e{i}", f"SO-{i}")) for i in range(20)]
    await pipeline.handle(records)
    keys = [k for t, k, _ in sender.sent if t == "decisions"]
    assert sorted(keys) == sorted(f"SO-{i}".encode() for i in range(20))


async def test_invalid_messages_are_dead_lettered_and_named_subjects_held(build) -> None:
    pipeline, sender, _ = build()
    await pipeline.handle(
        [
            FakeRecord("orders", 0, 0, b"SO-1", b"{broken"),
            FakeRecord("orders", 0, 1, b"SO-2", orjson.dumps({"event_id": "e2", "order_id": "SO-2"})),
            FakeRecord("leases", 1, 5, b"L-3", orjson.dumps({"lease_id": "L-3"})),
            FakeRecord("orders", 0, 2, b"SO-4", order("e4", "SO-4")),
        ]
    )
    dlq = sender.on("dlq")
    assert [(d["topic"], d["offset"], d["error_kind"]) for d in dlq] == [
        ("orders", 0, "invalid_json"),
        ("orders", 1, "schema"),
        ("leases", 5, "schema"),
    ]
    decisions = {d["subject"]["id"]: d for d in sender.on("decisions")}
    assert set(decisions) == {"SO-2", "SO-4"}  # L-3 names no event_id: DLQ only
    assert decisions["SO-2"]["outcome"] == "hold"
    assert decisions["SO-2"]["reasons"][0]["code"] == "INVALID_EVENT"
    assert decisions["SO-4"]["outcome"] == "allow"


async def test_a_repeated_event_id_is_decided_once_within_and_across_batches(build) -> None:
    pipeline, sender, _ = build()
    payload = order("same", "SO-1")
    await pipeline.handle(
        [FakeRecord("orders", 0, 0, b"SO-1", payload), FakeRecord("orders", 0, 1, b"SO-1", payload)]
    )
    await pipeline.handle([FakeRecord("orders", 0, 2, b"SO-1", payload)])
    assert len(sender.on("decisions")) == 1


async def test_unavailable_ownership_registry_holds_every_event(build) -> None:
    registry = InMemoryOwnershipRegistry()
    registry.available = False
    pipeline, sender, _ = build(registry=registry)
    await pipeline.handle([FakeRecord("orders", 0, i, b"k", order(f"e{i}", f"SO-{i}")) for i in range(3)])
    decisions = sender.on("decisions")
    assert len(decisions) == 3
    assert {d["outcome"] for d in decisions} == {"hold"}
    assert all(any(r["code"] == "OWNERSHIP_UNAVAILABLE" for r in d["reasons"]) for d in decisions)


async def test_missing_lists_hold_every_event(build) -> None:
    pipeline, sender, _ = build(lists=None)
    await pipeline.handle([FakeRecord("orders", 0, 0, b"k", order("e1", "SO-1"))])
    (decision,) = sender.on("decisions")
    assert decision["outcome"] == "hold"
    assert decision["versions"]["lists"] == "unavailable"
    assert [r["code"] for r in decision["reasons"]] == ["LISTS_UNAVAILABLE"]


async def test_a_failed_publish_raises_and_the_batch_is_not_remembered(build) -> None:
    pipeline, _, ledger = build(fail=True)
    with pytest.raises(Unavailable):
        await pipeline.handle([FakeRecord("orders", 0, 0, b"k", order("e1", "SO-1"))])
    assert await ledger.decided(["e1"]) == {}  # redelivery will decide it again


async def test_an_open_hold_keeps_the_decision_bytes_as_published(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> None:
    from screening.adapters.memory import InMemoryOpenHolds
    from screening.codec import encode_decision
    from screening.service import hold_changes

    holds = InMemoryOpenHolds()
    service = ScreeningService(
        ScreeningEngine(ruleset, catalogue),
        lambda: shipped_lists,
        InMemoryOwnershipRegistry(),
        InMemoryDecisionLedger(),
        holds=holds,
    )
    sender = RecordingSender()
    listed = order_event("e1", "SO-1", buyer="TBD")
    await event_consumer(service, sender).handle(
        [
            FakeRecord("orders", 0, 0, b"SO-1", listed),
            FakeRecord("orders", 0, 1, b"SO-2", order("e2", "SO-2")),
        ]
    )
    published = {k: v for t, k, v in sender.sent if t == "decisions"}
    assert orjson.loads(published[b"SO-1"])["outcome"] == "hold"
    assert holds.decisions == {("order", "SO-1"): published[b"SO-1"]}  # the bytes as published
    # Without the publisher's bytes a hold is encoded where it is recorded.
    fresh = ScreeningService(
        ScreeningEngine(ruleset, catalogue),
        lambda: shipped_lists,
        InMemoryOwnershipRegistry(),
        InMemoryDecisionLedger(),
    )
    decision = (await fresh.screen([fresh._decoder.decode_line(listed).event]))[0]  # type: ignore[union-attr]
    (held,) = hold_changes([(decision, listed)]).held
    assert held.decision == encode_decision(decision)
    assert orjson.loads(held.decision)["reasons"] == orjson.loads(published[b"SO-1"])["reasons"]
