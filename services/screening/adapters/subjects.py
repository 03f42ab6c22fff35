"""Redis adapter of `OpenSubjects`: the open orders and active leases a rescreen re-decides.

One hash, `{prefix}subjects:v1` (see the key table in `screening.adapters.redis_store`): field
`{kind}:{subject_id}` (`order:SO-1`, `lease:L-7`) → JSON `{"event": "<the event as consumed>", "digest":
"<digest of the last published decision>"}`. The pipeline writes a batch's subjects in one MULTI (HSET +
HDEL); a rescreen reads with HSCAN and sets digests with a compare-and-set script, so a subject that a newer
event replaced meanwhile keeps the newer state. The open holds (`screening.adapters.holds`) of the same
decisions are written in the same transaction.

Beside it, the dependency index (`rev:v1:*`), written by the same transaction with `_INDEX_LUA`: for each
subject the dependency keys of its last decision (`screening.domain.dependencies`), and for each key the
set of subjects that depend on it, so a rescreen after a change reads the few subjects the change can
reach. A subject's earlier keys are removed when it is written again or closed, so the sets hold no stale
members. Name and address queries are stored once, under a short digest. `rev:v1:complete` says for which
event-topic partitions (or `*`: all) a full rescreen wrote every subject's keys; it is deleted when a write
of the index fails, and a rescreen without it re-decides every subject.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import lru_cache

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from screening.adapters.holds import RedisOpenHolds
from screening.adapters.redis_store import RoundTrips
from screening.domain.dependencies import ADDRESS, ALWAYS, NAME
from screening.domain.list_delta import with_tokens
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


# Writes the dependency keys of subjects: ARGV = prefix, subjects hash key, then per subject: field, the
# expected start of its stored value ('' = written in this transaction: unconditional), n (-1: forget it),
# n keys. A key is `{kind}:{rest}`; a name or address key is `name:{digest}\t{query}` (the set is keyed by
# the digest, the query is kept once in the `names`/`addrs` hash). Returns how many subjects were written.
_INDEX_LUA = """
local p = ARGV[1]
local subjects = ARGV[2]
local deps = p .. 'rev:v1:deps'
local queries = {name = p .. 'rev:v1:names', addr = p .. 'rev:v1:addrs'}
local function drop(f)
  local old = redis.call('HGET', deps, f)
  if not old then return end
  for k in string.gmatch(old, '[^\\n]+') do
    local set = p .. 'rev:v1:' .. k
    redis.call('SREM', set, f)
    local kind = string.match(k, '^(%a+):')
    if queries[kind] and redis.call('SCARD', set) == 0 then
      redis.call('HDEL', queries[kind], string.sub(k, #kind + 2))
    end
  end
end
local i = 3
local written = 0
while i <= #ARGV do
  local f = ARGV[i]
  local expected = ARGV[i + 1]
  local n = tonumber(ARGV[i + 2])
  local ok = true
  if expected ~= '' then
    local value = redis.call('HGET', subjects, f)
    ok = value and string.sub(value, 1, #expected) == expected
  end
  if ok then
    if n < 0 then
      drop(f)
      redis.call('HDEL', deps, f)
    else
      local keys = {}
      local texts = {}
      for j = 1, n do
        local k = ARGV[i + 2 + j]
        local tab = string.find(k, '\\t', 1, true)
        if tab then
          texts[j] = string.sub(k, tab + 1)
          k = string.sub(k, 1, tab - 1)
        end
        keys[j] = k
      end
      local joined = table.concat(keys, '\\n')
      -- The same keys as stored (a later event or a rescreen of an unchanged subject): nothing to do.
      if redis.call('HGET', deps, f) ~= joined then
        drop(f)
        for j = 1, n do
          local set = p .. 'rev:v1:' .. keys[j]
          if texts[j] and redis.call('EXISTS', set) == 0 then
            local kind = string.match(keys[j], '^(%a+):')
            redis.call('HSET', queries[kind], string.sub(keys[j], #kind + 2), texts[j])
          end
          redis.call('SADD', set, f)
        end
        redis.call('HSET', deps, f, joined)
      end
    end
    written = written + 1
  end
  i = i + 3 + math.max(n, 0)
end
return written
"""

_QUERY_KINDS = {NAME: "names", ADDRESS: "addrs"}


def _query_digest(query: str) -> str:
    return hashlib.blake2b(query.encode(), digest_size=10).hexdigest()


@lru_cache(maxsize=1 << 16)
def _stored_key(key: str) -> str:
    """A dependency key as the index script takes it (queries by digest, with the query after a tab, a
    name query with its tokens: `with_tokens`). Cached: customers repeat, and a name's tokens cost a
    normalisation."""
    for prefix in _QUERY_KINDS:
        if key.startswith(prefix):
            query = key[len(prefix) :]
            text = with_tokens(query) if prefix == NAME else query
            return f"{prefix}{_query_digest(query)}\t{text}"
    return key


def _set_key(key: str) -> str:
    """The name of a dependency key's set under `rev:v1:`."""
    for prefix in _QUERY_KINDS:
        if key.startswith(prefix):
            return prefix + _query_digest(key[len(prefix) :])
    return key


def _index_args(subject: OpenSubject, expected: bytes) -> list[str | bytes]:
    keys = subject.dependencies
    if keys is None or any("\n" in k or "\t" in k for k in keys):
        # Unknown (or not storable as such): the subject depends on every change.
        keys = (ALWAYS,)
    return [
        _field(subject.kind, subject.subject_id),
        expected,
        str(len(keys)),
        *(_stored_key(k) for k in keys),
    ]


def _event_prefix(event: bytes) -> bytes:
    """The start of a stored value that names `event` whatever the digest after it."""
    value = _value(event, "")
    return value[: -len(b'""}')]


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
        self._index = client.register_script(_INDEX_LUA)
        self._prefix = prefix
        self._rev = f"{prefix}rev:v1:"
        self._complete = f"{prefix}rev:v1:complete"
        self._holds = holds
        self.stats = RoundTrips()
        self.index_failures = 0
        self._trusted_since = 0  # the failures counted when a full rescreen last marked the index here
        """Writes of the dependency index that failed in this process (a full rescreen started before one
        does not mark the index complete)."""

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
            args: list[str | bytes] = [self._prefix, self._key]
            for subject in opened:
                args += _index_args(subject, b"")
            for kind, subject_id in closed:
                args += [_field(kind, subject_id), b"", "-1"]
            await self._index(keys=[self._key], args=args, client=pipe)
            self._stage_holds(pipe, holds)
            self.stats.count("subjects_write")
            results = await pipe.execute(raise_on_error=False)
            failed = [r for r in results if isinstance(r, Exception)]
            if failed:
                raise failed[0]
        except (RedisError, OSError, UnicodeDecodeError) as error:
            # The decisions are published and acknowledged already; failing the batch would not write
            # the subjects either (the ledger skips a redelivered event). The subject keeps its older
            # state, or stays unknown to rescreens, until its next event. Part of the transaction may
            # have been applied: the dependency index is no longer trusted.
            self.stats.errors += 1
            log.warning("open subjects write failed: %s", error)
            await self._distrust_index()

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

    # ------------------------------------------------------------------------------ dependency index
    async def index(self, subjects: Sequence[OpenSubject]) -> None:
        """Replace the dependency keys of `subjects` (re-decided by a rescreen) with theirs, for those whose
        stored event is still the one given (a newer event wrote its own). Raises when Redis fails."""
        if not subjects:
            return
        args: list[str | bytes] = [self._prefix, self._key]
        for subject in subjects:
            args += _index_args(subject, _event_prefix(subject.event))
        self.stats.count("index_write")
        try:
            await self._index(keys=[self._key], args=args)
        except (RedisError, OSError) as error:
            await self._distrust_index()
            raise error

    async def dependents(self, keys: Iterable[str], batch_size: int = 500) -> set[str]:
        """The subject fields (`kind:id`) that depend on any of the dependency keys `keys`."""
        names = [self._rev + _set_key(k) for k in keys]
        found: set[str] = set()
        for start in range(0, len(names), batch_size):
            self.stats.count("index_read")
            members = await self._client.sunion(names[start : start + batch_size])
            found.update(m.decode() if isinstance(m, bytes) else m for m in members)
        return found

    async def queries(self, prefix: str, batch_size: int = 5000) -> AsyncIterator[list[str]]:
        """The distinct screened queries of open subjects of `prefix` (`NAME` or `ADDRESS`), in chunks,
        each as its dependency key (`name:{query}`), a name query followed by a tab and its tokens."""
        key = self._rev + _QUERY_KINDS[prefix]
        cursor = 0
        while True:
            self.stats.count("index_read")
            cursor, found = await self._client.hscan(key, cursor, count=batch_size)
            pairs: dict[bytes, bytes] = found  # type: ignore[assignment]
            if pairs:
                yield [prefix + value.decode() for value in pairs.values()]
            if cursor == 0:
                return

    async def load(self, fields: Sequence[str]) -> list[OpenSubject]:
        """The open subjects stored under `fields` (`kind:id`; those closed meanwhile are left out)."""
        if not fields:
            return []
        self.stats.count("subjects_read")
        values = await self._client.hmget(self._key, list(fields))
        return [
            subject
            for name, value in zip(fields, values, strict=True)
            if value is not None and (subject := _decode(name, value)) is not None
        ]

    async def indexed(self) -> dict[str, str]:
        """The completeness marks of the index: partition (`topic:partition`, or `*`) → basis."""
        if self.index_failures != self._trusted_since:
            return {}
        found = await self._client.hgetall(self._complete)
        return {_text(k): _text(v) for k, v in found.items()}

    async def mark_indexed(self, parts: Sequence[str], basis: str, failures_before: int) -> bool:
        """Mark the index complete for `parts` on `basis` after a full rescreen, unless a write of the index
        failed since the rescreen began (`failures_before`). Returns whether it marked."""
        if not parts or self.index_failures != failures_before:
            return False
        await self._client.hset(self._complete, mapping=dict.fromkeys(parts, basis))
        self._trusted_since = failures_before
        return True

    async def _distrust_index(self) -> None:
        self.index_failures += 1
        try:
            await self._client.delete(self._complete)
        except (RedisError, OSError) as error:  # this process stops trusting it anyway
            log.warning("cannot clear the dependency index's completeness mark: %s", error)

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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


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
