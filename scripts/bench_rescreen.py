"""Rescreen benchmark: the cost of re-deciding the open subjects after a change, alone and shared.

Needs a Redis (`SCREENING_REDIS__URL`, default the one `make services` starts); no broker (decisions go to a
publisher that only counts them). Stores `--subjects` open orders under a unique prefix (buyers with
distinct names, one in fifty an Entity-Listed name, with the service's real digests so a rescreen on
unchanged data publishes nothing), loads the shipped lists, then measures with the service's `Rescreener`:

- `full`: a rescreen of every open subject by one instance: the periodic one, and any change the dependency
  index cannot serve (however few subjects it touches);
- `shared`: the same rescreen by one of two instances (the subjects of half of the event partitions).

Prints one JSON line per measurement: seconds, subjects scanned and re-decided, µs per re-decided subject,
Redis memory per 100,000 open subjects, the extrapolation to 1,000,000 open subjects. The prefix is deleted
at the end.

With `--delta`, rescreens of what changed instead: `--subjects` open orders (default 1,000,000) of
`--buyers` distinct repeat customers (each with an address; one in three known to the registry by id, on
a chain of two owners; one in fifty a listed name), each customer's order decided once by the engine and
its subjects recorded through the store's own write path with that decision's real dependencies. Then,
with the dependency index marked complete as a full rescreen leaves it:

- `delta_10`: a new list entry naming a customer with 10 open orders;
- `delta_1pct`: a new list version with 1 % of its entries changed (aliases and addresses changed,
  entries removed, entries added);
- `delta_ownership`: an ownership feed batch giving one parent company a new owner.

Each line gives the wall time (list diff, candidate selection, re-decisions), the candidates and
re-decided subjects, the distinct name and address queries screened, and where the time went; the
fill line gives Redis memory per 100,000 open subjects with and without the index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time
import uuid
from typing import Any

import orjson

from screening.adapters.redis_store import RedisOwnershipRegistry
from screening.adapters.subjects import RedisOpenSubjects
from screening.app import create_runtime, refresh_lists
from screening.codec import EventDecoder
from screening.config import MetricsSettings, RedisSettings, Settings
from screening.domain.lists import ListEntry
from screening.domain.model import Decision
from screening.domain.names import ScreeningLists
from screening.domain.ownership import OwnerLink, OwnershipRecord
from screening.kinds import ORDER
from screening.metrics import Metrics
from screening.ports import DecodedEvent, OpenSubject
from screening.rescreen import (
    INDEX_BASIS,
    PartitionShare,
    RescreenChange,
    Rescreener,
    lists_change,
    ownership_change,
)
from screening.runtime import Runtime
from screening.service import decision_digest

LISTED = ["Sugon", "IFLYTEK", "Inspur Group Co., Ltd.", "Hikvision"]
PARTITIONS = 6


def order(i: int) -> bytes:
    buyer = LISTED[i % len(LISTED)] if i % 50 == 0 else f"Example Buyer {i} Sdn. Bhd."
    return orjson.dumps(
        {
            "event_id": f"e-{i}",
            "occurred_at": "2026-10-01T10:00:00Z",
            "order_id": f"SO-{i}",
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": {"name": buyer, "country": "MY"},
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


class HalfOfThePartitions(PartitionShare):
    """The share of one of two instances: even partitions of a six-partition orders topic."""

    def __init__(self) -> None:
        super().__init__({"order": "orders", "lease": "leases"}, lambda: None, asyncio.Lock(), None)
        self._partitions = {"orders": list(range(PARTITIONS)), "leases": list(range(PARTITIONS))}
        self._owned = frozenset(("orders", p) for p in range(0, PARTITIONS, 2))
        self._assigned.set()

    def _in_group(self) -> bool:
        return True


async def count_published(topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


WORDS = [
    "Pacific",
    "Global",
    "Precision",
    "Office",
    "Supplies",
    "Logistics",
    "Star",
    "Dragon",
    "Lotus",
    "Kinabalu",
    "Penang",
    "Johor",
    "Melaka",
    "Harbour",
    "Summit",
    "Crescent",
    "Orchid",
    "Meridian",
    "Atlas",
    "Horizon",
    "Quantum",
    "Vertex",
    "Sterling",
    "Harmony",
    "Golden",
    "Eagle",
    "Crystal",
    "Emerald",
    "Phoenix",
    "Coral",
    "Monsoon",
    "Borneo",
    "Selangor",
    "Perak",
    "Sabah",
    "Sarawak",
    "Kedah",
    "Pahang",
]
RARE = "Zephyr Lumen Photonics Sdn. Bhd."
"""The customer of the 10 open orders a new list entry names in `delta_10`."""


def customer(b: int) -> dict[str, Any]:
    """Buyer number `b`: a distinct name and address; one in three known to the registry by id."""
    if b % 50 == 0:
        name = LISTED[(b // 50) % len(LISTED)]
    else:
        name = f"{WORDS[b % len(WORDS)]} {WORDS[(b // 7) % len(WORDS)]} {b} Trading Sdn. Bhd."
    party: dict[str, Any] = {
        "name": name,
        "country": "MY",
        "address": f"No. {b % 200 + 1}, Jalan {WORDS[(b // 3) % len(WORDS)]} {b % 97}, Petaling Jaya",
    }
    if b % 3 == 1:
        party["party_id"] = f"my-{b}"
    return party


def customer_order(i: int, party: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"e-{i}",
            "occurred_at": "2026-10-01T10:00:00Z",
            "order_id": f"SO-{i}",
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": party,
            "ship_from_country": "US",
            "ship_to_country": "MY",
            "items": [{"line_id": "1", "product": "Office chairs", "quantity": 2, "eccn": "EAR99"}],
        }
    )


def registry_records(buyers: int) -> list[OwnershipRecord]:
    """The registry entries of the customers known by id: each owned by one of 1,000 parents, each parent
    by one of 50 groups."""
    found = [
        OwnershipRecord(f"group-{g}", f"{WORDS[g % len(WORDS)]} Group {g} Berhad", country="MY")
        for g in range(50)
    ]
    found += [
        OwnershipRecord(
            f"parent-{p}",
            f"{WORDS[p % len(WORDS)]} Holdings {p} Berhad",
            country="MY",
            owners=(OwnerLink(f"group-{p % 50}", 0.6),),
        )
        for p in range(1000)
    ]
    for b in range(1, buyers, 3):
        party = customer(b)
        found.append(
            OwnershipRecord(
                f"my-{b}", party["name"], country="MY", owners=(OwnerLink(f"parent-{b % 1000}", 0.8),)
            )
        )
    return found


def changed_one_percent(lists: ScreeningLists) -> list[ListEntry]:
    """The entries with 1 % changed: a quarter get another alias, a quarter another address, a quarter are
    removed, and as many new ones are added."""
    entries = list(lists.entries)
    step = 100
    out: list[ListEntry] = []
    for n, entry in enumerate(entries):
        if n % step != 0:
            out.append(entry)
            continue
        kind = (n // step) % 4
        if kind == 0:
            out.append(ListEntry(**{**_fields(entry), "alt_names": (*entry.alt_names, f"{entry.name} Intl")}))
        elif kind == 1:
            out.append(ListEntry(**{**_fields(entry), "addresses": f"{n} Example Road, Singapore"}))
        elif kind == 3:
            out.append(entry)
            out.append(
                ListEntry(
                    f"bench-new-{n}",
                    "EL",
                    f"{WORDS[n % len(WORDS)]} {WORDS[(n // 5) % len(WORDS)]} Microsystems {n} Ltd.",
                    countries=("CN",),
                    entry_type="Entity",
                )
            )
        # kind 2: removed
    return out


def _fields(entry: ListEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in ListEntry.__dataclass_fields__}


async def _bench_runtime() -> tuple[Runtime, str]:
    """The service's runtime on the bench's Redis (`SCREENING_REDIS__URL`) under a key prefix of its own
    (deleted at the end), with the shipped lists loaded; and that prefix."""
    url = os.environ.get("SCREENING_REDIS__URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(redis=RedisSettings(url=url, prefix=prefix), metrics=MetricsSettings(enabled=False))
    runtime = create_runtime(settings)
    await refresh_lists(runtime)
    return runtime, prefix


async def delta_bench(args: argparse.Namespace) -> None:
    """Fill `--subjects` open orders with their dependencies, then time the delta rescreens."""
    runtime, prefix = await _bench_runtime()
    service = runtime.service
    service.lists_max_age_hours = None  # the shipped snapshot is months old: not what is measured here
    subjects = runtime.subjects
    registry = runtime.registry
    assert isinstance(subjects, RedisOpenSubjects) and isinstance(registry, RedisOwnershipRegistry)
    decoder = EventDecoder(runtime.settings.limits)
    try:
        used_before = int((await runtime.redis.info("memory"))["used_memory"])
        started = time.perf_counter()
        generation = await registry.start_generation()
        records = registry_records(args.buyers)
        for start in range(0, len(records), 2000):
            await registry.upsert(records[start : start + 2000])
        await registry.complete_generation(generation)
        # One decision per customer (the answer depends on the customer, not on the order number); the
        # rare customer's orders are the last ten.
        templates: list[tuple[dict[str, Any], str, tuple[str, ...] | None]] = []
        parties = [customer(b) for b in range(args.buyers)] + [{"name": RARE, "country": "MY"}]
        for start in range(0, len(parties), 1000):
            chunk = parties[start : start + 1000]
            decoded = [decoder.decode(ORDER, customer_order(0, p)) for p in chunk]
            events = [d.event for d in decoded if isinstance(d, DecodedEvent)]
            decisions: list[Decision] = await service.rescreen(events)
            templates += [
                (p, decision_digest(d), d.dependencies.keys() if d.dependencies else None)
                for p, d in zip(chunk, decisions, strict=True)
            ]
        decided_s = time.perf_counter() - started
        recorded = time.perf_counter()
        regular = args.subjects - 10
        for start in range(0, args.subjects, 2000):
            batch = []
            for i in range(start, min(start + 2000, args.subjects)):
                party, digest, keys = templates[i % args.buyers] if i < regular else templates[-1]
                batch.append(OpenSubject("order", f"SO-{i}", customer_order(i, party), digest, keys))
            await subjects.record(batch, [])
        record_s = time.perf_counter() - recorded
        used = int((await runtime.redis.info("memory"))["used_memory"]) - used_before
        # What a full rescreen leaves: every subject's keys written, the index marked complete.
        basis = f"{INDEX_BASIS}/{service.engine.ruleset.version}"
        assert await subjects.mark_indexed(["*"], basis, subjects.index_failures)
        queries = await runtime.redis.hlen(f"{prefix}rev:v1:names") + await runtime.redis.hlen(
            f"{prefix}rev:v1:addrs"
        )
        print(
            orjson.dumps(
                {
                    "bench": "rescreen_delta_fill",
                    "subjects": args.subjects,
                    "customers": args.buyers,
                    "distinct_queries": queries,
                    "decide_customers_s": round(decided_s, 1),
                    "record_s": round(record_s, 1),
                    "record_us_per_subject": round(record_s / args.subjects * 1e6, 1),
                    "redis_bytes_per_100k_subjects": round(used / args.subjects * 100_000),
                }
            ).decode()
        )

        rescreener = Rescreener(
            service, subjects, count_published, "decisions", Metrics(), asyncio.Lock(), args.chunk
        )
        old = runtime.lists.current
        assert old is not None

        async def measure(name: str, cause: str, change: RescreenChange | None, diff_s: float) -> None:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            report = await rescreener.rescreen(cause, change)
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            print(
                orjson.dumps(
                    {
                        "bench": f"rescreen_{name}",
                        "open_subjects": args.subjects,
                        "mode": report.mode,
                        "candidates": report.candidates,
                        "redecided": report.scanned - report.undecodable,
                        "published": report.published,
                        "queries_screened": report.queries_screened,
                        "diff_s": round(diff_s, 3),
                        "rescreen_s": round(seconds, 3),
                        "total_s": round(diff_s + seconds, 3),
                        "cpu_s": round((after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime), 2),
                    }
                ).decode()
            )

        # (a) one new entry naming the customer of 10 open orders.
        rare = ListEntry("bench-rare", "EL", RARE, countries=("MY",), entry_type="Entity")
        built = time.perf_counter()
        new = ScreeningLists.build(
            (*old.entries, rare), f"{old.version}+rare", old.index.thresholds, as_of=old.as_of
        )
        build_s = time.perf_counter() - built
        print(
            orjson.dumps(
                {"bench": "lists_build", "entries": len(new.entries), "seconds": round(build_s, 1)}
            ).decode()
        )
        diffed = time.perf_counter()
        change = lists_change(old, new, service.now(), None)
        diff_s = time.perf_counter() - diffed
        runtime.lists.current = new
        await measure("delta_10", "lists", change, diff_s)

        # (b) 1 % of the entries changed.
        previous = new
        new = ScreeningLists.build(
            changed_one_percent(previous), f"{old.version}+1pct", old.index.thresholds, as_of=old.as_of
        )
        diffed = time.perf_counter()
        change = lists_change(previous, new, service.now(), None)
        diff_s = time.perf_counter() - diffed
        assert change is not None
        print(orjson.dumps({"bench": "lists_delta", "entries_touched": len(change.entries)}).decode())
        runtime.lists.current = new
        await measure("delta_1pct", "lists", change, diff_s)

        # (c) a parent company gets a new owner through the feed.
        parent = OwnershipRecord(
            "parent-7", "Meridian Holdings 7 Berhad", country="MY", owners=(OwnerLink("group-8", 0.9),)
        )
        await registry.upsert([parent])
        await measure("delta_ownership", "ownership", ownership_change([("parent-7", parent)]), 0.0)

        index_keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}rev:v1:*", count=1000)]
        for start in range(0, len(index_keys), 1000):
            await runtime.redis.unlink(*index_keys[start : start + 1000])
        await asyncio.sleep(2)  # UNLINK frees in the background
        without = int((await runtime.redis.info("memory"))["used_memory"]) - used_before
        print(
            orjson.dumps(
                {
                    "bench": "rescreen_delta_memory",
                    "redis_bytes_per_100k_subjects_with_index": round(used / args.subjects * 100_000),
                    "redis_bytes_per_100k_subjects_without_index": round(without / args.subjects * 100_000),
                    "index_keys": len(index_keys),
                }
            ).decode()
        )
    finally:
        keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await runtime.redis.unlink(*keys[start : start + 1000])
        await runtime.redis.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--delta", action="store_true", help="rescreens of what changed (see above)")
    parser.add_argument("--buyers", type=int, default=20_000, help="distinct customers (with --delta)")
    args = parser.parse_args()
    if args.delta:
        args.subjects = args.subjects or 1_000_000
        await delta_bench(args)
        return
    args.subjects = args.subjects or 100_000
    runtime, prefix = await _bench_runtime()
    service = runtime.service
    assert isinstance(runtime.subjects, RedisOpenSubjects)
    assert isinstance(runtime.registry, RedisOwnershipRegistry)
    service.lists_max_age_hours = None  # the shipped snapshot is months old: not what is measured here
    try:
        # An empty registry, loaded: without its generation marker every rescreen stops (registry gone).
        await runtime.registry.complete_generation(await runtime.registry.start_generation())
        used_before = int((await runtime.redis.info("memory"))["used_memory"])
        started = time.perf_counter()
        decoder = EventDecoder(runtime.settings.limits)
        for start in range(0, args.subjects, 2000):
            raws = [order(i) for i in range(start, min(start + 2000, args.subjects))]
            decoded = [decoder.decode(ORDER, raw) for raw in raws]
            events = [d.event for d in decoded if isinstance(d, DecodedEvent)]
            decisions: list[Decision] = await service.rescreen(events)
            await runtime.subjects.record(
                [
                    OpenSubject("order", d.subject_id, raw, decision_digest(d))
                    for d, raw in zip(decisions, raws, strict=True)
                ],
                [],
            )
        filled_s = time.perf_counter() - started
        used = int((await runtime.redis.info("memory"))["used_memory"]) - used_before
        print(
            orjson.dumps(
                {"bench": "rescreen_fill", "subjects": args.subjects, "seconds": round(filled_s, 1)}
            ).decode()
        )

        for name, share in (("full", None), ("shared", HalfOfThePartitions())):
            rescreener = Rescreener(
                service,
                runtime.subjects,
                count_published,
                "decisions",
                Metrics(),
                asyncio.Lock(),
                args.chunk,
                share=share,
            )
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            report = await rescreener.rescreen("lists")
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu_s = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
            decided = report.scanned - report.elsewhere - report.undecodable
            print(
                orjson.dumps(
                    {
                        "bench": f"rescreen_{name}",
                        "cause": "lists (nothing changed: every subject re-decided, as a full rescreen does)",
                        "open_subjects": report.scanned,
                        "redecided": decided,
                        "published": report.published,
                        "seconds": round(seconds, 2),
                        "cpu_seconds": round(cpu_s, 2),
                        "us_per_redecided_subject": round(seconds / max(decided, 1) * 1e6, 1),
                        "seconds_at_1m_open_subjects": round(seconds / max(report.scanned, 1) * 1_000_000, 1),
                        "redis_bytes_per_100k_subjects": round(used / args.subjects * 100_000),
                    }
                ).decode()
            )
    finally:
        keys = [key async for key in runtime.redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await runtime.redis.delete(*keys)
        await runtime.redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
