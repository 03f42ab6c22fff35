"""Rescreening through the real Kafka and Redis: an ownership or list change re-decides an open order."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from screening.adapters.csl import combine, parse_list_bytes
from screening.adapters.redis_store import RedisOwnershipRegistry
from screening.adapters.subjects import RedisOpenSubjects
from screening.app import refresh_lists, watch_ownership_writes
from screening.domain.ownership import OwnerLink, OwnershipRecord
from screening.ports import OpenSubject
from screening.resources import screening_version
from tests.integration.conftest import RunningService, redis_client, unique, wait_until

pytestmark = pytest.mark.integration

BUYER = "Example Server Trading Sdn. Bhd."


def record(entity_id: str, name: str, country: str, owners: list[dict[str, Any]]) -> bytes:
    return orjson.dumps(
        {"entity_id": entity_id, "name": name, "country": country, "owners": owners, "as_of": "2026-10-01"}
    )


def order(event_id: str, order_id: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": "2026-12-01T10:00:00Z",  # the BIS Affiliates rule is in force
            "order_id": order_id,
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": BUYER, "country": "MY"},
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


async def decisions_of(svc: RunningService, count: int) -> list[dict[str, Any]]:
    found = await svc.read(svc.settings.kafka.decisions_topic, count)
    return [orjson.loads(value) for _, value in found if value]


async def first_decision_allows(svc: RunningService) -> dict[str, Any]:
    """Register the buyer with an unlisted parent, order for it: `allow`, and the order is open."""
    k = svc.settings.kafka
    await svc.send(
        k.ownership_topic, "my-parent", record("my-parent", "Example Trading Holdings Berhad", "MY", [])
    )
    await svc.send(
        k.ownership_topic,
        "my-buyer",
        record("my-buyer", BUYER, "MY", [{"entity_id": "my-parent", "share": 1.0}]),
    )
    prefix = svc.settings.redis.prefix

    async def registered() -> bool:
        return bool(await svc.runtime.redis.exists(f"{prefix}own:v1:entity:my-buyer"))

    await wait_until(registered)
    await svc.send(k.orders_topic, "SO-1", order("e1", "SO-1"))
    (first,) = await decisions_of(svc, 1)
    assert (first["outcome"], first["trigger"]) == ("allow", "event")

    async def recorded() -> bool:
        return bool(await svc.runtime.redis.hexists(f"{prefix}subjects:v1", "order:SO-1"))

    await wait_until(recorded)
    return first


async def test_an_ownership_change_to_an_entity_listed_owner_publishes_a_rescreen_deny(start_service) -> None:
    svc: RunningService = await start_service()
    first = await first_decision_allows(svc)

    k = svc.settings.kafka
    await svc.send(k.ownership_topic, "cn-sugon", record("cn-sugon", "Sugon", "CN", []))
    await svc.send(
        k.ownership_topic,
        "my-buyer",
        record("my-buyer", BUYER, "MY", [{"entity_id": "cn-sugon", "share": 1.0}]),
    )
    decisions = await decisions_of(svc, 2)

    assert len(decisions) == 2, decisions  # one answer to the event, one rescreen: no duplicate
    rescreened = decisions[1]
    assert rescreened["subject"] == {"kind": "order", "id": "SO-1"}
    assert rescreened["event_id"] == "e1"
    assert (rescreened["trigger"], rescreened["outcome"]) == ("rescreen", "deny")
    assert "BIS_AFFILIATES_50" in {r["code"] for r in rescreened["reasons"]}
    assert rescreened["versions"]["ownership"] != first["versions"]["ownership"]
    report = svc.runtime.rescreens.last_report
    assert report is not None and report.by_outcome == {"deny": 1}


async def test_a_new_lists_version_publishes_a_rescreen_for_a_newly_listed_buyer(start_service) -> None:
    svc: RunningService = await start_service()
    await first_decision_allows(svc)

    listing = orjson.dumps(
        {
            "results": [
                {
                    "source": "Entity List (EL) - Bureau of Industry and Security",
                    "name": BUYER,
                    "type": "Entity",
                    "addresses": [{"address": "Jalan Example 1", "city": "Kuala Lumpur", "country": "MY"}],
                }
            ]
        }
    )
    name = "entity_list_2026-11-25.json"
    _, files_version = combine([parse_list_bytes(listing, name)])
    # One entry replacing the whole list fails the integrity checks: stored as forced, the service takes it.
    version = screening_version(files_version)
    await svc.runtime.lists_store.save(
        [(name, listing)], version, forced={"version": version, "reason": "test"}
    )
    await refresh_lists(svc.runtime)

    decisions = await decisions_of(svc, 2)
    assert [(d["trigger"], d["outcome"]) for d in decisions] == [("event", "allow"), ("rescreen", "deny")]
    assert decisions[1]["versions"]["lists"] == svc.runtime.lists.current.version  # type: ignore[union-attr]
    assert any(r["code"] == "LISTED_PARTY" for r in decisions[1]["reasons"])


async def test_redis_open_subjects_store_scan_and_compare_and_set(services) -> None:
    client = await redis_client(services.redis_url)
    try:
        subjects = RedisOpenSubjects(client, f"{unique('t')}:")
        opened = [OpenSubject("order", f"SO-{i}", order(f"e{i}", f"SO-{i}"), "allow:x") for i in range(700)]
        await subjects.record(opened, [])
        await subjects.record([], [("order", "SO-0")])
        scanned = [s for chunk in [c async for c in subjects.scan(100)] for s in chunk]
        assert {s.subject_id for s in scanned} == {f"SO-{i}" for i in range(1, 700)}
        assert {s.event for s in scanned if s.subject_id == "SO-5"} == {order("e5", "SO-5")}

        newer = OpenSubject("order", "SO-2", order("e9", "SO-2"), "hold:y")
        await subjects.record([newer], [])  # SO-2 superseded after the scan
        stale = [opened[1], opened[2]]
        assert await subjects.fresh(stale) == [opened[1]]
        await subjects.update_digests([(opened[1], "deny:z"), (opened[2], "deny:z")])
        after = {s.subject_id: s for chunk in [c async for c in subjects.scan(1000)] for s in chunk}
        assert after["SO-1"].digest == "deny:z"
        assert after["SO-2"] == newer  # the compare-and-set left the newer event alone
    finally:
        await client.aclose()


async def test_ownership_loaded_by_another_writer_is_noticed_and_rescreened(start_service) -> None:
    svc: RunningService = await start_service()
    await first_decision_allows(svc)
    seen = await watch_ownership_writes(svc.runtime, None)  # the version as of now; no rescreen yet

    # `screening ownership load` writes straight to Redis, bypassing the ownership topic.
    loader = RedisOwnershipRegistry(svc.runtime.redis, svc.settings.redis.prefix)
    await loader.upsert(
        [
            OwnershipRecord("cn-sugon", "Sugon", country="CN"),
            OwnershipRecord(
                "my-parent",
                "Example Trading Holdings Berhad",
                country="MY",
                owners=(OwnerLink("cn-sugon", 1.0),),
            ),
        ]
    )
    assert await watch_ownership_writes(svc.runtime, seen) != seen

    decisions = await decisions_of(svc, 2)
    rescreened = [d for d in decisions if d["trigger"] == "rescreen"]
    assert len(rescreened) == 1
    assert rescreened[0]["outcome"] == "deny"
    assert "BIS_AFFILIATES_50" in {r["code"] for r in rescreened[0]["reasons"]}
