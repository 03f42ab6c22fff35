"""Exactly-once consume → decide → produce with Kafka transactions, one transactional producer per
consumed partition.

FastStream 0.7's broker has one plain producer and no transactions, so the event subscriber stays a
FastStream subscriber (its consumer, its group, its handler) and only the publishing of a batch's
decisions and dead letters goes below it, to aiokafka: for every consumed partition of a batch, one
transaction holds that partition's outputs and its consumed offset (`send_offsets_to_transaction`).
Either both become visible to `read_committed` readers, or neither: a batch read again after a crash,
a rebalance or a broker outage never publishes a second decision, whether Redis answers or not.

Fencing. aiokafka's `send_offsets_to_transaction` takes a group id, not the consumer's group metadata
(KIP-447), so the broker cannot fence a zombie by its group generation. The transactional id is tied to
the consumed partition instead: `{prefix}.{group}.{topic}.{partition}`. Whoever decides a partition
first calls `init_transactions` with its id, which fences every earlier producer of that id (a process
that lost the partition in a rebalance, or was paused and came back, can commit nothing more) and
settles its open transaction (aborted, or completed when its commit had begun). Only then is the
partition's committed offset read again and the consumer moved there; records before it were decided
by someone else and are dropped. Any doubt about a transaction (a failed send, commit or offset call,
a fenced producer, a timeout) closes that partition's producer and rewinds the partition: the next
batch starts over with `init_transactions`, so the outcome is always settled by the broker before a
record is decided again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

log = logging.getLogger("screening.transactions")

Partition = tuple[str, int]
"""(topic, partition) of a consumed partition."""


@dataclass
class _Producer:
    """The transactional producer of one consumed partition and how far it decided."""

    producer: AIOKafkaProducer
    next_offset: int
    """First offset of the partition not decided yet under this producer."""


class TransactionFailed(RuntimeError):
    """A partition's transaction did not commit (it was aborted, or its outcome is settled by the next
    `init_transactions`): the partition is read again from its committed offset."""


REFUSED_RECORD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTimestampError,
)
"""Errors about one record, not the transaction: the record is refused for good, the others may go on."""


class MessagesRefused(RuntimeError):
    """The broker (or the client, before sending) refused some messages of a transaction for good (too
    large, say); the transaction was aborted and the producer can go on. `errors` maps the index of
    each refused message to its error."""

    def __init__(self, errors: dict[int, BaseException]) -> None:
        first = next(iter(errors.values()))
        super().__init__(f"{len(errors)} message(s) refused: {type(first).__name__}: {first}")
        self.errors = errors


class PartitionTransactions:
    """The transactional producers of the partitions this process consumes, created on first use."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        id_prefix: str,
        client_options: dict[str, Any],
        auto_offset_reset: str = "earliest",
        timeout_s: float = 30.0,
        transaction_timeout_ms: int = 30_000,
        linger_ms: int = 0,
        factory: Callable[..., Any] = AIOKafkaProducer,
        seal: Callable[[str, bytes], bytes] = lambda topic, value: value,
    ) -> None:
        """`seal` turns a message's value into what is published (the decision signature)."""
        self._seal = seal
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._prefix = id_prefix
        self._options = client_options
        self._reset = auto_offset_reset
        self._timeout_s = timeout_s
        self._transaction_timeout_ms = transaction_timeout_ms
        self._linger_ms = linger_ms
        self._factory = factory
        self._producers: dict[Partition, _Producer] = {}
        self.inits = 0
        """Producers initialised (first use of a partition, or again after a failed transaction)."""

    def transactional_id(self, topic: str, partition: int) -> str:
        """The transactional id of a consumed partition (stable across processes and restarts)."""
        return f"{self._prefix}.{self._group_id}.{topic}.{partition}"

    async def admit(self, consumer: Any, records: Sequence[Any]) -> list[Any]:
        """The records of a batch to decide now, in order. A partition without a producer gets one first
        (fencing earlier holders of its id); its committed offset is then read again and, unless this
        batch starts right there, the consumer is moved there and the partition's records of this batch
        are left to be read again. Records before a partition's next offset are dropped (decided)."""
        admitted = []
        by_partition: dict[Partition, list[Any]] = {}
        for record in records:
            by_partition.setdefault((record.topic, record.partition), []).append(record)
        for key, own in by_partition.items():
            state = self._producers.get(key)
            if state is None:
                state = await self._start(consumer, key, own[0].offset)
                if state is None:
                    continue
            admitted += [record for record in own if record.offset >= state.next_offset]
        keep = {id(record) for record in admitted}
        return [record for record in records if id(record) in keep]

    async def _start(self, consumer: Any, key: Partition, first: int) -> _Producer | None:
        topic, partition = key
        producer = self._producer(topic, partition)
        try:
            # start() runs init_transactions: earlier producers of this id are fenced, their open
            # transaction settled.
            await asyncio.wait_for(producer.start(), self._timeout_s)
            tp = TopicPartition(topic, partition)
            committed = await asyncio.wait_for(consumer.committed(tp), self._timeout_s)
            if committed is None:
                if self._reset != "earliest":
                    committed = first  # nothing decided here before, and no history is wanted
                else:
                    committed = (await consumer.beginning_offsets([tp]))[tp]
        except Exception as error:
            await _close(producer)
            raise TransactionFailed(
                f"cannot start the transactional producer of {topic}:{partition}: {error}"
            ) from error
        self.inits += 1
        state = _Producer(producer, committed)
        self._producers[key] = state
        if first != committed:
            consumer.seek(TopicPartition(topic, partition), committed)
            log.info(
                "%s:%s resumes at its committed offset %d (batch began at %d)",
                topic,
                partition,
                committed,
                first,
            )
            return None
        return state

    def _producer(self, topic: str, partition: int) -> Any:
        return self._factory(
            bootstrap_servers=self._bootstrap,
            transactional_id=self.transactional_id(topic, partition),
            transaction_timeout_ms=self._transaction_timeout_ms,
            linger_ms=self._linger_ms,
            acks="all",
            **self._options,
        )

    async def _renew(self, key: Partition, state: _Producer) -> None:
        """A fresh producer of the same id after an aborted transaction (a failed produce can leave the
        old one unable to start another); how far the partition was decided is unchanged."""
        await _close(state.producer)
        producer = self._producer(*key)
        try:
            await asyncio.wait_for(producer.start(), self._timeout_s)
        except Exception as error:
            self._producers.pop(key, None)
            await _close(producer)
            raise TransactionFailed(
                f"cannot restart the transactional producer of {key[0]}:{key[1]}"
            ) from error
        self.inits += 1
        state.producer = producer

    async def commit(
        self, key: Partition, messages: Sequence[tuple[str, bytes | None, bytes]], next_offset: int
    ) -> None:
        """Publish `messages` (topic, key, value) and commit the partition's offset `next_offset`, in one
        transaction. Raises `TransactionFailed` (the producer is closed, the partition must be rewound)."""
        state = self._producers.get(key)
        if state is None:
            raise TransactionFailed(f"{key[0]}:{key[1]} has no transactional producer")
        producer = state.producer
        try:
            await asyncio.wait_for(self._transaction(producer, key, messages, next_offset), self._timeout_s)
        except MessagesRefused:
            await self._renew(key, state)
            raise
        except Exception as error:
            log.debug("transaction of %s:%s failed", key[0], key[1], exc_info=True)
            await self.discard(key)
            raise TransactionFailed(
                f"transaction of {key[0]}:{key[1]} failed: {type(error).__name__}: {error}"
            ) from error
        state.next_offset = next_offset

    async def _transaction(
        self,
        producer: Any,
        key: Partition,
        messages: Sequence[tuple[str, bytes | None, bytes]],
        next_offset: int,
    ) -> None:
        await producer.begin_transaction()
        try:
            refused: dict[int, BaseException] = {}
            futures: list[tuple[int, asyncio.Future[Any]]] = []
            for index, (topic, message_key, value) in enumerate(messages):
                try:
                    sealed = self._seal(topic, value)
                    futures.append((index, await producer.send(topic, sealed, key=message_key)))
                except REFUSED_RECORD as error:  # refused before sending: too large for the client
                    refused[index] = error
            results = await asyncio.gather(*(future for _, future in futures), return_exceptions=True)
            for (index, _), result in zip(futures, results, strict=True):
                if isinstance(result, REFUSED_RECORD):
                    refused[index] = result
                elif isinstance(result, BaseException):
                    raise result  # fenced, timed out, unreachable: the transaction as a whole failed
            if refused:
                raise MessagesRefused(refused)
            await producer.send_offsets_to_transaction({TopicPartition(*key): next_offset}, self._group_id)
        except BaseException:
            # Abort when the producer can; if it cannot, closing it leaves the outcome to the next
            # init_transactions of this id.
            with contextlib.suppress(Exception):  # the caller discards the producer either way
                await asyncio.wait_for(producer.abort_transaction(), 5)
            raise
        await producer.commit_transaction()

    async def discard(self, key: Partition) -> None:
        """Close the producer of a partition (failed, or revoked); the next use starts a new one."""
        state = self._producers.pop(key, None)
        if state is not None:
            await _close(state.producer)

    async def revoke(self, partitions: Sequence[TopicPartition]) -> None:
        """The consumer lost these partitions: close their producers."""
        await asyncio.gather(*(self.discard((tp.topic, tp.partition)) for tp in partitions))

    async def close(self) -> None:
        """Close every producer (shutdown)."""
        await asyncio.gather(*(self.discard(key) for key in list(self._producers)))


async def _close(producer: Any) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 10)
    except Exception as error:  # a producer that cannot reach the broker still releases its resources
        log.debug("closing a transactional producer: %s", error)
