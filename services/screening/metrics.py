"""Prometheus metrics of the service, on its own registry, with bounded label values only.

Label values come from closed sets (configured topics, event kinds, outcomes, triggers, reason codes of the
rule catalogue, error kinds, Redis operations, partition numbers); never a party name or an id.

The hot path is per batch: the pipeline calls `event_consumed` per record (one cached counter child) and
`batch_done` once per batch, which counts decisions and reasons locally and increments each distinct child
once, and adds the batch's latencies to `BatchHistogram`s in one pass. State that is not counted on the hot
path (Redis round trips kept by the adapters, data ages, consumer lag, versions) is read at scrape time by a
custom collector from a `ServiceState` provider, so the Redis counters are real `*_total` counters.
"""

from __future__ import annotations

import platform
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from screening.codec import ERROR_KINDS
from screening.domain.model import Decision, Event
from screening.kinds import EVENT_KINDS as KIND_TABLE

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
END_TO_END_BUCKETS = (*LATENCY_BUCKETS, 300, 900, 3600)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

EVENT_KINDS = tuple(kind.name for kind in KIND_TABLE)
OUTCOMES = ("allow", "hold", "deny")
DLQ_ERROR_KINDS = ERROR_KINDS
"""Error kinds of `screening.codec.Rejected` and of the ownership feed; pre-created so the first counts."""
RETRIED_OPERATIONS = ("ownership", "publish", "batch")
"""What the error policy retries: an ownership read, a publish, a whole batch."""
BATCH_ERRORS = ("transient", "permanent")
"""How a failed batch attempt failed: a transient error (broker, Redis, timeout) or any other."""
LISTS_FETCH_RESULTS = ("updated", "not_modified", "unchanged", "refused", "failed")
"""Results of a scheduled download of the lists (`screening.lists_update.FetchOutcome.result`)."""
LISTS_FOUND = ("gone", "older")
"""What a service that writes its lists back into Redis found there (`screening.app.refresh_lists`)."""
RESCREEN_CAUSES = ("lists", "ownership", "ruleset_date", "periodic")
"""What starts a rescreen (`screening.rescreen.CAUSES`)."""
REVIEW_RESULTS = (("release", "released"), ("release", "recorded"), ("confirm", "confirmed"))
"""(action, result) pairs of applied reviews, pre-created so that releases and confirms rate from zero."""
REVIEW_WAIT_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 7 * 86400)
"""Time to review, from a hold's first decision to the review that decided it (seconds)."""


class Metrics:
    """No-op metrics: the interface the pipelines call. `PrometheusMetrics` records them."""

    def event_consumed(self, topic: str, kind: str) -> None:
        """One message consumed from `topic` (`kind`: order, lease or ownership)."""

    def batch_done(
        self,
        records: Sequence[Any],
        decisions: Sequence[Decision],
        started: float,
        events: Sequence[Event] = (),
    ) -> None:
        """A batch was decided and its decisions acknowledged by the broker.

        `records` are the consumed records, `decisions` the published decisions, `started` the
        `time.perf_counter()` when the batch was handed over, `events` the decoded events (for their
        `occurred_at`).
        """

    def dead_lettered(self, error_kind: str) -> None:
        """One message sent to the DLQ."""

    def ownership_applied(self, upserts: int, deletes: int) -> None:
        """Ownership records applied to the registry."""

    def rescreen_done(self, causes: Sequence[str], published: int) -> None:
        """A rescreen ran because of `causes` (`lists`, `ownership`) and published `published` changed
        decisions (counted by `batch_done` as decisions with trigger `rescreen` too)."""

    def retried(self, operation: str) -> None:
        """One retry of `operation` (one of `RETRIED_OPERATIONS`) after a transient failure."""

    def batch_failed(self, error: str) -> None:
        """One attempt at a batch failed (`error`: one of `BATCH_ERRORS`); it is retried or split."""

    def reviewed(self, action: str, result: str, waited_s: float | None) -> None:
        """A review was applied: `action` (release, confirm, request_info) with `result` (released,
        confirmed: a decision published; recorded: the hold stands), `waited_s` after its hold's run
        began (None when the review decided nothing)."""


class RoundTripStats(Protocol):
    """What a Redis adapter counts (`screening.adapters.redis_store.RoundTrips`)."""

    errors: int
    cache_hits: int
    cache_misses: int
    by_operation: dict[str, int]


@dataclass(frozen=True)
class ServiceState:
    """State read at scrape time: data freshness, Redis counters kept by the adapters, lag, versions."""

    versions: Mapping[str, str]
    lists_loaded: bool
    lists_entries: int = 0
    lists_age_s: float | None = None
    ownership_age_s: float | None = None
    redis: Mapping[str, RoundTripStats] = field(default_factory=dict)
    """Redis stats by store (`ownership`, `ledger`)."""
    cache: RoundTripStats | None = None
    """The stats whose cache hits and misses are exported (the ownership registry's)."""
    consumer_lag: Mapping[tuple[str, int], int] = field(default_factory=dict)
    """Records behind the end of the partition, by (topic, partition)."""
    consumer_stuck_s: Mapping[tuple[str, int], float] = field(default_factory=dict)
    """Seconds since the last commit of a partition that has records left to consume (0 when none)."""
    ownership_registry_problem: str | None = None
    """Why the ownership registry cannot be read as complete (gone, building, older, unreachable)."""
    lists_max_age_s: float | None = None
    """The oldest the lists may be before every decision is held (LISTS_STALE); None: no limit."""
    lists_refused: bool = False
    """The newest version in the lists store was refused (integrity checks); the lists in memory stay."""
    lists_forced: bool = False
    """The lists in memory were accepted past the integrity checks because an operator forced them."""
    lists_republished: Mapping[str, int] = field(default_factory=dict)
    """Times the lists were written back into Redis, by what was found there (gone, older)."""
    lists_fetches: Mapping[str, int] = field(default_factory=dict)
    """Scheduled downloads of the lists, by result."""
    holds: HoldsState | None = None
    """The review queue (None when it could not be read)."""
    licences: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """(quantity limit, units drawn) of each licence with a quantity limit."""
    review_sla_s: float | None = None
    """How long a hold may wait for review (`reviews.sla_s`)."""


HOLD_AGE_BOUNDS = (
    ("1h", 3600.0),
    ("4h", 4 * 3600.0),
    ("24h", 86400.0),
    ("72h", 3 * 86400.0),
    ("7d", 7 * 86400.0),
)
"""The ages open holds are counted at (label, seconds): `screening_open_holds_older_than{age}`."""
NEAR_EXHAUSTION = 0.1
"""A licence with at most this share of its quantity left is near exhaustion."""


@dataclass(frozen=True)
class HoldsState:
    """The review queue at scrape time."""

    total: int
    oldest_age_s: float | None
    older_than: Mapping[str, int]
    """Open holds at least as old as each `HOLD_AGE_BOUNDS` label."""
    by_reason: Mapping[str, int]
    """Open holds each hold reason code is on."""


class BatchHistogram(Collector):
    """A histogram that takes a whole batch of observations at once.

    `prometheus_client.Histogram.observe` walks the bucket bounds and takes a lock per value; here a batch
    costs one bisect and one list increment per value, and a value shared by `count` observations (every
    record of a batch has the same consume → publish time) costs one step. Not thread-safe: it is written
    and collected on the service's one event loop.
    """

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self._bounds = tuple(float(b) for b in buckets)
        self._labels = [*(floatToGoString(b) for b in self._bounds), "+Inf"]  # type: ignore[no-untyped-call]
        self._counts = [0] * (len(self._bounds) + 1)
        self._sum = 0.0

    def observe(self, value: float, count: int = 1) -> None:
        """Record `count` observations of `value`."""
        self._counts[bisect_left(self._bounds, value)] += count
        self._sum += value * count

    def observe_many(self, values: Iterable[float]) -> None:
        """Record every value of `values`."""
        counts, bounds, total = self._counts, self._bounds, 0.0
        for value in values:
            counts[bisect_left(bounds, value)] += 1
            total += value
        self._sum += total

    @property
    def count(self) -> int:
        """Observations so far."""
        return sum(self._counts)

    def collect(self) -> Iterator[Metric]:
        cumulative, buckets = 0, []
        for label, count in zip(self._labels, self._counts, strict=True):
            cumulative += count
            buckets.append((label, float(cumulative)))
        family = HistogramMetricFamily(self.name, self.documentation, labels=[])
        family.add_metric([], buckets, self._sum)
        yield family

    def describe(self) -> Iterator[Metric]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=[])


class _StateCollector(Collector):
    """Exports a `ServiceState` read at collect time (scrape)."""

    def __init__(self) -> None:
        self.provider: Callable[[], ServiceState] | None = None

    def describe(self) -> Iterator[Metric]:
        # Names only: the registry checks them for duplicates without calling the provider.
        yield from _state_families()

    def collect(self) -> Iterator[Metric]:
        if self.provider is None:
            return
        state = self.provider()
        families = _state_families()
        (
            info,
            round_trips,
            errors,
            cache,
            loaded,
            entries,
            lists_age,
            ownership_age,
            lag,
            stuck,
            max_age,
            refused,
            forced,
            republished,
            fetches,
            registry,
            *review,
        ) = families
        holds_total, holds_oldest, holds_older, holds_reason, sla, balance, licence_states = review
        if state.holds is not None:
            holds_total.add_metric([], state.holds.total)
            if state.holds.oldest_age_s is not None:
                holds_oldest.add_metric([], state.holds.oldest_age_s)
            for label, _ in HOLD_AGE_BOUNDS:
                holds_older.add_metric([label], state.holds.older_than.get(label, 0))
            for code, count in sorted(state.holds.by_reason.items()):
                holds_reason.add_metric([code], count)
        if state.review_sla_s is not None:
            sla.add_metric([], state.review_sla_s)
        counted = {"ok": 0, "near_exhaustion": 0, "exhausted": 0}
        for number, (limit, drawn) in sorted(state.licences.items()):
            left = max(0, limit - drawn)
            share = left / limit if limit else 0.0
            kind = "exhausted" if left == 0 else "near_exhaustion" if share <= NEAR_EXHAUSTION else "ok"
            counted[kind] += 1
            if kind != "ok":  # a bounded set: only the licences that need attention get a series
                balance.add_metric([number], share)
        for kind, count in counted.items():
            licence_states.add_metric([kind], count)
        info.add_metric([], dict(state.versions))
        for store, stats in sorted(state.redis.items()):
            for operation, count in sorted(stats.by_operation.items()):
                round_trips.add_metric([store, operation], count)
            errors.add_metric([store], stats.errors)
        if state.cache is not None:
            cache.add_metric(["hit"], state.cache.cache_hits)
            cache.add_metric(["miss"], state.cache.cache_misses)
        loaded.add_metric([], 1.0 if state.lists_loaded else 0.0)
        entries.add_metric([], state.lists_entries)
        if state.lists_age_s is not None:
            lists_age.add_metric([], state.lists_age_s)
        if state.ownership_age_s is not None:
            ownership_age.add_metric([], state.ownership_age_s)
        for (topic, partition), records in sorted(state.consumer_lag.items()):
            lag.add_metric([topic, str(partition)], records)
        for (topic, partition), seconds in sorted(state.consumer_stuck_s.items()):
            stuck.add_metric([topic, str(partition)], seconds)
        registry.add_metric([], 0.0 if state.ownership_registry_problem else 1.0)
        if state.lists_max_age_s is not None:
            max_age.add_metric([], state.lists_max_age_s)
        refused.add_metric([], 1.0 if state.lists_refused else 0.0)
        forced.add_metric([], 1.0 if state.lists_forced else 0.0)
        for found in LISTS_FOUND:
            republished.add_metric([found], state.lists_republished.get(found, 0))
        for result in LISTS_FETCH_RESULTS:
            fetches.add_metric([result], state.lists_fetches.get(result, 0))
        yield from families


def _state_families() -> tuple[Any, ...]:
    return (
        InfoMetricFamily("screening_build", "Service, runtime and data versions"),
        CounterMetricFamily(
            "screening_redis_round_trips",
            "Redis round trips, by store and operation",
            labels=["store", "operation"],
        ),
        CounterMetricFamily("screening_redis_errors", "Failed Redis calls, by store", labels=["store"]),
        CounterMetricFamily(
            "screening_ownership_cache_lookups",
            "Ownership lookups answered by the in-process cache or not",
            labels=["result"],
        ),
        GaugeMetricFamily("screening_lists_loaded", "1 when control lists are loaded, else 0"),
        GaugeMetricFamily("screening_lists_entries", "Entries in the loaded control lists"),
        GaugeMetricFamily(
            "screening_lists_age_seconds",
            "Age of the loaded control lists from their source date (+Inf when it is unknown)",
        ),
        GaugeMetricFamily(
            "screening_ownership_data_age_seconds", "Age of the newest ownership record (its as_of date)"
        ),
        GaugeMetricFamily(
            "screening_consumer_lag",
            "Records behind the end of the partition (highwater - position)",
            labels=["topic", "partition"],
        ),
        GaugeMetricFamily(
            "screening_consumer_stuck_seconds",
            "Seconds since the partition's last commit while it has records left to consume (0 when none)",
            labels=["topic", "partition"],
        ),
        GaugeMetricFamily(
            "screening_lists_max_age_seconds",
            "The lists' maximum age: older lists hold every decision (LISTS_STALE)",
        ),
        GaugeMetricFamily(
            "screening_lists_refused",
            "1 when the newest lists version in Redis was refused by the integrity checks (the lists in "
            "memory stay), else 0",
        ),
        GaugeMetricFamily(
            "screening_lists_forced",
            "1 when the lists in memory were accepted past the integrity checks because they were forced",
        ),
        CounterMetricFamily(
            "screening_lists_republished",
            "Times the service wrote its lists back into Redis, by what it found there (gone, older)",
            labels=["found"],
        ),
        CounterMetricFamily(
            "screening_lists_fetches",
            "Scheduled downloads of the lists, by result (updated, not_modified, unchanged, refused, failed)",
            labels=["result"],
        ),
        GaugeMetricFamily(
            "screening_ownership_registry_available",
            "1 when the ownership registry reads as complete; 0 when it is gone, being rebuilt, older than "
            "one seen before, or unreachable (decisions needing it are holds)",
        ),
        GaugeMetricFamily("screening_open_holds", "Held subjects waiting for review"),
        GaugeMetricFamily(
            "screening_open_holds_oldest_age_seconds",
            "Age of the oldest open hold (since its run of holds began)",
        ),
        GaugeMetricFamily(
            "screening_open_holds_older_than",
            "Open holds at least this old (1h, 4h, 24h, 72h, 7d)",
            labels=["age"],
        ),
        GaugeMetricFamily(
            "screening_open_holds_by_reason", "Open holds carrying each hold reason code", labels=["code"]
        ),
        GaugeMetricFamily(
            "screening_review_sla_seconds", "How long a hold may wait for review (reviews.sla_s)"
        ),
        GaugeMetricFamily(
            "screening_licence_remaining_ratio",
            "Share of the quantity left, for licences near exhaustion (<= 10%) or exhausted",
            labels=["licence"],
        ),
        GaugeMetricFamily(
            "screening_licences",
            "Licences with a quantity limit, by state: ok, near_exhaustion (<= 10% left), exhausted",
            labels=["state"],
        ),
    )


def _seconds_since(occurred_at: datetime, now: datetime) -> float:
    """`now - occurred_at` in seconds, at least 0; an event time without an offset is taken as UTC."""
    try:
        seconds = (now - occurred_at).total_seconds()  # ~2x faster than .timestamp() on pydantic's TzInfo
    except TypeError:
        seconds = (now - occurred_at.replace(tzinfo=UTC)).total_seconds()
    return max(0.0, seconds)


def build_versions() -> dict[str, str]:
    """Versions of the service and its runtime, for `screening_build_info`."""
    try:
        service = metadata.version("export-screening")
    except metadata.PackageNotFoundError:
        service = "unknown"
    try:
        faststream = metadata.version("faststream")
    except metadata.PackageNotFoundError:
        faststream = "unknown"
    return {"version": service, "python": platform.python_version(), "faststream": faststream}


class PrometheusMetrics(Metrics):
    """Metrics recorded on a dedicated `CollectorRegistry`."""

    def __init__(self, registry: CollectorRegistry | None = None, process: bool = True) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("screening_events_consumed", "Messages consumed", ["topic", "kind"], registry=r)
        self.decisions = Counter(
            "screening_decisions", "Decisions published", ["kind", "outcome", "trigger"], registry=r
        )
        self.reasons = Counter(
            "screening_reasons", "Reasons in published decisions", ["code", "outcome"], registry=r
        )
        self.processing = BatchHistogram(
            "screening_processing_latency_seconds",
            "Consumed to published (all acks in), per message; every record of a batch shares the value",
            LATENCY_BUCKETS,
        )
        self.end_to_end = BatchHistogram(
            "screening_end_to_end_latency_seconds",
            "Event occurred_at to decision published, per decision",
            END_TO_END_BUCKETS,
        )
        r.register(self.processing)
        r.register(self.end_to_end)
        self.batch_size = Histogram(
            "screening_batch_size", "Records per consumed batch", buckets=BATCH_BUCKETS, registry=r
        )
        self.dlq = Counter("screening_dlq_messages", "Messages sent to the DLQ", ["error_kind"], registry=r)
        self.ownership_updates = Counter(
            "screening_ownership_updates", "Ownership records applied to the registry", ["op"], registry=r
        )
        self.rescreens = Counter(
            "screening_rescreens", "Rescreens of the open subjects run, by cause", ["cause"], registry=r
        )
        self.rescreen_changed = Counter(
            "screening_rescreen_changed",
            "Decisions a rescreen published because the outcome or the reasons changed",
            registry=r,
        )
        self.retries = Counter(
            "screening_retries",
            "Retries after a transient failure, by operation (ownership read, publish, whole batch)",
            ["operation"],
            registry=r,
        )
        self.failed_batches = Counter(
            "screening_failed_batches",
            "Batch attempts that failed (then retried, or split to isolate the failing message)",
            ["error"],
            registry=r,
        )
        self.reviews = Counter(
            "screening_reviews",
            "Reviews applied, by action (release, confirm, request_info) and result (released, confirmed: "
            "a decision published; recorded: the hold stands, e.g. the first of two reviewers)",
            ["action", "result"],
            registry=r,
        )
        self.review_wait = Histogram(
            "screening_review_wait_seconds",
            "Time to review: from the first decision of a hold to the review decision that released or "
            "confirmed it",
            buckets=REVIEW_WAIT_BUCKETS,
            registry=r,
        )
        self._state = _StateCollector()
        r.register(self._state)
        if process:
            ProcessCollector(registry=r)
        self._event_children: dict[tuple[str, str], Any] = {}
        self._decision_children: dict[tuple[str, str, str], Any] = {}
        self._reason_children: dict[tuple[str, str], Any] = {}
        self._dlq_children: dict[str, Any] = {}
        # Series that alerts compute rate()/increase() on exist from the start at 0, so their first
        # increment is seen as an increase rather than as a new series.
        for kind in EVENT_KINDS:
            for outcome in OUTCOMES:
                self._decision_child((kind, outcome, "event"))
        for error_kind in DLQ_ERROR_KINDS:
            self._dlq_child(error_kind)
        for cause in RESCREEN_CAUSES:
            self.rescreens.labels(cause)
        for operation in RETRIED_OPERATIONS:
            self.retries.labels(operation)
        for error in BATCH_ERRORS:
            self.failed_batches.labels(error)
        for action, result in REVIEW_RESULTS:
            self.reviews.labels(action, result)

    def watch(self, provider: Callable[[], ServiceState]) -> None:
        """Export the state `provider` returns at each scrape (replaces an earlier provider)."""
        self._state.provider = provider

    def _decision_child(self, key: tuple[str, str, str]) -> Any:
        child = self._decision_children.get(key)
        if child is None:
            child = self._decision_children[key] = self.decisions.labels(*key)
        return child

    def _dlq_child(self, error_kind: str) -> Any:
        child = self._dlq_children.get(error_kind)
        if child is None:
            child = self._dlq_children[error_kind] = self.dlq.labels(error_kind)
        return child

    def event_consumed(self, topic: str, kind: str) -> None:
        child = self._event_children.get((topic, kind))
        if child is None:
            child = self._event_children[(topic, kind)] = self.events.labels(topic, kind)
        child.inc()

    def batch_done(
        self,
        records: Sequence[Any],
        decisions: Sequence[Decision],
        started: float,
        events: Sequence[Event] = (),
    ) -> None:
        if records:
            self.batch_size.observe(len(records))
            self.processing.observe(max(0.0, time.perf_counter() - started), len(records))
        by_decision: dict[tuple[str, str, str], int] = {}
        by_reason: dict[tuple[str, str], int] = {}
        for decision in decisions:
            key = (decision.subject_kind, decision.outcome.value, decision.trigger)
            by_decision[key] = by_decision.get(key, 0) + 1
            for reason in decision.reasons:
                rkey: tuple[str, str] = (reason.code, reason.outcome.value)
                by_reason[rkey] = by_reason.get(rkey, 0) + 1
        for key, count in by_decision.items():
            self._decision_child(key).inc(count)
        for rkey, count in by_reason.items():
            rchild = self._reason_children.get(rkey)
            if rchild is None:
                rchild = self._reason_children[rkey] = self.reasons.labels(*rkey)
            rchild.inc(count)
        if events and decisions:
            # Only events decided now: a redelivered event that was decided before publishes nothing.
            decided = {decision.event_id for decision in decisions}
            published = datetime.now(UTC)
            self.end_to_end.observe_many(
                _seconds_since(event.occurred_at, published) for event in events if event.event_id in decided
            )

    def dead_lettered(self, error_kind: str) -> None:
        self._dlq_child(error_kind).inc()

    def ownership_applied(self, upserts: int, deletes: int) -> None:
        if upserts:
            self.ownership_updates.labels("upsert").inc(upserts)
        if deletes:
            self.ownership_updates.labels("delete").inc(deletes)

    def retried(self, operation: str) -> None:
        self.retries.labels(operation).inc()

    def batch_failed(self, error: str) -> None:
        self.failed_batches.labels(error).inc()

    def rescreen_done(self, causes: Sequence[str], published: int) -> None:
        for cause in causes:
            if cause in RESCREEN_CAUSES:
                self.rescreens.labels(cause).inc()
        self.rescreen_changed.inc(published)

    def reviewed(self, action: str, result: str, waited_s: float | None) -> None:
        self.reviews.labels(action, result).inc()
        if waited_s is not None:
            self.review_wait.observe(max(0.0, waited_s))
