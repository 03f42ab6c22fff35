"""Licences reach the store through `screening licences load` and the compacted licences topic (a
tombstone deletes); an invalid line loads nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from screening.adapters.licences import RedisLicenceStore
from screening.cli import main
from tests.integration.conftest import RunningService, Services, redis_client, unique, wait_until
from tests.integration.test_reviews import Reader

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).resolve().parents[1] / "golden" / "scenarios" / "29a-rtx4090-china-retail-nac"


def licence(number: str, **fields: object) -> bytes:
    return orjson.dumps(
        {"number": number, "type": "license", "eccns": ["3A090.a"], "destinations": ["CN"], **fields}
    )


async def test_licences_load_writes_the_store_and_refuses_a_file_with_an_invalid_line(
    services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prefix = f"{unique('cli')}:"
    monkeypatch.setenv("SCREENING_REDIS__URL", services.redis_url)
    monkeypatch.setenv("SCREENING_REDIS__PREFIX", prefix)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(licence("D1") + b"\n" + licence("D2", destinations=["China"]) + b"\n")
    assert await asyncio.to_thread(main, ["licences", "load", str(bad)]) == 1
    assert f"{bad}:2: invalid licence (schema)" in capsys.readouterr().err

    client = await redis_client(services.redis_url)
    try:
        store = RedisLicenceStore(client, prefix)
        assert (await store.book(["D1"])).records == {}  # nothing loaded
        assert await asyncio.to_thread(main, ["licences", "load", str(SCENARIO / "licences.jsonl")]) == 0
        assert orjson.loads(capsys.readouterr().out) == {"licences": 1}
        book = await store.book(["A654321"])
        assert book.records["A654321"].quantity_limit == 500 and book.remaining("A654321") == 500
        await client.delete(*[key async for key in client.scan_iter(match=f"{prefix}*")])
    finally:
        await client.aclose()


async def test_the_licences_topic_upserts_deletes_and_dead_letters(start_service) -> None:
    svc: RunningService = await start_service()
    k = svc.settings.kafka
    store = svc.runtime.licences
    assert store is not None
    await svc.send(k.licences_topic, "D1", licence("D1", quantity_limit=10))
    await svc.send(k.licences_topic, "D2", licence("D2", status="revoked"))
    await svc.send(k.licences_topic, "D3", licence("D3", type="permit"))

    async def stored() -> bool:
        return set((await store.book(["D1", "D2"])).records) == {"D1", "D2"}

    await wait_until(stored)
    (dead,) = await Reader(svc, k.dlq_topic).next(1)
    assert dead["error_kind"] == "schema" and "type" in dead["error"]

    await svc.send(k.licences_topic, "D1", None)  # tombstone

    async def deleted() -> bool:
        return set((await store.book(["D1", "D2"])).records) == {"D2"}

    await wait_until(deleted)
    assert (await store.book(["D2"])).records["D2"].status == "revoked"
