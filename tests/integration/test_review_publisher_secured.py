"""The review page's publisher on the secured broker: SASL_SSL with the page's own user, whose ACL lets
it write reviews and nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screening.config import KafkaSecuritySettings, KafkaSettings
from screening.review_ui.kafka import KafkaReviewPublisher
from screening.wire import ReviewV1, SubjectV1
from tests.integration.test_secured_services import Secured, read_as, secured  # noqa: F401

pytestmark = pytest.mark.integration


def publisher_as(secured: Secured, user: str, topic: str) -> KafkaReviewPublisher:  # noqa: F811
    return KafkaReviewPublisher(
        KafkaSettings(
            bootstrap_servers=secured.bootstrap,
            reviews_topic=topic,
            security=KafkaSecuritySettings(
                protocol="SASL_SSL",
                sasl_mechanism="SCRAM-SHA-512",
                username=user,
                password_file=secured.password_file(f"kafka-{user}"),
                ca_file=secured.ca,
            ),
        ),
        timeout_s=10,
    )


def a_review(reviewer: str) -> ReviewV1:
    return ReviewV1(
        review_id=f"rev-{uuid.uuid4().hex}",
        subject=SubjectV1(kind="order", id="SO-SECURE-1"),
        decision_id="dec-secure-1",
        action="release",
        reviewer=reviewer,
        reason="verified the end user",
        reviewed_at=datetime.now(UTC),
    )


async def test_reviews_are_published_over_sasl_ssl_by_a_user_allowed_only_that(secured: Secured) -> None:  # noqa: F811
    topic = f"screening.reviews.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**secured.kafka_options("admin"))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()

    review = a_review("alice")
    allowed = publisher_as(secured, "reviewer", topic)
    await allowed.start()
    try:
        await allowed.publish(review)
    finally:
        await allowed.stop()
    [value] = await read_as(secured, "admin", topic, 1)
    assert ReviewV1.model_validate(orjson.loads(value)) == review

    refused = publisher_as(secured, "order-pipeline", topic)  # may write events, not reviews
    await refused.start()
    try:
        with pytest.raises(Exception, match="TopicAuthorizationFailed"):
            await refused.publish(a_review("mallory"))
    finally:
        await refused.stop()
