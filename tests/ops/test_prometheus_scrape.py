"""A real Prometheus server scrapes the running service while events flow through real Kafka.

The service runs on the test's event loop, so every blocking call (HTTP to Prometheus) goes to a thread:
a blocked loop would stop both the consumer and the `/metrics` endpoint being scraped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from screening.ops import start_ops_server
from tests.integration.conftest import PrivateRedis, RunningService
from tests.support import order_event

pytestmark = [pytest.mark.integration, pytest.mark.ops]

OPS = Path(__file__).resolve().parents[2] / "ops"
RULES = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "dashboards" / "screening.json"
N_ALLOW = 30
N_DENY = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def order(event_id: str, order_id: str, buyer: str, country: str, product: str, eccn: str | None) -> bytes:
    # Occurring now: the service takes the record's time as received_at, and an event dated weeks before it
    # arrives is held for its date (EVENT_DATE_IMPLAUSIBLE), which is not what this test counts.
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return order_event(event_id, order_id, buyer, country, product, eccn, now, quantity=8)


class PrometheusServer:
    """Debian's `prometheus` on loopback, scraping one target every second, with the repo's alert rules."""

    def __init__(self, workdir: Path, target: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.target = target
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "prometheus.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("prometheus is not installed: run `make services` (installs Debian's `prometheus`)")
        config = self.workdir / "prometheus.yml"
        config.write_text(
            json.dumps(  # JSON is YAML
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(RULES)],
                    "scrape_configs": [
                        {"job_name": "screening", "static_configs": [{"targets": [self.target]}]}
                    ],
                }
            )
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited: {self.log.read_text()[-2000:]}")
            try:
                if (await asyncio.to_thread(self._get, "/-/ready"))[0] == 200:
                    return
            except OSError:
                pass
            await asyncio.sleep(0.2)
        pytest.fail(f"prometheus did not become ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self.process = None

    def _get(self, path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return int(response.status), bytes(response.read())

    async def api(self, path: str, **params: str) -> Any:
        """`data` of a Prometheus HTTP API answer; fails on an error status."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        _, body = await asyncio.to_thread(self._get, f"/api/v1/{path}{query}")
        answer = json.loads(body)
        assert answer["status"] == "success", answer
        return answer["data"]

    async def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant vector of `promql`, as label dicts with a float `value`."""
        data = await self.api("query", query=promql)
        return [{**r["metric"], "value": float(r["value"][1])} for r in data["result"]]

    async def until(self, promql: str, check: Any, timeout: float = 45.0) -> list[dict[str, Any]]:
        """Query until `check(result)` holds; fails with the last result after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = await self.query(promql)
            if check(result):
                return result
            await asyncio.sleep(0.5)
        raise AssertionError(f"{promql} never satisfied the check; last result: {result}")


async def http_get(port: int, path: str) -> tuple[int, bytes]:
    """GET on the ops server without blocking the loop it runs on."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def serve_with_metrics(start_service: Any, **kwargs: Any) -> AsyncIterator[tuple[RunningService, int]]:
    port = free_port()
    svc: RunningService = await start_service(metrics_port=port, **kwargs)
    server = await start_ops_server(svc.runtime)
    assert server is not None
    try:
        yield svc, port
    finally:
        for task in svc.runtime.tasks:
            task.cancel()
        server.close()


@pytest.fixture
async def metered(start_service: Any) -> AsyncIterator[tuple[RunningService, int]]:
    async for running in serve_with_metrics(start_service):
        yield running


@pytest.fixture
async def prometheus(metered: tuple[RunningService, int], tmp_path: Path) -> AsyncIterator[PrometheusServer]:
    server = PrometheusServer(tmp_path, f"127.0.0.1:{metered[1]}")
    await server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_prometheus_gets_the_decision_counts_of_events_sent_through_kafka(
    metered: tuple[RunningService, int], prometheus: PrometheusServer
) -> None:
    svc, _ = metered
    topic = svc.settings.kafka.orders_topic
    for i in range(N_ALLOW):
        await svc.producer.send(
            topic,
            order(f"evt-a{i}", f"SO-A{i}", "Example Research Institute GmbH", "DE", "Office chairs", "EAR99"),
            key=f"SO-A{i}".encode(),
        )
    for i in range(N_DENY):
        await svc.producer.send(
            topic,
            order(
                f"evt-d{i}",
                f"SO-D{i}",
                "Example Cloud Computing Co., Ltd.",
                "CN",
                "NVIDIA H100 SXM5 80GB",
                None,
            ),
            key=f"SO-D{i}".encode(),
        )
    await svc.producer.send(topic, b"{not json", key=b"SO-X")
    await svc.producer.flush()
    decided = await svc.read(svc.settings.kafka.decisions_topic, N_ALLOW + N_DENY)
    assert len(decided) == N_ALLOW + N_DENY

    expected = {"allow": N_ALLOW, "deny": N_DENY, "hold": 0}
    await prometheus.until(
        "sum by (outcome) (screening_decisions_total)",
        lambda result: {r["outcome"]: r["value"] for r in result} == expected,
    )
    events = await prometheus.query('sum(screening_events_consumed_total{kind="order"})')
    assert events[0]["value"] == N_ALLOW + N_DENY + 1
    dlq = await prometheus.query("sum by (error_kind) (screening_dlq_messages_total)")
    assert {r["error_kind"]: r["value"] for r in dlq} == {
        "invalid_json": 1,
        "schema": 0,
        "too_large": 0,
        "invalid_header": 0,
        "processing": 0,
        "review": 0,
    }
    reasons = await prometheus.query('sum(screening_reasons_total{code="DEST_ADV_COMPUTE"})')
    assert reasons[0]["value"] == N_DENY
    e2e = await prometheus.query("sum(screening_end_to_end_latency_seconds_count)")
    assert e2e[0]["value"] == N_ALLOW + N_DENY

    # Every partition of the orders topic reports its lag, and it drains to 0.
    lag = await prometheus.until(
        f'screening_consumer_lag{{topic="{topic}"}}',
        lambda result: len(result) == 3 and all(r["value"] == 0 for r in result),
    )
    assert sorted(r["partition"] for r in lag) == ["0", "1", "2"]
    info = await prometheus.query("screening_build_info")
    assert info[0]["lists"] == svc.runtime.lists.current.version  # type: ignore[union-attr]
    assert (await prometheus.query('up{job="screening"}'))[0]["value"] == 1

    # The real server loaded the repo's alert rules and evaluates them without error.
    groups = (await prometheus.api("rules"))["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == RULES.read_text().count("- alert:")
    assert all(rule["health"] != "err" for rule in rules), [r for r in rules if r["health"] == "err"]

    # Every dashboard query is valid PromQL for this server (Grafana macros replaced).
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = (
                target["expr"]
                .replace("$__rate_interval", "1m")
                .replace("$__range", "5m")
                .replace("$instance", ".*")
            )
            await prometheus.query(expr)


async def test_healthz_is_alive_and_readyz_reports_kafka_redis_and_lists(
    metered: tuple[RunningService, int],
) -> None:
    svc, port = metered
    status, body = await http_get(port, "/healthz")
    assert (status, orjson.loads(body)) == (200, {"alive": True})
    status, body = await http_get(port, "/readyz")
    checks = orjson.loads(body)
    assert status == 200, checks
    assert checks["ready"] and checks["kafka"] and checks["redis"] and checks["lists"]
    assert checks["lists_version"] == svc.runtime.lists.current.version  # type: ignore[union-attr]
    status, body = await http_get(port, "/metrics")
    assert status == 200 and b"screening_decisions_total" in body
    assert (await http_get(port, "/nowhere"))[0] == 404


async def test_readyz_is_unavailable_while_redis_is_down(
    start_service: Any, private_redis: PrivateRedis
) -> None:
    async for _, port in serve_with_metrics(start_service, redis_url=private_redis.url):
        assert (await http_get(port, "/readyz"))[0] == 200
        private_redis.stop()
        status, body = await http_get(port, "/readyz")
        checks = orjson.loads(body)
        assert status == 503
        assert checks["ready"] is False and checks["redis"] is False and checks["kafka"] is True
        private_redis.start()
        await asyncio.sleep(0.5)
        assert (await http_get(port, "/readyz"))[0] == 200
