"""Metrics the screening pipeline records on a batch, without a broker: counts right, label values bounded."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from screening.adapters.kafka import EventConsumer
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.adapters.redis_store import RoundTrips
from screening.domain.catalogue import Catalogue
from screening.domain.engine import ScreeningEngine
from screening.domain.names import ScreeningLists
from screening.domain.ruleset import Ruleset
from screening.metrics import BatchHistogram, HoldsState, PrometheusMetrics, ServiceState
from screening.service import ScreeningService
from tests.support import FakeRecord, event_consumer, order_event

ORDERS, LEASES = "t.orders", "t.leases"
ALLOW_BUYER = "Example Research Institute GmbH"
DENY_BUYER = "Example Cloud Computing Co., Ltd."


def order(event_id: str, order_id: str, buyer: str, country: str, product: str, eccn: str | None) -> bytes:
    return order_event(event_id, order_id, buyer, country, product, eccn, "2026-01-01T00:00:00Z", quantity=8)


def allow_order(i: int) -> bytes:
    return order(f"evt-a{i}", f"SO-A{i}", ALLOW_BUYER, "DE", "Office chairs", "EAR99")


def deny_order(i: int) -> bytes:
    return order(f"evt-d{i}", f"SO-D{i}", DENY_BUYER, "CN", "NVIDIA H100 SXM5 80GB", None)


def samples(metrics: PrometheusMetrics) -> list[tuple[str, dict[str, str], float]]:
    text = generate_latest(metrics.registry).decode()
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def value(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(
        v for n, lbl, v in samples(metrics) if n == name and all(lbl.get(k) == x for k, x in labels.items())
    )


async def _acked(topic: str, key: bytes | None, data: bytes) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@pytest.fixture
def pipeline_and_metrics(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> tuple[EventConsumer, PrometheusMetrics]:
    metrics = PrometheusMetrics(process=False)
    service = ScreeningService(
        ScreeningEngine(ruleset, catalogue),
        lambda: shipped_lists,
        InMemoryOwnershipRegistry(),
        InMemoryDecisionLedger(),
    )
    return event_consumer(service, _acked, metrics, orders=ORDERS, leases=LEASES), metrics


def a_batch() -> list[FakeRecord]:
    values = [allow_order(i) for i in range(6)] + [deny_order(i) for i in range(3)]
    values += [b"{not json", orjson.dumps({"event_id": "evt-bad", "order_id": "SO-BAD", "buyer": {}})]
    return [FakeRecord(ORDERS, 0, offset, b"k", v) for offset, v in enumerate(values)]


async def test_a_batch_counts_events_decisions_reasons_and_dead_letters(
    pipeline_and_metrics: tuple[EventConsumer, PrometheusMetrics],
) -> None:
    pipeline, metrics = pipeline_and_metrics
    published = await pipeline.handle(a_batch())

    assert len(published) == 10  # 9 decided, 1 INVALID_EVENT hold; the unnamed malformed one only DLQ'd
    assert value(metrics, "screening_events_consumed_total", topic=ORDERS, kind="order") == 11
    assert value(metrics, "screening_decisions_total", kind="order", outcome="allow", trigger="event") == 6
    assert value(metrics, "screening_decisions_total", kind="order", outcome="deny", trigger="event") == 3
    assert value(metrics, "screening_decisions_total", kind="order", outcome="hold", trigger="event") == 1
    assert value(metrics, "screening_decisions_total", kind="lease") == 0
    assert value(metrics, "screening_reasons_total", code="DEST_ADV_COMPUTE") == 3
    assert value(metrics, "screening_reasons_total", code="INVALID_EVENT", outcome="hold") == 1
    assert value(metrics, "screening_dlq_messages_total", error_kind="invalid_json") == 1
    assert value(metrics, "screening_dlq_messages_total", error_kind="schema") == 1
    assert value(metrics, "screening_batch_size_count") == 1
    assert value(metrics, "screening_batch_size_sum") == 11
    # Processing latency: one value for every consumed record of the batch.
    assert value(metrics, "screening_processing_latency_seconds_count") == 11
    # End to end: only the decided events carry an occurred_at (the INVALID_EVENT hold has none).
    assert value(metrics, "screening_end_to_end_latency_seconds_count") == 9
    # The events occurred on 2026-01-01: more than an hour ago.
    assert value(metrics, "screening_end_to_end_latency_seconds_bucket", le="3600.0") == 0
    assert value(metrics, "screening_end_to_end_latency_seconds_bucket", le="+Inf") == 9


async def test_a_redelivered_batch_counts_consumption_but_no_new_decisions(
    pipeline_and_metrics: tuple[EventConsumer, PrometheusMetrics],
) -> None:
    pipeline, metrics = pipeline_and_metrics
    batch = [FakeRecord(ORDERS, 0, i, b"k", allow_order(i)) for i in range(4)]
    await pipeline.handle(batch)
    await pipeline.handle(batch)

    assert value(metrics, "screening_events_consumed_total") == 8
    assert value(metrics, "screening_decisions_total", outcome="allow") == 4
    assert value(metrics, "screening_end_to_end_latency_seconds_count") == 4
    assert value(metrics, "screening_processing_latency_seconds_count") == 8
    assert value(metrics, "screening_batch_size_count") == 2


async def test_label_values_are_bounded_and_never_name_a_party_or_an_id(
    pipeline_and_metrics: tuple[EventConsumer, PrometheusMetrics],
) -> None:
    pipeline, metrics = pipeline_and_metrics
    await pipeline.handle(a_batch())
    text = generate_latest(metrics.registry).decode()

    for secret in (ALLOW_BUYER, DENY_BUYER, "SO-A0", "SO-D0", "evt-a0", "SO-BAD", "evt-bad"):
        assert secret not in text
    allowed = {
        "topic": {ORDERS, LEASES},
        "kind": {"order", "lease"},
        "outcome": {"allow", "hold", "deny"},
        "trigger": {"event", "rescreen", "review"},
        "error_kind": {"invalid_json", "schema", "too_large", "invalid_header", "processing", "review"},
        "action": {"release", "confirm", "request_info"},
        "result": {"released", "confirmed", "recorded"},
        "cause": {"lists", "ownership", "ruleset_date", "periodic"},
        "operation": {"ownership", "publish", "batch"},
        "error": {"transient", "permanent"},
    }
    for name, labels, _ in samples(metrics):
        for label, label_value in labels.items():
            if label in allowed:
                assert label_value in allowed[label], (name, label, label_value)
            elif label == "code":
                assert label_value.isupper() and label_value.replace("_", "").isalnum(), label_value
            else:
                assert label == "le", (name, label)


async def test_first_dead_letter_and_first_deny_are_increases_of_existing_series() -> None:
    # Alerts use rate()/increase(): a series born at 1 would hide the first dead letter.
    metrics = PrometheusMetrics(process=False)
    assert value(metrics, "screening_dlq_messages_total", error_kind="schema") == 0
    assert ("screening_dlq_messages_total", {"error_kind": "schema"}, 0.0) in samples(metrics)
    assert ("screening_decisions_total", {"kind": "order", "outcome": "deny", "trigger": "event"}, 0.0) in (
        samples(metrics)
    )


def test_state_is_exported_at_scrape_as_counters_and_gauges() -> None:
    metrics = PrometheusMetrics(process=False)
    ownership, ledger = RoundTrips(), RoundTrips()
    for _ in range(3):
        ownership.count("snapshot")
    ownership.cache_hits, ownership.cache_misses, ownership.errors = 5, 2, 1
    ledger.count("ledger_read")
    state = ServiceState(
        versions={"version": "1.0", "ruleset": "2026.11.1", "lists": "csl:2026-07-31:abc"},
        lists_loaded=True,
        lists_entries=25921,
        lists_age_s=3600.0,
        ownership_age_s=86400.0,
        redis={"ownership": ownership, "ledger": ledger},
        cache=ownership,
        consumer_lag={("t.orders", 0): 7, ("t.orders", 1): 0},
        consumer_stuck_s={("t.orders", 0): 42.0, ("t.orders", 1): 0.0},
    )
    metrics.watch(lambda: state)

    assert value(metrics, "screening_redis_round_trips_total", store="ownership", operation="snapshot") == 3
    assert value(metrics, "screening_redis_round_trips_total", store="ledger", operation="ledger_read") == 1
    assert value(metrics, "screening_redis_errors_total", store="ownership") == 1
    assert value(metrics, "screening_redis_errors_total", store="ledger") == 0
    assert value(metrics, "screening_ownership_cache_lookups_total", result="hit") == 5
    assert value(metrics, "screening_ownership_cache_lookups_total", result="miss") == 2
    assert value(metrics, "screening_lists_loaded") == 1
    assert value(metrics, "screening_lists_entries") == 25921
    assert value(metrics, "screening_lists_age_seconds") == 3600
    assert value(metrics, "screening_ownership_data_age_seconds") == 86400
    assert value(metrics, "screening_consumer_lag", topic="t.orders", partition="0") == 7
    assert value(metrics, "screening_consumer_stuck_seconds", topic="t.orders", partition="0") == 42
    assert value(metrics, "screening_consumer_stuck_seconds", topic="t.orders", partition="1") == 0
    assert value(metrics, "screening_build_info", ruleset="2026.11.1", lists="csl:2026-07-31:abc") == 1


def test_batch_histogram_agrees_with_bucket_boundaries() -> None:
    histogram = BatchHistogram("h_seconds", "test", (0.1, 1.0))
    histogram.observe_many([0.05, 0.1, 0.5, 1.0, 2.0])
    histogram.observe(0.2, count=10)
    buckets = {
        s.labels["le"]: s.value for f in histogram.collect() for s in f.samples if s.name.endswith("_bucket")
    }
    assert buckets == {"0.1": 2.0, "1.0": 14.0, "+Inf": 15.0}  # `le` is inclusive, like prometheus_client
    assert histogram.count == 15


def test_the_review_queue_time_to_review_and_licence_balances_are_exported() -> None:
    metrics = PrometheusMetrics(process=False)
    metrics.reviewed("release", "released", 5400.0)
    metrics.reviewed("release", "recorded", None)
    metrics.reviewed("confirm", "confirmed", 600.0)
    metrics.watch(
        lambda: ServiceState(
            versions={},
            lists_loaded=True,
            holds=HoldsState(
                3, 90000.0, {"1h": 3, "24h": 1}, {"POSSIBLE_LIST_MATCH": 2, "OWNERSHIP_UNKNOWN": 1}
            ),
            licences={"A1": (500, 480), "A2": (10, 10), "A3": (100, 5)},
            review_sla_s=86400.0,
        )
    )
    assert value(metrics, "screening_reviews_total", action="release", result="released") == 1
    assert value(metrics, "screening_reviews_total", result="recorded") == 1
    assert value(metrics, "screening_review_wait_seconds_count") == 2  # only the reviews that decided
    assert value(metrics, "screening_open_holds") == 3
    assert value(metrics, "screening_open_holds_oldest_age_seconds") == 90000.0
    assert value(metrics, "screening_open_holds_older_than", age="24h") == 1
    assert value(metrics, "screening_open_holds_older_than", age="7d") == 0
    assert value(metrics, "screening_open_holds_by_reason", code="POSSIBLE_LIST_MATCH") == 2
    assert value(metrics, "screening_review_sla_seconds") == 86400.0
    assert value(metrics, "screening_licence_remaining_ratio", licence="A1") == pytest.approx(0.04)
    assert value(metrics, "screening_licence_remaining_ratio", licence="A2") == 0.0
    assert "A3" not in {lbl.get("licence") for _, lbl, _ in samples(metrics)}  # 95% left: no series
    assert [
        value(metrics, "screening_licences", state=s) for s in ("ok", "near_exhaustion", "exhausted")
    ] == [
        1,
        1,
        1,
    ]
