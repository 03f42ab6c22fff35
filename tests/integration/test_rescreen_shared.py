"""Two instances in one consumer group share the rescreens: each re-decides the open subjects of the event
partitions it owns, through the real Kafka and Redis, and a partition handed over mid-rescreen is finished
by its next owner."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest

from screening.adapters.csl import combine, parse_list_bytes
from screening.adapters.subjects import RedisRescreenMarks
from screening.app import refresh_lists
from screening.resources import screening_version
from tests.integration.conftest import RunningService, wait_until
from tests.integration.streams import office_chairs_order

pytestmark = pytest.mark.integration

LISTED_BUYER = "Example Server Trading Sdn. Bhd."
OTHER_BUYER = "Harbour Office Furniture Pte. Ltd."


async def store_listing_of(svc: RunningService, buyer: str) -> None:
    """A new lists version in Redis that Entity-Lists `buyer` (stored as forced: one entry)."""
    listing = orjson.dumps(
        {
            "results": [
                {
                    "source": "Entity List (EL) - Bureau of Industry and Security",
                    "name": buyer,
                    "type": "Entity",
                    "addresses": [{"address": "Jalan Example 1", "city": "Kuala Lumpur", "country": "MY"}],
                }
            ]
        }
    )
    name = "entity_list_2026-11-25.json"
    _, files_version = combine([parse_list_bytes(listing, name)])
    version = screening_version(files_version)
    await svc.runtime.lists_store.save(
        [(name, listing)], version, forced={"version": version, "reason": "test"}
    )


async def open_orders(svc: RunningService, listed: int, other: int) -> list[str]:
    """Send orders (keys spread over the partitions) and wait until all are open subjects; returns the ids
    of those whose buyer the list change names. Checks the share finds the partition each order went to."""
    k, prefix = svc.settings.kafka, svc.settings.redis.prefix
    affected = [f"SO-L{i}" for i in range(listed)]
    sent = [(order_id, LISTED_BUYER) for order_id in affected] + [
        (f"SO-O{i}", OTHER_BUYER) for i in range(other)
    ]
    landed: dict[str, int] = {}
    for order_id, buyer in sent:
        value = office_chairs_order(f"e-{order_id}", order_id, buyer)
        metadata = await svc.producer.send_and_wait(k.orders_topic, value=value, key=order_id.encode())
        landed[order_id] = metadata.partition
    share = svc.runtime.share
    assert share is not None
    assert {i: share.partition_of("order", i) for i in landed} == {
        i: (k.orders_topic, p) for i, p in landed.items()
    }
    assert len(set(landed.values())) > 1

    async def recorded() -> bool:
        return int(await svc.runtime.redis.hlen(f"{prefix}subjects:v1")) == listed + other

    await wait_until(recorded, timeout=60)
    return affected


async def test_two_instances_each_rescreen_their_partitions_once(start_service) -> None:
    first: RunningService = await start_service()
    second: RunningService = await start_service(settings=first.settings, lists=first.runtime.lists.current)
    shares = [first.runtime.share, second.runtime.share]
    assert all(share is not None for share in shares)

    async def both_assigned() -> bool:
        owned = [share.owned for share in shares if share is not None]
        return all(owned) and len(owned[0] | owned[1]) == 6 and not owned[0] & owned[1]  # type: ignore[operator]

    await wait_until(both_assigned, timeout=60)
    affected = await open_orders(first, listed=24, other=12)

    await store_listing_of(first, LISTED_BUYER)
    for svc in (first, second):  # each instance notices the new version on its own refresh
        await refresh_lists(svc.runtime)
    for svc in (first, second):
        await svc.runtime.rescreens.idle()

    found = await first.read(first.settings.kafka.decisions_topic, 36 + 24)
    decisions = [orjson.loads(value) for _, value in found if value]
    rescreens = [d for d in decisions if d["trigger"] == "rescreen"]
    assert Counter(d["subject"]["id"] for d in rescreens) == Counter(affected)  # each exactly once
    assert {d["outcome"] for d in rescreens} == {"deny"}
    assert len(decisions) == 36 + 24
    reports = [svc.runtime.rescreens.last_report for svc in (first, second)]
    assert all(r is not None for r in reports)
    published = [r.published for r in reports if r is not None]
    assert sum(published) == 24 and all(published), published  # both instances did part of the work
    # Only the 24 subjects the new entry reaches are candidates (the dependency index), split between them.
    assert all(
        r.mode == "delta" and r.candidates == 24 and r.scanned + r.elsewhere == 24 and r.elsewhere > 0
        for r in reports
        if r is not None
    ), reports
    marks = await first.runtime.redis.hlen(f"{first.settings.redis.prefix}rescreen:pending:v1")
    assert marks == 0  # every partition's rescreen ran to its end


async def test_a_partition_left_mid_rescreen_is_rescreened_by_its_next_owner(start_service) -> None:
    first: RunningService = await start_service()

    async def assigned() -> bool:
        return bool(first.runtime.share and first.runtime.share.owned)

    await wait_until(assigned, timeout=60)
    affected = await open_orders(first, listed=6, other=3)
    lists_before = first.runtime.lists.current
    await store_listing_of(first, LISTED_BUYER)
    # The instance marked its partitions for a lists rescreen, then died before deciding any subject (after
    # the rescreen its start asked for: that one, ending, clears the marks of its partitions).
    await first.runtime.rescreens.idle()
    prefix = first.settings.redis.prefix
    owned = sorted(first.runtime.share.owned)  # type: ignore[union-attr]
    await RedisRescreenMarks(first.runtime.redis, prefix).mark(owned, "lists")
    await first.runtime.broker.stop()

    # The next instance loads the new version at start (its first lists: nothing asks it to rescreen) and
    # takes the partitions over: the marks make it rescreen them.
    second: RunningService = await start_service(settings=first.settings)
    assert second.runtime.lists.current is not None
    assert lists_before is not None and second.runtime.lists.current.version != lists_before.version

    async def rescreened() -> bool:
        report = second.runtime.rescreens.last_report
        return report is not None and report.published == len(affected)

    await wait_until(rescreened, timeout=60)
    found = await second.read(second.settings.kafka.decisions_topic, 9 + 6)
    rescreens: list[dict[str, Any]] = [
        d for _, value in found if value if (d := orjson.loads(value))["trigger"] == "rescreen"
    ]
    assert Counter(d["subject"]["id"] for d in rescreens) == Counter(affected)
    assert {d["outcome"] for d in rescreens} == {"deny"}
    assert await second.runtime.redis.hlen(f"{prefix}rescreen:pending:v1") == 0
