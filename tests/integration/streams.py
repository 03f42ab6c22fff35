"""Helpers for the hostile-stream tests: send a mix of messages, collect what came out, check the offsets."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.conftest import RunningService
from tests.support import order_event


def now() -> str:
    """The current time as an event's `occurred_at`: the service holds events dated far from their receipt."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def order_event_now(event_id: str, order_id: str, **fields: Any) -> bytes:
    """`tests.support.order_event`, occurring now."""
    return order_event(event_id, order_id, occurred_at=now(), **fields)


def office_chairs_order(event_id: str, order_id: str, buyer: str) -> bytes:
    """An EAR99 order of office chairs from the US to `buyer` in Malaysia, dated 2026-12-01: allowed unless
    the buyer's name matches a list (what the rescreen tests change)."""
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": "2026-12-01T10:00:00Z",
            "order_id": order_id,
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": buyer, "country": "MY"},
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


def good_orders(prefix: str, count: int) -> list[tuple[str, bytes]]:
    """(order id, event) of `count` ordinary orders (each an `allow`), occurring now."""
    at = now()
    return [
        (f"{prefix}-SO-{i}", order_event(f"{prefix}-e{i}", f"{prefix}-SO-{i}", occurred_at=at))
        for i in range(count)
    ]


def lease_event(event_id: str, lease_id: str, **fields: Any) -> bytes:
    """A contract lease event of 8 A100s for a German research institute, occurring now; `fields` replace or
    add fields."""
    event: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": now(),
        "lease_id": lease_id,
        "action": "start",
        "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
        "lessee": {"name": "Example Research Institute GmbH", "country": "DE"},
        "resources": [{"product": "NVIDIA A100 80GB", "quantity": 8}],
        "hardware_country": "US",
        "access": "remote",
        "purpose": "model training",
    }
    event.update(fields)
    return orjson.dumps(event)


async def send_all(
    svc: RunningService,
    topic: str,
    messages: list[tuple[str | None, bytes | None]],
    partition: int = 0,
    headers: dict[int, list[tuple[str, bytes]]] | None = None,
) -> list[int]:
    """Send messages in order to one partition (so every later message is behind the earlier ones);
    returns their offsets. `headers` maps a message's index to its headers."""
    futures = []
    for index, (key, value) in enumerate(messages):
        futures.append(
            await svc.producer.send(
                topic,
                value=value,
                key=key.encode() if key is not None else None,
                partition=partition,
                headers=(headers or {}).get(index),
            )
        )
    return [(await future).offset for future in futures]


@dataclass
class Output:
    """What the service published: decisions and dead letters, decoded."""

    decisions: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]]

    def by_event(self) -> dict[str, dict[str, Any]]:
        """The decisions by event id (each event id decided once: checked by `assert_once`)."""
        return {d["event_id"]: d for d in self.decisions}

    def assert_once(self) -> None:
        """No decision published twice, no message dead-lettered twice."""
        twice = [key for key, n in Counter(d["decision_id"] for d in self.decisions).items() if n > 1]
        assert not twice, f"decisions published more than once: {twice}"
        events = [key for key, n in Counter(d["event_id"] for d in self.decisions).items() if n > 1]
        assert not events, f"events decided more than once: {events}"
        positions = Counter((d["topic"], d["partition"], d["offset"]) for d in self.dead_letters)
        assert not [p for p, n in positions.items() if n > 1], "a message dead-lettered twice"


async def collect(svc: RunningService, decisions: int, dead_letters: int, timeout: float = 60.0) -> Output:
    """Read `decisions` decisions and `dead_letters` dead letters (and anything extra that arrives)."""
    k = svc.settings.kafka
    found = await svc.read(k.decisions_topic, decisions, timeout)
    dead = await svc.read(k.dlq_topic, dead_letters, timeout) if dead_letters else []
    if not dead_letters:  # none expected: look anyway, briefly
        dead = await svc.read(k.dlq_topic, 1, 2.0)
    return Output(
        [orjson.loads(v) for _, v in found if v is not None],
        [orjson.loads(v) for _, v in dead if v is not None],
    )


async def assert_committed_to_the_end(
    svc: RunningService, group: str, topics: list[str], timeout: float = 30.0
) -> None:
    """The group's committed offsets reach the end offsets of every partition of `topics`."""
    bootstrap = svc.settings.kafka.bootstrap_servers
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        await reader.topics()  # fetches the metadata partitions_for_topic reads
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(reader.partitions_for_topic(topic) or ())
        ]
        ends = await reader.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            behind = {
                f"{tp.topic}:{tp.partition}": (committed[tp].offset if tp in committed else 0, end)
                for tp, end in ends.items()
                if (committed[tp].offset if tp in committed else 0) != end
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"committed offsets short of the end (committed, end): {behind}")
            await asyncio.sleep(0.3)
    finally:
        await admin.close()
        await reader.stop()
