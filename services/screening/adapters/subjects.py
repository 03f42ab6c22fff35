"""Redis adapter of `OpenSubjects`: the open orders and active leases a rescreen re-decides.

One hash, `{prefix}subjects:v1` (see the key table in `screening.adapters.redis_store`): field
`{kind}:{subject_id}` (`order:SO-1`, `lease:L-7`) → JSON `{"event": "<the event as consumed>", "digest":
"<digest of the last published decision>"}`. The pipeline writes a batch's subjects in one MULTI (HSET +
HDEL); a rescreen reads with HSCAN and sets digests with a compare-and-set script, so a subject that a newer
event replaced meanwhile keeps the newer state. The open holds (`screening.adapters.holds`) of the same
decisions are written in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from screening.adapters.holds import RedisOpenHolds
from screening.adapters.redis_store import RoundTrips
from screening.ports import HoldChanges, OpenSubject

log = logging.getLogger(__name__)

# Compare-and-set of whole values: ARGV = field, expected value, new value, ...  Returns how many were set.
_CAS_LUA = """
local set = 0
for i = 1, #ARGV, 3 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    set = set + 1
  end
end
return set
"""


def _field(kind: str, subject_id: str) -> str:
    return f"{kind}:{subject_id}"


def _value(event: bytes, digest: str) -> bytes:
    # The event is kept as a JSON string, not an object, so its bytes come back exactly as consumed;
    # orjson's output is deterministic, which lets `fresh` and the CAS script compare whole values.
    return orjson.dumps({"event": event.decode(), "digest": digest})


class RedisOpenSubjects:
    """Open subjects in one Redis hash; one round trip per pipeline batch, per scanned chunk."""

    def __init__(
        self, client: redis.Redis, prefix: str = "screening:", holds: RedisOpenHolds | None = None
    ) -> None:
        self._client = client
        self._key = f"{prefix}subjects:v1"
        self._cas = client.register_script(_CAS_LUA)
        self._holds = holds
        self.stats = RoundTrips()

    async def record(
        self,
        opened: Sequence[OpenSubject],
        closed: Sequence[tuple[str, str]],
        holds: HoldChanges | None = None,
    ) -> None:
        """Store opened subjects, forget closed ones and apply `holds` in one transaction; a failure is
        logged only."""
        if not opened and not closed and not holds:
            return
        try:
            pipe = self._client.pipeline(transaction=True)
            if opened:
                mapping = {_field(s.kind, s.subject_id): _value(s.event, s.digest) for s in opened}
                pipe.hset(self._key, mapping=mapping)  # type: ignore[arg-type]
            if closed:
                pipe.hdel(self._key, *(_field(kind, subject_id) for kind, subject_id in closed))
            self._stage_holds(pipe, holds)
            self.stats.count("subjects_write")
            await pipe.execute()
        except (RedisError, OSError, UnicodeDecodeError) as error:
            # The decisions are published and acknowledged already; failing the batch would not write
            # the subjects either (the ledger skips a redelivered event). The subject keeps its older
            # state, or stays unknown to rescreens, until its next event.
            self.stats.errors += 1
            log.warning("open subjects write failed: %s", error)

    async def scan(self, batch_size: int) -> AsyncIterator[list[OpenSubject]]:
        """HSCAN the hash; a chunk is what one HSCAN call returns (about `batch_size` fields)."""
        cursor = 0
        while True:
            self.stats.count("subjects_scan")
            cursor, found = await self._client.hscan(self._key, cursor, count=batch_size)
            pairs: dict[bytes, bytes] = found  # type: ignore[assignment]
            chunk = [s for field, value in pairs.items() if (s := _decode(field, value)) is not None]
            if chunk:
                yield chunk
            if cursor == 0:
                return

    async def fresh(self, subjects: Sequence[OpenSubject]) -> list[OpenSubject]:
        """The subjects whose stored value is still the one scanned (one HMGET)."""
        if not subjects:
            return []
        self.stats.count("subjects_read")
        stored = await self._client.hmget(self._key, [_field(s.kind, s.subject_id) for s in subjects])
        return [s for s, value in zip(subjects, stored, strict=True) if value == _value(s.event, s.digest)]

    async def update_digests(
        self, updates: Sequence[tuple[OpenSubject, str]], holds: HoldChanges | None = None
    ) -> None:
        """Compare-and-set the new digests in one script call (with `holds`, in one transaction)."""
        if not updates and not holds:
            return
        args: list[str | bytes] = []
        for subject, digest in updates:
            args += [
                _field(subject.kind, subject.subject_id),
                _value(subject.event, subject.digest),
                _value(subject.event, digest),
            ]
        self.stats.count("subjects_cas")
        if not holds:
            await self._cas(keys=[self._key], args=args)
            return
        pipe = self._client.pipeline(transaction=True)
        if args:
            await self._cas(keys=[self._key], args=args, client=pipe)
        self._stage_holds(pipe, holds)
        await pipe.execute()

    def _stage_holds(self, pipe: redis.client.Pipeline, holds: HoldChanges | None) -> None:
        if not holds:
            return
        if self._holds is None:
            log.error("open holds changes given to an open-subjects store without a holds store: dropped")
            return
        self._holds.stage(pipe, holds)


def _decode(field: bytes | str, value: bytes | str) -> OpenSubject | None:
    name = field.decode() if isinstance(field, bytes) else field
    kind, _, subject_id = name.partition(":")
    try:
        data = orjson.loads(value)
        return OpenSubject(kind, subject_id, data["event"].encode(), data["digest"])
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        log.warning("unreadable open subject %s skipped: %s", name, error)
        return None


class RedisRescreenMarks:
    """The event-topic partitions whose rescreen is under way, so a new owner finishes it after a rebalance.

    One hash, `{prefix}rescreen:pending:v1`: field `{topic}:{partition}` → the cause of the rescreen that
    marked it (`lists`, `ownership+lists`, ...). An instance marks the partitions it owns when a rescreen
    starts and clears those it owned from start to end when it finishes; an instance that is assigned a
    marked partition rescreens it. A mark outlives a crash, so a subject whose owner died mid-rescreen is
    re-decided by the next owner.
    """

    def __init__(self, client: redis.Redis, prefix: str = "screening:") -> None:
        self._client = client
        self._key = f"{prefix}rescreen:pending:v1"

    async def mark(self, partitions: Sequence[tuple[str, int]], cause: str) -> None:
        """Mark `partitions` (topic, partition) as being rescreened because of `cause` (raises on failure)."""
        if partitions:
            await self._client.hset(self._key, mapping={f"{t}:{p}": cause for t, p in partitions})

    async def clear(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Forget the marks of `partitions`, rescreened to the end."""
        if partitions:
            await self._client.hdel(self._key, *(f"{t}:{p}" for t, p in partitions))

    async def causes(self, partitions: Sequence[tuple[str, int]]) -> set[str]:
        """The causes of the marked rescreens of `partitions` (raises when Redis does not answer)."""
        if not partitions:
            return set()
        found = await self._client.hmget(self._key, [f"{t}:{p}" for t, p in partitions])
        return {
            cause
            for value in found
            if value is not None
            for cause in (value.decode() if isinstance(value, bytes) else value).split("+")
        }
