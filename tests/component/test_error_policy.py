"""The error policy of the event and ownership handlers, with in-memory ports and a scripted broker: one
message's failure stays that message's, transient failures are retried without publishing twice, and a
dead letter that cannot be written stops the consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faststream.exceptions import StopConsume
from prometheus_client import generate_latest

from screening.adapters.kafka import EventConsumer, OffsetCommitter, OwnershipConsumer
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.codec import EventDecoder
from screening.domain.catalogue import Catalogue
from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.model import Event, Party
from screening.domain.names import ScreeningLists
from screening.domain.ownership import OwnershipRecord
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.ruleset import Ruleset
from screening.health import ConsumerHealth
from screening.metrics import PrometheusMetrics
from screening.resilience import RetryPolicy
from screening.service import ScreeningService
from tests.support import FakeRecord, RecordingSender, event_consumer, order_event


class FakeConsumer:
    """Records commits and seeks, as the Kafka consumer would receive them."""

    def __init__(self) -> None:
        self.commits: list[dict[Any, int]] = []
        self.seeks: list[tuple[Any, int]] = []

    async def commit(self, offsets: dict[Any, int]) -> None:
        self.commits.append(dict(offsets))

    def seek(self, partition: Any, offset: int) -> None:
        self.seeks.append((partition, offset))


class PoisonedRegistry(InMemoryOwnershipRegistry):
    """Fails every read of a batch that holds a party named "Poison": an error outside any one event."""

    async def snapshot(self, parties: Sequence[Party]) -> OwnershipSnapshot:
        if any(p.name == "Poison Trading Ltd" for p in parties):
            raise ValueError("the registry cannot read this party")
        return await super().snapshot(parties)


def records(*values: bytes, topic: str = "orders", start: int = 0) -> list[FakeRecord]:
    return [FakeRecord(topic, 0, start + i, f"k{i}".encode(), v) for i, v in enumerate(values)]


def count(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = generate_latest(metrics.registry).decode()
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture
def make(ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists):  # type: ignore[no-untyped-def]
    def build(
        registry: InMemoryOwnershipRegistry | None = None, sender: RecordingSender | None = None
    ) -> tuple[EventConsumer, RecordingSender, PrometheusMetrics, ScreeningService]:
        metrics = PrometheusMetrics(process=False)
        service = ScreeningService(
            ScreeningEngine(ruleset, catalogue),
            lambda: shipped_lists,
            registry or InMemoryOwnershipRegistry(),
            InMemoryDecisionLedger(),
            retry=RetryPolicy(backoff_s=0),
            metrics=metrics,
        )
        sender = sender or RecordingSender()
        return event_consumer(service, sender, metrics), sender, metrics, service

    return build


async def test_an_exception_inside_a_rule_holds_that_event_alone(make, monkeypatch) -> None:
    consumer, sender, metrics, service = make()
    decide = service.engine.decide

    def failing(event: Event, context: BatchContext, now: datetime, trigger: str = "event") -> Any:
        if event.event_id == "e-poison":
            raise ZeroDivisionError("a rule divided by zero")
        return decide(event, context, now, trigger)

    monkeypatch.setattr(service.engine, "decide", failing)
    await consumer.handle(
        records(order_event("e1", "SO-1"), order_event("e-poison", "SO-P"), order_event("e3", "SO-3"))
    )

    decisions = {d["event_id"]: d for d in sender.on("decisions")}
    assert set(decisions) == {"e1", "e-poison", "e3"}
    assert [r["code"] for r in decisions["e-poison"]["reasons"]] == ["ENGINE_ERROR"]
    (dead,) = sender.on("dlq")
    assert (dead["offset"], dead["error_kind"]) == (1, "processing")
    assert "ZeroDivisionError" in dead["error"]
    assert count(metrics, "screening_failed_batches_total") == 0  # the service named the failure itself


async def test_a_batch_failing_outside_any_event_is_split_until_the_message_is_alone(make) -> None:
    consumer, sender, metrics, _ = make(registry=PoisonedRegistry())
    values = [order_event(f"e{i}", f"SO-{i}") for i in range(9)]
    values.insert(5, order_event("e-poison", "SO-P", buyer="Poison Trading Ltd"))
    published = await consumer.handle(records(*values))

    decisions = sender.on("decisions")
    assert sorted(d["event_id"] for d in decisions) == sorted([f"e{i}" for i in range(9)] + ["e-poison"])
    assert len(published) == 10
    held = [d for d in decisions if d["event_id"] == "e-poison"]
    assert [r["code"] for r in held[0]["reasons"]] == ["ENGINE_ERROR"]
    (dead,) = sender.on("dlq")
    assert (dead["offset"], dead["error_kind"]) == (5, "processing")
    assert count(metrics, "screening_failed_batches_total", error="permanent") >= 2
    assert count(metrics, "screening_retries_total", operation="batch") >= 1


async def test_a_transient_broker_failure_is_retried_without_publishing_twice(make) -> None:
    class FlakySender(RecordingSender):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
            self.calls += 1
            if self.calls % 2 == 0:  # every other send times out once
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                future.set_exception(KafkaConnectionError("timeout"))
                return future
            return await super().__call__(topic, key, value)

    consumer, sender, metrics, _ = make(sender=FlakySender())
    await consumer.handle(records(*(order_event(f"e{i}", f"SO-{i}") for i in range(6))))
    assert sorted(d["event_id"] for d in sender.on("decisions")) == [f"e{i}" for i in range(6)]
    assert count(metrics, "screening_retries_total", operation="publish") >= 1


async def test_a_broker_down_leaves_the_batch_uncommitted_and_a_redelivery_publishes_nothing_twice(
    make,
) -> None:
    class HalfDown(RecordingSender):
        """Acknowledges the first three sends, then is unreachable until told otherwise."""

        def __init__(self) -> None:
            super().__init__()
            self.up = 3

        async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
            if self.up > 0:
                self.up -= 1
                return await super().__call__(topic, key, value)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(KafkaConnectionError("down"))
            return future

    sender = HalfDown()
    consumer, _, _, _ = make(sender=sender)
    kafka = FakeConsumer()
    batch = records(*(order_event(f"e{i}", f"SO-{i}") for i in range(6)))
    assert await consumer.consume(batch, kafka) == []
    assert kafka.commits == [] and [offset for _, offset in kafka.seeks] == [0]
    assert len(sender.on("decisions")) == 3

    sender.up = 100  # the broker is back; the batch is read again
    await consumer.consume(batch, kafka)
    await consumer._committer.flush()
    assert sorted(d["event_id"] for d in sender.on("decisions")) == [f"e{i}" for i in range(6)]
    assert [list(c.values()) for c in kafka.commits] == [[6]]


async def test_a_dead_letter_the_broker_refuses_stops_the_consumer(make) -> None:
    sender = RecordingSender()
    sender.refuse("dlq")
    consumer, _, _, _ = make(sender=sender)
    kafka = FakeConsumer()
    with pytest.raises(StopConsume):
        await consumer.consume(records(order_event("e1", "SO-1"), b"{broken"), kafka)
    assert kafka.commits == []
    assert consumer._health.stopped is not None and "dead-letter topic" in consumer._health.stopped
    assert [d["event_id"] for d in sender.on("decisions")] == ["e1"]  # published once, not again


async def test_a_decision_the_broker_refuses_becomes_a_dead_letter_and_a_hold(make) -> None:
    class RefusesDenies(RecordingSender):
        async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
            if topic == "decisions" and orjson.loads(value)["outcome"] == "deny":
                future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                future.set_exception(MessageSizeTooLargeError("too large"))
                return future
            return await super().__call__(topic, key, value)

    consumer, sender, _, _ = make(sender=RefusesDenies())
    denied = order_event("e-deny", "SO-D", buyer="Huawei Technologies Co., Ltd.", country="CN")
    await consumer.handle(records(order_event("e1", "SO-1"), denied))
    decisions = {d["event_id"]: d for d in sender.on("decisions")}
    assert decisions["e1"]["outcome"] == "allow"
    assert [r["code"] for r in decisions["e-deny"]["reasons"]] == ["ENGINE_ERROR"]
    (dead,) = sender.on("dlq")
    assert dead["offset"] == 1 and "MessageSizeTooLargeError" in dead["error"]


async def test_the_record_timestamp_reaches_the_event_as_received_at(make, monkeypatch) -> None:
    consumer, _, _, service = make()
    seen: list[datetime | None] = []
    decide = service.engine.decide

    def spy(event: Event, context: BatchContext, now: datetime, trigger: str = "event") -> Any:
        seen.append(event.received_at)
        return decide(event, context, now, trigger)

    monkeypatch.setattr(service.engine, "decide", spy)
    record = FakeRecord("orders", 0, 0, b"k", order_event("e1", "SO-1"), timestamp=1_764_000_000_000)
    await consumer.handle([record])
    assert seen == [datetime(2025, 11, 24, 16, 0, tzinfo=UTC)]


async def test_a_reused_event_id_is_marked_and_decided_under_its_own_id(make, monkeypatch) -> None:
    consumer, sender, _, service = make()
    contexts: list[frozenset[str]] = []
    decide = service.engine.decide

    def spy(event: Event, context: BatchContext, now: datetime, trigger: str = "event") -> Any:
        contexts.append(context.reused_event_ids)
        return decide(event, context, now, trigger)

    monkeypatch.setattr(service.engine, "decide", spy)
    first, other = order_event("e1", "SO-1"), order_event("e1", "SO-1", quantity=9)
    await consumer.handle(records(first, first))  # a redelivery in the same batch: decided once
    await consumer.handle(records(first, other, other, start=2))  # then a reuse, itself redelivered
    decisions = sender.on("decisions")
    assert [d["event_id"] for d in decisions] == ["e1", "e1"]
    assert decisions[0]["decision_id"] != decisions[1]["decision_id"]
    assert contexts == [frozenset(), frozenset({"e1"})]


async def test_a_ledger_entry_without_a_digest_counts_as_any_content(make) -> None:
    consumer, sender, _, service = make()
    await service._ledger.remember([("e1", "*")])  # written before digests were kept
    await consumer.handle(records(order_event("e1", "SO-1", quantity=9)))
    assert sender.on("decisions") == []


async def test_the_ownership_feed_dead_letters_bad_records_and_applies_the_rest(make) -> None:
    registry = InMemoryOwnershipRegistry()
    sender = RecordingSender()
    health = ConsumerHealth()
    changes: list[int] = []
    feed = OwnershipConsumer(
        registry,
        sender,
        "dlq",
        EventDecoder(),
        PrometheusMetrics(process=False),
        OffsetCommitter(health),
        health,
        RetryPolicy(backoff_s=0),
        on_change=lambda changed: changes.append(1),
    )

    def value(entity_id: str, owners: list[dict[str, Any]]) -> bytes:
        return orjson.dumps({"entity_id": entity_id, "name": entity_id, "owners": owners})

    applied = await feed.consume(
        records(
            value("good-1", []),
            value("bad-sum", [{"entity_id": "a", "share": 0.8}, {"entity_id": "b", "share": 0.8}]),
            value("bad-self", [{"entity_id": "bad-self", "share": 1.0}]),
            value("good-2", [{"entity_id": "good-1", "share": 1.0}]),
            topic="ownership",
        ),
        FakeConsumer(),
    )
    assert applied == 2 and changes == [1]
    assert [d["offset"] for d in sender.on("dlq")] == [1, 2]
    snapshot = await registry.snapshot([Party("good-2", "buyer", party_id="good-2")])
    assert set(snapshot.records) == {"good-1", "good-2"}


async def test_an_unreachable_registry_leaves_the_feed_batch_uncommitted() -> None:
    class Down(InMemoryOwnershipRegistry):
        async def upsert(self, records: Sequence[OwnershipRecord]) -> None:
            raise ConnectionError("redis down")

    health = ConsumerHealth()
    feed = OwnershipConsumer(
        Down(),
        RecordingSender(),
        "dlq",
        EventDecoder(),
        PrometheusMetrics(process=False),
        OffsetCommitter(health),
        health,
        RetryPolicy(backoff_s=0, max_backoff_s=0),
    )
    kafka = FakeConsumer()
    value = orjson.dumps({"entity_id": "a", "name": "A"})
    assert await feed.consume(records(value, topic="ownership", start=4), kafka) == 0
    assert kafka.commits == [] and [offset for _, offset in kafka.seeks] == [4]
