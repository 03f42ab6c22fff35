"""One fixture layer for the real services: Kafka and Redis started by `make services`, or containers.

In CI `make test` starts the services and exports `SCREENING_KAFKA__BOOTSTRAP_SERVERS` and
`SCREENING_REDIS__URL`. Where those are not set and a Docker engine answers, testcontainers starts
`apache/kafka` and Redis instead. Where neither is available the tests FAIL, never skip silently.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as redis_async
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from screening.app import Runtime, create_runtime, refresh_lists, start_registry_watch
from screening.config import KafkaSettings, MetricsSettings, RedisSettings, ResilienceSettings, Settings
from screening.domain.names import ScreeningLists
from screening.service import Clock
from screening.topics import ensure_topics

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Services:
    """Where the real Kafka and Redis answer."""

    bootstrap: str
    redis_url: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    bootstrap = os.environ.get("SCREENING_KAFKA__BOOTSTRAP_SERVERS")
    redis_url = os.environ.get("SCREENING_REDIS__URL")
    if bootstrap and redis_url:
        yield Services(bootstrap, redis_url)
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.redis import RedisContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka, RedisContainer("redis:7") as redis_c:
            host = redis_c.get_container_host_ip()
            port = redis_c.get_exposed_port(6379)
            yield Services(kafka.get_bootstrap_server(), f"redis://{host}:{port}/0")
        return
    pytest.fail(
        "integration tests need Kafka and Redis: run `make services` (or `make test`), which exports "
        "SCREENING_KAFKA__BOOTSTRAP_SERVERS and SCREENING_REDIS__URL, or provide a Docker engine"
    )


def unique(prefix: str) -> str:
    """A name no other test uses (topics, groups, key prefixes)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_settings(services: Services, redis_url: str | None = None, **kafka: object) -> Settings:
    """Settings with unique topics, group ids and Redis prefix for one test."""
    tag = unique("t")
    return Settings(
        kafka=KafkaSettings(
            bootstrap_servers=services.bootstrap,
            group_id=f"{tag}-screening",
            ownership_group_id=f"{tag}-ownership",
            orders_topic=f"{tag}.orders",
            leases_topic=f"{tag}.leases",
            ownership_topic=f"{tag}.ownership",
            decisions_topic=f"{tag}.decisions",
            dlq_topic=f"{tag}.dlq",
            reviews_topic=f"{tag}.reviews",
            reviews_group_id=f"{tag}-reviews",
            licences_topic=f"{tag}.licences",
            licences_group_id=f"{tag}-licences",
            batch_timeout_ms=20,
            **kafka,  # type: ignore[arg-type]
        ),
        redis=RedisSettings(url=redis_url or services.redis_url, prefix=f"{tag}:", socket_timeout_s=0.5),
        metrics=MetricsSettings(enabled=False),
    )


async def create_topics(settings: Settings, partitions: int = 3) -> None:
    """The test's topics, created by the service's own topic-creation code (`screening.topics`)."""
    await ensure_topics(settings.kafka, partitions)


@dataclass
class RunningService:
    """A started service and helpers to talk to it through the real broker."""

    settings: Settings
    runtime: Runtime
    producer: AIOKafkaProducer
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Stopped after the test (a test's own consumers)."""

    async def send(self, topic: str, key: str | None, value: bytes | None) -> None:
        await self.producer.send_and_wait(topic, value=value, key=key.encode() if key else None)

    async def read(
        self, topic: str, count: int, timeout: float = 60.0
    ) -> list[tuple[bytes | None, bytes | None]]:
        """Read `count` messages from `topic` (from the beginning), failing after `timeout` seconds."""
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            group_id=unique("reader"),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        found: list[tuple[bytes | None, bytes | None]] = []
        try:
            deadline = time.monotonic() + timeout
            while len(found) < count and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found.extend((r.key, r.value) for r in records)
            # Let anything extra (a duplicate) arrive before the caller counts.
            extra = await consumer.getmany(timeout_ms=1500)
            for records in extra.values():
                found.extend((r.key, r.value) for r in records)
        finally:
            await consumer.stop()
        return found


@pytest.fixture
async def start_service(services: Services) -> AsyncIterator[object]:
    """A factory: start the screening service on unique topics; everything is stopped after the test."""
    started: list[RunningService] = []

    async def start(
        redis_url: str | None = None,
        metrics_port: int | None = None,
        lists: ScreeningLists | None = None,
        resilience: ResilienceSettings | None = None,
        clock: Clock | None = None,
        settings: Settings | None = None,
        **kafka: object,
    ) -> RunningService:
        """`lists` are screened against instead of loading the shipped snapshot again (saves its ~3 s
        index build); `resilience` replaces the error-policy settings; `clock` is the service clock;
        `settings` of a service started before start another process on the same topics and Redis keys."""
        fresh = settings is None
        settings = settings or make_settings(services, redis_url, **kafka)
        if metrics_port is not None:  # Prometheus metrics on; the test starts the ops server on this port
            settings.metrics = MetricsSettings(enabled=True, host="127.0.0.1", port=metrics_port)
        if resilience is not None:
            settings.resilience = resilience
        if fresh:
            await create_topics(settings)
        runtime = create_runtime(settings, clock=clock) if clock is not None else create_runtime(settings)
        if lists is not None:
            runtime.lists.current = lists
        else:
            await refresh_lists(runtime)
        await runtime.broker.start()
        start_registry_watch(runtime)
        await wait_registry_ready(runtime)
        producer = AIOKafkaProducer(bootstrap_servers=services.bootstrap, linger_ms=1)
        await producer.start()
        running = RunningService(settings, runtime, producer)
        started.append(running)
        return running

    yield start
    for running in started:
        for task in running.runtime.tasks:
            task.cancel()
        for cleanup in running.cleanups:
            await cleanup()
        await running.runtime.rescreens.stop()
        await running.runtime.events.close()
        await running.producer.stop()
        await running.runtime.broker.stop()
        await running.runtime.redis.aclose()


async def wait_registry_ready(runtime: Runtime, timeout: float = 30.0) -> None:
    """Until the service's first check made its ownership registry (a fresh Redis prefix) ready."""
    deadline = time.monotonic() + timeout
    while runtime.registry.state.problem is not None or runtime.registry.state.generation is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"ownership registry not ready: {runtime.registry.state}")
        await asyncio.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test alone, so the test can stop and restart it."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="screening-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `make services`")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


async def wait_until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def redis_client(url: str) -> redis_async.Redis:
    return redis_async.Redis.from_url(url)
