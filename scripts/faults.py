"""The fault suite: two `screening serve` processes on a real broker and Redis of their own, a steady stream
of events with a known expected outcome each (`screening check` on the same events, lists and ownership),
and faults injected while it flows:

- `instance_sigterm`, `instance_sigkill`: one instance stopped (then started again);
- `redis_sigkill_aof`: Redis killed, started again from its append-only file (no data lost);
- `broker_sigkill`: the broker killed and started again;
- `broker_pause`: the broker frozen (SIGSTOP) for a while, then resumed (SIGCONT): a network pause;
- `redis_lost_with_instance_sigkill`: Redis killed together with an instance in the middle of its work,
  the instance started again while Redis is still down (the ledger is unreachable: only the Kafka
  transactions stand between a batch read again and a second decision), then Redis started empty (no
  persistence): the registry is gone until the service has rebuilt it from the ownership feed.

It prints one JSON report: produced, decided, lost, duplicated, wrong allows (decided `allow` where the
steady state says hold or deny) and whether a rescreen corrected each, holds the faults caused and
whether they were rescreened, the time to recover per fault, and latency outside the faults. Exit code 1
when the bar is missed: any event lost, any event decided twice, any wrong allow left uncorrected.

The services live in their own cache folder and on their own ports (Kafka at KAFKA_PORT+4/+5, Redis at
REDIS_PORT+2 unless FAULTS_KAFKA_PORT / FAULTS_KAFKA_CONTROLLER_PORT / FAULTS_REDIS_PORT say otherwise), so
the faults never disturb anything else. Usage: `python scripts/faults.py [--short] [--events N --rate R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import io
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

REPO = Path(__file__).resolve().parents[1]
DEMO_OWNERSHIP = REPO / "services" / "screening" / "demo" / "ownership.jsonl"
PARTITIONS = 3

# Buyers, lessees and end users: most are ordinary; some are listed; two are decided by the ownership
# registry alone (a US company 100 % owned by a Hangzhou firm, a Singapore company owned by SenseTime):
# with the registry gone they are wrong allows unless the service knows that it knows nothing.
PARTIES = [
    ("Example Research Institute GmbH", "DE"),
    ("Example GPU Cloud LLC", "US"),
    ("Nordic Compute AB", "SE"),
    ("Example Frontier Lab K.K.", "JP"),
    ("Acme Datacenter Ltd", "GB"),
    ("Toronto AI Labs Inc.", "CA"),
    ("Example University", "US"),
    ("Example AI Research Inc.", "US"),
    ("Shangtang Technology (Singapore) Pte. Ltd.", "SG"),
    ("iFlyTek", "CN"),
    ("Sugon", "CN"),
    ("Riyadh Example Compute Co", "SA"),
]
PRODUCTS = [("NVIDIA H100 SXM 80GB", None), ("H20", None), ("NVIDIA L20", None), ("Office chairs", "EAR99")]


def say(text: str) -> None:
    """Progress on stderr (the report goes to stdout)."""
    print(f"faults: {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- the stream
def make_events(count: int, tag: str, seed: int = 12) -> list[tuple[str, str, bytes]]:
    """(kind, key, value) of `count` events: orders and leases across the parties above, occurring now."""
    rng = random.Random(seed)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    events = []
    for i in range(count):
        buyer, country = rng.choice(PARTIES)
        product, eccn = rng.choice(PRODUCTS)
        event_id = f"{tag}-{i}"
        if rng.random() < 0.7:
            item: dict[str, Any] = {"line_id": "1", "product": product, "quantity": rng.randint(1, 64)}
            if eccn:
                item["eccn"] = eccn
            order = {
                "event_id": event_id,
                "occurred_at": now,
                "order_id": f"SO-{event_id}",
                "seller": {"name": "Example Distribution Inc.", "country": "US"},
                "buyer": {"name": buyer, "country": country, "address": "1 Example Road"},
                "ship_from_country": "US",
                "ship_to_country": country,
                "items": [item],
            }
            events.append(("order", f"SO-{event_id}", orjson.dumps(order)))
        else:
            lease = {
                "event_id": event_id,
                "occurred_at": now,
                "lease_id": f"L-{event_id}",
                "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
                "lessee": {"name": buyer, "country": country},
                "resources": [{"product": "NVIDIA A100 80GB", "quantity": 64}],
                "hardware_country": "US",
                "access": rng.choice(["remote", "dedicated"]),
                "purpose": "model training",
            }
            events.append(("lease", f"L-{event_id}", orjson.dumps(lease)))
    return events


async def expected_outcomes(events: list[tuple[str, str, bytes]], folder: Path) -> dict[str, str]:
    """event id → outcome, as `screening check` decides the events with the same lists and ownership."""
    from screening.cli import run_check

    path = folder / "events.jsonl"
    path.write_bytes(b"\n".join(value for _, _, value in events) + b"\n")
    out = io.BytesIO()
    await run_check([str(path)], [], [DEMO_OWNERSHIP], out=out)
    decided = [orjson.loads(line) for line in out.getvalue().splitlines()]
    return {d["event_id"]: d["outcome"] for d in decided}


# ------------------------------------------------------------------------------------------- services
@dataclass
class Services:
    """The suite's own broker and Redis (scripts/services.sh with its own cache and ports)."""

    cache: Path
    kafka_port: int
    controller_port: int
    redis_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self, persistence: str = "aof") -> dict[str, str]:
        env = {
            **os.environ,
            "SCREENING_CACHE": str(self.cache),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "REDIS_PORT": str(self.redis_port),
            "REDIS_PERSISTENCE": persistence,
        }
        shared_jars = REPO / ".cache" / "kafka" / "libs"
        if "SCREENING_KAFKA_LIBS" not in env and shared_jars.is_dir() and any(shared_jars.iterdir()):
            env["SCREENING_KAFKA_LIBS"] = str(shared_jars)
        return env

    def up(self, persistence: str = "aof") -> None:
        subprocess.run(
            ["bash", str(REPO / "scripts" / "services.sh"), "up"],
            env=self.env(persistence),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def down(self) -> None:
        subprocess.run(
            ["bash", str(REPO / "scripts" / "services.sh"), "down", "--purge-data"],
            env=self.env(),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def pid(self, name: str) -> int:
        return int((self.cache / "run" / f"{name}.pid").read_text().strip())

    def signal(self, name: str, sig: signal.Signals) -> None:
        os.kill(self.pid(name), sig)

    def kill(self, name: str) -> None:
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if _zombie(pid):
                break
            time.sleep(0.05)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class Instance:
    """One `screening serve` process."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.env = env
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "screening.cli", "serve"],
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()

    def stop(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


# ---------------------------------------------------------------------------------------------- faults
@dataclass
class Fault:
    """One injected fault: when it started and was repaired, relative to the start of production."""

    name: str
    started_s: float = 0.0
    repaired_s: float = 0.0
    first_decision_s: float | None = None
    normal_latency_s: float | None = None
    events_in_window: int = 0
    holds_not_expected: int = 0


@dataclass
class Run:
    """What the stream did."""

    sent: dict[str, float] = field(default_factory=dict)
    decisions: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    t0: float = 0.0
    resent: int = 0


async def inject(name: str, services: Services, instances: list[Instance], hold_s: float) -> None:
    """Cause fault `name` and repair it (blocking calls run in a worker thread)."""
    a, b = instances
    if name == "instance_sigterm":
        await asyncio.to_thread(a.stop, signal.SIGTERM)
        await asyncio.sleep(hold_s)
        a.start()
    elif name == "instance_sigkill":
        await asyncio.to_thread(b.stop, signal.SIGKILL)
        await asyncio.sleep(hold_s)
        b.start()
    elif name == "redis_sigkill_aof":
        await asyncio.to_thread(services.kill, "redis")
        await asyncio.sleep(hold_s)
        await asyncio.to_thread(services.up, "aof")
    elif name == "broker_sigkill":
        await asyncio.to_thread(services.kill, "kafka")
        await asyncio.to_thread(services.up, "aof")
    elif name == "broker_pause":
        services.signal("kafka", signal.SIGSTOP)
        await asyncio.sleep(hold_s)
        services.signal("kafka", signal.SIGCONT)
    elif name == "redis_lost_with_instance_sigkill":
        await asyncio.gather(
            asyncio.to_thread(services.kill, "redis"), asyncio.to_thread(a.stop, signal.SIGKILL)
        )
        await asyncio.sleep(hold_s / 2)
        a.start()  # Redis still down: the ledger cannot tell what was decided; transactions must
        await asyncio.sleep(hold_s)
        shutil.rmtree(services.cache / "redis" / "appendonly", ignore_errors=True)
        await asyncio.to_thread(services.up, "none")  # empty: the registry is gone
    else:
        raise ValueError(f"unknown fault {name}")


# ------------------------------------------------------------------------------------------ the runner
async def produce(
    services: Services, topics: dict[str, str], events: list[tuple[str, str, bytes]], rate: float, run: Run
) -> None:
    """Send the events at a steady rate (open loop); an event is sent when the broker acknowledged it."""
    producer = AIOKafkaProducer(
        bootstrap_servers=services.bootstrap, enable_idempotence=True, linger_ms=2, request_timeout_ms=120_000
    )
    await producer.start()
    pending: list[tuple[str, str, bytes, asyncio.Future[Any]]] = []
    try:
        for index, (kind, key, value) in enumerate(events):
            due = run.t0 + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            event_id = f"{key.split('-', 1)[1]}"
            run.sent[event_id] = time.monotonic()
            topic = topics["orders"] if kind == "order" else topics["leases"]
            pending.append((topic, key, value, await producer.send(topic, value, key=key.encode())))
            if len(pending) >= 500:
                pending = await _settle(producer, pending, run)
        while pending:
            pending = await _settle(producer, pending, run)
    finally:
        await producer.stop()


async def _settle(
    producer: AIOKafkaProducer, pending: list[tuple[str, str, bytes, asyncio.Future[Any]]], run: Run
) -> list[tuple[str, str, bytes, asyncio.Future[Any]]]:
    results = await asyncio.gather(*(future for *_, future in pending), return_exceptions=True)
    again = []
    for (topic, key, value, _), result in zip(pending, results, strict=True):
        if isinstance(result, BaseException):
            run.resent += 1
            again.append((topic, key, value, await producer.send(topic, value, key=key.encode())))
    return again


async def read_decisions(services: Services, topic: str, run: Run, stop: asyncio.Event) -> None:
    """Every decision, as a `read_committed` reader sees it, with its arrival time."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=services.bootstrap,
        group_id=f"faults-reader-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            now = time.monotonic()
            for records in batch.values():
                run.decisions += [(now, orjson.loads(r.value)) for r in records if r.value]
    finally:
        await consumer.stop()


async def wait_ready(instances: list[Instance], ports: list[int], timeout: float = 300) -> None:
    """Until every instance answers /readyz with 200."""
    deadline = time.monotonic() + timeout
    for instance, port in zip(instances, ports, strict=True):
        while True:
            if instance.process is not None and instance.process.poll() is not None:
                raise RuntimeError(f"{instance.name} exited: see {instance.log_path}")
            with contextlib.suppress(OSError, IndexError, ValueError):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /readyz HTTP/1.1\r\nHost: faults\r\n\r\n")
                await writer.drain()
                head = await reader.read()
                writer.close()
                if int(head.split(b" ", 2)[1]) == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{instance.name} not ready within {timeout:.0f}s: see {instance.log_path}"
                )
            await asyncio.sleep(1)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main(args: argparse.Namespace) -> int:
    base_kafka = int(os.environ.get("KAFKA_PORT", "19092"))
    base_redis = int(os.environ.get("REDIS_PORT", "16379"))
    services = Services(
        cache=Path(os.environ.get("FAULTS_CACHE", str(REPO / ".cache" / "faults"))),
        kafka_port=int(os.environ.get("FAULTS_KAFKA_PORT", base_kafka + 4)),
        controller_port=int(os.environ.get("FAULTS_KAFKA_CONTROLLER_PORT", base_kafka + 5)),
        redis_port=int(os.environ.get("FAULTS_REDIS_PORT", base_redis + 2)),
    )
    services.cache.mkdir(parents=True, exist_ok=True)
    logs = services.cache / "suite"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    faults = args.faults.split(",")
    tag = f"f{uuid.uuid4().hex[:6]}"
    events = make_events(args.events, tag)
    say(f"{len(events)} events at {args.rate:.0f}/s; faults: {', '.join(faults)}")
    expected = await expected_outcomes(events, logs)
    say(f"expected outcomes: {dict(Counter(expected.values()))}")

    say(f"starting the suite's broker and Redis on {services.bootstrap} and {services.redis_url}")
    services.down()
    await asyncio.to_thread(services.up, "aof")
    topics = {name: f"{tag}.{name}" for name in ("orders", "leases", "ownership", "decisions", "dlq")}
    admin = AIOKafkaAdminClient(bootstrap_servers=services.bootstrap)
    await admin.start()
    await admin.create_topics(
        [NewTopic(topics[n], PARTITIONS, 1) for n in ("orders", "leases", "decisions", "dlq")]
        + [NewTopic(topics["ownership"], 1, 1, topic_configs={"cleanup.policy": "compact"})]
    )
    await admin.close()
    feed = AIOKafkaProducer(bootstrap_servers=services.bootstrap)
    await feed.start()
    for line in DEMO_OWNERSHIP.read_bytes().splitlines():
        if line.strip():
            await feed.send_and_wait(topics["ownership"], line, key=orjson.loads(line)["entity_id"].encode())
    await feed.stop()

    ports = [_free_port(), _free_port()]
    instances = []
    for number, port in enumerate(ports):
        env = {
            **os.environ,
            "SCREENING_KAFKA__BOOTSTRAP_SERVERS": services.bootstrap,
            "SCREENING_REDIS__URL": services.redis_url,
            "SCREENING_REDIS__PREFIX": f"{tag}:",
            "SCREENING_KAFKA__GROUP_ID": f"screening-{tag}",
            "SCREENING_KAFKA__OWNERSHIP_GROUP_ID": f"screening-{tag}-ownership",
            "SCREENING_KAFKA__ORDERS_TOPIC": topics["orders"],
            "SCREENING_KAFKA__LEASES_TOPIC": topics["leases"],
            "SCREENING_KAFKA__OWNERSHIP_TOPIC": topics["ownership"],
            "SCREENING_KAFKA__DECISIONS_TOPIC": topics["decisions"],
            "SCREENING_KAFKA__DLQ_TOPIC": topics["dlq"],
            "SCREENING_METRICS__PORT": str(port),
            "SCREENING_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO / "services"),
        }
        instances.append(Instance(f"instance-{'ab'[number]}", env, logs))
    run = Run()
    stop_reading = asyncio.Event()
    started = time.monotonic()
    try:
        for instance in instances:
            instance.start()
        await wait_ready(instances, ports)
        say(f"both instances ready in {time.monotonic() - started:.0f}s")
        reader = asyncio.create_task(read_decisions(services, topics["decisions"], run, stop_reading))
        run.t0 = time.monotonic()
        producing = asyncio.create_task(produce(services, topics, events, args.rate, run))
        duration = len(events) / args.rate
        spacing = duration / (len(faults) + 1)
        for number, name in enumerate(faults, start=1):
            await asyncio.sleep(max(0.0, run.t0 + number * spacing - time.monotonic()))
            fault = Fault(name, started_s=round(time.monotonic() - run.t0, 2))
            say(f"{fault.started_s:7.1f}s  {name}")
            await inject(name, services, instances, args.hold)
            fault.repaired_s = round(time.monotonic() - run.t0, 2)
            run.faults.append(fault)
        await producing
        say(f"all {len(events)} events sent at {time.monotonic() - run.t0:.0f}s ({run.resent} resent)")
        await settle(run, expected, args.settle)
        stop_reading.set()
        await reader
    finally:
        for instance in instances:
            instance.stop(signal.SIGTERM)
        if not args.keep_services:
            await asyncio.to_thread(services.down)
    raw = {"t0": run.t0, "sent": run.sent, "decisions": run.decisions, "resent": run.resent}
    raw["faults"] = [fault.__dict__ for fault in run.faults]
    (logs / "run.json").write_bytes(orjson.dumps(raw))  # the observations, should the analysis change
    report = analyse(run, expected, args)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    if args.out:
        Path(args.out).write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return 0 if report["passed"] else 1


async def settle(run: Run, expected: dict[str, str], quiet_s: float) -> None:
    """Until every event has a decision and no decision arrived for `quiet_s` (rescreens done)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        decided = {d["event_id"] for _, d in run.decisions if d["trigger"] == "event"}
        last = run.decisions[-1][0] if run.decisions else 0.0
        if decided >= set(expected) and time.monotonic() - last > quiet_s:
            return
        await asyncio.sleep(1)
    say("gave up waiting for every decision")


def analyse(run: Run, expected: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """The report."""
    by_event: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    rescreens: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for arrived, decision in run.decisions:
        if decision["trigger"] == "event":
            by_event.setdefault(decision["event_id"], []).append((arrived, decision))
        else:
            rescreens.setdefault(decision["subject"]["id"], []).append((arrived, decision))
    lost = sorted(set(expected) - set(by_event))
    duplicated = sorted(event_id for event_id, found in by_event.items() if len(found) > 1)

    def corrected(event_id: str, decision: dict[str, Any], want: str) -> bool:
        later = rescreens.get(decision["subject"]["id"], [])
        return bool(later) and later[-1][1]["outcome"] == want

    wrong_allows = []
    unexpected_holds = []
    for event_id, found in by_event.items():
        arrived, decision = found[0]
        want = expected.get(event_id)
        if want in ("hold", "deny") and decision["outcome"] == "allow":
            wrong_allows.append((event_id, corrected(event_id, decision, want)))
        elif want == "allow" and decision["outcome"] == "hold":
            unexpected_holds.append((event_id, corrected(event_id, decision, want)))
    latency = {
        event_id: found[0][0] - run.sent[event_id]
        for event_id, found in by_event.items()
        if event_id in run.sent
    }
    windows = []
    for fault in run.faults:
        start = run.t0 + fault.started_s
        inside = sorted((run.sent[e], e) for e in run.sent if run.sent[e] >= start)
        first = min((by_event[e][0][0] for _, e in inside if e in by_event), default=None)
        fault.first_decision_s = round(first - start, 2) if first is not None else None
        fault.normal_latency_s = _back_to_normal(inside, latency, start, args.normal_ms / 1000)
        end = start + (fault.normal_latency_s or (fault.repaired_s - fault.started_s)) + 2.0
        windows.append((start - 1.0, end))
        in_window = [e for t, e in inside if t <= end]
        fault.events_in_window = len(in_window)
        holds = {e for e, _ in unexpected_holds}
        fault.holds_not_expected = sum(1 for e in in_window if e in holds)
    outside = [
        ms * 1000 for e, ms in latency.items() if not any(lo <= run.sent[e] <= hi for lo, hi in windows)
    ]
    report = {
        "produced": len(expected),
        "decided": len(by_event),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "wrong_allows": len(wrong_allows),
        "wrong_allows_corrected_by_rescreen": sum(1 for _, ok in wrong_allows if ok),
        "wrong_allows_uncorrected": sum(1 for _, ok in wrong_allows if not ok),
        "holds_caused_by_faults": len(unexpected_holds),
        "holds_caused_by_faults_rescreened_to_allow": sum(1 for _, ok in unexpected_holds if ok),
        "decisions_matching_check": sum(
            1 for e, found in by_event.items() if found[0][1]["outcome"] == expected.get(e)
        ),
        "rescreen_decisions": sum(len(found) for found in rescreens.values()),
        "producer_resends": run.resent,
        "faults": [fault.__dict__ for fault in run.faults],
        "latency_outside_faults_ms": {
            "events": len(outside),
            "p50": round(statistics.median(outside), 1) if outside else None,
            "p99": round(_percentile(outside, 0.99), 1) if outside else None,
        },
        "rate_events_per_s": args.rate,
        "examples": {"lost": lost[:5], "duplicated": duplicated[:5], "wrong_allows": wrong_allows[:5]},
    }
    report["passed"] = (
        report["lost"] == 0 and report["duplicated"] == 0 and report["wrong_allows_uncorrected"] == 0
    )
    return report


def _back_to_normal(
    inside: list[tuple[float, str]], latency: dict[str, float], start: float, normal_s: float
) -> float | None:
    """Seconds from the fault's start to the first event after which 5 s of events all got their decision
    within `normal_s` (linear: a running count of slow events; each 5 s window's end found by bisection)."""
    times = [sent for sent, _ in inside]
    slow_before = [0]
    for _, event_id in inside:
        slow_before.append(slow_before[-1] + (latency.get(event_id, 1e9) > normal_s))
    for index, sent in enumerate(times):
        end = bisect.bisect_right(times, sent + 5.0, lo=index)
        if end - index >= 3 and slow_before[end] == slow_before[index]:
            return round(sent - start, 2)
    return None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


FULL = (
    "instance_sigterm,instance_sigkill,redis_sigkill_aof,broker_sigkill,broker_pause,"
    "redis_lost_with_instance_sigkill"
)
SHORT = "instance_sigkill,redis_lost_with_instance_sigkill,broker_sigkill"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="the CI version: fewer events and faults")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=400.0, help="events per second (open loop)")
    parser.add_argument("--faults", default=None, help=f"comma-separated, in order (default: {FULL})")
    parser.add_argument("--hold", type=float, default=8.0, help="seconds a fault lasts before its repair")
    parser.add_argument("--settle", type=float, default=15.0, help="quiet seconds that end the run")
    parser.add_argument("--normal-ms", type=float, default=1000.0, help="latency counted as back to normal")
    parser.add_argument("--out", help="also write the JSON report here")
    parser.add_argument("--keep-services", action="store_true", help="leave the suite's services running")
    args = parser.parse_args(argv)
    if args.short:
        args.events = min(args.events, 9_000)
        args.rate = min(args.rate, 150.0)
        args.faults = args.faults or SHORT
    args.faults = args.faults or FULL
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
