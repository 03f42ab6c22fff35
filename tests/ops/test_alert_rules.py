"""The alert rules pass `promtool check rules` and their unit tests, and every alert is tested both ways."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

OPS = Path(__file__).resolve().parents[2] / "ops" / "prometheus"
RULES = OPS / "alerts.yml"
RULE_TESTS = OPS / "alerts_test.yml"


def promtool() -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed: run `make services` (it installs Debian's `prometheus`)")
    return binary


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120, cwd=OPS)


def test_alert_rules_pass_promtool_check() -> None:
    result = run("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rule_unit_tests_pass() -> None:
    result = run("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_prometheus_config_is_valid() -> None:
    result = run("check", "config", str(OPS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    alerts = set(re.findall(r"^\s*- alert:\s*(\w+)", RULES.read_text(), flags=re.MULTILINE))
    firing: set[str] = set()
    quiet: set[str] = set()
    current: str | None = None
    for line in RULE_TESTS.read_text().splitlines():
        name = re.match(r"\s*alertname:\s*(\w+)", line)
        if name:
            current = name.group(1)
            continue
        expected = re.match(r"\s*exp_alerts:\s*(\[\])?\s*$", line)
        if expected and current is not None:
            (quiet if expected.group(1) else firing).add(current)
            current = None
    assert len(alerts) >= 7
    assert alerts - firing == set(), "alerts without a firing test"
    assert alerts - quiet == set(), "alerts without a not-firing test"
