"""Operations endpoints: `/metrics`, `/healthz` (alive) and `/readyz` (Kafka, Redis, lists), on asyncio.

A tiny HTTP/1.1 server on `asyncio.start_server` keeps the dependency list short; it serves three GET
paths and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from screening.metrics import PrometheusMetrics

if TYPE_CHECKING:
    from screening.app import Runtime

log = logging.getLogger("screening.ops")


async def readiness(runtime: Runtime) -> dict[str, Any]:
    """What `/readyz` reports: each dependency's state, and `ready` when all are fine."""
    checks: dict[str, Any] = {}
    try:
        checks["redis"] = bool(await asyncio.wait_for(runtime.redis.ping(), timeout=1.0))
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        checks["redis"] = False
        checks["redis_error"] = str(error)
    try:
        checks["kafka"] = bool(await asyncio.wait_for(runtime.broker.ping(timeout=1.0), timeout=2.0))
    except Exception as error:  # noqa: BLE001
        checks["kafka"] = False
        checks["kafka_error"] = str(error)
    lists = runtime.lists.current
    checks["lists"] = lists is not None
    checks["lists_version"] = lists.version if lists is not None else runtime.lists.error
    checks["ready"] = bool(checks["redis"] and checks["kafka"] and checks["lists"])
    return checks


def refresh_gauges(runtime: Runtime) -> None:
    """Gauges computed from state rather than counted on the hot path."""
    metrics = runtime.metrics
    if not isinstance(metrics, PrometheusMetrics):
        return
    lists = runtime.lists.current
    metrics.lists_loaded.set(1 if lists is not None else 0)
    if lists is not None:
        metrics.lists_entries.set(len(lists.entries))
        source_date = _date_in(lists.version)
        if source_date is not None:
            metrics.lists_age.set(time.time() - _epoch(source_date))
    stats = runtime.registry.stats
    for operation, count in stats.by_operation.items():
        metrics.redis_round_trips.labels(operation).set(count)
    for operation, count in runtime.ledger.stats.by_operation.items():
        metrics.redis_round_trips.labels(operation).set(count)
    metrics.redis_errors.set(stats.errors + runtime.ledger.stats.errors)
    metrics.ownership_cache.labels("hit").set(stats.cache_hits)
    metrics.ownership_cache.labels("miss").set(stats.cache_misses)
    as_of = _date_in(runtime.registry.version_label)
    if as_of is not None:
        metrics.ownership_age.set(time.time() - _epoch(as_of))
    metrics.info.info(
        {
            "ruleset": runtime.service.engine.ruleset.version,
            "lists": lists.version if lists is not None else "unavailable",
        }
    )


def _date_in(text: str | None) -> date | None:
    if not text:
        return None
    for part in text.replace("+", ":").split(":"):
        try:
            return date.fromisoformat(part)
        except ValueError:
            continue
    return None


def _epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


async def start_ops_server(runtime: Runtime) -> asyncio.AbstractServer | None:
    """Serve `/metrics`, `/healthz`, `/readyz` when metrics are enabled."""
    settings = runtime.settings.metrics
    if not settings.enabled:
        return None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            path = request.split(b" ", 2)[1].decode() if request.count(b" ") >= 2 else "/"
            status, content_type, body = await _route(runtime, path.split("?")[0])
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except Exception:  # noqa: BLE001 - a broken client must not break the server
            log.debug("ops request failed", exc_info=True)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, settings.host, settings.port)
    log.info("ops endpoints on http://%s:%s", settings.host, settings.port)
    return server


async def _route(runtime: Runtime, path: str) -> tuple[str, str, bytes]:
    if path == "/metrics" and isinstance(runtime.metrics, PrometheusMetrics):
        refresh_gauges(runtime)
        return "200 OK", CONTENT_TYPE_LATEST, generate_latest(runtime.metrics.registry)
    if path == "/healthz":
        return "200 OK", "application/json", b'{"alive": true}'
    if path == "/readyz":
        checks = await readiness(runtime)
        status = "200 OK" if checks["ready"] else "503 Service Unavailable"
        return status, "application/json", orjson.dumps(checks)
    return "404 Not Found", "text/plain", b"not found"
