"""The Docker deployment files agree with each other and with the service (no Docker engine needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return data


def test_compose_runs_kafka_redis_the_service_prometheus_and_grafana() -> None:
    services = compose()["services"]
    assert set(services) == {"kafka", "redis", "screening", "prometheus", "grafana"}
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("kafka", "redis", "prometheus"):
        assert "healthcheck" in services[name], name
    assert services["screening"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_the_service_is_wired_to_kafka_redis_and_its_metrics_port() -> None:
    environment = compose()["services"]["screening"]["environment"]
    assert environment["SCREENING_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert environment["SCREENING_REDIS__URL"].startswith("redis://redis:6379")
    assert environment["SCREENING_METRICS__HOST"] == "0.0.0.0"
    port = str(environment["SCREENING_METRICS__PORT"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {port}" in dockerfile and "/healthz" in dockerfile
    scrape = yaml.safe_load((ROOT / "ops/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]]
    assert targets == [f"screening:{port}"]


def test_prometheus_and_grafana_mount_the_files_the_repository_holds() -> None:
    services = compose()["services"]
    mounts = [v.split(":")[0] for s in ("prometheus", "grafana") for v in services[s]["volumes"]]
    for mount in mounts:
        assert (ROOT / mount).is_dir(), mount
    scrape = yaml.safe_load((ROOT / "ops/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    for rule_file in scrape["rule_files"]:
        assert (ROOT / "ops/prometheus" / rule_file).is_file()
    assert list((ROOT / "ops/grafana/dashboards").glob("*.json"))
