"""Operations endpoints: `/metrics`, `/healthz` (alive) and `/readyz` (Kafka, Redis, lists, consumers), on
asyncio.

A tiny HTTP/1.1 server on `asyncio.start_server` keeps the dependency list short; it serves three GET
paths and nothing else. What the metrics export beyond the handlers' counters (data ages, Redis counters,
consumer lag and stuck partitions, versions) is read from the runtime at scrape time by `RuntimeState`.
`/readyz` fails while a consumer is stopped or a partition is stuck (records to consume, no commit for
`resilience.stuck_after_s`); its error texts never carry a connection string.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import orjson
from aiokafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from screening.adapters.holds import RedisOpenHolds
from screening.metrics import HOLD_AGE_BOUNDS, HoldsState, PrometheusMetrics, ServiceState, build_versions
from screening.runtime import Runtime

log = logging.getLogger("screening.ops")

LAG_TIMEOUT_S = 1.0
"""Longest a scrape waits for consumer positions; partitions without one are left out of that scrape."""


_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without credentials: the user and password part of any URL, and every configured secret
    (connection strings, passwords) wherever it appears."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return _USERINFO.sub(r"\g<scheme>[redacted]@", text)


async def readiness(runtime: Runtime) -> dict[str, Any]:
    """What `/readyz` reports: each dependency's state, and `ready` when all are fine."""
    checks: dict[str, Any] = {}
    secrets = runtime.secrets
    try:
        checks["redis"] = bool(await asyncio.wait_for(runtime.redis.ping(), timeout=1.0))
    except Exception as error:  # any failure means not ready
        checks["redis"] = False
        checks["redis_error"] = redact(f"{type(error).__name__}: {error}", secrets)
    try:
        checks["kafka"] = bool(await asyncio.wait_for(runtime.broker.ping(timeout=1.0), timeout=2.0))
    except Exception as error:  # any failure means not ready
        checks["kafka"] = False
        checks["kafka_error"] = redact(f"{type(error).__name__}: {error}", secrets)
    lists = runtime.lists.current
    checks["lists"] = lists is not None
    checks["lists_version"] = (
        lists.version if lists is not None else redact(runtime.lists.error or "not loaded", secrets)
    )
    refused = runtime.lists.refused
    if refused is not None:
        # Still ready: the lists in memory are screened against; the refused version is for an operator.
        checks["lists_refused"] = {"version": refused.version, "problems": list(refused.problems)}
    if runtime.lists.forced is not None:
        checks["lists_forced"] = runtime.lists.forced
    ends, positions = await partition_offsets(runtime.subscribers)
    limit = runtime.settings.resilience.stuck_after_s
    stuck = {
        f"{topic}:{partition}": round(seconds, 1)
        for (topic, partition), seconds in runtime.health.stuck_seconds(ends, positions).items()
        if seconds >= limit
    }
    signer = getattr(runtime, "signer", None)
    checks["signing"] = f"ed25519:{signer.key_id}" if signer is not None else "off"
    stopped = runtime.health.stopped
    checks["consumers"] = not stuck and stopped is None
    if stuck:
        checks["stuck_partitions"] = stuck
    if stopped is not None:
        checks["consumer_error"] = redact(stopped, secrets)
    checks["ready"] = bool(checks["redis"] and checks["kafka"] and checks["lists"] and checks["consumers"])
    return checks


async def partition_offsets(
    subscribers: Iterable[Any],
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    """(highwater, position) of every partition assigned to the started subscribers' consumers.

    FastStream's Kafka subscriber keeps its `AIOKafkaConsumer` in `.consumer` once started. The highwater
    mark comes with each fetch response, so a partition not fetched yet has none and is left out.
    """
    ends: dict[tuple[str, int], int] = {}
    positions: dict[tuple[str, int], int] = {}
    for subscriber in subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None or not hasattr(consumer, "assignment"):
            continue
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await asyncio.wait_for(consumer.position(tp), timeout=LAG_TIMEOUT_S)
            except (KafkaError, TimeoutError):  # revoked meanwhile, or its offset is being reset
                continue
            ends[(tp.topic, tp.partition)] = highwater
            positions[(tp.topic, tp.partition)] = position
    return ends, positions


class RuntimeState:
    """The `ServiceState` of a runtime; `refresh()` reads the consumer lag (async) before a scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._versions = build_versions()
        self.lag: dict[tuple[str, int], int] = {}
        self.stuck: dict[tuple[str, int], float] = {}
        self.holds: HoldsState | None = None
        self.licences: dict[str, tuple[int, int]] = {}

    async def refresh(self) -> None:
        """Read the consumer lag of every subscriber and how long each partition has made no progress, the
        review queue and the licence balances."""
        ends, positions = await partition_offsets(self._runtime.subscribers)
        self.lag = {tp: max(0, end - positions[tp]) for tp, end in ends.items()}
        self.stuck = self._runtime.health.stuck_seconds(ends, positions)
        await self._refresh_reviews()

    async def _refresh_reviews(self) -> None:
        holds = getattr(self._runtime, "holds", None)
        try:
            if isinstance(holds, RedisOpenHolds):
                bounds = [seconds for _, seconds in HOLD_AGE_BOUNDS]
                total, oldest, counts = await holds.ages(datetime.now(UTC), bounds)
                older = {label: count for (label, _), count in zip(HOLD_AGE_BOUNDS, counts, strict=True)}
                self.holds = HoldsState(total, oldest, older, await holds.by_reason())
            licences = getattr(self._runtime, "licences", None)
            if licences is not None:
                self.licences = await licences.balances()
        except Exception as error:  # a scrape never fails for Redis: the gauges are left out
            log.warning("review queue or licence balances unreadable at scrape: %s", error)
            self.holds = None

    def __call__(self) -> ServiceState:
        runtime = self._runtime
        holder = runtime.lists
        lists = holder.current
        now = time.time()
        lists_age_s: float | None = None
        if lists is not None:
            # A list of unknown date is as stale as can be (the alert fires, as the decisions hold).
            lists_age_s = now - lists.as_of.timestamp() if lists.as_of is not None else math.inf
        max_age = runtime.service.lists_max_age_hours
        label = getattr(runtime.registry, "version_label", None)  # the Redis registry's `<as_of>:<version>`
        ownership_day = _oldest_date_in(label.split(":", 1)[0]) if isinstance(label, str) else None
        # Round-trip counters of the Redis adapters (in-memory ones, in component tests, keep none).
        redis = {
            store: stats
            for store, adapter in (
                ("ownership", runtime.registry),
                ("ledger", runtime.ledger),
                ("subjects", runtime.subjects),
                ("holds", getattr(runtime, "holds", None)),
                ("licences", getattr(runtime, "licences", None)),
            )
            if (stats := getattr(adapter, "stats", None)) is not None
        }
        return ServiceState(
            versions={
                **self._versions,
                "ruleset": runtime.service.engine.ruleset.version,
                "lists": lists.version if lists is not None else "unavailable",
            },
            lists_loaded=lists is not None,
            lists_entries=len(lists.entries) if lists is not None else 0,
            lists_age_s=lists_age_s,
            ownership_age_s=now - _epoch(ownership_day) if ownership_day is not None else None,
            redis=redis,
            cache=redis.get("ownership"),
            consumer_lag=self.lag,
            consumer_stuck_s=self.stuck,
            ownership_registry_problem=_registry_problem(runtime.registry),
            lists_max_age_s=max_age * 3600 if max_age is not None else None,
            lists_refused=holder.refused is not None,
            lists_forced=holder.forced is not None,
            lists_republished=dict(holder.republished),
            lists_fetches=dict(holder.fetches),
            holds=self.holds,
            licences=self.licences,
            review_sla_s=getattr(getattr(runtime.settings, "reviews", None), "sla_s", None),
        )


def _registry_problem(registry: Any) -> str | None:
    """The Redis registry's current problem (an in-memory registry, in component tests, has none)."""
    state = getattr(registry, "state", None)
    return getattr(state, "problem", None)


def _oldest_date_in(text: str | None) -> date | None:
    """The oldest ISO date among the `:`/`+` separated parts of a version (`csl:2026-07-31:ab12+...`)."""
    if not text:
        return None
    found: list[date] = []
    for part in text.replace("+", ":").split(":"):
        try:
            found.append(date.fromisoformat(part))
        except ValueError:
            continue
    return min(found, default=None)


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


async def start_ops_server(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Serve `/metrics`, `/healthz`, `/readyz` when metrics are enabled.

    The server is kept by a task in `runtime.tasks`: cancelling it (the app's shutdown) closes the server.
    """
    settings = runtime.settings.metrics
    if not settings.enabled:
        return None
    state = RuntimeState(runtime)
    if isinstance(runtime.metrics, PrometheusMetrics):
        runtime.metrics.watch(state)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            path = request.split(b" ", 2)[1].decode() if request.count(b" ") >= 2 else "/"
            status, content_type, body = await _route(runtime, state, path.split("?")[0])
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except Exception:  # a broken client must not break the server
            log.debug("ops request failed", exc_info=True)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, settings.host, settings.port)
    runtime.tasks.append(asyncio.create_task(server.serve_forever()))
    log.info("ops endpoints on http://%s:%s", settings.host, settings.port)
    return server


async def _route(runtime: Runtime, state: RuntimeState, path: str) -> tuple[str, str, bytes]:
    if path == "/metrics" and isinstance(runtime.metrics, PrometheusMetrics):
        await state.refresh()
        return "200 OK", CONTENT_TYPE_LATEST, generate_latest(runtime.metrics.registry)
    if path == "/healthz":
        return "200 OK", "application/json", b'{"alive": true}'
    if path == "/readyz":
        checks = await readiness(runtime)
        status = "200 OK" if checks["ready"] else "503 Service Unavailable"
        return status, "application/json", orjson.dumps(checks)
    return "404 Not Found", "text/plain", b"not found"
