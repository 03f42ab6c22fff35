"""The Docker deployment files agree with each other and with the service (no Docker engine needed)."""

from __future__ import annotations

import re
import tomllib
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


# ------------------------------------------------------------------------------------------- hardening
DIGEST = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")


def test_every_image_is_pinned_by_digest() -> None:
    images = [s["image"] for s in compose()["services"].values() if "image" in s]
    assert len(images) == 4
    for image in images:
        assert DIGEST.match(image), image
    base = re.search(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    assert base is not None and DIGEST.match(base.group(1)), base


def test_published_ports_are_bound_to_loopback_only() -> None:
    services = compose()["services"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published
    for port in published:
        assert str(port).startswith("127.0.0.1:"), port
    assert "ports" not in services["kafka"] and "ports" not in services["redis"]


def test_grafana_has_no_anonymous_access_and_its_admin_password_comes_from_a_secret_file() -> None:
    data = compose()
    grafana = data["services"]["grafana"]
    environment = grafana["environment"]
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in environment  # never a literal password
    secret_path = environment["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    assert secret_path == f"/run/secrets/{grafana['secrets'][0]}"
    assert "grafana_admin_password" in data["secrets"]
    assert ".secrets/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_redis_keeps_its_data_with_aof_persistence() -> None:
    redis = compose()["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_the_image_runs_as_a_non_root_user_and_installs_the_hash_checked_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "--no-deps ." in dockerfile


def _locked(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)
    }


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_the_lock_files_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _names(project["dependencies"])
    dev = _names(project["optional-dependencies"]["dev"])
    assert runtime <= set(_locked("requirements.lock")), runtime - set(_locked("requirements.lock"))
    assert runtime | dev <= set(_locked("requirements-dev.lock"))
    assert _locked("requirements.lock").items() <= _locked("requirements-dev.lock").items()
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        assert text.count("==") <= text.count("--hash=sha256:"), lock
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-dev.lock" in makefile
