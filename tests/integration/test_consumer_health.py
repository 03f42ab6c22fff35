"""Health tells the truth, on the real broker and Redis: `/readyz` fails while a partition makes no progress
and when a consumer had to stop, and a dead letter the broker refuses stops the consumer instead of moving
past the message or publishing decisions again."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from screening.config import ResilienceSettings
from screening.ops import start_ops_server
from tests.integration.conftest import RunningService
from tests.integration.streams import collect, good_orders, send_all

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), orjson.loads(body)


async def readyz_until(port: int, ready: bool, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await get(port, "/readyz")
        if (status == 200) is ready:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz stayed {status}: {body}")
        await asyncio.sleep(0.3)


async def test_readyz_fails_while_a_partition_makes_no_progress_and_recovers(
    start_service, shipped_lists
) -> None:
    port = free_port()
    svc: RunningService = await start_service(
        lists=shipped_lists, metrics_port=port, resilience=ResilienceSettings(stuck_after_s=1.0)
    )
    await start_ops_server(svc.runtime)
    k = svc.settings.kafka
    await send_all(svc, k.orders_topic, good_orders("warm", 1))
    await collect(svc, 1, 0)
    await readyz_until(port, ready=True)

    # The handler cannot get on (here: held at its gate); records wait on partition 0.
    async with svc.runtime.events.gate:
        await send_all(svc, k.orders_topic, good_orders("stuck", 5))
        body = await readyz_until(port, ready=False)
        assert body["consumers"] is False
        assert list(body["stuck_partitions"]) == [f"{k.orders_topic}:0"]
        assert body["redis"] and body["kafka"] and body["lists"]

    await readyz_until(port, ready=True)
    assert len((await collect(svc, 6, 0)).decisions) == 6


async def test_a_dead_letter_the_broker_refuses_stops_the_consumer_without_republishing(
    start_service, shipped_lists
) -> None:
    port = free_port()
    svc: RunningService = await start_service(lists=shipped_lists, metrics_port=port)
    await start_ops_server(svc.runtime)
    k = svc.settings.kafka
    admin = AIOKafkaAdminClient(bootstrap_servers=k.bootstrap_servers)
    await admin.start()
    try:  # the DLQ topic refuses anything over 600 bytes: no dead letter of a 2 KB message fits
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, k.dlq_topic, {"max.message.bytes": "600"})]
        )
    finally:
        await admin.close()
    good = good_orders("before", 20)
    await send_all(svc, k.orders_topic, [*good, ("SO-bad", b"{" + b"x" * 2000)])

    body = await readyz_until(port, ready=False)
    assert "dead-letter topic" in body["consumer_error"] and body["consumers"] is False
    out = await collect(svc, 20, 0, timeout=20.0)
    out.assert_once()
    assert len(out.decisions) == 20 and out.dead_letters == []
    # The consumer stopped on the message: nothing at or past it is committed.
    assert svc.runtime.health.stopped is not None
