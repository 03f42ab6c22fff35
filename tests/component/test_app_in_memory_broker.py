"""The FastStream app as wired by the composition root, on FastStream's in-memory Kafka broker."""

from __future__ import annotations

import orjson
from faststream.kafka import TestKafkaBroker

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOpenSubjects, InMemoryOwnershipRegistry
from screening.app import create_runtime
from screening.config import MetricsSettings, Settings


async def test_orders_and_ownership_flow_through_the_wired_subscribers(shipped_lists) -> None:
    registry = InMemoryOwnershipRegistry()
    runtime = create_runtime(
        Settings(metrics=MetricsSettings(enabled=False)),
        registry=registry,
        ledger=InMemoryDecisionLedger(),
        subjects=InMemoryOpenSubjects(),
    )
    runtime.lists.current = shipped_lists
    decisions: list[dict[str, object]] = []

    @runtime.broker.subscriber("screening.decisions.v1")
    async def collect(body: dict[str, object]) -> None:
        decisions.append(body)

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(
            orjson.dumps({"entity_id": "cn-x", "name": "Example Holdings", "country": "CN", "owners": []}),
            topic="screening.ownership.v1",
            key=b"cn-x",
        )
        await broker.publish(
            orjson.dumps(
                {
                    "event_id": "e1",
                    "occurred_at": "2026-12-01T10:00:00Z",
                    "lease_id": "L-1",
                    "lessee": {"name": "iFlyTek", "country": "CN"},
                    "resources": [{"product": "NVIDIA A100 80GB", "quantity": 8}],
                    "hardware_country": "US",
                }
            ),
            topic="screening.leases.v1",
            key=b"L-1",
        )
    assert (await registry.snapshot([])).available
    assert registry.version.endswith(":1")
    assert len(decisions) == 1
    assert decisions[0]["outcome"] == "deny"
    assert decisions[0]["subject"] == {"kind": "lease", "id": "L-1"}
    await runtime.rescreens.stop()  # the ownership record scheduled one
