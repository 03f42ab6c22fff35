"""Redis adapter of the open holds: the held subjects awaiting review, oldest first, with their reviews.

Keys (under the configured prefix; see the key table in `screening.adapters.redis_store`):

| key | type | holds |
| --- | --- | --- |
| `holds:v1` | hash | `{kind}:{subject_id}` → the subject's current hold, decision JSON as published |
| `holds:v1:since` | sorted set | `{kind}:{subject_id}` scored by when its run of holds began (epoch s) |
| `holds:v1:events` | hash | `{kind}:{subject_id}` → the event the hold decided, as consumed |
| `holds:v1:codes` | hash | `{kind}:{subject_id}` → the codes of its hold reasons, space-separated (metrics) |
| `holds:v1:reviews:{kind}:{subject_id}` | list | reviews recorded on the subject's hold (review JSON) |

A hold replaces the subject's earlier hold in `holds:v1` and keeps the earliest `since` (ZADD NX): a
subject held again by a newer event or a rescreen stays as old in the queue as its first hold. Reviews are
appended (RPUSH) and read back only for the decision they name, so a review of an earlier hold never
counts towards the current one. A decision that is not a hold (or a close) removes them all.

The writes are staged into the caller's MULTI (`stage`): the pipeline writes a batch's holds in the same
transaction as its open subjects, one round trip per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from screening.adapters.redis_store import RoundTrips
from screening.ports import HoldChanges, HoldView

log = logging.getLogger(__name__)


def hold_field(kind: str, subject_id: str) -> str:
    """The field of a subject in the holds hashes and sorted set."""
    return f"{kind}:{subject_id}"


class RedisOpenHolds:
    """Open holds in Redis: `OpenHolds` for the review page, `OpenHoldsStore` for the service."""

    def __init__(self, client: redis.Redis, prefix: str = "screening:") -> None:
        self._client = client
        self._hash = f"{prefix}holds:v1"
        self._since = f"{prefix}holds:v1:since"
        self._events = f"{prefix}holds:v1:events"
        self._codes = f"{prefix}holds:v1:codes"
        self._reviews = f"{prefix}holds:v1:reviews:"
        self.stats = RoundTrips()

    # ------------------------------------------------------------------------------------------ write
    def stage(self, pipe: Any, changes: HoldChanges) -> None:
        """Queue `changes` on `pipe` (a MULTI the caller executes)."""
        released = [hold_field(kind, subject_id) for kind, subject_id in changes.released]
        if changes.held:
            pipe.hset(
                self._hash, mapping={hold_field(h.kind, h.subject_id): h.decision for h in changes.held}
            )
            pipe.zadd(
                self._since,
                {hold_field(h.kind, h.subject_id): h.decided_at.timestamp() for h in changes.held},
                nx=True,
            )
            events = {hold_field(h.kind, h.subject_id): h.event for h in changes.held if h.event is not None}
            if events:
                pipe.hset(self._events, mapping=events)
            pipe.hset(
                self._codes,
                mapping={hold_field(h.kind, h.subject_id): " ".join(h.codes) for h in changes.held},
            )
            eventless = [hold_field(h.kind, h.subject_id) for h in changes.held if h.event is None]
            if eventless:
                pipe.hdel(self._events, *eventless)
        if released:
            pipe.hdel(self._hash, *released)
            pipe.zrem(self._since, *released)
            pipe.hdel(self._events, *released)
            pipe.hdel(self._codes, *released)
            pipe.delete(*(self._reviews + field for field in released))
        for kind, subject_id, review in changes.reviews:
            pipe.rpush(self._reviews + hold_field(kind, subject_id), review)

    async def record(self, changes: HoldChanges) -> None:
        """Apply `changes` in one transaction; a failure is logged (the decisions are published already)."""
        if not changes:
            return
        try:
            pipe = self._client.pipeline(transaction=True)
            self.stage(pipe, changes)
            self.stats.count("holds_write")
            await pipe.execute()
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            log.warning("open holds write failed: %s", error)

    # ------------------------------------------------------------------------------------------- read
    async def oldest(self, limit: int = 100) -> list[HoldView]:
        """Open holds, oldest first (two round trips)."""
        if limit <= 0:
            return []
        self.stats.count("holds_read")
        ranked: list[tuple[bytes, float]] = await self._client.zrange(  # type: ignore[assignment]
            self._since, 0, limit - 1, withscores=True
        )
        fields = [(_text(field), float(score)) for field, score in ranked]
        views = await self._views([field for field, _ in fields])
        found = [_view(field, score, stored) for (field, score), stored in zip(fields, views, strict=True)]
        return [view for view in found if view is not None]

    async def get(self, kind: str, subject_id: str) -> HoldView | None:
        """The subject's open hold, None when it is not held (one round trip)."""
        return (await self.current([(kind, subject_id)])).get((kind, subject_id))

    async def current(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HoldView]:
        """The open hold of each subject that has one, in one round trip; raises when Redis fails."""
        if not subjects:
            return {}
        fields = [hold_field(kind, subject_id) for kind, subject_id in dict.fromkeys(subjects)]
        self.stats.count("holds_read")
        pipe = self._client.pipeline(transaction=False)
        pipe.hmget(self._hash, fields)
        for field in fields:
            pipe.zscore(self._since, field)
            pipe.lrange(self._reviews + field, 0, -1)
        try:
            results = await pipe.execute()
        except (RedisError, OSError):
            self.stats.errors += 1
            raise
        decisions = results[0]
        found: dict[tuple[str, str], HoldView] = {}
        for index, (field, raw) in enumerate(zip(fields, decisions, strict=True)):
            score, reviews = results[1 + 2 * index], results[2 + 2 * index]
            view = _view(field, score, (raw, reviews)) if raw is not None and score is not None else None
            if view is not None:
                found[(view.kind, view.subject_id)] = view
        return found

    async def events_of(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """The event each held subject's hold decided, as consumed (for re-deciding it after a review)."""
        if not subjects:
            return {}
        keys = list(dict.fromkeys(subjects))
        self.stats.count("holds_read")
        raws = await self._client.hmget(self._events, [hold_field(k, s) for k, s in keys])
        return {
            key: raw if isinstance(raw, bytes) else str(raw).encode()
            for key, raw in zip(keys, raws, strict=True)
            if raw is not None
        }

    async def ages(self, now: datetime, bounds: Sequence[float]) -> tuple[int, float | None, list[int]]:
        """(open holds, age of the oldest in seconds, how many are at least each of `bounds` seconds old),
        from the sorted set alone (one round trip)."""
        pipe = self._client.pipeline(transaction=False)
        pipe.zcard(self._since)
        pipe.zrange(self._since, 0, 0, withscores=True)
        epoch = now.timestamp()
        for bound in bounds:
            pipe.zcount(self._since, "-inf", epoch - bound)
        self.stats.count("holds_stats")
        total, oldest, *counts = await pipe.execute()
        oldest_age = max(0.0, epoch - float(oldest[0][1])) if oldest else None
        return int(total), oldest_age, [int(count) for count in counts]

    async def by_reason(self) -> dict[str, int]:
        """How many open holds each hold reason code is on (one round trip over short values)."""
        self.stats.count("holds_stats")
        values = await self._client.hvals(self._codes)
        found: dict[str, int] = {}
        for value in values:
            for code in _text(value).split():
                found[code] = found.get(code, 0) + 1
        return found

    async def _views(self, fields: list[str]) -> list[tuple[Any, list[Any]]]:
        if not fields:
            return []
        pipe = self._client.pipeline(transaction=False)
        pipe.hmget(self._hash, fields)
        for field in fields:
            pipe.lrange(self._reviews + field, 0, -1)
        results = await pipe.execute()
        return list(zip(results[0], results[1:], strict=True))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _view(field: str, score: Any, stored: tuple[Any, list[Any]]) -> HoldView | None:
    """A stored hold as a `HoldView`, with only the reviews of the decision held now."""
    raw, raw_reviews = stored
    if raw is None:  # released between the two reads of `oldest`
        return None
    kind, _, subject_id = field.partition(":")
    try:
        decision = orjson.loads(raw)
        reviews = tuple(
            review
            for item in raw_reviews
            if isinstance(review := orjson.loads(item), dict)
            and review.get("decision_id") == decision.get("decision_id")
        )
    except orjson.JSONDecodeError as error:
        log.warning("unreadable open hold %s skipped: %s", field, error)
        return None
    return HoldView(
        kind=kind,
        subject_id=subject_id,
        decision=decision,
        held_since=datetime.fromtimestamp(float(score), UTC),
        reviews=reviews,
    )
