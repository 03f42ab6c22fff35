"""The short fault suite (`make faults` runs the full one): two service processes on a broker and Redis of
their own, a stream with a known expected outcome per event, and an instance SIGKILL, Redis SIGKILLed with
its data lost while an instance is SIGKILLed, and a broker SIGKILL. The bar: nothing lost, nothing decided
twice, no wrong allow left uncorrected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def test_the_short_fault_suite_loses_nothing_duplicates_nothing_and_leaves_no_wrong_allow(
    tmp_path: Path,
) -> None:
    out = tmp_path / "faults.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "faults.py"), "--short", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "FAULTS_CACHE": str(REPO / ".cache" / "faults-ci")},
    )
    assert out.is_file(), result.stderr[-3000:]
    report = orjson.loads(out.read_bytes())
    assert report["produced"] >= 5000 and len(report["faults"]) == 3
    assert report["lost"] == 0, report["examples"]
    assert report["duplicated"] == 0, report["examples"]
    assert report["wrong_allows_uncorrected"] == 0, report["examples"]
    assert result.returncode == 0 and report["passed"], result.stderr[-3000:]
