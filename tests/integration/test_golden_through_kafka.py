"""Every golden scenario decided by `screening serve` through the real broker and Redis equals the
decision `screening check` gives (the golden file): check and serve decide alike."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from screening.adapters.ownership_files import load_ownership_file
from tests.golden.harness import licence_records, received_at, scenario_dirs, strip_volatile
from tests.integration.conftest import PrivateRedis, RunningService, wait_until

pytestmark = pytest.mark.integration


async def _clear_registry(svc: RunningService) -> None:
    """Drop every record of the previous scenario; the version only moves forward (caches notice)."""
    prefix = svc.settings.redis.prefix
    redis = svc.runtime.redis
    keys = [key async for key in redis.scan_iter(match=f"{prefix}own:v1:entity:*")]
    if keys:
        await redis.delete(*keys)
    await redis.delete(f"{prefix}own:v1:names")
    await redis.incr(f"{prefix}own:v1:version")


async def _registry_ready(svc: RunningService) -> bool:
    return (await svc.runtime.rebuilder.check()).problem is None


async def _load_licences(svc: RunningService, folder: Path) -> None:
    """The scenario's licences on file, alone: the previous scenario's licences and draw-downs dropped."""
    prefix = svc.settings.redis.prefix
    redis = svc.runtime.redis
    keys = [key async for key in redis.scan_iter(match=f"{prefix}lic:v1:*")]
    if keys:
        await redis.delete(*keys)
    records = licence_records(folder)
    if records:
        assert svc.runtime.licences is not None
        await svc.runtime.licences.upsert(records)


async def test_serve_decides_every_golden_scenario_as_check_does(
    start_service, private_redis: PrivateRedis
) -> None:
    svc: RunningService = await start_service(redis_url=private_redis.url)
    k = svc.settings.kafka
    reader = AIOKafkaConsumer(
        k.decisions_topic,
        bootstrap_servers=k.bootstrap_servers,
        group_id=f"golden-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await reader.start()
    received: dict[str, dict[str, object]] = {}
    mismatches: list[str] = []
    try:
        for folder in scenario_dirs():
            event = json.loads((folder / "event.json").read_text(encoding="utf-8"))
            event["event_id"] = f"{event['event_id']}-{folder.name}"  # unique per scenario: one decision each
            setup_file = folder / "setup.json"
            setup = json.loads(setup_file.read_text()) if setup_file.is_file() else {}
            await _clear_registry(svc)
            await _load_licences(svc, folder)
            ownership = folder / "ownership.jsonl"
            if ownership.is_file():
                await svc.runtime.registry.upsert(load_ownership_file(ownership))
            unavailable = setup.get("ownership_registry") == "unavailable"
            if unavailable:
                private_redis.stop()
            topic = k.orders_topic if "order_id" in event else k.leases_topic
            key = str(event.get("order_id") or event.get("lease_id")).encode()
            # Stamped when it occurred, as a producer stamps a live event (or when the scenario says it was
            # received): the service reads the record's time as `received_at`, and a golden event dated
            # years ago must not look back-dated. Never later than now: the broker refuses future times.
            stamped = (
                received_at(setup)
                if "received_at" in setup
                else datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
            )
            stamp_ms = min(int(stamped.timestamp() * 1000), int(time.time() * 1000))
            await svc.producer.send_and_wait(topic, value=orjson.dumps(event), key=key, timestamp_ms=stamp_ms)
            deadline = time.monotonic() + 30
            while event["event_id"] not in received and time.monotonic() < deadline:
                batch = await reader.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        decision = orjson.loads(record.value)
                        received[decision["event_id"]] = decision
            if unavailable:
                private_redis.start()  # empty: the service rebuilds its registry (holds meanwhile)
                await wait_until(lambda: _registry_ready(svc))
            assert event["event_id"] in received, f"no decision for {folder.name}"
            served = strip_volatile(received[event["event_id"]])
            expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
            served["event_id"] = expected["event_id"]
            if served != expected:
                mismatches.append(folder.name)
    finally:
        await reader.stop()
    assert mismatches == [], f"serve and check differ on {mismatches}"
