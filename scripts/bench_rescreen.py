"""Rescreen benchmark: the cost of re-deciding the open subjects after a change, alone and shared.

Needs a Redis (`SCREENING_REDIS__URL`, default the one `make services` starts); no broker (decisions go to a
publisher that only counts them). Stores `--subjects` open orders under a unique prefix (buyers with
distinct names, one in fifty an Entity-Listed name, with the service's real digests so a rescreen on
unchanged data publishes nothing), loads the shipped lists, then measures with the service's `Rescreener`:

- `full`: a rescreen of every open subject by one instance, the cost today of any list or ownership change
  however few subjects it touches (a change touching 10 subjects costs the same);
- `shared`: the same rescreen by one of two instances (the subjects of half of the event partitions).

Prints one JSON line per measurement: seconds, subjects scanned and re-decided, µs per re-decided subject,
Redis memory per 100,000 open subjects, the extrapolation to 1,000,000 open subjects. The prefix is deleted
at the end.
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

from screening.adapters.subjects import RedisOpenSubjects
from screening.app import create_runtime, refresh_lists
from screening.codec import EventDecoder
from screening.config import MetricsSettings, RedisSettings, Settings
from screening.domain.model import Decision
from screening.kinds import ORDER
from screening.metrics import Metrics
from screening.ports import DecodedEvent, OpenSubject
from screening.rescreen import PartitionShare, Rescreener
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    url = os.environ.get("SCREENING_REDIS__URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    settings = Settings(redis=RedisSettings(url=url, prefix=prefix), metrics=MetricsSettings(enabled=False))
    runtime = create_runtime(settings)
    await refresh_lists(runtime)
    service = runtime.service
    assert isinstance(runtime.subjects, RedisOpenSubjects)
    try:
        used_before = int((await runtime.redis.info("memory"))["used_memory"])
        started = time.perf_counter()
        decoder = EventDecoder(settings.limits)
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
                        "cause": "lists (nothing changed: the cost of any change today)",
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
