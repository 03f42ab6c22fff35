"""Rebuilds the Redis ownership registry from the compacted ownership feed, by itself.

The feed topic is compacted: it holds the latest record (or tombstone) of every entity, so replaying it
from offset 0 gives the whole registry. When the registry is gone (Redis restarted without its data),
being built (a first write into an empty Redis started a generation), or older than one seen before
(writes were lost), `RegistryRebuilder.check` replays the feed into a generation in state `building`
and then flips it to `ready` in one atomic step (`RedisOwnershipRegistry.complete_generation`). Until
then every decision that needs the registry is a hold with OWNERSHIP_UNAVAILABLE.

Only the process whose feed consumer is assigned the feed's partitions rebuilds, and it holds that
consumer's `lock` while it does: the feed consumer applies nothing meanwhile, and afterwards drops what
the replay already applied (`OwnershipConsumer.floor`), so an older record is never written after a
newer one. A feed with no records at all needs no replay: any process marks the new generation ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from screening.adapters.kafka import OwnershipConsumer
from screening.adapters.redis_store import RedisOwnershipRegistry, RegistryState
from screening.codec import EventDecoder
from screening.domain.ownership import OwnershipRecord
from screening.ports import Rejected

log = logging.getLogger("screening.registry")

REBUILDABLE = ("gone", "building", "older")
"""Registry problems a replay of the feed repairs (`unreachable` waits for Redis)."""

REPLAY_CHUNK = 1000
"""Entities written to Redis per upsert while replaying."""


class RegistryRebuilder:
    """Replays the ownership feed into a fresh registry generation when the registry needs it."""

    def __init__(
        self,
        registry: RedisOwnershipRegistry,
        feed: OwnershipConsumer,
        bootstrap_servers: str,
        topic: str,
        consumer_options: dict[str, Any],
        decoder: EventDecoder,
        on_ready: Callable[[], None] = lambda: None,
    ) -> None:
        self._registry = registry
        self._feed = feed
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._options = consumer_options
        self._decoder = decoder
        self._on_ready = on_ready
        self._running = asyncio.Lock()
        self.rebuilds = 0
        """Rebuilds this process completed."""
        self.last_duration_s: float | None = None

    async def check(self) -> RegistryState:
        """Read the registry's state; rebuild it when it needs a rebuild and this process can do it."""
        state = await self._registry.read_state()
        if state.problem not in REBUILDABLE or self._running.locked():
            return state
        async with self._running:
            await self._rebuild(state)
        return await self._registry.read_state()

    async def _rebuild(self, state: RegistryState) -> None:
        started = time.monotonic()
        reader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **self._options,
        )
        await reader.start()
        try:
            consumer = self._feed.consumer()
            partitions = _partitions(consumer, self._topic)
            if not partitions:
                # Never "an empty feed" for a topic whose partitions are not known yet: that would mark
                # an empty registry complete. The next check tries again.
                log.warning(
                    "ownership feed %s has no known partitions yet: registry left unavailable", self._topic
                )
                return
            ends = await reader.end_offsets(partitions)
            empty = not any(ends.values())
            assigned = set(consumer.assignment()) if hasattr(consumer, "assignment") else set()
            if not empty and not set(partitions) <= assigned:
                return  # the process that reads the feed rebuilds; here the registry stays unavailable
            async with self._feed.lock:
                generation = await self._registry.start_generation(wipe=state.problem == "older")
                log.warning(
                    "rebuilding the ownership registry (%s) from %s (end offsets %s) into generation %s",
                    state.problem,
                    self._topic,
                    {tp.partition: end for tp, end in ends.items()},
                    generation,
                )
                if not empty:
                    ends = await reader.end_offsets(partitions)  # the records present now, under the lock
                    applied = await self._replay(reader, partitions, ends, consumer)
                    if applied is None:
                        return
                    log.info("replayed %d ownership entities from the feed", applied)
                    for tp, end in ends.items():
                        self._feed.floor[(tp.topic, tp.partition)] = end
                if not await self._registry.complete_generation(generation):
                    log.warning(
                        "registry generation %s replaced during its rebuild: not marked ready", generation
                    )
                    return
        finally:
            await reader.stop()
        self.rebuilds += 1
        self.last_duration_s = round(time.monotonic() - started, 3)
        log.warning(
            "ownership registry rebuilt from the feed in %.1fs: generation %s ready",
            self.last_duration_s,
            generation,
        )
        self._on_ready()

    async def _replay(
        self,
        reader: AIOKafkaConsumer,
        partitions: list[TopicPartition],
        ends: dict[TopicPartition, int],
        consumer: Any,
    ) -> int | None:
        """Apply every record before `ends`, the latest per entity; None when the feed's partitions were
        taken away meanwhile (the new owner rebuilds)."""
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        latest: dict[str, OwnershipRecord | None] = {}
        pending = {tp for tp, end in ends.items() if end > 0}
        while pending:
            batch = await reader.getmany(*pending, timeout_ms=1000, max_records=REPLAY_CHUNK)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    if record.value is None:
                        if record.key:
                            latest[record.key.decode("utf-8", "replace")] = None
                        continue
                    parsed = self._decoder.decode_ownership(record.value, record.headers or ())
                    if isinstance(parsed, Rejected):
                        continue  # dead-lettered when the feed consumer first read it
                    latest[parsed.entity_id] = parsed
            for tp in list(pending):
                if await reader.position(tp) >= ends[tp]:
                    pending.discard(tp)
            if consumer is not None and not set(partitions) <= set(consumer.assignment()):
                log.warning("the ownership feed was reassigned during the rebuild: left to its new reader")
                return None
        upserts = [record for record in latest.values() if record is not None]
        deletes = [entity_id for entity_id, record in latest.items() if record is None]
        for start in range(0, len(upserts), REPLAY_CHUNK):
            await self._registry.upsert(upserts[start : start + REPLAY_CHUNK])
        for start in range(0, len(deletes), REPLAY_CHUNK):
            await self._registry.delete(deletes[start : start + REPLAY_CHUNK])
        return len(latest)


def _partitions(feed_consumer: Any, topic: str) -> list[TopicPartition]:
    """The feed's partitions as the feed consumer (subscribed to it, so it keeps its metadata) knows them."""
    known = (
        feed_consumer.partitions_for_topic(topic) if hasattr(feed_consumer, "partitions_for_topic") else None
    )
    return [TopicPartition(topic, partition) for partition in sorted(known or ())]


async def watch_registry(rebuilder: RegistryRebuilder, interval_s: float) -> None:
    """Check the registry every `interval_s` (forever): rebuild it when needed, notice its recovery."""
    while True:
        try:
            await rebuilder.check()
        except Exception as error:  # Redis or the broker unreachable: the next check tries again
            log.warning("ownership registry check failed: %s: %s", type(error).__name__, error)
        await asyncio.sleep(interval_s)
