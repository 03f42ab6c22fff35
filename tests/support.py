"""Test helpers shared by the tiers: consumer-record stand-ins, a recording sender, event builders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass
class FakeRecord:
    """The parts of a Kafka consumer record the pipelines read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0


class RecordingSender:
    """Collects sends; acks resolve at once, or fail when told to (`fail`: the broker is unreachable;
    `refuse(topic)`: that topic refuses every message for good, as with a record over the size limit)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.fail = fail
        self.refused: set[str] = set()

    def refuse(self, topic: str) -> None:
        """Refuse every later message to `topic` with a permanent error."""
        self.refused.add(topic)

    async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
        from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError

        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail:
            future.set_exception(KafkaConnectionError("broker unavailable"))
        elif topic in self.refused:
            future.set_exception(MessageSizeTooLargeError("refused"))
        else:
            self.sent.append((topic, key, value))
            future.set_result(None)
        return future

    def on(self, topic: str) -> list[dict[str, Any]]:
        """Decoded values sent to `topic`, in order."""
        return [orjson.loads(v) for t, _, v in self.sent if t == topic]


def order_event(
    event_id: str,
    order_id: str,
    buyer: str = "Example Research Institute GmbH",
    country: str = "DE",
    product: str = "Office chairs",
    eccn: str | None = "EAR99",
    occurred_at: str = "2026-12-01T10:00:00Z",
    quantity: int = 2,
    **extra: Any,
) -> bytes:
    """A contract order event (one line) as JSON bytes; the defaults make an ordinary `allow`."""
    item: dict[str, Any] = {"line_id": "1", "product": product, "quantity": quantity}
    if eccn:
        item["eccn"] = eccn
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": occurred_at,
            "order_id": order_id,
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": buyer, "country": country},
            "ship_from_country": "US",
            "ship_to_country": country,
            "items": [item],
            **extra,
        }
    )


TOPICS = {"orders": "orders", "leases": "leases", "decisions": "decisions", "dlq": "dlq"}
"""Topic names of the handlers built by `event_consumer`."""


def event_consumer(service: Any, sender: Any, metrics: Any = None, **topics: str) -> Any:
    """The event handler over `service`, publishing with `sender`, on the `TOPICS` names (or `topics`)."""
    from screening.adapters.kafka import EventConsumer, OffsetCommitter
    from screening.codec import EventDecoder
    from screening.health import ConsumerHealth
    from screening.kinds import LEASE, ORDER
    from screening.metrics import Metrics
    from screening.resilience import RetryPolicy

    names = {**TOPICS, **topics}
    health = ConsumerHealth()

    async def no_wait(_: float) -> None:
        return None

    return EventConsumer(
        service,
        sender,
        {names["orders"]: ORDER, names["leases"]: LEASE},
        names["decisions"],
        names["dlq"],
        EventDecoder(),
        metrics or Metrics(),
        OffsetCommitter(health),
        health,
        RetryPolicy(),
        sleep=no_wait,
    )
