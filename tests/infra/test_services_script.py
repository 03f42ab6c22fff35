"""`scripts/services.sh` tracks what it starts: start/stop cycles under CPU load leave no orphan.

Each test uses its own cache folder and free ports, so the services of the running suite are not
touched. `make test` runs a short form (SCREENING_SERVICES_CYCLES, default 2 cycles);
`make services-stress` runs 20.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "services.sh"
CYCLES = int(os.environ.get("SCREENING_SERVICES_CYCLES", "2"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_of(cache: Path) -> dict[int, str]:
    """Every process whose command line names a path inside `cache` (what the script started)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(cache) in words:
            found[int(entry.name)] = words.strip()
    return found


class Services:
    """`services.sh` pointed at a private cache folder and private ports."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.kafka_port, self.controller_port, self.redis_port = _free_port(), _free_port(), _free_port()
        self.env = {
            **os.environ,
            "SCREENING_CACHE": str(cache),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "REDIS_PORT": str(self.redis_port),
            "KAFKA_HEAP_OPTS": "-Xms64m -Xmx256m",
            "SCREENING_SERVICES_TIMEOUT": "240",
        }
        shared_jars = ROOT / ".cache" / "kafka" / "libs"
        if (shared_jars / ".pom.sha256").is_file():  # the suite's jars: no second Maven fetch
            self.env["SCREENING_KAFKA_LIBS"] = str(shared_jars)

    def run(self, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(SCRIPT), *args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def redis_config(self, name: str) -> str:
        answer = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "config", "get", name],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return answer.stdout.split()[-1]

    def pid(self, name: str) -> int | None:
        path = self.cache / "run" / f"{name}.pid"
        text = path.read_text().strip() if path.is_file() else ""
        return int(text) if text.isdigit() else None

    def brokers(self) -> list[int]:
        return [pid for pid, words in _processes_of(self.cache).items() if " kafka.Kafka " in f"{words} "]

    def broker_running(self, pid: int | None, seconds: float = 30) -> bool:
        """Whether `pid` is a running broker of this cache, allowing for the moment its launcher execs java:
        while a process execs, its command line can read empty, so one look is not enough."""
        deadline = time.monotonic() + seconds
        while pid is not None and Path(f"/proc/{pid}").exists():
            if pid in self.brokers():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return False

    def stop_everything(self) -> None:
        """Last resort after a failed test: stop what the script left, by pid, then drop the cache."""
        self.run("down", timeout=120)
        for pid in _processes_of(self.cache):
            _kill_quietly(pid)


def _kill_quietly(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    running = Services(tmp_path / "cache")
    try:
        yield running
    finally:
        running.stop_everything()


@contextmanager
def cpu_load() -> Iterator[int]:
    """One busy-looping process per core, for as long as the block runs."""
    cores = os.cpu_count() or 1
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        yield cores
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def test_starts_and_stops_again_and_again_under_cpu_load_without_orphans(services: Services) -> None:
    timings: list[float] = []
    with cpu_load():
        for cycle in range(CYCLES):
            started = time.monotonic()
            up = services.run("up")
            assert up.returncode == 0, f"cycle {cycle}: up failed\n{_tail(up.stderr)}"
            kafka, redis = services.pid("kafka"), services.pid("redis")
            assert kafka is not None and redis is not None
            assert services.brokers() == [kafka], f"cycle {cycle}: brokers {services.brokers()}"
            assert redis in _processes_of(services.cache)
            assert _port_open(services.kafka_port) and _port_open(services.redis_port)
            assert services.redis_config("appendonly") == "yes"  # production's persistence by default
            assert services.redis_config("appendfsync") == "everysec"

            down = services.run("down")
            assert down.returncode == 0, f"cycle {cycle}: down failed\n{_tail(down.stderr)}"
            left = _processes_of(services.cache)
            assert left == {}, f"cycle {cycle}: left running after down: {left}"
            assert not _port_open(services.kafka_port) and not _port_open(services.redis_port)
            timings.append(time.monotonic() - started)
    print(f"{CYCLES} start/stop cycles under load: {sum(timings):.0f}s, longest {max(timings):.0f}s")


def test_an_interrupted_up_leaves_the_broker_tracked_and_a_second_up_adopts_it(services: Services) -> None:
    services.env["REDIS_PERSISTENCE"] = "none"  # the switch the data-loss fault tests use
    first = services.popen("up")
    deadline = time.monotonic() + 120
    while not services.brokers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert services.brokers(), "the broker was not started"
    first.send_signal(signal.SIGKILL)  # killed while it waits for the broker to answer
    first.wait()
    tracked = services.pid("kafka")
    assert services.broker_running(tracked), f"tracked {tracked}, brokers {services.brokers()}"

    second = services.run("up")
    assert second.returncode == 0, _tail(second.stderr)
    assert services.brokers() == [tracked], "a second broker was started beside the first"
    assert services.redis_config("appendonly") == "no"

    down = services.run("down")
    assert down.returncode == 0, _tail(down.stderr)
    assert _processes_of(services.cache) == {}
