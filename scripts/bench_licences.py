"""Cost of the licence draw-down per batch, on the real Redis (`make services`; SCREENING_REDIS__URL).

Each batch is what the pipeline sends after deciding a batch of `--batch` events whose decisions are all
`allow` with a licence on file: one `RedisLicenceStore.draw` call (the Lua script) with one line per event,
spread over `--licences` licences, and the batch's licence read (`book`) that precedes it. A second pass
sends the same batches again (a redelivery: every line already drawn, nothing drawn twice). Prints one
JSON object: milliseconds per call (median, p99), microseconds per event, for the draw, the redelivered
draw and the read. All keys are written under a fresh prefix and deleted afterwards.

Run: `.venv/bin/python scripts/bench_licences.py [--batches N] [--batch N] [--licences N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import orjson

from screening.adapters.licences import RedisLicenceStore
from screening.adapters.redis_store import create_client
from screening.domain.licensing import LicenceRecord
from screening.ports import DrawRequest


def _summary(samples: list[float], batch: int) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 3),
        "per_event_us": round(statistics.median(ordered) / batch * 1e6, 2),
    }


async def main(batches: int, batch: int, licences: int) -> None:
    url = os.environ.get("SCREENING_REDIS__URL", "redis://127.0.0.1:16379/0")
    client = create_client(url, 5.0)
    prefix = f"bench-lic-{uuid.uuid4().hex[:8]}:"
    store = RedisLicenceStore(client, prefix)
    numbers = [f"L{i:04d}" for i in range(licences)]
    await store.upsert(
        [LicenceRecord(n, "license", ("3A090.a",), ("CN",), quantity_limit=10**9) for n in numbers]
    )
    requests = [
        [
            DrawRequest(f"e{b}-{i}", [(numbers[(b * batch + i) % licences], "1", 1 + i % 4)])
            for i in range(batch)
        ]
        for b in range(batches)
    ]
    try:
        for warm in requests[:3]:  # the script is loaded and the connection warm before measuring
            await store.draw([DrawRequest(f"warm-{r.event_id}", r.draws) for r in warm])
        draw, again, read = [], [], []
        for chunk in requests:
            started = time.perf_counter()
            await store.book([number for request in chunk for number, _, _ in request.draws])
            read.append(time.perf_counter() - started)
            started = time.perf_counter()
            short = await store.draw(chunk)
            draw.append(time.perf_counter() - started)
            assert not short
        for chunk in requests:
            started = time.perf_counter()
            await store.draw(chunk)
            again.append(time.perf_counter() - started)
        drawn = sum(used for _, used in (await store.balances()).values())
        expected = sum(units for chunk in requests for r in chunk for _, _, units in r.draws)
        warm_units = sum(units for chunk in requests[:3] for r in chunk for _, _, units in r.draws)
        assert drawn == expected + warm_units, (drawn, expected + warm_units)  # redelivery drew nothing
        print(
            orjson.dumps(
                {
                    "batches": batches,
                    "events_per_batch": batch,
                    "licences": licences,
                    "draw": _summary(draw, batch),
                    "redelivered_draw": _summary(again, batch),
                    "licence_read": _summary(read, batch),
                },
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument(
        "--batch", type=int, default=500, help="events per batch (the consumer's max_records)"
    )
    parser.add_argument("--licences", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.batches, args.batch, args.licences))
