"""Redis without persistence is killed and comes back empty: the service holds (never "nobody owns
anybody"), rebuilds the registry from the compacted ownership feed by itself, and rescreens every subject
it decided meanwhile, so none of them keeps a hold it would not get, nor an allow it should not."""

from __future__ import annotations

import orjson
import pytest

from screening.adapters.redis_store import RedisOwnershipRegistry
from screening.config import ResilienceSettings
from screening.domain.model import Party
from tests.integration.conftest import (
    PrivateRedis,
    RunningService,
    Services,
    redis_client,
    unique,
    wait_until,
)
from tests.integration.streams import now
from tests.integration.test_ownership_feed import CHAIN

pytestmark = pytest.mark.integration

BUYER = {"name": "Example Server Trading Sdn. Bhd.", "country": "MY"}


def order(event_id: str) -> bytes:
    """EAR99 goods to a buyer a listed company controls through a three-level chain (BIS Affiliates)."""
    return orjson.dumps(
        {
            "event_id": event_id,
            "occurred_at": now(),
            "order_id": f"SO-{event_id}",
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": BUYER,
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


def codes(decision: dict[str, object]) -> set[str]:
    return {str(r["code"]) for r in decision["reasons"]}  # type: ignore[attr-defined]


async def test_redis_lost_without_persistence_gives_holds_then_a_rebuild_and_rescreens(
    start_service, private_redis: PrivateRedis, shipped_lists
) -> None:
    # The periodic check is off (hour-long interval) so that this test decides when the rebuild runs.
    svc: RunningService = await start_service(
        redis_url=private_redis.url,
        lists=shipped_lists,
        resilience=ResilienceSettings(registry_check_s=3600),
    )
    k = svc.settings.kafka
    for record in CHAIN:
        await svc.send(k.ownership_topic, str(record["entity_id"]), orjson.dumps(record))

    async def chain_applied() -> bool:
        return bool(await svc.runtime.redis.exists(f"{svc.settings.redis.prefix}own:v1:entity:my-buyer"))

    await wait_until(chain_applied)
    await svc.send(k.orders_topic, "SO-steady", order("steady"))
    (steady,) = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 1) if v]
    assert steady["outcome"] != "allow" and "BIS_AFFILIATES_50" in codes(steady)

    # Redis dies (SIGKILL): decided meanwhile, a hold; its subject cannot even be recorded in Redis.
    assert private_redis.process is not None
    private_redis.process.kill()
    private_redis.process.wait(timeout=10)
    private_redis.process = None
    await svc.send(k.orders_topic, "SO-down", order("down"))
    # Redis is back, empty: no generation marker, so the registry is "gone", not "nobody owns anybody".
    private_redis.start()
    await svc.send(k.orders_topic, "SO-gone", order("gone"))
    decided = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 3) if v]
    by_event = {d["event_id"]: d for d in decided if d["trigger"] == "event"}
    for event_id in ("down", "gone"):
        assert by_event[event_id]["outcome"] == "hold", by_event[event_id]
        assert "OWNERSHIP_UNAVAILABLE" in codes(by_event[event_id])
    assert svc.runtime.registry.state.problem == "gone"
    assert svc.runtime.service.blind_subjects == 2

    # The rebuild replays the feed into a fresh generation; its completion rescreens both subjects.
    state = await svc.runtime.rebuilder.check()
    assert state.problem is None and svc.runtime.rebuilder.rebuilds >= 1

    async def rescreened() -> bool:
        found = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 5, timeout=2) if v]
        return {d["subject"]["id"] for d in found if d["trigger"] == "rescreen"} >= {"SO-down", "SO-gone"}

    await wait_until(rescreened, timeout=60)
    final = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 5) if v]
    for decision in final:
        assert decision["outcome"] != "allow", decision  # never a wrong allow, before or after
    for decision in (d for d in final if d["trigger"] == "rescreen"):
        assert decision["outcome"] == steady["outcome"] and "BIS_AFFILIATES_50" in codes(decision)
        assert "OWNERSHIP_UNAVAILABLE" not in codes(decision)

    async def none_left_blind() -> bool:  # forgotten once the rescreen has re-decided them
        return svc.runtime.service.blind_subjects == 0

    await wait_until(none_left_blind)


async def test_a_registry_older_than_one_read_before_is_unavailable(services: Services) -> None:
    """A restore from an old backup (an older generation), or a version counter that went backwards (an
    AOF that lost its last second), is never read as complete."""
    prefix = f"{unique('older')}:"
    client = await redis_client(services.redis_url)
    try:
        registry = RedisOwnershipRegistry(client, prefix)
        present_and_empty = await registry.start_generation()
        assert (await registry.read_state()).problem == "building"
        assert await registry.complete_generation(present_and_empty)
        state = await registry.read_state()
        assert state.problem is None and state.available  # present and empty: nobody owns anybody
        await client.incr(f"{prefix}own:v1:version")
        assert (await registry.read_state()).problem is None
        await client.decr(f"{prefix}own:v1:version")  # writes lost within the generation
        assert (await registry.read_state()).problem == "older"
        await client.hset(f"{prefix}own:v1:generation", "id", "0000000000001-00000000")  # an old backup
        assert (await registry.read_state()).problem == "older"
        assert not (await registry.snapshot([Party(name="Anyone", role="buyer", country="US")])).available
        rebuilt = await registry.start_generation(wipe=True)
        assert rebuilt > present_and_empty and await registry.complete_generation(rebuilt)
        assert (await registry.read_state()).problem is None
        await client.delete(f"{prefix}own:v1:generation")  # Redis restarted without its data
        assert (await registry.read_state()).problem == "gone"
    finally:
        await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}*")])
        await client.aclose()
