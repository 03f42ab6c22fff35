"""Ownership benchmark: Redis round trips per batch and evaluation cost per party, cold and warm.

Needs a Redis (`SCREENING_REDIS__URL`, default the one `make services` starts). Builds a registry of
`--parties` buyers, each owned through a three-level chain (buyer → intermediate → holding → top), a
tenth of the tops being listed companies, loads it into Redis under a unique prefix, then measures:

- `snapshot` of a batch of parties: cold (empty in-process cache: one Lua call walks every chain) and
  warm (cache valid: one GET of the registry version), with the Redis round trips each made;
- `analyse` per party (fixed point, path exposure, ultimate parent) on the fetched records;
- the same for the whole engine profile step (names of owners screened against the lists, cached).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import date

import orjson

from screening.adapters.redis_store import RedisOwnershipRegistry, create_client
from screening.domain.model import Party
from screening.domain.ownership import OwnerLink, OwnershipPolicy, OwnershipRecord, analyse
from screening.resources import load_lists, load_ruleset

LISTED_TOPS = ["Sugon", "IFLYTEK", "Inspur Group Co., Ltd.", "Hikvision"]


def registry(parties: int) -> list[OwnershipRecord]:
    """Chains of four records per buyer; every tenth chain ends in a listed company."""
    records: list[OwnershipRecord] = []
    as_of = date(2026, 10, 1)
    for i in range(parties):
        top_name = LISTED_TOPS[i % len(LISTED_TOPS)] if i % 10 == 0 else f"Example Top Holdings {i} Ltd"
        records.append(OwnershipRecord(f"top-{i}", top_name, country="CN", as_of=as_of))
        records.append(
            OwnershipRecord(
                f"hold-{i}",
                f"Example Holdco {i} Limited",
                country="HK",
                owners=(OwnerLink(f"top-{i}", 1.0),),
                as_of=as_of,
            )
        )
        records.append(
            OwnershipRecord(
                f"mid-{i}",
                f"Example Mid {i} Pte Ltd",
                country="SG",
                owners=(OwnerLink(f"hold-{i}", 0.6),),
                as_of=as_of,
            )
        )
        records.append(
            OwnershipRecord(
                f"buyer-{i}",
                f"Example Buyer {i} Sdn Bhd",
                country="MY",
                owners=(OwnerLink(f"mid-{i}", 0.8),),
                as_of=as_of,
            )
        )
    return records


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Load the registry, measure, clean up."""
    url = os.environ.get("SCREENING_REDIS__URL", "redis://127.0.0.1:16379/0")
    prefix = f"bench-own-{uuid.uuid4().hex[:8]}:"
    client = create_client(url, 5.0)
    source = RedisOwnershipRegistry(client, prefix)
    records = registry(args.parties)
    for start in range(0, len(records), 2000):
        await source.upsert(records[start : start + 2000])
    # Loaded into an empty Redis, the generation is `building` until a service replays the feed into it.
    await source.complete_generation((await source.read_state()).generation or "")
    parties = [
        Party(name=f"Example Buyer {i} Sdn Bhd", role="buyer", country="MY") for i in range(args.parties)
    ]
    batches = [parties[i : i + args.batch] for i in range(0, len(parties), args.batch)]

    cold_ms, warm_ms, cold_trips, warm_trips = [], [], [], []
    for batch in batches:
        source._cache_version = None  # an update elsewhere: the next read must walk the chains again
        before = source.stats.round_trips
        started = time.perf_counter()
        snapshot = await source.snapshot(batch)
        cold_ms.append((time.perf_counter() - started) * 1000)
        cold_trips.append(source.stats.round_trips - before)
        assert len(snapshot.resolved) == len(batch) and len(snapshot.records) == 4 * len(batch)
        before = source.stats.round_trips
        started = time.perf_counter()
        await source.snapshot(batch)
        warm_ms.append((time.perf_counter() - started) * 1000)
        warm_trips.append(source.stats.round_trips - before)

    ruleset = load_ruleset()
    lists = load_lists([], ruleset)
    policy = OwnershipPolicy.from_mapping(dict(ruleset.ownership))
    seeds = {"OFAC": frozenset({"SDN"}), "BIS": frozenset({"EL", "MEU", "SDN"})}
    snapshot = await source.snapshot(parties)
    started = time.perf_counter()
    listed = {
        entity_id: frozenset(h.entry.source for h in lists.index.match(r.names, r.country) if h.strong)
        for entity_id, r in snapshot.records.items()
    }
    screen_owners_us = (time.perf_counter() - started) / len(snapshot.records) * 1e6
    restricted = 0
    started = time.perf_counter()
    for i in range(args.parties):
        finding = analyse(f"buyer-{i}", snapshot.records, listed, policy, seeds, as_of_date=date(2026, 12, 1))
        restricted += finding.restricted
    analyse_us = (time.perf_counter() - started) / args.parties * 1e6
    await client.delete(*[k async for k in client.scan_iter(match=f"{prefix}*")])
    await client.aclose()
    return {
        "parties": args.parties,
        "batch": args.batch,
        "chain_depth": 3,
        "restricted_buyers": restricted,
        "snapshot_cold_ms_per_batch": round(statistics.median(cold_ms), 3),
        "snapshot_cold_us_per_party": round(statistics.median(cold_ms) * 1000 / args.batch, 2),
        "snapshot_warm_ms_per_batch": round(statistics.median(warm_ms), 3),
        "snapshot_warm_us_per_party": round(statistics.median(warm_ms) * 1000 / args.batch, 2),
        "redis_round_trips_per_batch_cold": max(cold_trips),
        "redis_round_trips_per_batch_warm": max(warm_trips),
        "screen_owner_names_us_per_record_cold": round(screen_owners_us, 2),
        "analyse_us_per_party": round(analyse_us, 2),
    }


def main() -> None:
    """Print the figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parties", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    print(orjson.dumps(asyncio.run(run(parser.parse_args()))).decode())


if __name__ == "__main__":
    main()
