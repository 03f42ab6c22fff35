"""List integrity and the lists' generation, on the real broker and Redis.

A one-entry list written into Redis is refused by `lists load` and by a running service, which keeps its lists
(and its readiness) and still denies a Huawei order; forced with `lists load --force`, the service takes it.
Lists a service loaded from Redis that Redis then loses (wiped, or an older generation restored) are kept in
memory and written back.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from screening.adapters.lists_store import RedisListsStore
from screening.app import refresh_lists
from screening.cli import main
from screening.ops import readiness
from tests.integration.conftest import RunningService, wait_until
from tests.support import order_event

pytestmark = pytest.mark.integration

HUAWEI = "Huawei Technologies Co., Ltd."
ONE_ENTRY = (
    '"_id","source","entity_number","type","programs","name","title","addresses","federal_register_notice",'
    '"start_date","end_date","standard_order","license_requirement","license_policy","call_sign","vessel_type",'
    '"gross_tonnage","gross_registered_tonnage","vessel_flag","vessel_owner","remarks","source_list_url",'
    '"alt_names","citizenships","dates_of_birth","nationalities","places_of_birth","source_information_url","ids"\n'
    '"x1","Entity List (EL) - Bureau of Industry and Security","","Entity","","Example Listed Widgets Ltd",'
    '"","1 Example Road, Springfield, CN","","2026-11-01"' + ',""' * 19 + "\n"
)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def decide(svc: RunningService, event_id: str, published: int) -> dict[str, Any]:
    """Send an order of laptops to Huawei and read its decision (`published`: decisions on the topic then)."""
    k = svc.settings.kafka
    event = order_event(
        event_id, f"SO-{event_id}", buyer=HUAWEI, country="CN", product="Laptop", occurred_at=now()
    )
    await svc.send(k.orders_topic, f"SO-{event_id}", event)
    decisions = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, published) if v]
    return next(decision for decision in decisions if decision["event_id"] == event_id)


async def run_cli(
    svc: RunningService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("SCREENING_REDIS__URL", svc.settings.redis.url.get_secret_value())
    monkeypatch.setenv("SCREENING_REDIS__PREFIX", svc.settings.redis.prefix)
    capsys.readouterr()
    # The command runs its own event loop: call it from a worker thread of this test's loop.
    code = await asyncio.to_thread(main, ["lists", *args])
    return code, orjson.loads(capsys.readouterr().out.strip().splitlines()[-1])


async def test_a_one_entry_list_is_refused_by_load_and_by_the_running_service_unless_forced(
    start_service,
    shipped_lists,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    one = tmp_path / "consolidated_2026-11-29.csv"
    one.write_text(ONE_ENTRY, encoding="utf-8")

    code, out = await run_cli(svc, monkeypatch, capsys, "load", str(one))
    assert code == 1 and any("SDN is missing" in problem for problem in out["refused"])
    assert any("lost" in problem for problem in out["refused"])
    store = RedisListsStore(svc.runtime.redis, svc.settings.redis.prefix)
    assert await store.head() is None  # nothing stored

    # Written into Redis by hand (as anyone who can write to Redis could): the service refuses it.
    await store.save([(one.name, one.read_bytes())], "csl:2026-11-29:tampered")
    await refresh_lists(svc.runtime)
    assert svc.runtime.lists.current is shipped_lists
    refused = svc.runtime.lists.refused
    assert refused is not None and refused.version == "csl:2026-11-29:tampered"
    checks = await readiness(svc.runtime)
    assert checks["lists"] is True and checks["lists_refused"]["version"] == "csl:2026-11-29:tampered"
    denied = await decide(svc, "integrity-1", 1)
    assert denied["outcome"] == "deny" and "LISTED_PARTY" in {r["code"] for r in denied["reasons"]}
    assert denied["versions"]["lists"] == shipped_lists.version

    # Forced by an operator: recorded beside the version, and the service takes it.
    code, out = await run_cli(svc, monkeypatch, capsys, "load", str(one), "--force", "--reason", "drill")
    assert code == 0 and out["forced"]["reason"] == "drill" and out["forced"]["problems"]
    head = await store.head()
    assert head is not None and head.forced_here and head.version == out["lists_version"]
    await refresh_lists(svc.runtime)
    current = svc.runtime.lists.current
    assert current is not None and current.version == out["lists_version"] and len(current.entries) == 1
    assert svc.runtime.lists.forced is not None and svc.runtime.lists.refused is None
    switched = await decide(svc, "integrity-2", 2)
    assert switched["versions"]["lists"] == out["lists_version"]
    assert "LISTED_PARTY" not in {r["code"] for r in switched["reasons"]}


async def test_lists_redis_loses_are_kept_in_memory_and_written_back(
    start_service,
    shipped_lists,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    # A small list (forced past the integrity checks, so that the test moves kilobytes, not the whole CSL).
    small = tmp_path / "consolidated_2026-11-29.csv"
    small.write_text(
        ONE_ENTRY
        + ONE_ENTRY.splitlines()[1].replace('"x1"', '"x2"').replace("Example Listed Widgets Ltd", HUAWEI)
        + "\n",
        encoding="utf-8",
    )
    code, out = await run_cli(svc, monkeypatch, capsys, "load", str(small), "--force", "--reason", "drill")
    assert code == 0 and out["entries"] == 2
    await refresh_lists(svc.runtime)
    holder = svc.runtime.lists
    assert holder.source == "redis" and holder.generation == out["generation"]
    loaded = holder.current
    assert loaded is not None and loaded.version == out["lists_version"]
    key = f"{svc.settings.redis.prefix}lists:v1"

    # Redis wiped: the lists are gone there, not "no lists"; the service keeps its own and writes them back.
    await svc.runtime.redis.delete(key)
    await refresh_lists(svc.runtime)
    assert holder.current is loaded and holder.republished["gone"] == 1
    store = RedisListsStore(svc.runtime.redis, svc.settings.redis.prefix)
    head = await store.head()
    assert head is not None and head.generation == out["generation"] and head.version == loaded.version
    assert head.forced_here  # the force record comes back with the lists
    denied = await decide(svc, "generation-1", 1)
    assert denied["outcome"] == "deny" and denied["versions"]["lists"] == loaded.version

    # An older generation comes back (a restored backup): kept in memory and overwritten with the newer one.
    await svc.runtime.redis.hset(
        key, mapping={"generation": str(out["generation"] - 1), "version": "csl:old"}
    )
    await refresh_lists(svc.runtime)
    assert holder.current is loaded and holder.republished["older"] == 1
    await wait_until(lambda: _generation(store, out["generation"]), timeout=10)


async def _generation(store: RedisListsStore, expected: int) -> bool:
    head = await store.head()
    return head is not None and head.generation == expected
