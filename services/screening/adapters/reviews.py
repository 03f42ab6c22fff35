"""Kafka adapter of the reviews topic: decode reviews, let the service apply them, publish, acknowledge.

`ReviewConsumer` is the handler of `screening.reviews.v1` (keyed by subject id, so the reviews of one
subject arrive in order on one partition). It decodes every record (a malformed review is dead-lettered),
hands the batch to `ScreeningService.review`, publishes the decisions reviews make on the decisions topic
(keyed by subject) and the rejected reviews on the DLQ, awaits every ack, then `confirm_reviews` records
what was applied, and the offsets are committed. It holds the event pipeline's gate meanwhile, so a review
and a new event of the same subject are never decided at once: a review judged against a hold that a
newer event replaced is stale, and is rejected.

The error policy is the event pipeline's (`screening.resilience`): transient failures (the broker, Redis)
are retried and then leave the batch uncommitted (read again; the ledger keeps an applied review from being
applied twice); any other failure is isolated to the review it fails on, which is dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from faststream.kafka.message import KafkaMessage

from screening.adapters.kafka import (
    DeadLetterMemory,
    OffsetCommitter,
    Outbox,
    Outgoing,
    Record,
    batch_offsets,
    dead_letter,
    first_offsets,
    records_of,
    refused_dead_letter,
    rewind,
    stop_consuming,
)
from screening.codec import DecodedReview, decode_review, encode_decision
from screening.health import ConsumerHealth
from screening.metrics import Metrics
from screening.ports import Publisher, Rejected
from screening.resilience import DeadLetterRefused, RetryPolicy, Unavailable, isolate
from screening.service import ReviewVerdict, ScreeningService

log = logging.getLogger("screening.reviews")


@dataclass
class _Review:
    record: Record
    received: DecodedReview | Rejected


class ReviewConsumer:
    """The handler of the reviews topic: decode, apply (the service), publish, record, acknowledge."""

    def __init__(
        self,
        service: ScreeningService,
        publisher: Publisher,
        decisions_topic: str,
        dlq_topic: str,
        metrics: Metrics,
        committer: OffsetCommitter,
        health: ConsumerHealth,
        policy: RetryPolicy,
        gate: asyncio.Lock,
        max_message_bytes: int = 256 * 1024,
        dlq_value_bytes: int = 64 * 1024,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._service = service
        self._decisions_topic = decisions_topic
        self._dlq_topic = dlq_topic
        self._metrics = metrics
        self._committer = committer
        self._health = health
        self._policy = policy
        self._gate = gate
        self._max_message_bytes = max_message_bytes
        self._dlq_value_bytes = dlq_value_bytes
        self._sleep = sleep
        self._outbox = Outbox(publisher, policy, metrics, sleep)
        self._dead_lettered = DeadLetterMemory()
        self.consumer: Callable[[], Any] = lambda: None
        """Returns the Kafka consumer of the subscriber (set by the composition root once it exists)."""

    async def __call__(self, message: KafkaMessage) -> None:
        """The FastStream handler."""
        await self.consume(records_of(message), self.consumer())

    async def consume(self, records: Sequence[Record], consumer: Any = None) -> list[ReviewVerdict]:
        """Handle one batch and acknowledge it; returns the verdicts of the reviews applied."""
        if not records:
            return []
        self._health.consuming(first_offsets(records))
        try:
            async with self._gate:
                applied = await self.handle(records)
        except Unavailable as error:
            log.error(
                "broker or Redis unavailable, review batch of %d left uncommitted: %s", len(records), error
            )
            rewind(consumer, records)
            await self._sleep(self._policy.max_backoff_s)
            return []
        except DeadLetterRefused as error:
            raise stop_consuming(self._health, "review consumer", error) from error
        self._committer.schedule(consumer, batch_offsets(records))
        return applied

    async def handle(self, records: Sequence[Record]) -> list[ReviewVerdict]:
        """Apply and publish a batch (no acknowledgement)."""
        messages = []
        for record in records:
            self._metrics.event_consumed(record.topic, "review")
            received = decode_review(
                record.value, self._max_message_bytes, getattr(record, "headers", None) or ()
            )
            messages.append(_Review(record, received))
        return await isolate(messages, self._attempt, self._poison, self._policy, self._metrics, self._sleep)

    async def _attempt(self, messages: Sequence[_Review]) -> list[ReviewVerdict]:
        verdicts = await self._service.review([m.received for m in messages])
        return await self._publish(messages, verdicts)

    async def _poison(self, message: _Review, error: BaseException) -> list[ReviewVerdict]:
        rejected = Rejected(
            f"the service failed on this review: {type(error).__name__}: {error}", "processing"
        )
        return await self._publish([message], [ReviewVerdict(None, rejected)])

    async def _publish(
        self, messages: Sequence[_Review], verdicts: Sequence[ReviewVerdict]
    ) -> list[ReviewVerdict]:
        outgoing: list[Outgoing] = []
        answers: dict[int, Outgoing] = {}  # verdict index -> its decision's message
        for index, (message, verdict) in enumerate(zip(messages, verdicts, strict=True)):
            record = message.record
            position = (record.topic, record.partition, record.offset)
            if verdict.dead_letter is not None and position not in self._dead_lettered:
                log.warning(
                    orjson.dumps(
                        {
                            "msg": "rejected review",
                            "partition": record.partition,
                            "offset": record.offset,
                            "error_kind": verdict.dead_letter.error_kind,
                            "error": verdict.dead_letter.error[:500],
                        }
                    ).decode()
                )
                outgoing.append(
                    dead_letter(record, verdict.dead_letter, self._dlq_topic, self._dlq_value_bytes)
                )
            decision = verdict.outcome.decision if verdict.outcome is not None else None
            if decision is not None:
                out = Outgoing(
                    self._decisions_topic,
                    decision.subject_id.encode(),
                    encode_decision(decision),
                    position=position,
                )
                answers[index] = out
                outgoing.append(out)
        sent = await self._outbox.send(outgoing)
        for out in sent.acked:
            if out.dead_letter is not None and out.position is not None:
                self._dead_lettered.add(out.position)
                self._metrics.dead_lettered(out.dead_letter)
        acked = {id(out) for out in sent.acked}
        # What was published is recorded even when the rest failed: read again, it is not applied twice.
        applied = [
            verdict
            for index, verdict in enumerate(verdicts)
            if verdict.outcome is not None and (index not in answers or id(answers[index]) in acked)
        ]
        await self._service.confirm_reviews(applied)
        for verdict in applied:
            self._count(verdict)
        if sent.unavailable is not None:
            raise sent.unavailable
        if sent.refused:
            dead = [out for out in sent.refused if out.dead_letter is not None]
            if dead:
                raise refused_dead_letter(dead, self._dlq_topic)
            error = sent.refused[0].error
            # A review decision is the size of the hold it reviews: refused for good, it is a bug.
            raise RuntimeError(f"the broker refused a review decision: {type(error).__name__}: {error}")
        return applied

    def _count(self, verdict: ReviewVerdict) -> None:
        outcome = verdict.outcome
        assert outcome is not None
        result = "released" if outcome.released else "confirmed" if outcome.confirmed else "recorded"
        waited = None
        if outcome.decision is not None and verdict.held_since is not None:
            waited = (outcome.decision.decided_at - verdict.held_since).total_seconds()
        self._metrics.reviewed(outcome.review.action.value, result, waited)
