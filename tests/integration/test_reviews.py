"""Reviews through the real broker and Redis: releases, four eyes, confirms, stale reviews."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from screening.domain.ownership import OwnershipRecord
from tests.integration.conftest import RunningService, wait_until
from tests.integration.streams import order_event_now

pytestmark = pytest.mark.integration

SAUDI_BUYER = "Riyadh Compute Co"
LOOK_ALIKE = "Huawai Technologies"  # a possible match of Entity List entries (a deny list): four eyes


def review(decision: dict[str, Any], action: str, reviewer: str, **fields: Any) -> bytes:
    """A contract review of `decision` (`wire.ReviewV1`)."""
    return orjson.dumps(
        {
            "review_id": f"rev-{uuid.uuid4().hex[:12]}",
            "subject": decision["subject"],
            "decision_id": decision["decision_id"],
            "action": action,
            "reviewer": reviewer,
            "reason": f"{reviewer} checked the customer file",
            "reviewed_at": datetime.now(UTC).isoformat(),
            **fields,
        }
    )


class Reader:
    """Reads a topic from its beginning with one consumer: each call returns what arrived since the last."""

    def __init__(self, svc: RunningService, topic: str) -> None:
        self.svc, self.topic = svc, topic
        self.consumer: AIOKafkaConsumer | None = None

    async def next(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The next `count` records (and anything else that arrives within a moment after them)."""
        if self.consumer is None:
            self.consumer = AIOKafkaConsumer(
                bootstrap_servers=self.svc.settings.kafka.bootstrap_servers, enable_auto_commit=False
            )
            await self.consumer.start()
            self.svc.cleanups.append(self.consumer.stop)
            # `create_topics` gives every record topic 3 partitions.
            assigned = [TopicPartition(self.topic, p) for p in range(3)]
            self.consumer.assign(assigned)
            await self.consumer.seek_to_beginning(*assigned)
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            found += self._values(await self.consumer.getmany(timeout_ms=300))
        found += self._values(await self.consumer.getmany(timeout_ms=1500))
        return found

    @staticmethod
    def _values(batch: dict[Any, list[Any]]) -> list[dict[str, Any]]:
        return [orjson.loads(r.value) for records in batch.values() for r in records if r.value is not None]


async def held_order(svc: RunningService, order_id: str, **fields: Any) -> dict[str, Any]:
    """Send an order and wait until its hold is in the review queue; the hold as the queue shows it."""
    await svc.send(
        svc.settings.kafka.orders_topic, order_id, order_event_now(f"e-{order_id}", order_id, **fields)
    )

    async def queued() -> bool:
        return await svc.runtime.holds.get("order", order_id) is not None

    await wait_until(queued)
    view = await svc.runtime.holds.get("order", order_id)
    assert view is not None
    return dict(view.decision)


async def test_one_reviewer_releases_a_hold_that_needs_one(start_service, shipped_lists) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    await svc.runtime.registry.upsert([OwnershipRecord("sa-1", SAUDI_BUYER, country="SA", hq_country="SA")])
    decisions = Reader(svc, svc.settings.kafka.decisions_topic)
    hold = await held_order(svc, "SO-R1", product="NVIDIA L4", eccn=None, country="SA", buyer=SAUDI_BUYER)
    assert {r["code"] for r in hold["reasons"] if r["outcome"] == "hold"} == {"DEST_ADV_COMPUTE"}
    (first,) = await decisions.next(1)

    await svc.send(svc.settings.kafka.reviews_topic, "SO-R1", review(hold, "release", "alice"))
    (released,) = await decisions.next(1)

    assert (released["outcome"], released["trigger"]) == ("allow", "review")
    assert released["event_id"] == first["event_id"] and released["versions"] == first["versions"]
    assert released["reasons"][0]["code"] == "REVIEW_RELEASED"
    assert [r["reviewer"] for r in released["reasons"][0]["evidence"]["reviews"]] == ["alice"]
    dest = next(r for r in released["reasons"] if r["code"] == "DEST_ADV_COMPUTE")
    assert (dest["outcome"], dest["evidence"]["outcome_before_review"]) == ("allow", "hold")
    assert await svc.runtime.holds.get("order", "SO-R1") is None


async def test_four_eyes_a_deny_list_possible_match_needs_two_different_reviewers(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    decisions = Reader(svc, k.decisions_topic)
    hold = await held_order(svc, "SO-R2", buyer=LOOK_ALIKE)
    await decisions.next(1)
    assert "POSSIBLE_LIST_MATCH" in {r["code"] for r in hold["reasons"]}

    await svc.send(k.reviews_topic, "SO-R2", review(hold, "release", "alice"))
    await svc.send(k.reviews_topic, "SO-R2", review(hold, "release", "alice"))  # the same reviewer again

    async def recorded_twice() -> bool:
        view = await svc.runtime.holds.get("order", "SO-R2")
        return view is not None and len(view.reviews) == 2

    await wait_until(recorded_twice)
    assert await decisions.next(0, timeout=2) == []  # still a hold: nothing published

    await svc.send(k.reviews_topic, "SO-R2", review(hold, "release", "bob"))
    (released,) = await decisions.next(1)
    assert (released["outcome"], released["trigger"]) == ("allow", "review")
    evidence = released["reasons"][0]["evidence"]
    assert [r["reviewer"] for r in evidence["reviews"]] == ["alice", "bob"]
    assert evidence["four_eyes"] == ["POSSIBLE_LIST_MATCH"]
    assert await svc.runtime.holds.get("order", "SO-R2") is None


async def test_stale_unknown_and_anonymous_reviews_are_dead_lettered_and_a_confirm_denies(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    await svc.runtime.registry.upsert([OwnershipRecord("sa-1", SAUDI_BUYER, country="SA", hq_country="SA")])
    decisions = Reader(svc, k.decisions_topic)
    dead = Reader(svc, k.dlq_topic)
    first = await held_order(svc, "SO-R3", product="NVIDIA L4", eccn=None, country="SA", buyer=SAUDI_BUYER)
    await decisions.next(1)
    # An amended order replaces the hold: a review of the first decision is stale.
    await svc.send(
        k.orders_topic,
        "SO-R3",
        order_event_now(
            "e-SO-R3-b", "SO-R3", product="NVIDIA L4", eccn=None, country="SA", buyer=SAUDI_BUYER, quantity=3
        ),
    )
    (second,) = await decisions.next(1)
    assert second["outcome"] == "hold" and second["decision_id"] != first["decision_id"]

    await svc.send(k.reviews_topic, "SO-R3", review(first, "release", "alice"))
    unknown = {**first, "subject": {"kind": "order", "id": "SO-NONE"}}
    await svc.send(k.reviews_topic, "SO-NONE", review(unknown, "release", "alice"))
    await svc.send(k.reviews_topic, "SO-R3", review(second, "release", "   "))
    await svc.send(k.reviews_topic, "SO-R3", b'{"review_id": "broken"')
    letters = await dead.next(4)
    errors = [(d["error_kind"], d["error"]) for d in letters]
    assert (
        errors[0][0] == "review" and "stale review" in errors[0][1] and second["decision_id"] in errors[0][1]
    )
    assert errors[1][0] == "review" and "has no open hold" in errors[1][1]
    assert errors[2][0] == "schema" and "reviewer" in errors[2][1]
    assert errors[3][0] == "invalid_json"

    await svc.send(k.reviews_topic, "SO-R3", review(second, "confirm", "carol"))
    (denied,) = await decisions.next(1)
    assert (denied["outcome"], denied["trigger"], denied["reasons"][0]["code"]) == (
        "deny",
        "review",
        "REVIEW_CONFIRMED",
    )
    assert await svc.runtime.holds.get("order", "SO-R3") is None
