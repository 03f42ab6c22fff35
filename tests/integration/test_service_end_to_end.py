"""The service on the real broker and Redis: N in → N out, DLQ, Redis outage, redelivery, parity."""

from __future__ import annotations

import io

import orjson
import pytest

from screening.cli import run_check
from screening.resources import demo_path
from tests.integration.conftest import PrivateRedis, RunningService, wait_until
from tests.support import order_event

pytestmark = pytest.mark.integration


def decisions_of(messages: list[tuple[bytes | None, bytes | None]]) -> list[dict[str, object]]:
    return [orjson.loads(value) for _, value in messages if value is not None]


async def test_n_events_in_give_exactly_n_decisions_with_their_subjects(start_service) -> None:
    svc: RunningService = await start_service()
    topic = svc.settings.kafka.orders_topic
    ids = [f"SO-{i}" for i in range(200)]
    for i, order_id in enumerate(ids):
        await svc.producer.send(topic, value=order_event(f"evt-{i}", order_id), key=order_id.encode())
    await svc.producer.flush()
    out = await svc.read(svc.settings.kafka.decisions_topic, len(ids))
    decisions = decisions_of(out)
    assert len(decisions) == len(ids)
    assert sorted(d["subject"]["id"] for d in decisions) == sorted(ids)  # type: ignore[index]
    assert all(key == d["subject"]["id"].encode() for (key, _), d in zip(out, decisions, strict=True))  # type: ignore[index]
    assert {d["outcome"] for d in decisions} == {"allow"}


async def test_malformed_and_invalid_events_go_to_the_dlq_and_later_events_are_decided(start_service) -> None:
    svc: RunningService = await start_service()
    topic = svc.settings.kafka.orders_topic
    await svc.send(topic, "SO-A", b"{not json")
    await svc.send(topic, "SO-B", orjson.dumps({"event_id": "evt-bad", "order_id": "SO-B", "buyer": {}}))
    await svc.send(topic, "SO-C", order_event("evt-good", "SO-C"))
    dlq = decisions_of(await svc.read(svc.settings.kafka.dlq_topic, 2))
    assert sorted(d["error_kind"] for d in dlq) == ["invalid_json", "schema"]
    assert {d["offset"] for d in dlq} == {0, 1} or len({d["partition"] for d in dlq}) > 1
    decisions = decisions_of(await svc.read(svc.settings.kafka.decisions_topic, 2))
    by_subject = {d["subject"]["id"]: d for d in decisions}  # type: ignore[index]
    assert set(by_subject) == {"SO-B", "SO-C"}
    assert by_subject["SO-B"]["outcome"] == "hold"
    assert [r["code"] for r in by_subject["SO-B"]["reasons"]] == ["INVALID_EVENT"]  # type: ignore[index]
    assert by_subject["SO-C"]["outcome"] == "allow"


async def test_a_redelivered_event_is_decided_once(start_service) -> None:
    svc: RunningService = await start_service()
    topic = svc.settings.kafka.orders_topic
    payload = order_event("evt-dup", "SO-DUP")
    await svc.send(topic, "SO-DUP", payload)
    first = await svc.read(svc.settings.kafka.decisions_topic, 1)
    assert len(first) == 1
    await svc.send(topic, "SO-DUP", payload)  # the same event_id delivered again
    await svc.send(topic, "SO-NEXT", order_event("evt-next", "SO-NEXT"))
    out = decisions_of(await svc.read(svc.settings.kafka.decisions_topic, 2))
    assert sorted(d["event_id"] for d in out) == ["evt-dup", "evt-next"]


async def test_redis_outage_gives_holds_never_allows_and_screening_recovers(
    start_service, private_redis: PrivateRedis
) -> None:
    svc: RunningService = await start_service(redis_url=private_redis.url)
    topic = svc.settings.kafka.orders_topic
    decisions_topic = svc.settings.kafka.decisions_topic
    await svc.send(topic, "SO-1", order_event("evt-1", "SO-1"))
    assert decisions_of(await svc.read(decisions_topic, 1))[0]["outcome"] == "allow"

    private_redis.stop()
    for i in range(2, 7):
        await svc.send(topic, f"SO-{i}", order_event(f"evt-{i}", f"SO-{i}"))
    during = decisions_of(await svc.read(decisions_topic, 6))
    outage = [d for d in during if d["event_id"] != "evt-1"]
    assert len(outage) == 5
    assert all(d["outcome"] == "hold" for d in outage)
    assert all("OWNERSHIP_UNAVAILABLE" in {r["code"] for r in d["reasons"]} for d in outage)  # type: ignore[union-attr]

    private_redis.start()  # empty (no persistence): held until the registry is rebuilt from the feed

    async def rebuilt() -> bool:
        return (await svc.runtime.rebuilder.check()).problem is None

    await wait_until(rebuilt)
    await svc.send(topic, "SO-8", order_event("evt-8", "SO-8"))
    after = decisions_of(await svc.read(decisions_topic, 12))
    recovered = [d for d in after if d["event_id"] == "evt-8"]
    assert recovered and recovered[0]["outcome"] == "allow"
    # The subjects held during the outage are rescreened once the registry is back.
    rescreened = {d["subject"]["id"]: d["outcome"] for d in after if d["trigger"] == "rescreen"}  # type: ignore[index]
    assert rescreened == {f"SO-{i}": "allow" for i in range(2, 7)}


async def test_check_and_serve_give_identical_decisions_on_the_demo_events(start_service) -> None:
    svc: RunningService = await start_service()
    from screening.adapters.licences import load_licence_file
    from screening.adapters.ownership_files import load_ownership_file
    from screening.ports import Rejected

    await svc.runtime.registry.upsert(load_ownership_file(demo_path("ownership.jsonl")))
    assert svc.runtime.licences is not None
    on_file = [r for _, r in load_licence_file(demo_path("licences.jsonl")) if not isinstance(r, Rejected)]
    await svc.runtime.licences.upsert(on_file)
    lines = [line for line in demo_path("events.jsonl").read_bytes().splitlines() if line.strip()]
    for line in lines:
        event = orjson.loads(line)
        topic = svc.settings.kafka.orders_topic if "order_id" in event else svc.settings.kafka.leases_topic
        await svc.send(topic, event.get("order_id") or event.get("lease_id"), line)
    served = {
        d["event_id"]: d for d in decisions_of(await svc.read(svc.settings.kafka.decisions_topic, len(lines)))
    }

    buffer = io.BytesIO()
    await run_check(
        [str(demo_path("events.jsonl"))],
        [],
        [demo_path("ownership.jsonl")],
        out=buffer,
        licence_files=[demo_path("licences.jsonl")],
    )
    checked = {d["event_id"]: d for d in (orjson.loads(x) for x in buffer.getvalue().splitlines())}

    assert set(served) == set(checked) and len(served) == len(lines)
    for event_id, decision in checked.items():
        other = served[event_id]
        for field in ("outcome", "reasons", "items", "subject", "trigger"):
            assert other[field] == decision[field], (event_id, field)
        assert other["versions"]["ruleset"] == decision["versions"]["ruleset"]  # type: ignore[index]
        assert other["versions"]["lists"] == decision["versions"]["lists"]  # type: ignore[index]
