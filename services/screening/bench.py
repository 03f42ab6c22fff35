"""`screening bench`: throughput and latency of the service through the real broker, beside a raw
aiokafka consume→produce passthrough on the same broker, topics layout and payloads.

The service and the passthrough each run as their own process (as in production), the bench process
produces and reads; each gets an unmeasured warm-up run first. Output: one JSON object (events,
events_per_s, p50_ms, p99_ms, passthrough_events_per_s, ratio, and the run's parameters).

Events/s moves with whatever else the machine is doing; the CPU time the serving process itself spent per
event (user + system, read from `/proc/<pid>/stat` around the measured run) does not, so it is reported
beside it (`cpu_us_per_event`, and the passthrough's), with the process's peak RSS and the Redis memory
the run's open subjects, ledger and holds took, per 100,000 open subjects.

`--instances 2` runs two `screening serve` processes in one consumer group (the partitions split between
them; CPU and peak RSS are summed over both). On a two-core machine the second instance has no core of its
own, so this shows what the split costs more than what it gains.

Two mixes (`--mix`): `realistic` (repeat customers: a few dozen buyers, one seller, the same
forwarders and banks) and `all-new` (every party name of every event unseen, and each buyer or lessee
owned through its own chain in the registry, so every name match and every ownership walk is cold).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screening.adapters.redis_store import RedisOwnershipRegistry, create_client
from screening.domain.ownership import OwnerLink, OwnershipRecord

PARTITIONS = 3
MIXES = ("realistic", "all-new")
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


_SYLLABLES = (
    "ka", "lo", "ren", "vi", "sa", "mor", "tel", "qua", "dex", "ni", "zu", "bra", "hol", "mi", "ost", "pel",
    "gar", "yan", "tor", "fe", "lin", "wu", "cas", "der", "ob", "ri", "sen", "ta", "vor", "ex", "jun", "pa",
)  # fmt: skip
_FORMS = ("Ltd", "GmbH", "LLC", "Co., Ltd.", "Pte. Ltd.", "S.A.", "Inc.", "AB", "K.K.", "JSC")
_COUNTRIES = ("DE", "US", "SE", "JP", "GB", "SG", "VN", "CN", "SA", "CA", "MY", "AE", "IN", "BR", "KR")


def _coined(rng: random.Random, serial: str) -> str:
    """A company name nobody used before: two invented words, the serial, a legal form."""
    words = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize() for _ in "ab"]
    return f"{words[0]} {words[1]} {serial} {rng.choice(_FORMS)}"


class _Names:
    """Where an event's party names come from: the realistic mix's repeat customers, or coined ones."""

    def __init__(self, rng: random.Random, mix: str, label: str) -> None:
        self._rng = rng
        self._fresh = mix == "all-new"
        self._label = label
        self._count = 0

    def party(self, usual: tuple[str, str]) -> tuple[str, str]:
        if not self._fresh:
            return usual
        self._count += 1
        return _coined(self._rng, f"{self._label}{self._count}"), self._rng.choice(_COUNTRIES)

    def buyer(self) -> tuple[str, str]:
        return self.party(self._rng.choice(_BUYERS))


def make_events(
    count: int, seed: int = 7, mix: str = "realistic", label: str = ""
) -> list[tuple[str, str, bytes]]:
    """(kind, key, value) for `count` events: 70% orders, 30% leases, ~5 parties per order.

    `mix` is `realistic` (the same buyers, seller, forwarder and bank again and again) or `all-new`
    (every party name coined for that event); `label` keeps ids and coined names of runs apart.
    """
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}: one of {', '.join(MIXES)}")
    rng = random.Random(seed)
    names = _Names(rng, mix, label)
    events: list[tuple[str, str, bytes]] = []
    for i in range(count):
        buyer, country = names.buyer()
        product, eccn = rng.choice(_PRODUCTS)
        if rng.random() < 0.7:
            item: dict[str, Any] = {"line_id": "1", "product": product, "quantity": rng.randint(1, 64)}
            if eccn:
                item["eccn"] = eccn
            end_user, end_country = names.buyer()
            seller, seller_country = names.party(("Example Distribution Inc.", "US"))
            forwarder, forwarder_country = names.party(("Fast Forwarding Pte Ltd", "SG"))
            bank, bank_country = names.party(("Example Bank N.A.", "US"))
            order = {
                "event_id": f"bench-{label}{i}",
                "occurred_at": "2026-12-01T10:00:00Z",
                "order_id": f"SO-B{label}{i}",
                "seller": {"name": seller, "country": seller_country},
                "buyer": {"name": buyer, "country": country, "address": "1 Example Road"},
                "end_user": {"name": end_user, "country": end_country},
                "intermediaries": [
                    {"name": forwarder, "country": forwarder_country, "role": "freight_forwarder"},
                    {"name": bank, "country": bank_country, "role": "bank"},
                ],
                "ship_from_country": "US",
                "ship_to_country": country,
                "items": [item, {"line_id": "2", "product": "Rack rails", "quantity": 4, "eccn": "EAR99"}],
            }
            events.append(("order", f"SO-B{label}{i}", orjson.dumps(order)))
        else:
            lessor, lessor_country = names.party(("Example GPU Cloud LLC", "US"))
            lease = {
                "event_id": f"bench-{label}{i}",
                "occurred_at": "2026-12-01T10:00:00Z",
                "lease_id": f"L-B{label}{i}",
                "lessor": {"name": lessor, "country": lessor_country},
                "lessee": {"name": buyer, "country": country},
                "resources": [{"product": product if eccn is None else "NVIDIA A100 80GB", "quantity": 64}],
                "hardware_country": "US",
                "access": rng.choice(["remote", "remote", "dedicated"]),
                "purpose": "model training",
            }
            events.append(("lease", f"L-B{label}{i}", orjson.dumps(lease)))
    return events


def ownership_chains(events: Sequence[tuple[str, str, bytes]], label: str) -> list[OwnershipRecord]:
    """For the all-new mix: each buyer (lessee) owned 100% by a holding company owned 60% by a parent; one
    parent in twenty is a listed company, so the walk finds something."""
    as_of = date(2026, 10, 1)
    records: list[OwnershipRecord] = []
    for index, (_, _, value) in enumerate(events):
        data = orjson.loads(value)
        party = data.get("buyer") or data["lessee"]
        tag = f"{label}{index}"
        top = "Sugon" if index % 20 == 0 else f"Parent Holdings {tag} Ltd"
        records += [
            OwnershipRecord(f"bench-top-{tag}", top, country="CN", as_of=as_of),
            OwnershipRecord(
                f"bench-hold-{tag}",
                f"Holdco {tag} Limited",
                country="HK",
                owners=(OwnerLink(f"bench-top-{tag}", 0.6),),
                as_of=as_of,
            ),
            OwnershipRecord(
                f"bench-party-{tag}",
                party["name"],
                country=party["country"],
                owners=(OwnerLink(f"bench-hold-{tag}", 1.0),),
                as_of=as_of,
            ),
        ]
    return records


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


async def _wait_for_group(bootstrap: str, group_id: str, members: int, timeout: float) -> None:
    """Wait until the consumer group is stable with `members` members (every instance holds partitions
    before anything is measured, so no rebalance falls inside a measured run)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        seen: tuple[str, int] = ("", 0)
        while time.monotonic() < deadline:
            # The raw DescribeGroups response: (error, group, state, protocol type, protocol, members, ...).
            for response in await admin.describe_consumer_groups([group_id]):
                for group in response.groups:
                    seen = (str(group[2]), len(group[5]))
            if seen == ("Stable", members):
                return
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    raise RuntimeError(f"group {group_id} not stable with {members} members in {timeout:.0f}s: {seen}")


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


class ProcessMeter:
    """CPU time (user + system) and peak RSS of a running process, read from `/proc/<pid>/` (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._tick = os.sysconf("SC_CLK_TCK")

    def cpu_s(self) -> float:
        """CPU seconds the process has used so far."""
        with open(f"/proc/{self.pid}/stat", "rb") as stat:
            # Fields after the command name (which may hold spaces); utime and stime are 14th and 15th.
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tick

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM), in MiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0


async def _redis_used_memory(client: Any) -> int:
    info = await client.info("memory")
    return int(info["used_memory"])


async def _load_ownership(client: Any, prefix: str, records: Sequence[OwnershipRecord]) -> None:
    registry = RedisOwnershipRegistry(client, prefix)
    for start in range(0, len(records), 2000):
        await registry.upsert(records[start : start + 2000])


def _profiler(pid: int, path: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the serving process (collapsed stacks, idle frames left out) until stopped."""
    command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--output", path, "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run_bench(args: argparse.Namespace) -> int:
    """Run the service bench and the passthrough bench; print one JSON object."""
    bootstrap = os.environ.get("SCREENING_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    mix = getattr(args, "mix", "realistic")
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
    # The measured events, the warm-up and the paced (latency) run never share an id, nor, in the
    # all-new mix, a name.
    events = make_events(args.events, 7, mix, "m")
    warm_up = make_events(max(1, args.events // 4), 8, mix, "w")
    paced = make_events(max(1, args.events // 4), 9, mix, "p")

    def subject_of(record: Any) -> str:
        return str(record.key.decode())

    prefix = f"{tag}:"
    redis_client = create_client(os.environ.get("SCREENING_REDIS__URL", "redis://127.0.0.1:6379/0"), 30.0)
    if mix == "all-new":
        chains = [
            *ownership_chains(events, "m"),
            *ownership_chains(warm_up, "w"),
            *ownership_chains(paced, "p"),
        ]
        await _load_ownership(redis_client, prefix, chains)
    redis_before = await _redis_used_memory(redis_client)

    env = {
        "SCREENING_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "SCREENING_KAFKA__GROUP_ID": f"{tag}-svc",
        "SCREENING_KAFKA__OWNERSHIP_GROUP_ID": f"{tag}-own",
        "SCREENING_KAFKA__ORDERS_TOPIC": topics["orders"],
        "SCREENING_KAFKA__LEASES_TOPIC": topics["leases"],
        "SCREENING_KAFKA__OWNERSHIP_TOPIC": topics["ownership"],
        "SCREENING_KAFKA__DECISIONS_TOPIC": topics["decisions"],
        "SCREENING_KAFKA__DLQ_TOPIC": topics["dlq"],
        "SCREENING_REDIS__PREFIX": prefix,
        "SCREENING_METRICS__ENABLED": "false" if args.no_metrics else "true",
        "SCREENING_KAFKA__TRANSACTIONS": "false" if args.no_transactions else "true",
        "SCREENING_LOG_LEVEL": "WARNING",
        # The shipped snapshot (2026-07-31) is older than the default maximum list age: without this every
        # decision would be a LISTS_STALE hold, not the realistic mix the benchmark measures.
        "SCREENING_LISTS__MAX_AGE_HOURS": "8760",
    }
    inputs = {"order": topics["orders"], "lease": topics["leases"]}
    instances = max(1, getattr(args, "instances", 1))
    services = [
        _spawn(
            ["-m", "screening.cli", "serve"],
            {**env, "SCREENING_METRICS__PORT": "0" if args.no_metrics else str(_free_port())},
        )
        for _ in range(instances)
    ]
    meters = [ProcessMeter(service.pid) for service in services]
    try:
        try:
            await _wait_ready(bootstrap, inputs, topics["decisions"], subject_of, timeout=120)
            await _wait_for_group(bootstrap, env["SCREENING_KAFKA__GROUP_ID"], instances, timeout=120)
        except RuntimeError:
            for service in services:
                service.terminate()
                service.wait(timeout=30)
                print(_tail(service), file=sys.stderr)
            raise
        # Unmeasured warm-up (a quarter of the events): the broker's JIT and the service's caches settle
        # before the measured runs (in the all-new mix, none of its names come back).
        await _run_phase(bootstrap, inputs, topics["decisions"], warm_up, subject_of, 0, 600)
        profiler = _profiler(services[0].pid, args.profile) if args.profile else None
        cpu_before = sum(meter.cpu_s() for meter in meters)
        throughput, _ = await _run_phase(bootstrap, inputs, topics["decisions"], events, subject_of, 0, 600)
        service_cpu = sum(meter.cpu_s() for meter in meters) - cpu_before
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            profiler.wait(timeout=60)
        rate = args.rate or throughput * 0.5
        _, latencies = await _run_phase(bootstrap, inputs, topics["decisions"], paced, subject_of, rate, 600)
        peak_rss_mb = sum(meter.peak_rss_mb() for meter in meters)
        await asyncio.sleep(1.0)  # the last batch's subjects write lands after its decisions are read
        open_subjects = int(await redis_client.hlen(f"{prefix}subjects:v1"))
        subjects_bytes = int(await redis_client.memory_usage(f"{prefix}subjects:v1", samples=0) or 0)
        redis_after = await _redis_used_memory(redis_client)
    finally:
        for service in services:
            service.terminate()
        for service in services:
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
    pass_meter = ProcessMeter(passthrough.pid)
    try:
        await _wait_ready(bootstrap, pass_inputs, topics["pass-out"], subject_of, timeout=60)
        await _run_phase(bootstrap, pass_inputs, topics["pass-out"], warm_up, subject_of, 0, 600)
        cpu_before = pass_meter.cpu_s()
        passthrough_rate, _ = await _run_phase(
            bootstrap, pass_inputs, topics["pass-out"], events, subject_of, 0, 600
        )
        passthrough_cpu = pass_meter.cpu_s() - cpu_before
    finally:
        passthrough.terminate()
        passthrough.wait(timeout=30)
    await redis_client.aclose()

    per_100k = 100_000 / open_subjects if open_subjects else 0.0
    result = {
        "mix": mix,
        "events": len(events),
        "events_per_s": round(throughput, 1),
        "cpu_us_per_event": round(service_cpu / len(events) * 1e6, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "latency_rate_events_per_s": round(rate, 1),
        "latency_events": len(latencies),
        "passthrough_events_per_s": round(passthrough_rate, 1),
        "passthrough_cpu_us_per_event": round(passthrough_cpu / len(events) * 1e6, 1),
        "ratio": round(throughput / passthrough_rate, 3),
        "cpu_ratio": round(passthrough_cpu / service_cpu, 3) if service_cpu else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "open_subjects": open_subjects,
        "redis_mb_per_100k_open_subjects": round((redis_after - redis_before) * per_100k / 2**20, 1),
        "subjects_hash_mb_per_100k_open_subjects": round(subjects_bytes * per_100k / 2**20, 1),
        "metrics": not args.no_metrics,
        "transactions": not args.no_transactions,
        "partitions": PARTITIONS,
        "instances": instances,
    }
    print(orjson.dumps(result).decode())
    return 0


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
