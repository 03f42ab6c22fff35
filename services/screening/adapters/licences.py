"""Licences on file: the Redis store with its atomic draw-down, its in-memory twin, the compacted feed
consumer, and the JSONL loader of `screening licences load`.

Keys (under the configured prefix):

| key | type | holds |
| --- | --- | --- |
| `lic:v1:records` | hash | licence number → the licence record, contract JSON (`wire.LicenceRecordV1`) |
| `lic:v1:limit` | hash | licence number → its quantity limit (absent: no quantity limit) |
| `lic:v1:used` | hash | licence number → units drawn down so far |
| `lic:v1:draws:{number}` | hash | `{event_id}|{line_id}` → units that line drew (each drawn once) |

A batch reads the records and balances of its licences in one pipelined round trip, and draws down every
`allow` of the batch in one Lua call (`_DRAW_LUA`): per event, lines already drawn (a redelivery, a
rescreen, a review) are skipped, the rest must fit every licence's balance or none of the event's lines
is drawn and the event comes back with its shortfall, to be held. Replacing a licence keeps what was
drawn on it; a tombstone removes the record and its limit, and keeps the draw-downs as history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import redis.asyncio as redis
from faststream.kafka.message import KafkaMessage
from redis.exceptions import RedisError

from screening.adapters.kafka import (
    DeadLetterMemory,
    OffsetCommitter,
    Outbox,
    Outgoing,
    Record,
    batch_offsets,
    dead_letter,
    first_offsets,
    records_of,
    refused_dead_letter,
    rewind,
    stop_consuming,
)
from screening.adapters.redis_store import RoundTrips
from screening.codec import decode_licence
from screening.domain.licensing import LicenceBook, LicenceRecord, Shortfall
from screening.health import ConsumerHealth
from screening.metrics import Metrics
from screening.ports import DrawRequest, LicenceStore, Publisher, Rejected
from screening.resilience import DeadLetterRefused, RetryPolicy, Unavailable
from screening.wire import licence_to_json

log = logging.getLogger("screening.licences")

# ARGV: key prefix, then per event: event id, n, then n × (licence number, line id, units).
# Returns the events left undrawn: event id, licence number, units needed, units remaining (flattened).
_DRAW_LUA = """
local prefix = ARGV[1]
local limits = prefix .. 'lic:v1:limit'
local used = prefix .. 'lic:v1:used'
local short = {}
local i = 2
while i <= #ARGV do
  local event = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  local todo = {}
  local need = {}
  local order = {}
  for k = 1, n do
    local number, line, units = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    i = i + 3
    local field = event .. '|' .. line
    if redis.call('HEXISTS', prefix .. 'lic:v1:draws:' .. number, field) == 0 then
      table.insert(todo, {number, field, units})
      if need[number] == nil then need[number] = 0; table.insert(order, number) end
      need[number] = need[number] + units
    end
  end
  local failed = false
  for _, number in ipairs(order) do
    local limit = redis.call('HGET', limits, number)
    if limit then
      local left = tonumber(limit) - tonumber(redis.call('HGET', used, number) or '0')
      if need[number] > left then
        table.insert(short, event); table.insert(short, number)
        table.insert(short, need[number]); table.insert(short, left)
        failed = true
        break
      end
    end
  end
  if not failed then
    for _, draw in ipairs(todo) do
      redis.call('HSET', prefix .. 'lic:v1:draws:' .. draw[1], draw[2], draw[3])
      redis.call('HINCRBY', used, draw[1], draw[3])
    end
  end
end
return short
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisLicenceStore:
    """`LicenceStore` in Redis: one read and one draw-down call per batch."""

    def __init__(self, client: redis.Redis, prefix: str = "screening:") -> None:
        self._client = client
        self._prefix = prefix
        self._records = f"{prefix}lic:v1:records"
        self._limits = f"{prefix}lic:v1:limit"
        self._used = f"{prefix}lic:v1:used"
        self._draw = client.register_script(_DRAW_LUA)
        self.stats = RoundTrips()

    async def book(self, numbers: Sequence[str]) -> LicenceBook:
        """Records and balances of `numbers` (one round trip); unavailable when Redis fails."""
        unique = list(dict.fromkeys(numbers))
        if not unique:
            return LicenceBook()
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.hmget(self._records, unique)
            pipe.hmget(self._used, unique)
            self.stats.count("licences_read")
            raw_records, raw_used = await pipe.execute()
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            log.warning("licence store unavailable (events naming a licence are held): %s", error)
            return LicenceBook(available=False, error=str(error)[:500])
        records: dict[str, LicenceRecord] = {}
        drawn: dict[str, int] = {}
        for number, raw, used in zip(unique, raw_records, raw_used, strict=True):
            if raw is not None:
                decoded = decode_licence(raw if isinstance(raw, bytes) else str(raw).encode())
                if isinstance(decoded, Rejected):  # written by another writer: not a licence on file
                    log.warning("unreadable licence %s in Redis: %s", number[:200], decoded.error)
                else:
                    records[number] = decoded
            if used is not None:
                drawn[number] = int(_text(used))
        return LicenceBook(records=records, drawn=drawn)

    async def draw(self, requests: Sequence[DrawRequest]) -> dict[str, tuple[Shortfall, ...]]:
        """Draw the batch down in one script call; raises when Redis fails."""
        wanted = [request for request in requests if request.draws]
        if not wanted:
            return {}
        args: list[str | int] = [self._prefix]
        for request in wanted:
            args += [request.event_id, len(request.draws)]
            for number, line_id, units in request.draws:
                args += [number, line_id, units]
        self.stats.count("licences_draw")
        try:
            raw = await self._draw(args=args)
        except (RedisError, OSError):
            self.stats.errors += 1
            raise
        flat = [_text(value) for value in raw]
        found: dict[str, tuple[Shortfall, ...]] = {}
        for index in range(0, len(flat), 4):
            event_id, number, needed, left = flat[index : index + 4]
            found[event_id] = (*found.get(event_id, ()), Shortfall(number, int(needed), int(left)))
        return found

    async def upsert(self, records: Sequence[LicenceRecord]) -> None:
        """Store or replace licences in one transaction (draw-downs kept)."""
        if not records:
            return
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(self._records, mapping={r.number: licence_to_json(r) for r in records})
        limited = {r.number: r.quantity_limit for r in records if r.quantity_limit is not None}
        unlimited = [r.number for r in records if r.quantity_limit is None]
        if limited:
            pipe.hset(self._limits, mapping=limited)  # type: ignore[arg-type]
        if unlimited:
            pipe.hdel(self._limits, *unlimited)
        self.stats.count("licences_write")
        await pipe.execute()

    async def delete(self, numbers: Sequence[str]) -> None:
        """Remove licences (their draw-downs stay)."""
        if not numbers:
            return
        pipe = self._client.pipeline(transaction=True)
        pipe.hdel(self._records, *numbers)
        pipe.hdel(self._limits, *numbers)
        self.stats.count("licences_write")
        await pipe.execute()

    async def balances(self) -> dict[str, tuple[int, int]]:
        """(quantity limit, units drawn) of every licence with a quantity limit (metrics; one round trip)."""
        pipe = self._client.pipeline(transaction=False)
        pipe.hgetall(self._limits)
        pipe.hgetall(self._used)
        self.stats.count("licences_stats")
        limits, used = await pipe.execute()
        drawn = {_text(k): int(_text(v)) for k, v in used.items()}
        return {_text(k): (int(_text(v)), drawn.get(_text(k), 0)) for k, v in limits.items()}

    async def draws_of(self, number: str) -> dict[str, int]:
        """Every draw-down of a licence: `{event_id}|{line_id}` → units (`screening history`)."""
        stored = await self._client.hgetall(f"{self._prefix}lic:v1:draws:{number}")
        return {_text(k): int(_text(v)) for k, v in stored.items()}


class InMemoryLicenceStore:
    """`LicenceStore` in dicts (tests, `screening check`)."""

    def __init__(self, records: Sequence[LicenceRecord] = ()) -> None:
        self.records: dict[str, LicenceRecord] = {r.number: r for r in records}
        self.used: dict[str, int] = {}
        self.draws: dict[tuple[str, str], int] = {}

    async def book(self, numbers: Sequence[str]) -> LicenceBook:
        """Records and balances of `numbers`."""
        return LicenceBook(
            records={n: self.records[n] for n in numbers if n in self.records},
            drawn={n: self.used[n] for n in numbers if n in self.used},
        )

    async def draw(self, requests: Sequence[DrawRequest]) -> dict[str, tuple[Shortfall, ...]]:
        """Draw down as the Lua script does."""
        short: dict[str, tuple[Shortfall, ...]] = {}
        for request in requests:
            todo = [
                (number, f"{request.event_id}|{line}", units)
                for number, line, units in request.draws
                if (number, f"{request.event_id}|{line}") not in self.draws
            ]
            need: dict[str, int] = {}
            for number, _, units in todo:
                need[number] = need.get(number, 0) + units
            for number, units in need.items():
                record = self.records.get(number)
                if record is not None and record.quantity_limit is not None:
                    left = record.quantity_limit - self.used.get(number, 0)
                    if units > left:
                        short[request.event_id] = (Shortfall(number, units, left),)
                        break
            if request.event_id in short:
                continue
            for number, field, units in todo:
                self.draws[(number, field)] = units
                self.used[number] = self.used.get(number, 0) + units
        return short

    async def upsert(self, records: Sequence[LicenceRecord]) -> None:
        """Store or replace licences."""
        self.records.update((r.number, r) for r in records)

    async def delete(self, numbers: Sequence[str]) -> None:
        """Remove licences."""
        for number in numbers:
            self.records.pop(number, None)


def load_licence_file(path: Path) -> Iterator[tuple[int, LicenceRecord | Rejected]]:
    """(line number, licence record or why the line is not one) of every non-blank line of a JSONL file."""
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if line.strip():
            yield number, decode_licence(line.strip().removeprefix(b"\xef\xbb\xbf"))


class LicenceConsumer:
    """The compacted licences feed into the store: the last record per number in a batch wins, a
    tombstone deletes, a record that fails validation is dead-lettered (the rest is applied). A store that
    stays unreachable leaves the batch uncommitted (read again)."""

    def __init__(
        self,
        store: LicenceStore,
        publisher: Publisher,
        dlq_topic: str,
        metrics: Metrics,
        committer: OffsetCommitter,
        health: ConsumerHealth,
        policy: RetryPolicy,
        max_message_bytes: int = 256 * 1024,
        dlq_value_bytes: int = 64 * 1024,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._dlq_topic = dlq_topic
        self._metrics = metrics
        self._committer = committer
        self._health = health
        self._policy = policy
        self._max_message_bytes = max_message_bytes
        self._dlq_value_bytes = dlq_value_bytes
        self._sleep = sleep
        self._outbox = Outbox(publisher, policy, metrics, sleep)
        self._dead_lettered = DeadLetterMemory()
        self.consumer: Callable[[], Any] = lambda: None
        """Returns the Kafka consumer of the subscriber (set by the composition root once it exists)."""

    async def __call__(self, message: KafkaMessage) -> None:
        """The FastStream handler."""
        await self.consume(records_of(message), self.consumer())

    async def consume(self, records: Sequence[Record], consumer: Any = None) -> int:
        """Apply one batch and acknowledge it; returns how many licences were stored or deleted."""
        if not records:
            return 0
        self._health.consuming(first_offsets(records))
        try:
            changed = await self.handle(records)
        except Unavailable as error:
            log.error("licence store or broker unavailable, batch left uncommitted: %s", error)
            rewind(consumer, records)
            await self._sleep(self._policy.max_backoff_s)
            return 0
        except DeadLetterRefused as error:
            raise stop_consuming(self._health, "licence consumer", error) from error
        self._committer.schedule(consumer, batch_offsets(records))
        return changed

    async def handle(self, records: Sequence[Record]) -> int:
        """Apply a batch in order (no acknowledgement)."""
        latest: dict[str, LicenceRecord | None] = {}
        dead: list[Outgoing] = []
        for record in records:
            self._metrics.event_consumed(record.topic, "licence")
            if record.value is None:
                if record.key:
                    latest[record.key.decode("utf-8", "replace")] = None
                continue
            decoded = decode_licence(
                record.value, self._max_message_bytes, getattr(record, "headers", None) or ()
            )
            if isinstance(decoded, Rejected):
                if (record.topic, record.partition, record.offset) not in self._dead_lettered:
                    log.warning(
                        "rejected licence record at %s:%s: %s", record.partition, record.offset, decoded.error
                    )
                    dead.append(dead_letter(record, decoded, self._dlq_topic, self._dlq_value_bytes))
                continue
            latest[decoded.number] = decoded
        sent = await self._outbox.send(dead)
        for out in sent.acked:
            if out.dead_letter is not None and out.position is not None:
                self._dead_lettered.add(out.position)
                self._metrics.dead_lettered(out.dead_letter)
        if sent.unavailable is not None:
            raise sent.unavailable
        if sent.refused:
            raise refused_dead_letter(sent.refused, self._dlq_topic)
        upserts = [record for record in latest.values() if record is not None]
        deletes = [number for number, record in latest.items() if record is None]
        for attempt, delay in enumerate((0.0, *self._policy.delays())):
            if attempt:
                self._metrics.retried("batch")
                await self._sleep(delay)
            try:
                await self._store.upsert(upserts)
                await self._store.delete(deletes)
                return len(upserts) + len(deletes)
            except (RedisError, OSError) as error:
                failure = error
        raise Unavailable(f"licence store unavailable: {type(failure).__name__}: {failure}")
