"""Lists that cannot be used mean holds, never allows."""

from __future__ import annotations

import orjson
import pytest

from screening.adapters.lists_store import RedisListsStore
from screening.app import refresh_lists
from tests.integration.conftest import RunningService
from tests.support import order_event

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "blob",
    [b"this is not a list", b'"_id","source","name"\n'],
    ids=["unparseable", "no-entries"],
)
async def test_unloadable_lists_in_redis_hold_every_event(start_service, blob: bytes) -> None:
    svc: RunningService = await start_service()
    svc.runtime.lists.current = None  # as at start-up: nothing loaded yet
    await RedisListsStore(svc.runtime.redis, svc.settings.redis.prefix).save(
        [("broken.csv", blob)], "csl:broken"
    )
    await refresh_lists(svc.runtime)
    assert svc.runtime.lists.current is None
    assert svc.runtime.lists.error and "cannot be loaded" in svc.runtime.lists.error

    k = svc.settings.kafka
    await svc.send(k.orders_topic, "SO-1", order_event("evt-1", "SO-1"))
    (decision,) = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, 1) if v]
    assert decision["outcome"] == "hold"
    assert "LISTS_UNAVAILABLE" in {r["code"] for r in decision["reasons"]}
    assert decision["versions"]["lists"] == "unavailable"
