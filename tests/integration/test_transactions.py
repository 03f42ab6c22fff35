"""Transactions per consumed partition on the real broker: a zombie's decisions are never seen, a batch
read again is never decided twice, and the consumed offset moves only with the decisions."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screening.adapters.transactions import PartitionTransactions, TransactionFailed
from tests.integration.conftest import Services, unique

pytestmark = pytest.mark.integration


async def read_committed(bootstrap: str, topic: str) -> list[bytes]:
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=unique("reader"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await reader.start()
    try:
        found: list[bytes] = []
        for _ in range(6):
            batch = await reader.getmany(timeout_ms=500)
            found += [r.value for records in batch.values() for r in records if r.value is not None]
        return found
    finally:
        await reader.stop()


async def test_a_zombie_is_fenced_and_a_batch_read_again_is_decided_once(services: Services) -> None:
    events, decisions, group = unique("events"), unique("decisions"), unique("group")
    admin = AIOKafkaAdminClient(bootstrap_servers=services.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(events, 1, 1), NewTopic(decisions, 1, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=services.bootstrap)
    await producer.start()
    for i in range(3):
        await producer.send_and_wait(events, f"event-{i}".encode())
    await producer.stop()
    consumer = AIOKafkaConsumer(
        events,
        bootstrap_servers=services.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    zombie = PartitionTransactions(services.bootstrap, group, "screening-tx", {})
    owner = PartitionTransactions(services.bootstrap, group, "screening-tx", {})
    try:
        records = [r for batch in (await consumer.getmany(timeout_ms=5000)).values() for r in batch]
        assert [r.offset for r in records] == [0, 1, 2]
        key = (events, 0)
        assert await zombie.admit(consumer, records) == records  # nothing committed: starts at 0
        # The partition moves to another process (same transactional id): starting its producer fences
        # the zombie, whose transaction can then commit nothing.
        assert await owner.admit(consumer, records) == records
        with pytest.raises(TransactionFailed):
            await zombie.commit(key, [(decisions, b"k", b"from the zombie")], 3)
        await owner.commit(key, [(decisions, b"k", b"from the owner")], 3)
        # The same batch read again (a redelivery) is decided no more.
        assert await owner.admit(consumer, records) == []
        assert await read_committed(services.bootstrap, decisions) == [b"from the owner"]
        assert await consumer.committed(TopicPartition(events, 0)) == 3
        # A new producer of the partition (after a crash) resumes at the committed offset.
        fresh = PartitionTransactions(services.bootstrap, group, "screening-tx", {})
        assert await fresh.admit(consumer, records) == []
        await fresh.close()
    finally:
        await zombie.close()
        await owner.close()
        await consumer.stop()
