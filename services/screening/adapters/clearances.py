"""Cleared matches in Redis: one hash per party identity, `{prefix}clear:v1:{identity}`, field = list entry
id, value = the clearance JSON (`Clearance.to_mapping`). A batch's parties are read in one pipelined round
trip; a clearance is written with HSET (a later clearance of the same entry replaces the earlier one).
Clearances are kept until the entry changes (then they no longer apply, and stay as history)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from screening.adapters.redis_store import RoundTrips
from screening.domain.clearances import Clearance

log = logging.getLogger(__name__)


class RedisClearances:
    """`ClearanceStore` in Redis."""

    def __init__(self, client: redis.Redis, prefix: str = "screening:") -> None:
        self._client = client
        self._prefix = f"{prefix}clear:v1:"
        self.stats = RoundTrips()

    async def for_parties(self, identities: Sequence[str]) -> dict[str, dict[str, Clearance]]:
        """Every clearance of `identities` (one round trip); none when Redis fails (held: fail closed)."""
        unique = list(dict.fromkeys(identities))
        if not unique:
            return {}
        try:
            pipe = self._client.pipeline(transaction=False)
            for identity in unique:
                pipe.hgetall(self._prefix + identity)
            self.stats.count("clearances_read")
            results = await pipe.execute()
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            log.warning("cleared matches unavailable (their matches are held): %s", error)
            return {}
        found: dict[str, dict[str, Clearance]] = {}
        for identity, stored in zip(unique, results, strict=True):
            for raw_entry, raw in (stored or {}).items():
                try:
                    clearance = Clearance.from_mapping(orjson.loads(raw))
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                    log.warning("unreadable clearance of %s skipped: %s", identity[:200], error)
                    continue
                entry_id = raw_entry.decode() if isinstance(raw_entry, bytes) else str(raw_entry)
                found.setdefault(identity, {})[entry_id] = clearance
        return found

    async def store(self, clearances: Sequence[Clearance]) -> None:
        """Write clearances in one transaction (raises on failure: the review is applied again)."""
        if not clearances:
            return
        pipe = self._client.pipeline(transaction=True)
        for clearance in clearances:
            pipe.hset(
                self._prefix + clearance.party, clearance.entry_id, orjson.dumps(clearance.to_mapping())
            )
        self.stats.count("clearances_write")
        await pipe.execute()


class InMemoryClearances:
    """`ClearanceStore` in a dict (tests, `screening check`)."""

    def __init__(self) -> None:
        self.clearances: dict[str, dict[str, Clearance]] = {}

    async def for_parties(self, identities: Sequence[str]) -> dict[str, dict[str, Clearance]]:
        """The clearances of `identities`."""
        return {i: dict(self.clearances[i]) for i in dict.fromkeys(identities) if i in self.clearances}

    async def store(self, clearances: Sequence[Clearance]) -> None:
        """Remember clearances."""
        for clearance in clearances:
            self.clearances.setdefault(clearance.party, {})[clearance.entry_id] = clearance
