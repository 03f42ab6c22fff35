"""`PartitionShare`: which open subjects an instance rescreens, and the marks that hand a rescreen over."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from screening.rescreen import PartitionShare

TOPICS = {"order": "orders", "lease": "leases"}


class Marks:
    """`RescreenMarks` in memory."""

    def __init__(self) -> None:
        self.marked: dict[tuple[str, int], str] = {}

    async def mark(self, partitions: Sequence[tuple[str, int]], cause: str) -> None:
        self.marked.update(dict.fromkeys(partitions, cause))

    async def clear(self, partitions: Sequence[tuple[str, int]]) -> None:
        for partition in partitions:
            self.marked.pop(partition, None)

    async def causes(self, partitions: Sequence[tuple[str, int]]) -> set[str]:
        return {c for p in partitions if (found := self.marked.get(p)) for c in found.split("+")}


class Consumer:
    """What the share asks of the event consumer: the topics' partition ids (from its metadata)."""

    def __init__(self, partitions: dict[str, set[int]]) -> None:
        self.partitions = partitions

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions.get(topic)


def assigned(*pairs: tuple[str, int]) -> set[TopicPartition]:
    return {TopicPartition(topic, partition) for topic, partition in pairs}


async def test_outside_a_consumer_group_every_subject_is_rescreened() -> None:
    share = PartitionShare(TOPICS, lambda: None, asyncio.Lock(), Marks())
    assert share.owns("order", "SO-1") and share.owns("lease", "L-1")
    assert await share.begin("lists") is None  # nothing marked: there is no other instance


async def test_a_subject_belongs_to_the_partition_the_producers_partitioner_chooses() -> None:
    consumer = Consumer({"orders": {0, 1, 2, 3, 4}, "leases": {0, 1, 2}})
    share = PartitionShare(TOPICS, lambda: consumer, asyncio.Lock(), Marks())
    await share.on_partitions_assigned(assigned(("orders", 1), ("orders", 3), ("leases", 0)))
    for i in range(200):
        key = f"SO-{i}".encode()
        expected = DefaultPartitioner()(key, [0, 1, 2, 3, 4], [])
        assert share.partition_of("order", f"SO-{i}") == ("orders", expected)
        assert share.owns("order", f"SO-{i}") == (expected in (1, 3))
    owned = [i for i in range(200) if share.owns("lease", f"L-{i}")]
    assert 0 < len(owned) < 200


async def test_a_topic_whose_partition_count_is_unknown_is_rescreened_here_too() -> None:
    consumer = Consumer({"orders": {0, 1}})  # no metadata for the leases topic
    share = PartitionShare(TOPICS, lambda: consumer, asyncio.Lock(), Marks())
    await share.on_partitions_assigned(assigned(("orders", 0)))
    assert all(share.owns("lease", f"L-{i}") for i in range(50))


async def test_a_partition_revoked_mid_rescreen_keeps_its_mark_and_its_next_owner_rescreens_it() -> None:
    marks = Marks()
    consumer = Consumer({"orders": {0, 1}, "leases": {0}})
    first = PartitionShare(TOPICS, lambda: consumer, asyncio.Lock(), marks)
    await first.on_partitions_assigned(assigned(("orders", 0), ("orders", 1), ("leases", 0)))
    covered = await first.begin("lists+ownership")
    assert covered == {("orders", 0), ("orders", 1), ("leases", 0)}
    assert set(marks.marked) == covered

    await first.on_partitions_revoked(assigned(("orders", 0), ("orders", 1), ("leases", 0)))
    assert not any(first.owns("order", f"SO-{i}") for i in range(50))  # stops publishing at once
    await first.on_partitions_assigned(assigned(("orders", 0)))
    await first.finish(covered)
    assert set(marks.marked) == covered  # lost during the run: none is cleared, even the one back

    second = PartitionShare(TOPICS, lambda: consumer, asyncio.Lock(), marks)
    handed: list[set[str]] = []
    second.on_handover = handed.append
    await second.on_partitions_assigned(assigned(("orders", 1), ("leases", 0)))
    assert handed == [{"lists", "ownership"}]

    covered = await second.begin("lists")
    await second.finish(covered)
    assert set(marks.marked) == {("orders", 0)}  # the second owner's partitions are done


async def test_an_assignment_with_no_mark_asks_for_nothing_and_unreadable_marks_ask_for_a_rescreen() -> None:
    class Unreachable(Marks):
        async def causes(self, partitions: Sequence[tuple[str, int]]) -> set[str]:
            raise ConnectionError("redis down")

    consumer = Consumer({"orders": {0}, "leases": {0}})
    for marks, expected in ((Marks(), []), (Unreachable(), [{"lists", "ownership"}])):
        share = PartitionShare(TOPICS, lambda: consumer, asyncio.Lock(), marks)
        handed: list[set[str]] = []
        share.on_handover = handed.append
        await share.on_partitions_assigned(assigned(("orders", 0)))
        assert handed == expected
