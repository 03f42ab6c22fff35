"""Kafka adapter: the batch handlers of the event topics and of the ownership feed.

`EventConsumer` is the one handler of the order and lease topics, from raw records to committed offsets:
decode every record (the decoder never raises), hand the batch to `ScreeningService.decide`, publish the
decisions and dead letters without awaiting each, await all acks, `ScreeningService.confirm` what was
published, and commit. Failures follow `screening.resilience`: transient ones are retried, then the batch
is left uncommitted and read again; any other is retried, then the batch is split until the message it
fails on is alone and dead-lettered. `OwnershipConsumer` applies the compacted ownership feed under the
same policy.

FastStream's batch parser decodes headers and bodies before a handler runs, and a non-UTF-8 header made it
raise with the batch lost; `raw_batch_parser` and `raw_batch_decoder` hand the records over untouched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream.exceptions import StopConsume
from faststream.kafka.message import FAKE_CONSUMER, KafkaMessage

from screening.adapters.transactions import MessagesRefused, PartitionTransactions, TransactionFailed
from screening.codec import EventDecoder, encode_decision, encode_dlq, received_at_of
from screening.domain.model import Decision
from screening.domain.ownership import OwnershipRecord
from screening.health import ConsumerHealth
from screening.kinds import EventKind
from screening.metrics import Metrics
from screening.ports import DecodedEvent, OwnershipSink, Publisher, Received, Rejected
from screening.resilience import DeadLetterRefused, RetryPolicy, Unavailable, is_transient, isolate
from screening.service import ScreeningService, Verdict

log = logging.getLogger("screening.pipeline")

DEAD_LETTERS_REMEMBERED = 100_000
"""Dead letters remembered by position, so a batch read again does not dead-letter a message twice."""


class Record(Protocol):
    """The parts of a Kafka consumer record the handlers read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: Sequence[tuple[str, bytes]]


# ------------------------------------------------------------------------------------- FastStream glue
async def raw_batch_parser(records: tuple[Any, ...]) -> KafkaMessage:
    """A FastStream batch message holding the consumer records as they are (never raises)."""
    first = records[0] if records else None
    return KafkaMessage(
        raw_message=records,
        body=records,
        message_id=f"{first.topic}-{first.partition}-{first.offset}" if first is not None else None,
        consumer=FAKE_CONSUMER,
    )


async def raw_batch_decoder(message: KafkaMessage) -> Any:
    """The records of a batch, undecoded: the handler decodes each one itself."""
    return message.raw_message


def records_of(message: Any) -> list[Any]:
    """Consumer records of a batch message (FastStream's in-memory broker nests them one level deeper)."""
    raw = message.raw_message
    items = raw if isinstance(raw, tuple | list) else (raw,)
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, tuple | list) else (item,))
    return flat


# ------------------------------------------------------------------------------------------- offsets
def batch_offsets(records: Sequence[Record]) -> dict[tuple[str, int], int]:
    """Next offset to read per (topic, partition) after `records`."""
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = max(offsets.get(key, 0), record.offset + 1)
    return offsets


def first_offsets(records: Sequence[Record]) -> dict[tuple[str, int], int]:
    """First offset per (topic, partition) of `records`."""
    offsets: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        offsets[key] = min(offsets.get(key, record.offset), record.offset)
    return offsets


class OffsetCommitter:
    """Commits consumed offsets in the background, after the batch's outputs were acknowledged.

    A synchronous commit after every batch stalls the next poll by a coordinator round trip (~8 ms
    measured on loopback), which dominates latency at moderate rates. Offsets are only handed here once
    every output of their batch is acknowledged, so at-least-once holds; commits are coalesced and
    ordered (one in flight), and a crash before a commit means redelivery, which the decision ledger
    turns into no duplicate decisions. Each commit that succeeds is reported to `health`.
    """

    def __init__(self, health: ConsumerHealth | None = None) -> None:
        self._pending: dict[Any, dict[Any, int]] = {}
        self._task: asyncio.Task[None] | None = None
        self._health = health or ConsumerHealth()

    def schedule(self, consumer: Any, offsets: Mapping[tuple[str, int], int]) -> None:
        """Commit `offsets` ((topic, partition) → next offset to read) of `consumer` soon."""
        if consumer is None or not hasattr(consumer, "commit") or consumer is FAKE_CONSUMER:
            self._health.committed(offsets)  # FastStream's in-memory broker: nothing to commit
            return
        merged = self._pending.setdefault(consumer, {})
        for (topic, partition), offset in offsets.items():
            key = TopicPartition(topic, partition)
            if offset > merged.get(key, -1):
                merged[key] = offset
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            consumer, offsets = self._pending.popitem()
            try:
                await consumer.commit(offsets)
            except Exception as error:
                log.warning("offset commit failed (will be redelivered and deduplicated): %s", error)
                continue
            self._health.committed({(tp.topic, tp.partition): offset for tp, offset in offsets.items()})

    async def flush(self) -> None:
        """Wait for every scheduled commit (shutdown)."""
        while self._task is not None and not self._task.done():
            await self._task


def rewind(consumer: Any, records: Sequence[Record]) -> None:
    """Seek every partition of `records` back to its first record: the batch is read again."""
    if consumer is None or not hasattr(consumer, "seek") or consumer is FAKE_CONSUMER:
        return
    for (topic, partition), offset in first_offsets(records).items():
        consumer.seek(TopicPartition(topic, partition), offset)


# ------------------------------------------------------------------------------------------ publishing
@dataclass
class Outgoing:
    """One message to publish, and what it stands for."""

    topic: str
    key: bytes | None
    value: bytes
    dead_letter: str | None = None
    """The error kind, for a dead letter."""
    position: tuple[str, int, int] | None = None
    """The consumed record it answers (topic, partition, offset)."""
    error: BaseException | None = field(default=None, repr=False)


@dataclass
class Sent:
    """What became of a batch's messages: acknowledged, refused for good, or still failing after the
    retries (then `unavailable` says why)."""

    acked: list[Outgoing]
    refused: list[Outgoing]
    unavailable: Unavailable | None = None


class Outbox:
    """Publishes a batch's messages all at once and awaits every ack, retrying the transient failures."""

    def __init__(
        self,
        publisher: Publisher,
        policy: RetryPolicy,
        metrics: Metrics,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._publisher = publisher
        self._policy = policy
        self._metrics = metrics
        self._sleep = sleep

    async def send(self, messages: Sequence[Outgoing]) -> Sent:
        """Send every message, retry those that failed transiently; never raises."""
        sent = Sent([], [])
        pending = list(messages)
        delays = self._policy.delays()
        while pending:
            futures = [await self._start(message) for message in pending]
            results = await asyncio.gather(*futures, return_exceptions=True)
            retry: list[Outgoing] = []
            for message, result in zip(pending, results, strict=True):
                if not isinstance(result, BaseException):
                    sent.acked.append(message)
                    continue
                message.error = result
                (retry if is_transient(result) else sent.refused).append(message)
            pending = retry
            if pending:
                delay = next(delays, None)
                if delay is None:
                    error = pending[0].error
                    sent.unavailable = Unavailable(
                        f"{len(pending)} message(s) not acknowledged: {type(error).__name__}: {error}"
                    )
                    return sent
                self._metrics.retried("publish")
                await self._sleep(delay)
        return sent

    async def _start(self, message: Outgoing) -> asyncio.Future[Any]:
        try:
            return await self._publisher(message.topic, message.key, message.value)
        except Exception as error:  # the client refused it before sending (too large, closed producer)
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(error)
            return failed


class DeadLetterMemory:
    """Positions (topic, partition, offset) whose dead letter was written, the latest `size` of them: a
    batch tried again or read again does not dead-letter a message twice."""

    def __init__(self, size: int = DEAD_LETTERS_REMEMBERED) -> None:
        self._size = size
        self._positions: OrderedDict[tuple[str, int, int], None] = OrderedDict()

    def __contains__(self, position: object) -> bool:
        return position in self._positions

    def add(self, position: tuple[str, int, int]) -> None:
        """Remember one written dead letter."""
        self._positions[position] = None
        if len(self._positions) > self._size:
            self._positions.popitem(last=False)


def dead_letter(record: Record, rejected: Rejected, dlq_topic: str, max_value_bytes: int) -> Outgoing:
    """The dead-letter message of `record` (its key cut to 1 KiB: the contract's key, within limits)."""
    value = encode_dlq(
        record.topic, record.partition, record.offset, record.key, record.value, rejected, max_value_bytes
    )
    key = record.key if record.key is None or len(record.key) <= 1024 else record.key[:1024]
    position = (record.topic, record.partition, record.offset)
    return Outgoing(dlq_topic, key, value, dead_letter=rejected.error_kind, position=position)


def refused_dead_letter(refused: Sequence[Outgoing], dlq_topic: str) -> DeadLetterRefused:
    """The error that stops a consumer whose dead letter the broker refused."""
    error = refused[0].error
    return DeadLetterRefused(
        f"the dead-letter topic {dlq_topic!r} refused the record of {refused[0].position}: "
        f"{type(error).__name__}: {error}"
    )


# ---------------------------------------------------------------------------------------------- events
@dataclass
class _Message:
    """A consumed record and what it decoded into."""

    record: Record
    received: Received


def stop_consuming(health: ConsumerHealth, what: str, error: DeadLetterRefused) -> StopConsume:
    """Mark the consumer stopped for good (a dead letter the broker refuses) and return FastStream's stop."""
    health.stopped = f"{what} stopped: {error}"
    log.critical(health.stopped)
    return StopConsume(str(error))


class EventConsumer:
    """The one handler of the order and lease topics: decode, decide (the service), publish, acknowledge."""

    def __init__(
        self,
        service: ScreeningService,
        publisher: Publisher,
        kinds_by_topic: Mapping[str, EventKind],
        decisions_topic: str,
        dlq_topic: str,
        decoder: EventDecoder,
        metrics: Metrics,
        committer: OffsetCommitter,
        health: ConsumerHealth,
        policy: RetryPolicy,
        dlq_value_bytes: int = 64 * 1024,
        sleep: Callable[[float], Any] = asyncio.sleep,
        transactions: PartitionTransactions | None = None,
    ) -> None:
        self._service = service
        self._transactions = transactions
        self._kinds = dict(kinds_by_topic)
        self._decisions_topic = decisions_topic
        self._dlq_topic = dlq_topic
        self._decoder = decoder
        self._metrics = metrics
        self._committer = committer
        self._health = health
        self._policy = policy
        self._dlq_value_bytes = dlq_value_bytes
        self._sleep = sleep
        self._outbox = Outbox(publisher, policy, metrics, sleep)
        self._dead_lettered = DeadLetterMemory()
        self.consumer: Callable[[], Any] = lambda: None
        """Returns the Kafka consumer of the subscriber (set by the composition root once it exists)."""
        self.gate = asyncio.Lock()
        """Held while a batch is decided, published and recorded. A rescreen publishes under it too, so
        it never publishes a decision of an event older than one whose decision is in flight."""

    async def __call__(self, message: KafkaMessage) -> None:
        """The FastStream handler: the batch's raw records in, offsets committed (or the batch rewound)."""
        await self.consume(records_of(message), self.consumer())

    async def consume(self, records: Sequence[Record], consumer: Any = None) -> list[Decision]:
        """Handle one batch and acknowledge it; returns the decisions published."""
        if not records:
            return []
        self._health.consuming(first_offsets(records))
        if self._transactions is not None and consumer is not None and consumer is not FAKE_CONSUMER:
            return await self._consume_in_transactions(records, consumer, self._transactions)
        try:
            async with self.gate:
                published = await self.handle(records)
        except Unavailable as error:
            # Nothing more can be published now: read the batch again after a pause. What was published
            # is in the ledger and is not published twice.
            log.error("broker unavailable, batch of %d left uncommitted: %s", len(records), error)
            rewind(consumer, records)
            await self._sleep(self._policy.max_backoff_s)
            return []
        except DeadLetterRefused as error:
            raise stop_consuming(self._health, "event consumer", error) from error
        self._committer.schedule(consumer, batch_offsets(records))
        return published

    async def handle(self, records: Sequence[Record]) -> list[Decision]:
        """Decide and publish a batch (no acknowledgement); returns after every output was acknowledged.
        Raises `Unavailable` (broker down: read the batch again) or `DeadLetterRefused` (stop)."""
        started = time.perf_counter()
        messages = [_Message(record, self._decode(record)) for record in records]
        published = await isolate(
            messages, self._attempt, self._poison, self._policy, self._metrics, self._sleep
        )
        events = [m.received.event for m in messages if isinstance(m.received, DecodedEvent)]
        self._metrics.batch_done(records, published, started, events)
        return published

    # ------------------------------------------------------------------------------------ transactions
    async def _consume_in_transactions(
        self, records: Sequence[Record], consumer: Any, transactions: PartitionTransactions
    ) -> list[Decision]:
        """Decide a batch, then publish and commit each consumed partition's outputs with its offset in
        one transaction (`screening.adapters.transactions`). A partition whose transaction fails is
        rewound and read again; nothing of it was published."""
        started = time.perf_counter()
        try:
            async with self.gate:
                admitted = await transactions.admit(consumer, records)
                if not admitted:
                    return []
                messages = [_Message(record, self._decode(record)) for record in admitted]
                verdicts = await isolate(
                    messages, self._decide, self._failed, self._policy, self._metrics, self._sleep
                )
                published, failed = await self._commit_partitions(messages, verdicts, transactions)
        except (Unavailable, TransactionFailed) as error:
            log.error("batch of %d left to be read again: %s", len(records), error)
            rewind(consumer, records)
            await self._sleep(self._policy.backoff_s)
            return []
        except DeadLetterRefused as error:
            raise stop_consuming(self._health, "event consumer", error) from error
        if failed:
            rewind(consumer, [m.record for m in messages if (m.record.topic, m.record.partition) in failed])
            await self._sleep(self._policy.backoff_s)
        events = [m.received.event for m in messages if isinstance(m.received, DecodedEvent)]
        self._metrics.batch_done(admitted, published, started, events)
        return published

    async def _decide(self, messages: Sequence[_Message]) -> list[Verdict]:
        return await self._service.decide([m.received for m in messages])

    async def _failed(self, message: _Message, error: BaseException) -> list[Verdict]:
        return [self._service.failed(message.received, error)]

    async def _commit_partitions(
        self, messages: Sequence[_Message], verdicts: Sequence[Verdict], transactions: PartitionTransactions
    ) -> tuple[list[Decision], set[tuple[str, int]]]:
        """One transaction per partition, all at once; record what committed. Returns the decisions
        published and the partitions whose transaction failed; raises `DeadLetterRefused` (after
        recording what committed) when a dead letter was refused."""
        by_partition: dict[tuple[str, int], list[tuple[_Message, Verdict]]] = {}
        for message, verdict in zip(messages, verdicts, strict=True):
            by_partition.setdefault((message.record.topic, message.record.partition), []).append(
                (message, verdict)
            )
        keys = list(by_partition)
        encoded: dict[int, bytes] = {}  # id(decision) → its JSON as published, for the open holds
        results = await asyncio.gather(
            *(self._commit_partition(key, by_partition[key], transactions, encoded=encoded) for key in keys),
            return_exceptions=True,
        )
        confirmed: list[tuple[_Message, Decision]] = []
        failed: set[tuple[str, int]] = set()
        stop: DeadLetterRefused | None = None
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, BaseException):
                log.error("%s", result)
                failed.add(key)
                continue
            decided, refused = result
            confirmed += decided
            stop = stop or refused
        confirmed.sort(
            key=lambda pair: (pair[0].record.topic, pair[0].record.partition, pair[0].record.offset)
        )
        await self._service.confirm(
            [(message.received, decision) for message, decision in confirmed], encoded
        )
        for _, decision in confirmed:
            self._log_decision(decision)
        if stop is not None:
            raise stop
        return [decision for _, decision in confirmed], failed

    async def _commit_partition(
        self,
        key: tuple[str, int],
        items: Sequence[tuple[_Message, Verdict]],
        transactions: PartitionTransactions,
        replacing: bool = False,
        encoded: dict[int, bytes] | None = None,
    ) -> tuple[list[tuple[_Message, Decision]], DeadLetterRefused | None]:
        """The partition's transaction: (decisions committed, a dead letter the broker refused or None).

        A decision the broker refuses for good (too large) is replaced by an ENGINE_ERROR hold and a dead
        letter of its event. A refused dead letter commits what comes before its message, then stops."""
        outgoing: list[tuple[str, bytes | None, bytes]] = []
        sources: list[tuple[_Message, bool]] = []  # per outgoing message: its consumed message, dead letter?
        decided: list[tuple[_Message, Decision]] = []
        dead: list[str] = []
        for message, verdict in items:
            record = message.record
            if verdict.dead_letter is not None:
                letter = dead_letter(record, verdict.dead_letter, self._dlq_topic, self._dlq_value_bytes)
                outgoing.append((letter.topic, letter.key, letter.value))
                sources.append((message, True))
                dead.append(verdict.dead_letter.error_kind)
            if verdict.decision is not None:
                decision = verdict.decision
                value = encode_decision(decision)
                if encoded is not None:
                    encoded[id(decision)] = value
                outgoing.append((self._decisions_topic, decision.subject_id.encode(), value))
                sources.append((message, False))
                decided.append((message, decision))
        next_offset = max(message.record.offset for message, _ in items) + 1
        try:
            await transactions.commit(key, outgoing, next_offset)
        except MessagesRefused as refused:
            bad = [sources[index] for index in sorted(refused.errors)]
            letters = [message for message, is_dead in bad if is_dead]
            if letters or replacing:
                first_bad = min(message.record.offset for message in letters or [m for m, _ in bad])
                before = [(m, v) for m, v in items if m.record.offset < first_bad]
                committed, _ = (
                    await self._commit_partition(key, before, transactions, replacing=True, encoded=encoded)
                    if before
                    else ([], None)
                )
                error = next(iter(refused.errors.values()))
                topic = self._dlq_topic if letters else self._decisions_topic
                what = "dead-letter topic" if letters else "decisions topic (a hold too)"
                return committed, DeadLetterRefused(
                    f"the {what} {topic!r} refused the record of {key[0]}:{key[1]}:{first_bad}: "
                    f"{type(error).__name__}: {error}"
                )
            too_large = {
                id(message): refused.errors[index]
                for index, (message, _) in enumerate(sources)
                if index in refused.errors
            }
            replaced = [
                (m, self._service.failed(m.received, too_large[id(m)]) if id(m) in too_large else v)
                for m, v in items
            ]
            return await self._commit_partition(key, replaced, transactions, replacing=True, encoded=encoded)
        self._health.committed({key: next_offset})
        for message, verdict in items:
            if verdict.dead_letter is not None:
                self._log_rejection(message.record, verdict.dead_letter)
        for error_kind in dead:
            self._metrics.dead_lettered(error_kind)
        return decided, None

    async def partitions_revoked(self, partitions: Sequence[TopicPartition]) -> None:
        """The consumer loses these partitions: let the batch in flight finish, then close their
        transactional producers (whoever gets them next fences the old ones anyway)."""
        if self._transactions is None:
            return
        async with self.gate:
            await self._transactions.revoke(partitions)

    async def close(self) -> None:
        """Close the transactional producers (shutdown)."""
        if self._transactions is not None:
            await self._transactions.close()

    def _decode(self, record: Record) -> Received:
        kind = self._kinds[record.topic]
        self._metrics.event_consumed(record.topic, kind.name)
        return self._decoder.decode(
            kind, record.value, received_at_of(record.timestamp), getattr(record, "headers", None) or ()
        )

    async def _attempt(self, messages: Sequence[_Message]) -> list[Decision]:
        verdicts = await self._service.decide([m.received for m in messages])
        return await self._publish(messages, verdicts)

    async def _poison(self, message: _Message, error: BaseException) -> list[Decision]:
        return await self._publish([message], [self._service.failed(message.received, error)])

    async def _publish(
        self, messages: Sequence[_Message], verdicts: Sequence[Verdict], replacing: bool = False
    ) -> list[Decision]:
        """Publish the verdicts' dead letters and decisions, record what was acknowledged (even when the
        rest failed: a retry or a redelivery must not publish it again), then raise for what failed."""
        outgoing: list[Outgoing] = []
        answers: dict[int, tuple[_Message, Decision]] = {}
        for message, verdict in zip(messages, verdicts, strict=True):
            record = message.record
            position = (record.topic, record.partition, record.offset)
            if verdict.dead_letter is not None and position not in self._dead_lettered:
                self._log_rejection(record, verdict.dead_letter)
                outgoing.append(
                    dead_letter(record, verdict.dead_letter, self._dlq_topic, self._dlq_value_bytes)
                )
            if verdict.decision is not None:
                decision = verdict.decision
                out = Outgoing(
                    self._decisions_topic,
                    decision.subject_id.encode(),
                    encode_decision(decision),
                    position=position,
                )
                answers[id(out)] = (message, decision)
                outgoing.append(out)
        sent = await self._outbox.send(outgoing)
        for out in sent.acked:
            if out.dead_letter is not None and out.position is not None:
                self._dead_lettered.add(out.position)
                self._metrics.dead_lettered(out.dead_letter)
        confirmed = sorted(
            (answers[id(out)] for out in sent.acked if id(out) in answers),
            key=lambda pair: (pair[0].record.topic, pair[0].record.partition, pair[0].record.offset),
        )
        encoded = {id(answers[id(out)][1]): out.value for out in sent.acked if id(out) in answers}
        await self._service.confirm(
            [(message.received, decision) for message, decision in confirmed], encoded
        )
        if sent.unavailable is not None:
            raise sent.unavailable
        published = [decision for _, decision in confirmed]
        if sent.refused:
            published += await self._refused(sent.refused, answers, replacing)
        for decision in published:
            self._log_decision(decision)
        return published

    async def _refused(
        self, refused: Sequence[Outgoing], answers: Mapping[int, tuple[_Message, Decision]], replacing: bool
    ) -> list[Decision]:
        """Messages the broker refused for good: a dead letter stops the consumer; a decision (too large
        to publish) becomes a dead letter of its event and an ENGINE_ERROR hold in its place."""
        dead = [out for out in refused if out.dead_letter is not None]
        if dead:
            raise refused_dead_letter(dead, self._dlq_topic)
        if replacing:
            error = refused[0].error
            raise DeadLetterRefused(f"the broker refused a hold too: {type(error).__name__}: {error}")
        messages = [answers[id(out)][0] for out in refused]
        replacements = [
            self._service.failed(message.received, out.error or RuntimeError("refused by the broker"))
            for message, out in zip(messages, refused, strict=True)
        ]
        return await self._publish(messages, replacements, replacing=True)

    def _log_rejection(self, record: Record, rejected: Rejected) -> None:
        log.warning(
            orjson.dumps(
                {
                    "msg": "rejected message",
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "error_kind": rejected.error_kind,
                    "error": rejected.error[:500],
                    "event_id": rejected.event_id,
                }
            ).decode()
        )

    @staticmethod
    def _log_decision(decision: Decision) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        log.info(
            orjson.dumps(
                {
                    "msg": "decision",
                    "event_id": decision.event_id,
                    "subject": {"kind": decision.subject_kind, "id": decision.subject_id},
                    "outcome": decision.outcome.value,
                    "reason_codes": sorted({r.code for r in decision.reasons}),
                }
            ).decode()
        )


class RevokedPartitions(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the event handler which partitions the consumer loses in a rebalance."""

    def __init__(self, events: EventConsumer) -> None:
        self._events = events

    async def on_partitions_revoked(self, revoked: Any) -> None:
        """Before the rebalance: the batch in flight finishes, the partitions' producers close."""
        await self._events.partitions_revoked(list(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        """Nothing: a partition's producer starts with its first batch (`PartitionTransactions.admit`)."""


# ------------------------------------------------------------------------------------------- ownership
Change = tuple[str, Record, OwnershipRecord | None]
"""(entity id, the record carrying the change, the new record or None for a tombstone)."""


class OwnershipConsumer:
    """The compacted ownership feed into the registry: upserts, tombstones, dead letters.

    Every record passes the one ownership validator; one that fails it is dead-lettered and the rest of
    the batch is applied. A registry that stays unreachable leaves the batch uncommitted (read again).
    """

    def __init__(
        self,
        sink: OwnershipSink,
        publisher: Publisher,
        dlq_topic: str,
        decoder: EventDecoder,
        metrics: Metrics,
        committer: OffsetCommitter,
        health: ConsumerHealth,
        policy: RetryPolicy,
        on_change: Callable[[Sequence[Change]], None] = lambda changed: None,
        dlq_value_bytes: int = 64 * 1024,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._sink = sink
        self._dlq_topic = dlq_topic
        self._decoder = decoder
        self._metrics = metrics
        self._committer = committer
        self._health = health
        self._policy = policy
        self._on_change = on_change
        self.touched: list[Change] = []
        """The entities of the last batch handled, with their new records (None: deleted)."""
        self._dlq_value_bytes = dlq_value_bytes
        self._sleep = sleep
        self._outbox = Outbox(publisher, policy, metrics, sleep)
        self._dead_lettered = DeadLetterMemory()
        self.consumer: Callable[[], Any] = lambda: None
        """Returns the Kafka consumer of the subscriber (set by the composition root once it exists)."""
        self.lock = asyncio.Lock()
        """Held while a batch is applied; a registry rebuild holds it while it replays the feed."""
        self.floor: dict[tuple[str, int], int] = {}
        """Per (topic, partition), the offset a registry rebuild replayed up to: records before it are
        applied already and skipped (applying them again could write an older record over a newer)."""

    async def __call__(self, message: KafkaMessage) -> None:
        """The FastStream handler."""
        await self.consume(records_of(message), self.consumer())

    async def consume(self, records: Sequence[Record], consumer: Any = None) -> int:
        """Apply one batch and acknowledge it; returns how many records were upserted or deleted."""
        if not records:
            return 0
        self._health.consuming(first_offsets(records))
        try:
            async with self.lock:
                fresh = [r for r in records if r.offset >= self.floor.get((r.topic, r.partition), 0)]
                changed = await self.handle(fresh)
        except Unavailable as error:
            log.error("ownership registry or broker unavailable, batch left uncommitted: %s", error)
            rewind(consumer, records)
            await self._sleep(self._policy.max_backoff_s)
            return 0
        except DeadLetterRefused as error:
            raise stop_consuming(self._health, "ownership consumer", error) from error
        self._committer.schedule(consumer, batch_offsets(records))
        if changed:
            self._on_change(self.touched)
        return changed

    async def handle(self, records: Sequence[Record]) -> int:
        """Apply a batch in order: the last record per entity wins, tombstones delete."""
        latest: dict[str, Change] = {}
        dead: list[Outgoing] = []
        for record in records:
            self._metrics.event_consumed(record.topic, "ownership")
            if record.value is None:
                if record.key:
                    key = record.key.decode("utf-8", "replace")
                    latest[key] = (key, record, None)
                continue
            parsed = self._decoder.decode_ownership(record.value, getattr(record, "headers", None) or ())
            if isinstance(parsed, Rejected):
                dead += self._dead_letters([(record, parsed)])
                continue
            latest[parsed.entity_id] = (parsed.entity_id, record, parsed)
        await self._send_dead_letters(dead)
        # What the batch may have changed (each entity with its new record, None when deleted): a rescreen
        # re-decides only the subjects those reach.
        self.touched = list(latest.values())
        applied = await isolate(
            list(latest.values()), self._apply, self._poison, self._policy, self._metrics, self._sleep
        )
        upserts = applied.count("upsert")
        deletes = applied.count("delete")
        self._metrics.ownership_applied(upserts, deletes)
        return upserts + deletes

    def _dead_letters(self, rejected: Sequence[tuple[Record, Rejected]]) -> list[Outgoing]:
        found = []
        for record, reason in rejected:
            if (record.topic, record.partition, record.offset) in self._dead_lettered:
                continue
            log.warning(
                "rejected ownership record at %s:%s: %s", record.partition, record.offset, reason.error
            )
            found.append(dead_letter(record, reason, self._dlq_topic, self._dlq_value_bytes))
        return found

    async def _send_dead_letters(self, dead: Sequence[Outgoing]) -> None:
        sent = await self._outbox.send(dead)
        for out in sent.acked:
            if out.dead_letter is not None and out.position is not None:
                self._dead_lettered.add(out.position)
                self._metrics.dead_lettered(out.dead_letter)
        if sent.unavailable is not None:
            raise sent.unavailable
        if sent.refused:
            raise refused_dead_letter(sent.refused, self._dlq_topic)

    async def _apply(self, changes: Sequence[Change]) -> list[str]:
        upserts = [record for _, _, record in changes if record is not None]
        deletes = [entity_id for entity_id, _, record in changes if record is None]
        await self._sink.upsert(upserts)
        await self._sink.delete(deletes)
        return ["upsert" if record is not None else "delete" for _, _, record in changes]

    async def _poison(self, change: Change, error: BaseException) -> list[str]:
        rejected = Rejected(
            f"the registry refused this record: {type(error).__name__}: {error}", "processing"
        )
        await self._send_dead_letters(self._dead_letters([(change[1], rejected)]))
        return []
