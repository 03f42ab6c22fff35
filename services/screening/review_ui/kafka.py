"""Publishing reviews: a Kafka producer with the service's security settings (TLS, SASL, mTLS)."""

from __future__ import annotations

import asyncio
from typing import Protocol

import orjson
from aiokafka import AIOKafkaProducer

from screening.adapters.security import kafka_client_options
from screening.config import KafkaSettings
from screening.wire import ReviewV1


class ReviewSink(Protocol):
    """Where the page sends a reviewer's verdict; `publish` returns once the broker has it."""

    async def publish(self, review: ReviewV1) -> None:
        """Send `review`, keyed by its subject id; raises when it could not be sent."""
        ...


def encode_review(review: ReviewV1) -> bytes:
    """The review as contract JSON."""
    return orjson.dumps(review.model_dump(mode="json"))


class KafkaReviewPublisher:
    """Sends reviews to the reviews topic and waits for every in-sync replica to have each (acks=all):
    a reviewer is told "sent" only when the review cannot be lost any more."""

    def __init__(self, kafka: KafkaSettings, timeout_s: float = 10.0) -> None:
        self._kafka = kafka
        self._topic = kafka.reviews_topic
        self._timeout_s = timeout_s
        self._options = kafka_client_options(kafka.security)  # a bad TLS file fails here, at build time
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the brokers (the producer belongs to the event loop that starts it: the server's)."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._kafka.bootstrap_servers,
            acks="all",
            request_timeout_ms=int(self._timeout_s * 1000),
            client_id="screening-review-ui",
            **self._options,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, review: ReviewV1) -> None:
        """Send `review` and wait for the broker's acknowledgement (at most the configured timeout)."""
        if self._producer is None:
            raise RuntimeError("the review publisher is not started")
        await asyncio.wait_for(
            self._producer.send_and_wait(
                self._topic, encode_review(review), key=review.subject.id.encode("utf-8")
            ),
            self._timeout_s,
        )
