"""Ownership records streamed through the compacted topic into Redis decide a later order."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tests.integration.conftest import RunningService, wait_until

pytestmark = pytest.mark.integration

CHAIN = [
    # Sugon is on the Entity List; it owns a holding 100%, the holding owns 60% of an intermediate,
    # the intermediate owns 80% of the buyer. Only the fixed-point chain reaches the buyer.
    {"entity_id": "cn-sugon", "name": "Sugon", "country": "CN", "owners": [], "as_of": "2026-10-01"},
    {
        "entity_id": "hk-holdco",
        "name": "Example Holdings (HK) Limited",
        "country": "HK",
        "owners": [{"entity_id": "cn-sugon", "share": 1.0}],
        "as_of": "2026-10-01",
    },
    {
        "entity_id": "sg-mid",
        "name": "Example Compute Investments Pte. Ltd.",
        "country": "SG",
        "owners": [{"entity_id": "hk-holdco", "share": 0.6}],
        "as_of": "2026-10-01",
    },
    {
        "entity_id": "my-buyer",
        "name": "Example Server Trading Sdn. Bhd.",
        "country": "MY",
        "hq_country": "MY",
        "owners": [{"entity_id": "sg-mid", "share": 0.8}],
        "as_of": "2026-10-01",
    },
]


def order_to_buyer(event_id: str, occurred_at: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": occurred_at,
            "order_id": f"SO-{event_id}",
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": "Example Server Trading Sdn. Bhd.", "country": "MY"},
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


async def test_a_buyer_owned_through_a_three_level_chain_by_a_listed_company_is_denied(start_service) -> None:
    svc: RunningService = await start_service()
    k = svc.settings.kafka
    for record in CHAIN:
        await svc.send(k.ownership_topic, str(record["entity_id"]), orjson.dumps(record))

    async def loaded() -> bool:
        snapshot = await svc.runtime.registry.snapshot([])
        return (
            snapshot.available
            and await svc.runtime.redis.exists(f"{svc.settings.redis.prefix}own:v1:entity:my-buyer") == 1
        )

    await wait_until(loaded)
    # Decided now, with the Affiliates rule in force again (from 2026-11-10): dated when it is sent, so the
    # test does not depend on the day it runs.
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    await svc.send(k.orders_topic, "SO-1", order_to_buyer("chain-in-force", now))
    # A past event is stamped with its occurred_at (the broker refuses future times): the service holds an
    # event dated far from when it was received, and decides it as of the later date (EVENT_DATE_IMPLAUSIBLE).
    stamp = int(datetime(2026, 8, 1, 10, tzinfo=UTC).timestamp() * 1000)
    await svc.producer.send_and_wait(
        k.orders_topic,
        value=order_to_buyer("chain-suspended", "2026-08-01T10:00:00Z"),
        key=b"SO-2",
        timestamp_ms=stamp,
    )
    # The answers to the events (a rescreen started by a late ownership batch decides an open order as of
    # the rescreen's date, today, and may follow them).
    decisions = {
        d["event_id"]: d
        for d in (orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 2) if v)
        if d["trigger"] == "event"
    }

    in_force = decisions["chain-in-force"]
    assert in_force["outcome"] == "deny"
    affiliates = [r for r in in_force["reasons"] if r["code"] == "BIS_AFFILIATES_50"]
    assert affiliates and affiliates[0]["outcome"] == "deny" and affiliates[0]["party_role"] == "buyer"
    evidence = affiliates[0]["evidence"]
    path_ids = {step["entity_id"] for path in evidence["regimes"]["BIS"]["ownership_paths"] for step in path}
    assert {"my-buyer", "sg-mid", "hk-holdco", "cn-sugon"} <= path_ids
    # During the suspension of the Affiliates rule the same chain is a hold, not a deny.
    suspended = decisions["chain-suspended"]
    assert suspended["outcome"] == "hold"
    assert "BIS_AFFILIATES_50" in {r["code"] for r in suspended["reasons"]}


async def test_a_tombstone_removes_an_ownership_record(start_service) -> None:
    svc: RunningService = await start_service()
    k = svc.settings.kafka
    key = f"{svc.settings.redis.prefix}own:v1:entity:hk-holdco"
    await svc.send(k.ownership_topic, "hk-holdco", orjson.dumps(CHAIN[1]))

    async def present() -> bool:
        return bool(await svc.runtime.redis.exists(key))

    await wait_until(present)
    await svc.send(k.ownership_topic, "hk-holdco", None)

    async def gone() -> bool:
        return not await svc.runtime.redis.exists(key)

    await wait_until(gone)
