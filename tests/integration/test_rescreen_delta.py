"""Rescreening only what changed, through the real Kafka and Redis: the dependency index the pipeline
writes beside the open subjects, a list change and an ownership feed change that re-decide only the
subjects they reach, and the full rescreen when the index is not marked complete."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from screening.adapters.subjects import RedisOpenSubjects
from screening.app import refresh_lists
from screening.ports import OpenSubject
from screening.rescreen import RescreenChange, RescreenReport
from screening.resources import data_path, screening_version
from tests.integration.conftest import RunningService, redis_client, unique, wait_until
from tests.integration.streams import office_chairs_order

pytestmark = pytest.mark.integration

BUYERS = [
    "Kinabalu Office Supplies Sdn. Bhd.",
    "Penang Precision Components Sdn. Bhd.",
    "Johor Furniture Makers Sdn. Bhd.",
    "Melaka Paper Trading Sdn. Bhd.",
]
SNAPSHOT = "consolidated_2026-07-31.csv"


def record(entity_id: str, name: str, country: str, owners: list[dict[str, Any]]) -> bytes:
    return orjson.dumps(
        {"entity_id": entity_id, "name": name, "country": country, "owners": owners, "as_of": "2026-10-01"}
    )


async def rescreened(svc: RunningService, before: RescreenReport | None) -> RescreenReport:
    async def done() -> bool:
        await svc.runtime.rescreens.idle()
        return svc.runtime.rescreens.last_report is not before

    await wait_until(done)
    report = svc.runtime.rescreens.last_report
    assert report is not None
    return report


async def test_redis_dependency_index_is_written_replaced_and_read(services) -> None:
    client = await redis_client(services.redis_url)
    prefix = f"{unique('t')}:"
    try:
        subjects = RedisOpenSubjects(client, prefix)
        a = OpenSubject(
            "order", "SO-1", b'{"e":1}', "allow:x", ("entry:E1", "entity:X", 'name:["MY","Acme"]')
        )
        b = OpenSubject("order", "SO-2", b'{"e":2}', "allow:x", ("entity:X", 'name:["MY","Beta"]'))
        unknown = OpenSubject("lease", "L-1", b'{"e":3}', "allow:x", None)
        await subjects.record([a, b, unknown], [])

        assert await subjects.dependents(["entity:X"]) == {"order:SO-1", "order:SO-2"}
        assert await subjects.dependents(["entry:E1", 'name:["MY","Beta"]']) == {"order:SO-1", "order:SO-2"}
        assert await subjects.dependents(["always"]) == {"lease:L-1"}
        names = {q for chunk in [c async for c in subjects.queries("name:")] for q in chunk}
        assert names == {'name:["MY","Acme"]\tacme', 'name:["MY","Beta"]\tbeta'}  # with their tokens

        # A newer event replaces the subject's keys; a close forgets them (and a query no one has left).
        await subjects.record([OpenSubject("order", "SO-1", b'{"e":4}', "deny:y", ("entry:E2",))], [])
        await subjects.record([], [("order", "SO-2")])
        assert await subjects.dependents(["entity:X", "entry:E1"]) == set()
        assert await subjects.dependents(["entry:E2"]) == {"order:SO-1"}
        assert [q async for q in subjects.queries("name:")] == []

        # A rescreen's keys are written only while the subject's stored event is the one it decided.
        await subjects.index([OpenSubject("order", "SO-1", b'{"e":1}', "allow:x", ("entry:OLD",))])
        await subjects.index([OpenSubject("order", "SO-1", b'{"e":4}', "allow:x", ("entry:E3",))])
        assert await subjects.dependents(["entry:OLD"]) == set()
        assert await subjects.dependents(["entry:E3"]) == {"order:SO-1"}
        (loaded,) = await subjects.load(["order:SO-1", "order:SO-2"])
        assert loaded.event == b'{"e":4}'

        assert await subjects.indexed() == {}
        assert await subjects.mark_indexed(["*"], "basis", 0)
        assert await subjects.indexed() == {"*": "basis"}
    finally:
        await client.aclose()


async def test_a_list_or_ownership_change_re_decides_only_the_subjects_it_reaches(start_service) -> None:
    svc: RunningService = await start_service()
    svc.runtime.service.lists_max_age_hours = None  # the shipped snapshot is months old
    k = svc.settings.kafka
    prefix = svc.settings.redis.prefix
    await svc.send(k.ownership_topic, "my-holding", record("my-holding", "Penang Holdings Berhad", "MY", []))
    await svc.send(
        k.ownership_topic,
        "my-penang",
        record("my-penang", BUYERS[1], "MY", [{"entity_id": "my-holding", "share": 1.0}]),
    )

    async def registered() -> bool:
        return bool(await svc.runtime.redis.exists(f"{prefix}own:v1:entity:my-penang"))

    await wait_until(registered)
    count = 12
    for i in range(count):
        await svc.send(
            k.orders_topic, f"SO-{i}", office_chairs_order(f"e{i}", f"SO-{i}", BUYERS[i % len(BUYERS)])
        )
    first = await svc.read(k.decisions_topic, count)
    assert {orjson.loads(v)["outcome"] for _, v in first if v} == {"allow"}

    async def recorded() -> bool:
        return await svc.runtime.redis.hlen(f"{prefix}subjects:v1") == count

    await wait_until(recorded)
    await svc.runtime.rescreens.idle()

    # Without the completeness mark (the registry recovery at start marked an empty index complete), a
    # change that says what it changed still re-decides every subject, and marks the index again.
    await svc.runtime.redis.delete(f"{prefix}rev:v1:complete")
    before = svc.runtime.rescreens.last_report
    svc.runtime.rescreens.request("lists", RescreenChange(entries=frozenset({"nothing"})))
    report = await rescreened(svc, before)
    assert (report.mode, report.scanned, report.indexed) == ("full", count, True)
    assert report.why_full is not None

    # A new list version: the shipped snapshot plus one entry naming the first buyer.
    listing = orjson.dumps(
        {
            "results": [
                {
                    "source": "Entity List (EL) - Bureau of Industry and Security",
                    "name": BUYERS[0],
                    "type": "Entity",
                    "addresses": [{"address": "Jalan Example 1", "city": "Kota Kinabalu", "country": "MY"}],
                }
            ]
        }
    )
    files = [(SNAPSHOT, data_path(SNAPSHOT).read_bytes()), ("entity_list_2026-11-25.json", listing)]
    version = screening_version(f"test-{unique('v')}")
    await svc.runtime.lists_store.save(files, version)
    before = svc.runtime.rescreens.last_report
    await refresh_lists(svc.runtime)
    report = await rescreened(svc, before)

    assert report.mode == "delta", report
    assert report.candidates == 3 and report.scanned == 3  # SO-0, SO-4, SO-8: the first buyer's orders
    assert report.published == 3 and report.by_outcome == {"deny": 3}
    decisions = [orjson.loads(v) for _, v in await svc.read(k.decisions_topic, count + 3)]
    published = [d for d in decisions if d["trigger"] == "rescreen"]
    assert sorted(d["subject"]["id"] for d in published) == ["SO-0", "SO-4", "SO-8"]

    # The feed makes a listed company the owner of the second buyer's parent: its orders only.
    before = svc.runtime.rescreens.last_report
    await svc.send(k.ownership_topic, "cn-sugon", record("cn-sugon", "Sugon", "CN", []))
    await svc.send(
        k.ownership_topic,
        "my-holding",
        record("my-holding", "Penang Holdings Berhad", "MY", [{"entity_id": "cn-sugon", "share": 1.0}]),
    )
    report = await rescreened(svc, before)
    if report.candidates == 0:  # the two records came in two batches: the second one's rescreen
        report = await rescreened(svc, report)
    assert report.mode == "delta", report
    assert report.scanned == 3 and report.by_outcome == {"deny": 3}  # SO-1, SO-5, SO-9

    # The completeness mark gone (an index write failed elsewhere): every subject again.
    await svc.runtime.redis.delete(f"{prefix}rev:v1:complete")
    before = svc.runtime.rescreens.last_report
    svc.runtime.rescreens.request("lists", RescreenChange(entries=frozenset({"nothing"})))
    report = await rescreened(svc, before)
    assert (report.mode, report.scanned) == ("full", count)
