"""`screening lists load` and `screening ownership load` write what a running service reads."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from screening.adapters.lists_store import RedisListsStore
from screening.adapters.redis_store import RedisOwnershipRegistry
from screening.cli import main
from screening.domain.model import Party
from screening.resources import SHIPPED_LIST, data_path, demo_path
from tests.integration.conftest import Services, redis_client, unique

pytestmark = pytest.mark.integration


async def test_loaders_store_lists_and_ownership_in_redis(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"{unique('cli')}:"
    monkeypatch.setenv("SCREENING_REDIS__URL", services.redis_url)
    monkeypatch.setenv("SCREENING_REDIS__PREFIX", prefix)

    # The commands run their own event loop: call them from a worker thread of this test's loop.
    assert await asyncio.to_thread(main, ["lists", "load", str(data_path(SHIPPED_LIST))]) == 0
    assert await asyncio.to_thread(main, ["ownership", "load", str(demo_path("ownership.jsonl"))]) == 0
    lists_out, ownership_out = (orjson.loads(line) for line in capsys.readouterr().out.splitlines())
    assert lists_out["entries"] == 25921 and lists_out["lists_version"].startswith("csl:2026-07-31:")
    assert ownership_out == {"ownership_records": 12}

    client = await redis_client(services.redis_url)
    try:
        assert await RedisListsStore(client, prefix).version() == lists_out["lists_version"]
        registry = RedisOwnershipRegistry(client, prefix)
        buyer = Party(name="Shangtang Technology (Singapore) Pte. Ltd.", role="buyer", country="SG")
        # Loaded into a Redis without a registry, the records start a generation that is read as
        # incomplete until the service has replayed the ownership feed into it.
        state = await registry.read_state()
        assert state.problem == "building" and state.generation
        assert not (await registry.snapshot([buyer])).available
        assert await registry.complete_generation(state.generation)  # as the service does (empty feed)
        snapshot = await registry.snapshot([buyer])
        assert snapshot.entity_for(buyer) is not None
        assert set(snapshot.records) == {"sg-201912345K", "ky-sensetime-group"}
        await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}*")])
    finally:
        await client.aclose()
