"""Prometheus metrics of the service, on its own registry, with bounded label values only.

Label values come from closed sets (topics, kinds, outcomes, reason codes of the rule catalogue, error
kinds); never a party name or an id. Children are cached so the hot path does no label lookups.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


class Metrics:
    """No-op metrics: the interface the pipelines call. `PrometheusMetrics` records them."""

    def event_consumed(self, topic: str, kind: str) -> None:
        """One message consumed."""

    def batch_done(self, records: Sequence[Any], decisions: Sequence[Any], started: float) -> None:
        """A batch was decided and its decisions acknowledged."""

    def dead_lettered(self, error_kind: str) -> None:
        """One message sent to the DLQ."""

    def ownership_applied(self, upserts: int, deletes: int) -> None:
        """Ownership records applied to the registry."""


class PrometheusMetrics(Metrics):
    """Metrics recorded on a dedicated `CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("screening_events_consumed_total", "Messages consumed", ["topic", "kind"], registry=r)
        self.decisions = Counter(
            "screening_decisions_total", "Decisions published", ["kind", "outcome", "trigger"], registry=r
        )
        self.reasons = Counter("screening_reasons_total", "Reasons in published decisions", ["code", "outcome"],
                               registry=r)
        self.processing = Histogram(
            "screening_processing_latency_seconds", "Consumed to published (acknowledged), per message",
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.end_to_end = Histogram(
            "screening_end_to_end_latency_seconds", "Event occurred_at to decision published",
            buckets=LATENCY_BUCKETS + (300, 3600), registry=r,
        )
        self.batch_size = Histogram("screening_batch_size", "Records per batch", buckets=BATCH_BUCKETS, registry=r)
        self.dlq = Counter("screening_dlq_messages_total", "Messages sent to the DLQ", ["error_kind"], registry=r)
        self.ownership_updates = Counter(
            "screening_ownership_updates_total", "Ownership records applied", ["op"], registry=r
        )
        self.redis_round_trips = Gauge(
            "screening_redis_round_trips", "Redis round trips since start (counter kept by the adapter)",
            ["operation"], registry=r,
        )
        self.redis_errors = Gauge("screening_redis_errors", "Redis errors since start", registry=r)
        self.ownership_cache = Gauge(
            "screening_ownership_cache_lookups", "Ownership cache lookups since start", ["result"], registry=r
        )
        self.lists_age = Gauge("screening_lists_age_seconds", "Age of the loaded lists (source date)", registry=r)
        self.lists_loaded = Gauge("screening_lists_loaded", "1 when control lists are loaded", registry=r)
        self.lists_entries = Gauge("screening_lists_entries", "Entries in the loaded lists", registry=r)
        self.ownership_age = Gauge(
            "screening_ownership_data_age_seconds", "Age of the newest ownership record (as_of)", registry=r
        )
        self.consumer_lag = Gauge(
            "screening_consumer_lag", "Records behind the end of the partition", ["topic", "partition"], registry=r
        )
        self.last_event = Gauge(
            "screening_last_event_timestamp_seconds", "When the last event was consumed", registry=r
        )
        self.info = Info("screening_build", "Service and data versions", registry=r)
        self._event_children: dict[tuple[str, str], Any] = {}
        self._decision_children: dict[tuple[str, str, str], Any] = {}
        self._reason_children: dict[tuple[str, str], Any] = {}

    def event_consumed(self, topic: str, kind: str) -> None:
        child = self._event_children.get((topic, kind))
        if child is None:
            child = self._event_children[(topic, kind)] = self.events.labels(topic, kind)
        child.inc()

    def batch_done(self, records: Sequence[Any], decisions: Sequence[Any], started: float) -> None:
        now_wall = time.time()
        self.batch_size.observe(len(records))
        self.last_event.set(now_wall)
        # Per-record processing latency: from the record's broker timestamp (ms) to now.
        for record in records:
            timestamp = getattr(record, "timestamp", None)
            if timestamp:
                self.processing.observe(max(0.0, now_wall - timestamp / 1000))
        now = datetime.now(timezone.utc)
        for decision in decisions:
            key = (decision.subject_kind, decision.outcome.value, decision.trigger)
            child = self._decision_children.get(key)
            if child is None:
                child = self._decision_children[key] = self.decisions.labels(*key)
            child.inc()
            for reason in decision.reasons:
                rkey = (reason.code, reason.outcome.value)
                rchild = self._reason_children.get(rkey)
                if rchild is None:
                    rchild = self._reason_children[rkey] = self.reasons.labels(*rkey)
                rchild.inc()

    def observe_end_to_end(self, seconds: float) -> None:
        """Event time to publication."""
        self.end_to_end.observe(max(0.0, seconds))

    def dead_lettered(self, error_kind: str) -> None:
        self.dlq.labels(error_kind).inc()

    def ownership_applied(self, upserts: int, deletes: int) -> None:
        if upserts:
            self.ownership_updates.labels("upsert").inc(upserts)
        if deletes:
            self.ownership_updates.labels("delete").inc(deletes)
