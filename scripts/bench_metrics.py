"""Per-event cost of the pipeline's metrics calls: `PrometheusMetrics` beside the no-op `Metrics`.

A synthetic batch of 500 real decisions (allow, hold and deny, with their reasons) is recorded the way
`EventConsumer.handle` records it: `event_consumed` per record, then one `batch_done`. Prints one JSON
object: µs per event for each implementation, the difference, and the cost of one scrape.

    .venv/bin/python scripts/bench_metrics.py [--batch 500] [--rounds 400]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client import generate_latest

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.codec import ORDER, Rejected, decode_event
from screening.domain.engine import ScreeningEngine
from screening.domain.model import Decision, Event
from screening.metrics import Metrics, PrometheusMetrics, ServiceState
from screening.resources import load_catalogue, load_lists, load_ruleset
from screening.service import ScreeningService

TOPIC = "screening.orders.v1"
_PROFILES = [  # buyer, country, product, eccn: allow, deny (advanced chips to CN), hold (unclassified)
    ("Example Research Institute GmbH", "DE", "Office chairs", "EAR99"),
    ("Example Cloud Computing Co., Ltd.", "CN", "NVIDIA H100 SXM5 80GB", None),
    ("Hanoi Example Trading JSC", "VN", "Mystery accelerator card", None),
]


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0


def synthetic_batch(size: int) -> tuple[list[Record], list[Event], list[Decision]]:
    """`size` order records, their events, and the decisions the real engine gives them."""
    records: list[Record] = []
    events: list[Event] = []
    for i in range(size):
        buyer, country, product, eccn = _PROFILES[i % len(_PROFILES)]
        item: dict[str, Any] = {"line_id": "1", "product": product, "quantity": 4}
        if eccn:
            item["eccn"] = eccn
        raw = orjson.dumps(
            {
                "event_id": f"bench-{i}",
                "occurred_at": "2026-11-01T10:00:00Z",
                "order_id": f"SO-{i}",
                "seller": {"name": "Example Distribution Inc.", "country": "US"},
                "buyer": {"name": buyer, "country": country},
                "ship_from_country": "US",
                "ship_to_country": country,
                "items": [item],
            }
        )
        records.append(Record(TOPIC, i % 3, i, f"SO-{i}".encode(), raw))
        event = decode_event(ORDER, raw)
        assert not isinstance(event, Rejected), event
        events.append(event)
    ruleset = load_ruleset()
    lists = load_lists([], ruleset)
    service = ScreeningService(
        ScreeningEngine(ruleset, load_catalogue()),
        lambda: lists,
        InMemoryOwnershipRegistry(),
        InMemoryDecisionLedger(),
    )
    decisions = asyncio.run(service.screen(events))
    return records, events, decisions


def per_event_us(
    metrics: Metrics, records: list[Record], events: list[Event], decisions: list[Decision], rounds: int
) -> float:
    """Median over `rounds` batches of the metrics calls' time, in µs per event."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for record in records:
            metrics.event_consumed(record.topic, "order")
        metrics.batch_done(records, decisions, started, events)
        samples.append((time.perf_counter() - started) / len(records) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", type=int, default=500, help="decisions per batch")
    parser.add_argument("--rounds", type=int, default=400, help="batches measured per implementation")
    args = parser.parse_args()
    records, events, decisions = synthetic_batch(args.batch)
    outcomes: dict[str, int] = {}
    for decision in decisions:
        outcomes[decision.outcome.value] = outcomes.get(decision.outcome.value, 0) + 1
    prometheus = PrometheusMetrics()
    prometheus.watch(lambda: ServiceState(versions={"version": "bench"}, lists_loaded=True))
    per_event_us(prometheus, records, events, decisions, 20)  # warm up: children created, caches filled
    noop = per_event_us(Metrics(), records, events, decisions, args.rounds)
    with_prometheus = per_event_us(prometheus, records, events, decisions, args.rounds)
    scrape = []
    for _ in range(50):
        started = time.perf_counter()
        generate_latest(prometheus.registry)
        scrape.append((time.perf_counter() - started) * 1e6)
    print(
        orjson.dumps(
            {
                "batch": args.batch,
                "rounds": args.rounds,
                "outcomes": outcomes,
                "reasons_per_decision": round(sum(len(d.reasons) for d in decisions) / len(decisions), 2),
                "noop_us_per_event": round(noop, 3),
                "prometheus_us_per_event": round(with_prometheus, 3),
                "overhead_us_per_event": round(with_prometheus - noop, 3),
                "scrape_us": round(statistics.median(scrape), 1),
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    )


if __name__ == "__main__":
    main()
