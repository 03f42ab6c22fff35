"""The open holds in Redis: what the review page lists, written by the pipeline with the open subjects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from screening.adapters.holds import RedisOpenHolds
from screening.adapters.subjects import RedisOpenSubjects
from screening.ports import HeldDecision, HoldChanges, OpenSubject
from tests.integration.conftest import RunningService, redis_client, unique, wait_until
from tests.integration.streams import order_event_now

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def held(subject_id: str, decision_id: str, at: datetime, event: bytes | None = b"{}") -> HeldDecision:
    decision = orjson.dumps(
        {"decision_id": decision_id, "subject": {"kind": "order", "id": subject_id}, "outcome": "hold"}
    )
    return HeldDecision("order", subject_id, decision_id, decision, at, event)


def review(decision_id: str, reviewer: str) -> bytes:
    return orjson.dumps({"review_id": unique("r"), "decision_id": decision_id, "reviewer": reviewer})


async def test_holds_are_listed_oldest_first_keep_their_first_time_and_only_current_reviews(services) -> None:
    client = await redis_client(services.redis_url)
    try:
        holds = RedisOpenHolds(client, f"{unique('t')}:")
        await holds.record(
            HoldChanges(
                held=[
                    held("SO-2", "dec-2", T0 + timedelta(minutes=2)),
                    held("SO-1", "dec-1", T0),
                    held("SO-3", "dec-3", T0 + timedelta(minutes=5)),
                ]
            )
        )
        await holds.record(HoldChanges(reviews=[("order", "SO-1", review("dec-1", "alice"))]))
        # SO-1 is held again by a newer event: a new decision, still as old in the queue; alice's review
        # was of the earlier decision and no longer shows.
        await holds.record(
            HoldChanges(held=[held("SO-1", "dec-1b", T0 + timedelta(hours=1))], released=[("order", "SO-3")])
        )
        await holds.record(HoldChanges(reviews=[("order", "SO-1", review("dec-1b", "bob"))]))

        oldest = await holds.oldest(10)
        assert [(v.subject_id, v.decision["decision_id"]) for v in oldest] == [
            ("SO-1", "dec-1b"),
            ("SO-2", "dec-2"),
        ]
        assert oldest[0].held_since == T0
        assert [r["reviewer"] for r in oldest[0].reviews] == ["bob"]
        assert await holds.get("order", "SO-3") is None
        assert [v.subject_id for v in await holds.oldest(1)] == ["SO-1"]
        assert await holds.events_of([("order", "SO-2"), ("order", "SO-3")]) == {("order", "SO-2"): b"{}"}

        total, oldest_age, at_least = await holds.ages(T0 + timedelta(minutes=61), [60.0, 3600.0])
        assert (total, oldest_age, at_least) == (2, 61 * 60, [2, 1])
    finally:
        await client.aclose()


async def test_holds_are_written_in_the_open_subjects_transaction(services) -> None:
    client = await redis_client(services.redis_url)
    try:
        prefix = f"{unique('t')}:"
        holds = RedisOpenHolds(client, prefix)
        subjects = RedisOpenSubjects(client, prefix, holds)
        opened = OpenSubject("order", "SO-9", b'{"order_id": "SO-9"}', "hold:x")
        await subjects.record([opened], [], HoldChanges(held=[held("SO-9", "dec-9", T0)]))
        assert (await holds.get("order", "SO-9")) is not None
        assert subjects.stats.by_operation == {"subjects_write": 1}  # one round trip for both

        await subjects.update_digests([(opened, "allow:y")], HoldChanges(released=[("order", "SO-9")]))
        assert await holds.get("order", "SO-9") is None
        (stored,) = [s for chunk in [c async for c in subjects.scan(10)] for s in chunk]
        assert stored.digest == "allow:y"
    finally:
        await client.aclose()


async def test_the_service_queues_a_held_order_and_takes_it_out_when_allowed(start_service) -> None:
    svc: RunningService = await start_service()
    k = svc.settings.kafka
    # An L4 (3A090.a by density) to Saudi Arabia (D:4) needs a licence or ACA: held.
    await svc.send(
        k.orders_topic,
        "SO-H1",
        order_event_now(
            "e1", "SO-H1", product="NVIDIA L4", eccn=None, country="SA", buyer="Riyadh Compute Co"
        ),
    )
    holds = svc.runtime.holds

    async def queued() -> bool:
        return await holds.get("order", "SO-H1") is not None

    await wait_until(queued)
    (view,) = await holds.oldest(10)
    assert view.decision["outcome"] == "hold" and view.decision["event_id"] == "e1"
    assert "DEST_ADV_COMPUTE" in {r["code"] for r in view.decision["reasons"]}
    assert abs((view.held_since - datetime.now(UTC)).total_seconds()) < 60

    # The order is amended to office chairs: allowed, and out of the queue.
    await svc.send(k.orders_topic, "SO-H1", order_event_now("e2", "SO-H1"))

    async def released() -> bool:
        return await holds.get("order", "SO-H1") is None

    await wait_until(released)
    assert await holds.oldest(10) == []
