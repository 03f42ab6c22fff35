"""`screening bench`: throughput and latency of the service through the real broker, beside a raw
aiokafka consume→produce passthrough on the same broker, topics layout and payloads.

The service and the passthrough each run as their own process (as in production), the bench process
produces and reads; each gets an unmeasured warm-up run first. Output: one JSON object (events,
events_per_s, p50_ms, p99_ms, passthrough_events_per_s, ratio, and the run's parameters).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PARTITIONS = 3
FETCH_MAX_WAIT_MS = int(os.environ.get("SCREENING_BENCH_FETCH_MAX_WAIT_MS", "500"))

# A realistic mix: ordinary buyers (most traffic, repeating), listed parties, China-headquartered
# parties, and a few forwarders; products across the catalogue.
_BUYERS = [
    ("Example Research Institute GmbH", "DE"),
    ("Example GPU Cloud LLC", "US"),
    ("Nordic Compute AB", "SE"),
    ("Example Frontier Lab K.K.", "JP"),
    ("Acme Datacenter Ltd", "GB"),
    ("Example Distribution (SG) Pte. Ltd.", "SG"),
    ("Hanoi Example Trading JSC", "VN"),
    ("Shanghai Example GPU Cloud Co., Ltd.", "CN"),
    ("Beijing Sense Time Technology Development Co Ltd", "CN"),
    ("iFlyTek", "CN"),
    ("Sugon", "CN"),
    ("Riyadh Example Compute Co", "SA"),
    ("Example University", "US"),
    ("Toronto AI Labs Inc.", "CA"),
]
_PRODUCTS = [
    ("NVIDIA H100 SXM 80GB", None),
    ("HGX H100 8-GPU", None),
    ("NVIDIA A100 80GB PCIe", None),
    ("L40S", None),
    ("NVIDIA L20", None),
    ("GeForce RTX 4090", None),
    ("Office chairs", "EAR99"),
    ("Laptop", "EAR99"),
    ("H20", None),
]


def make_events(count: int, seed: int = 7) -> list[tuple[str, str, bytes]]:
    """(kind, key, value) for `count` events: 70% orders, 30% leases, ~5 parties per order."""
    rng = random.Random(seed)
    events: list[tuple[str, str, bytes]] = []
    for i in range(count):
        buyer, country = rng.choice(_BUYERS)
        product, eccn = rng.choice(_PRODUCTS)
        if rng.random() < 0.7:
            item: dict[str, Any] = {"line_id": "1", "product": product, "quantity": rng.randint(1, 64)}
            if eccn:
                item["eccn"] = eccn
            end_user, end_country = rng.choice(_BUYERS)
            order = {
                "event_id": f"bench-{i}",
                "occurred_at": "2026-12-01T10:00:00Z",
                "order_id": f"SO-B{i}",
                "seller": {"name": "Example Distribution Inc.", "country": "US"},
                "buyer": {"name": buyer, "country": country, "address": "1 Example Road"},
                "end_user": {"name": end_user, "country": end_country},
                "intermediaries": [
                    {"name": "Fast Forwarding Pte Ltd", "country": "SG", "role": "freight_forwarder"},
                    {"name": "Example Bank N.A.", "country": "US", "role": "bank"},
                ],
                "ship_from_country": "US",
                "ship_to_country": country,
                "items": [item, {"line_id": "2", "product": "Rack rails", "quantity": 4, "eccn": "EAR99"}],
            }
            events.append(("order", f"SO-B{i}", orjson.dumps(order)))
        else:
            lease = {
                "event_id": f"bench-{i}",
                "occurred_at": "2026-12-01T10:00:00Z",
                "lease_id": f"L-B{i}",
                "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
                "lessee": {"name": buyer, "country": country},
                "resources": [{"product": product if eccn is None else "NVIDIA A100 80GB", "quantity": 64}],
                "hardware_country": "US",
                "access": rng.choice(["remote", "remote", "dedicated"]),
                "purpose": "model training",
            }
            events.append(("lease", f"L-B{i}", orjson.dumps(lease)))
    return events


async def _create_topics(bootstrap: str, names: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()


async def _drain(
    consumer: AIOKafkaConsumer, expected: set[str], arrivals: dict[str, float], id_of: Any, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while len(arrivals) < len(expected) and time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200, max_records=5000)
        now = time.monotonic()
        for records in batch.values():
            for record in records:
                key = id_of(record)
                if key in expected:
                    arrivals.setdefault(key, now)


async def _run_phase(
    bootstrap: str,
    inputs: dict[str, str],
    output: str,
    events: list[tuple[str, str, bytes]],
    id_of: Any,
    rate: float,
    timeout: float,
) -> tuple[float, list[float]]:
    """Produce `events` (at `rate`/s, 0 = as fast as possible); read `output` until each is answered."""
    consumer = AIOKafkaConsumer(
        output,
        bootstrap_servers=bootstrap,
        group_id=f"bench-reader-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        isolation_level="read_committed",
    )
    await consumer.start()
    await consumer.getmany(timeout_ms=500)  # join and position at the end before producing
    # Throughput runs let the producer batch; paced (latency) runs send each event at once.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=0 if rate > 0 else 5, max_batch_size=256 * 1024
    )
    await producer.start()
    sent: dict[str, float] = {}
    arrivals: dict[str, float] = {}
    expected = {key for _, key, _ in events}
    reader = asyncio.create_task(_drain(consumer, expected, arrivals, id_of, timeout))
    started = time.monotonic()
    for index, (kind, key, value) in enumerate(events):
        if rate > 0:
            due = started + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent[key] = time.monotonic()
        await producer.send(inputs[kind], value=value, key=key.encode())
    await producer.flush()
    await reader
    await producer.stop()
    await consumer.stop()
    if len(arrivals) < len(events):
        raise RuntimeError(f"only {len(arrivals)} of {len(events)} answers arrived within {timeout:.0f}s")
    elapsed = max(arrivals.values()) - started
    latencies = [(arrivals[k] - sent[k]) * 1000 for k in sent if k in arrivals]
    return len(events) / elapsed, latencies


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _wait_ready(
    bootstrap: str, inputs: dict[str, str], output: str, id_of: Any, timeout: float
) -> None:
    warm = make_events(1, seed=99)
    kind, _, value = warm[0]
    data = orjson.loads(value)
    data["event_id"] = f"warm-{uuid.uuid4().hex[:6]}"
    key = data.get("order_id") or data.get("lease_id")
    await _run_phase(bootstrap, inputs, output, [(kind, key, orjson.dumps(data))], id_of, 0, timeout)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # stderr goes to a temp file: a pipe nobody reads would block the child once it fills.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the child's lifetime, read on failure
    process = subprocess.Popen(
        [sys.executable, *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log
    )
    _LOGS[process.pid] = log
    return process


_LOGS: dict[int, Any] = {}


def _tail(process: subprocess.Popen[bytes]) -> str:
    log = _LOGS.get(process.pid)
    if log is None:
        return ""
    log.seek(0)
    return str(log.read().decode(errors="replace")[-3000:])


async def run_bench(args: argparse.Namespace) -> int:
    """Run the service bench and the passthrough bench; print one JSON object."""
    bootstrap = os.environ.get("SCREENING_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    topics = {
        k: f"{tag}.{k}"
        for k in (
            "orders",
            "leases",
            "ownership",
            "decisions",
            "dlq",
            "pass-orders",
            "pass-leases",
            "pass-out",
        )
    }
    await _create_topics(bootstrap, list(topics.values()))
    events = make_events(args.events)

    def subject_of(record: Any) -> str:
        return str(record.key.decode())

    env = {
        "SCREENING_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "SCREENING_KAFKA__GROUP_ID": f"{tag}-svc",
        "SCREENING_KAFKA__OWNERSHIP_GROUP_ID": f"{tag}-own",
        "SCREENING_KAFKA__ORDERS_TOPIC": topics["orders"],
        "SCREENING_KAFKA__LEASES_TOPIC": topics["leases"],
        "SCREENING_KAFKA__OWNERSHIP_TOPIC": topics["ownership"],
        "SCREENING_KAFKA__DECISIONS_TOPIC": topics["decisions"],
        "SCREENING_KAFKA__DLQ_TOPIC": topics["dlq"],
        "SCREENING_REDIS__PREFIX": f"{tag}:",
        "SCREENING_METRICS__ENABLED": "false" if args.no_metrics else "true",
        "SCREENING_KAFKA__TRANSACTIONS": "false" if args.no_transactions else "true",
        "SCREENING_METRICS__PORT": "0" if args.no_metrics else str(_free_port()),
        "SCREENING_LOG_LEVEL": "WARNING",
        # The shipped snapshot (2026-07-31) is older than the default maximum list age: without this every
        # decision would be a LISTS_STALE hold, not the realistic mix the benchmark measures.
        "SCREENING_LISTS__MAX_AGE_HOURS": "8760",
    }
    inputs = {"order": topics["orders"], "lease": topics["leases"]}
    service = _spawn(["-m", "screening.cli", "serve"], env)
    try:
        try:
            await _wait_ready(bootstrap, inputs, topics["decisions"], subject_of, timeout=120)
        except RuntimeError:
            service.terminate()
            service.wait(timeout=30)
            print(_tail(service), file=sys.stderr)
            raise
        # Unmeasured warm-up (a quarter of the events, relabelled): the broker's JIT and the service's caches
        # settle before the measured runs.
        await _run_phase(bootstrap, inputs, topics["decisions"], _warm_up(events), subject_of, 0, 600)
        throughput, _ = await _run_phase(bootstrap, inputs, topics["decisions"], events, subject_of, 0, 600)
        paced = events[: max(1, len(events) // 4)]
        relabelled = [(k, f"{key}-p", _relabel(v, key)) for k, key, v in paced]
        rate = args.rate or throughput * 0.5
        _, latencies = await _run_phase(
            bootstrap, inputs, topics["decisions"], relabelled, subject_of, rate, 600
        )
    finally:
        service.terminate()
        service.wait(timeout=30)

    pass_inputs = {"order": topics["pass-orders"], "lease": topics["pass-leases"]}
    passthrough = _spawn(
        [
            "-m",
            "screening.bench",
            bootstrap,
            topics["pass-orders"],
            topics["pass-leases"],
            topics["pass-out"],
        ],
        {},
    )
    try:
        await _wait_ready(bootstrap, pass_inputs, topics["pass-out"], subject_of, timeout=60)
        await _run_phase(bootstrap, pass_inputs, topics["pass-out"], _warm_up(events), subject_of, 0, 600)
        passthrough_rate, _ = await _run_phase(
            bootstrap, pass_inputs, topics["pass-out"], events, subject_of, 0, 600
        )
    finally:
        passthrough.terminate()
        passthrough.wait(timeout=30)

    result = {
        "events": len(events),
        "events_per_s": round(throughput, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "latency_rate_events_per_s": round(rate, 1),
        "latency_events": len(latencies),
        "passthrough_events_per_s": round(passthrough_rate, 1),
        "ratio": round(throughput / passthrough_rate, 3),
        "metrics": not args.no_metrics,
        "transactions": not args.no_transactions,
        "partitions": PARTITIONS,
    }
    print(orjson.dumps(result).decode())
    return 0


def _warm_up(events: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """A quarter of `events` under fresh ids, for a warm-up run."""
    return [(k, f"{key}-w", _relabel(v, key, "-w")) for k, key, v in events[: max(1, len(events) // 4)]]


def _relabel(value: bytes, key: str, suffix: str = "-p") -> bytes:
    data = orjson.loads(value)
    data["event_id"] = f"{data['event_id']}{suffix}"
    if "order_id" in data:
        data["order_id"] = f"{key}{suffix}"
    else:
        data["lease_id"] = f"{key}{suffix}"
    return orjson.dumps(data)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def passthrough(bootstrap: str, in_topics: Sequence[str], out_topic: str) -> None:
    """The physical-limit reference: getmany → send each without awaiting → await all → commit."""
    consumer = AIOKafkaConsumer(
        *in_topics,
        bootstrap_servers=bootstrap,
        group_id=f"pass-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, acks=1)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=20, max_records=500)
            futures = [
                await producer.send(out_topic, value=r.value, key=r.key)
                for records in batch.values()
                for r in records
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(passthrough(sys.argv[1], sys.argv[2:4], sys.argv[4]))
    except ImportError:
        asyncio.run(passthrough(sys.argv[1], sys.argv[2:4], sys.argv[4]))
