"""What the largest event the input limits allow costs: decode and decision time, and memory, per event.

The limits (`SCREENING_LIMITS__*`, checked at decode) bound every event: a value of at most 256 KiB, at most
50 parties (40 intermediaries), 20 aliases per party, 512 characters per name or alias, 200 items, 50
licences, 4,000 characters of free text. The value limit binds first: 50 parties with 20 aliases of 512
characters each would be over 500 KB, so the largest events here fill the 256 KiB with as many full-length
names as fit. Every name is new (random letters and words never seen by the name index), so no cache helps.

Cases: an ordinary order (for scale); an order at the limits with names made of many short distinct words;
the same with one long token per name; the same in Chinese characters; an order of 200 item lines with a
4,000-character end use; a lease at the limits. Each is decoded and decided alone (a batch of one) through
the same `ScreeningService` that `screening check` and `screening serve` use, with in-memory adapters and
the shipped lists, so the figure is the service's own work (no broker).

Run: `.venv/bin/python scripts/bench_limits_event.py [--repeat N]` (a benchmark, not a test: the machine
it runs on decides the wall-clock figures; the CPU time of the process depends less on how busy it is).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.codec import EventDecoder
from screening.config import LimitsSettings
from screening.domain.engine import ScreeningEngine
from screening.kinds import LEASE, ORDER
from screening.ports import Rejected
from screening.resources import load_catalogue, load_lists, load_ruleset
from screening.service import ScreeningService

LIMITS = LimitsSettings()
COUNTRIES = ["CN", "SG", "MY", "DE", "US", "AE", "HK", "JP"]


def words_name(rng: random.Random, chars: int) -> str:
    """A name of many short distinct made-up words, `chars` long."""
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))).capitalize())
    return " ".join(words)[:chars]


def token_name(rng: random.Random, chars: int) -> str:
    """A name that is one long token."""
    return "".join(rng.choices(string.ascii_letters, k=chars))


def han_name(rng: random.Random, chars: int) -> str:
    """A name in Chinese characters (CJK Unified Ideographs)."""
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(chars))


def fill(make: Callable[[int], dict[str, Any]], budget: int) -> dict[str, Any]:
    """The event `make(aliases)` with the most aliases per party whose JSON still fits in `budget` bytes."""
    best = make(0)
    for aliases in range(1, LIMITS.max_aliases + 1):
        event = make(aliases)
        if len(orjson.dumps(event)) > budget:
            break
        best = event
    return best


def party(rng: random.Random, namer: Callable[[random.Random, int], str], aliases: int) -> dict[str, Any]:
    """A party with a full-length name, `aliases` full-length aliases and an address."""
    return {
        "name": namer(rng, LIMITS.max_name_chars),
        "aliases": [namer(rng, LIMITS.max_name_chars) for _ in range(aliases)],
        "country": rng.choice(COUNTRIES),
        "hq_country": rng.choice(COUNTRIES),
        "address": words_name(rng, 200),
    }


def order_at_limits(rng: random.Random, namer: Callable[[random.Random, int], str], n: int) -> dict[str, Any]:
    """An order with every party slot used (seller, buyer, end user, 40 intermediaries), filling 256 KiB."""

    def make(aliases: int) -> dict[str, Any]:
        local = random.Random(rng.random())
        return {
            "event_id": f"limits-{n}",
            "occurred_at": "2026-12-01T09:00:00Z",
            "order_id": f"SO-LIMITS-{n}",
            "action": "create",
            "seller": party(local, namer, aliases),
            "buyer": party(local, namer, aliases),
            "end_user": party(local, namer, aliases),
            "intermediaries": [
                party(local, namer, aliases) | {"role": "distributor"}
                for _ in range(LIMITS.max_intermediaries)
            ],
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "NVIDIA H100 SXM 80GB", "quantity": 8}],
            "end_use": words_name(local, LIMITS.max_text_chars),
        }

    return fill(make, LIMITS.max_message_bytes - 1024)


def order_many_items(rng: random.Random, n: int) -> dict[str, Any]:
    """An order of 200 lines of varied products, and a 4,000-character end use."""
    products = ["NVIDIA H100 SXM 80GB", "H20", "NVIDIA L20", "AMD MI308X", "Office chairs", "Ascend 910B"]
    return {
        "event_id": f"items-{n}",
        "occurred_at": "2026-12-01T09:00:00Z",
        "order_id": f"SO-ITEMS-{n}",
        "action": "create",
        "seller": {"name": "Example Distribution Inc.", "country": "US"},
        "buyer": {"name": words_name(rng, 40), "country": "MY"},
        "ship_from_country": "US",
        "ship_to_country": "MY",
        "items": [
            {"line_id": str(i), "product": rng.choice(products), "quantity": rng.randint(1, 10**6)}
            for i in range(LIMITS.max_items)
        ],
        "end_use": words_name(rng, LIMITS.max_text_chars),
    }


def lease_at_limits(rng: random.Random, n: int) -> dict[str, Any]:
    """A lease with full-length names and aliases for lessor and lessee, 200 resources, a long purpose."""

    def make(aliases: int) -> dict[str, Any]:
        local = random.Random(rng.random())
        return {
            "event_id": f"lease-limits-{n}",
            "occurred_at": "2026-12-01T09:00:00Z",
            "lease_id": f"L-LIMITS-{n}",
            "action": "start",
            "lessor": party(local, words_name, aliases),
            "lessee": party(local, words_name, aliases),
            "end_user": party(local, words_name, aliases),
            "resources": [
                {"product": "NVIDIA A100 80GB", "quantity": local.randint(1, 512)}
                for _ in range(LIMITS.max_items)
            ],
            "hardware_country": "US",
            "access": "remote",
            "start": "2026-12-01",
            "end": "2027-12-01",
            "purpose": "training " + words_name(local, LIMITS.max_text_chars - 40) + " 1e400 FLOP",
        }

    return fill(make, LIMITS.max_message_bytes - 1024)


def ordinary_order(rng: random.Random, n: int) -> dict[str, Any]:
    """An everyday order: two parties, one line."""
    return {
        "event_id": f"plain-{n}",
        "occurred_at": "2026-12-01T09:00:00Z",
        "order_id": f"SO-PLAIN-{n}",
        "action": "create",
        "seller": {"name": "Example Distribution Inc.", "country": "US"},
        "buyer": {"name": words_name(rng, 30) + " Ltd", "country": "MY"},
        "ship_from_country": "US",
        "ship_to_country": "MY",
        "items": [{"line_id": "1", "product": "NVIDIA H100 SXM 80GB", "quantity": 8}],
    }


async def decide_one(service: ScreeningService, decoder: EventDecoder, kind: Any, value: bytes) -> None:
    """Decode and decide one value as a batch of one; a rejection or a missing decision stops the run."""
    decoded = decoder.decode(kind, value)
    if isinstance(decoded, Rejected):
        raise SystemExit(f"the benchmark's event was rejected: {decoded.error}")
    verdicts = await service.decide([decoded])
    if verdicts[0].decision is None:
        raise SystemExit("the benchmark's event got no decision")


async def measure(
    service: ScreeningService, decoder: EventDecoder, kind: Any, timed: list[bytes], traced: bytes
) -> dict[str, float]:
    """Mean CPU and mean and worst wall milliseconds over `timed`; peak memory allocated (MiB) deciding
    `traced`, another event of the same shape (tracing slows the work, so it is measured apart)."""
    times, cpu = [], []
    for value in timed:
        started, cpu_started = time.perf_counter(), time.process_time()
        await decide_one(service, decoder, kind, value)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    tracemalloc.start()
    await decide_one(service, decoder, kind, traced)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "cpu_ms": statistics.fmean(cpu),
        "mean_ms": statistics.fmean(times),
        "max_ms": max(times),
        "peak_mib": peak / 2**20,
    }


async def main() -> None:
    """Build the service once, then measure each case on `--repeat` fresh events."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261130)
    ruleset = load_ruleset()
    started = time.perf_counter()
    lists = load_lists([], ruleset)
    print(f"lists built in {time.perf_counter() - started:.2f} s")
    service = ScreeningService(
        ScreeningEngine(ruleset, load_catalogue()),
        lambda: lists,
        InMemoryOwnershipRegistry([], max_depth=12),
        InMemoryDecisionLedger(),
    )
    decoder = EventDecoder(LIMITS)
    cases: list[tuple[str, Any, Callable[[int], dict[str, Any]]]] = [
        ("ordinary order (2 parties, 1 line)", ORDER, lambda n: ordinary_order(rng, n)),
        (
            "order at the limits: 43 parties, names of many words",
            ORDER,
            lambda n: order_at_limits(rng, words_name, n),
        ),
        (
            "order at the limits: 43 parties, one-token names",
            ORDER,
            lambda n: order_at_limits(rng, token_name, n),
        ),
        (
            "order at the limits: 43 parties, names in Chinese characters",
            ORDER,
            lambda n: order_at_limits(rng, han_name, n),
        ),
        ("order of 200 lines, 4,000-character end use", ORDER, lambda n: order_many_items(rng, n)),
        ("lease at the limits: 200 resources, long purpose", LEASE, lambda n: lease_at_limits(rng, n)),
    ]
    print(f"{'case':<64} {'bytes':>8} {'CPU ms':>8} {'wall ms':>8} {'max ms':>8} {'peak MiB':>9}")
    for title, kind, make in cases:
        values = [orjson.dumps(make(n)) for n in range(args.repeat + 1)]
        figures = await measure(service, decoder, kind, values[:-1], values[-1])
        size = max(len(v) for v in values)
        print(
            f"{title:<64} {size:>8,} {figures['cpu_ms']:>8.1f} {figures['mean_ms']:>8.1f} "
            f"{figures['max_ms']:>8.1f} {figures['peak_mib']:>9.1f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
