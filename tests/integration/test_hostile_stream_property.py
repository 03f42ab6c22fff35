"""Property: whatever mix of good and hostile messages arrives, through the real broker and Redis, every
good event is decided exactly once, every bad message is dead-lettered exactly once (and its subject held
once when it names one), and nothing else is published."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import RunningService
from tests.integration.streams import lease_event, order_event_now

pytestmark = pytest.mark.integration

KINDS = ("good", "oversized", "binary_header", "huge_integer", "infinite_tpp", "not_json", "duplicate_key")
OWNERSHIP_KINDS = ("shares_over_one", "owner_twice", "own_owner", "not_a_record")


@dataclass(frozen=True)
class Message:
    """One generated message and what must come of it."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    event_id: str | None
    """Set for an event that must be decided (good) or held (bad, naming its subject)."""
    good: bool


def build(kind: str, lease: bool, tag: str, index: int, size: int, topics: dict[str, str]) -> Message:
    event_id, subject = f"{tag}-e{index}", f"{tag}-S{index}"
    if kind in OWNERSHIP_KINDS:
        owners: list[dict[str, Any]] = {
            "shares_over_one": [{"entity_id": "a", "share": 0.9}, {"entity_id": "b", "share": 0.4}],
            "owner_twice": [{"entity_id": "a", "share": 0.1}, {"entity_id": "a", "share": 0.1}],
            "own_owner": [{"entity_id": subject, "share": 1.0}],
            "not_a_record": [],
        }[kind]
        value = (
            orjson.dumps({"entity_id": subject, "name": f"{tag} Holdings", "owners": owners})
            if kind != "not_a_record"
            else orjson.dumps([subject])
        )
        return Message(topics["ownership"], subject.encode(), value, (), None, False)
    value = lease_event(event_id, subject) if lease else order_event_now(event_id, subject)
    headers: tuple[tuple[str, bytes], ...] = ()
    named = True
    if kind == "oversized":
        field = b'"purpose"' if lease else b'"ship_to_country"'
        value = value.replace(field, b'"padding":"' + b"x" * (256 * 1024 + size) + b'",' + field, 1)
    elif kind == "binary_header":
        headers = (("trace", bytes([0xFF, 0xFE, size % 256])),)
    elif kind == "huge_integer":
        value = value.replace(b'"quantity":', b'"quantity":' + b"9" * (4000 + size) + b',"x":', 1)
    elif kind == "infinite_tpp":
        value = value.replace(b'"quantity":', b'"tpp":1e400,"quantity":', 1)
    elif kind == "not_json":
        value, named = b"\x00\xff" + bytes(range(size % 200)), False
    elif kind == "duplicate_key":
        value = value[:-1] + b',"event_id":"' + event_id.encode() + b'"}'
    topic = topics["leases" if lease else "orders"]
    return Message(topic, subject.encode(), value, headers, event_id if named else None, kind == "good")


messages_strategy = st.lists(
    st.tuples(st.sampled_from(KINDS + OWNERSHIP_KINDS), st.booleans(), st.integers(0, 5000)),
    min_size=5,
    max_size=40,
).filter(lambda specs: any(kind == "good" for kind, _, _ in specs))


class Outputs:
    """Decisions and dead letters read continuously from the service's output topics."""

    def __init__(self, svc: RunningService) -> None:
        k = svc.settings.kafka
        self.decisions: list[dict[str, Any]] = []
        self.dead_letters: list[dict[str, Any]] = []
        self._topics = (k.decisions_topic, k.dlq_topic)
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=k.bootstrap_servers,
            group_id=f"outputs-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            batch = await self._consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                target = self.decisions if tp.topic == self._topics[0] else self.dead_letters
                target.extend(orjson.loads(r.value) for r in records)

    def of(self, tag: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        decisions = [d for d in self.decisions if d["event_id"].startswith(tag)]
        dead = [d for d in self.dead_letters if (d["key"] or "").startswith(tag)]
        return decisions, dead


@pytest.fixture
async def hostile_service(start_service, shipped_lists):  # type: ignore[no-untyped-def]
    svc: RunningService = await start_service(lists=shipped_lists)
    outputs = Outputs(svc)
    await outputs.start()
    yield svc, outputs
    await outputs.stop()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=messages_strategy)
async def test_every_good_event_is_decided_once_and_every_bad_message_dead_lettered_once(
    hostile_service: tuple[RunningService, Outputs], specs: list[tuple[str, bool, int]]
) -> None:
    svc, outputs = hostile_service
    k = svc.settings.kafka
    topics = {"orders": k.orders_topic, "leases": k.leases_topic, "ownership": k.ownership_topic}
    tag = uuid.uuid4().hex[:8]
    messages = [build(kind, lease, tag, i, size, topics) for i, (kind, lease, size) in enumerate(specs)]
    futures = [
        await svc.producer.send(m.topic, value=m.value, key=m.key, headers=list(m.headers) or None)
        for m in messages
    ]
    await asyncio.gather(*futures)

    good = Counter(m.event_id for m in messages if m.good)
    held = Counter(m.event_id for m in messages if not m.good and m.event_id)
    bad = sum(1 for m in messages if not m.good)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        decisions, dead = outputs.of(tag)
        if len(decisions) >= len(good) + len(held) and len(dead) >= bad:
            break
        await outputs.poll(0.5)
    await outputs.poll(1.5)  # anything extra (a duplicate) arrives meanwhile
    decisions, dead = outputs.of(tag)

    decided = Counter(d["event_id"] for d in decisions)
    assert decided == good + held, "each good event decided once, each named bad event held once"
    for decision in decisions:
        if decision["event_id"] in held:
            assert [r["code"] for r in decision["reasons"]] == ["INVALID_EVENT"]
    assert len(dead) == bad, "each bad message dead-lettered once"
    assert len({(d["topic"], d["partition"], d["offset"]) for d in dead}) == bad
