"""Redis adapters: the ownership registry and the decision ledger (the lists store: `lists_store.py`).

Key layout (version 1, every key under the configured prefix, default `screening:`):

| key | type | holds |
| --- | --- | --- |
| `own:v1:entity:{entity_id}` | string | the ownership record, contract JSON |
| `own:v1:names` | hash | registry name key (`name_key(name)|COUNTRY`) → entity_id |
| `own:v1:version` | string | counter, incremented by every write; invalidates in-process caches |
| `own:v1:generation` | hash | generation marker: `id` (time-ordered), `state` (`building`, `ready`), `by` |
| `own:v1:max_as_of` | string | latest `as_of` of any record loaded |
| `ledger:v1:{event_id}` | string | content digests the event was decided with, space-separated (TTL) |
| `lists:v1` | hash | the list files, their version, source date, counts and generation (`lists_store.py`) |
| `subjects:v1` | hash | `{kind}:{id}` → `{"event", "digest"}` of every open order and lease (`subjects.py`) |
| `holds:v1*` | hashes, sorted set, lists | the open holds awaiting review and their reviews (`holds.py`) |
| `rev:v1:deps` | hash | `{kind}:{id}` → dependency keys of its last decision, `\n`-separated |
| `rev:v1:entry:{entry_id}` | set | subjects whose decision matched the entry, or an owner links it |
| `rev:v1:entity:{entity_id}` | set | subjects with the entity on a party's chain, or as a party's id |
| `rev:v1:regkey:{name_key}` | set | subjects with a party looked up by the name key (`name|COUNTRY`) |
| `rev:v1:name:{digest}` | set | subjects that screened the name query (a party's or an owner's) |
| `rev:v1:addr:{digest}` | set | subjects that screened the address query (a party's, the ship-to) |
| `rev:v1:always` | set | subjects decided without the lists or the registry, or deps unknown |
| `rev:v1:names`, `rev:v1:addrs` | hash | query digest → the query (JSON `[country, ...]`) |
| `rev:v1:complete` | hash | `{topic}:{partition}` or `*` → basis the index is complete on |
| `rescreen:pending:v1` | hash | `{topic}:{partition}` → cause of a rescreen under way (`subjects.py`) |
| `calendar:last_boundary*` | str, hash | last calendar boundary done, by partition (`calendar_watch.py`) |

A ledger value of `1` (written before digests were kept) matches any content.

The `rev:v1:*` keys are the dependency index of the open subjects (`subjects.py`,
`screening.domain.dependencies`), written in the same transaction as `subjects:v1`: a subject's earlier
keys are removed when it is written again or closed, so the sets hold no stale members.

The generation marker tells "registry present and empty" from "registry gone": a Redis that restarted
without its data has no marker, and a registry is only read as complete while its marker says `ready`.
The first write into a Redis without a marker (`screening ownership load`, the ownership feed) creates
one in state `building`; the service then replays the compacted ownership feed from offset 0 into it and
flips it to `ready` (`complete_generation`). A generation older than the newest one a process saw, or a
version counter that went backwards within one generation, means writes were lost (a restore from an old
backup, an AOF that lost its last second): read as unavailable too, and rebuilt from a wiped registry.

The read path resolves every party of a batch and walks all their owners, level by level, inside one
Lua script: one round trip per batch whatever the depth.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from screening.codec import ownership_to_json
from screening.domain.model import Party
from screening.domain.ownership import OwnershipRecord, OwnershipRecordError, record_from_mapping
from screening.domain.profiles import OwnershipSnapshot, party_key
from screening.domain.registry import collect_ancestry, party_lookup_keys, registry_keys
from screening.ports import ANY_CONTENT

log = logging.getLogger(__name__)

# Resolves party ids and name keys, then walks owners upward breadth-first, all server-side.
# ARGV: prefix, max_depth, n_ids, ids..., name keys...  Returns {version, max_as_of, resolved, records}, where
# `resolved` alternates lookup and entity id, and `records` alternates entity id and stored JSON.
_SNAPSHOT_LUA = """
local prefix = ARGV[1]
local max_depth = tonumber(ARGV[2])
local n_ids = tonumber(ARGV[3])
local frontier = {}
local resolved = {}
for i = 1, n_ids do
  local id = ARGV[3 + i]
  if redis.call('EXISTS', prefix .. 'own:v1:entity:' .. id) == 1 then
    table.insert(resolved, 'id:' .. id); table.insert(resolved, id); table.insert(frontier, id)
  end
end
for i = 4 + n_ids, #ARGV do
  local eid = redis.call('HGET', prefix .. 'own:v1:names', ARGV[i])
  if eid then
    table.insert(resolved, ARGV[i]); table.insert(resolved, eid); table.insert(frontier, eid)
  end
end
local seen = {}
local records = {}
local depth = 0
while #frontier > 0 and depth <= max_depth do
  local upward = {}
  for _, id in ipairs(frontier) do
    if not seen[id] then
      seen[id] = true
      local raw = redis.call('GET', prefix .. 'own:v1:entity:' .. id)
      if raw then
        table.insert(records, id); table.insert(records, raw)
        local ok, decoded = pcall(cjson.decode, raw)
        if ok and type(decoded) == 'table' and type(decoded.owners) == 'table' then
          for _, owner in ipairs(decoded.owners) do
            if type(owner) == 'table' and type(owner.entity_id) == 'string' then
              table.insert(upward, owner.entity_id)
            end
          end
        end
      end
    end
  end
  frontier = upward
  depth = depth + 1
end
local version = redis.call('GET', prefix .. 'own:v1:version') or '0'
local max_as_of = redis.call('GET', prefix .. 'own:v1:max_as_of') or 'none'
local generation = redis.call('HMGET', prefix .. 'own:v1:generation', 'id', 'state')
return {version, max_as_of, resolved, records, generation[1] or '', generation[2] or ''}
"""

# The generation marker and the version counter, for the cached read path and the watchers: ARGV = prefix.
_STATE_LUA = """
local generation = redis.call('HMGET', ARGV[1] .. 'own:v1:generation', 'id', 'state')
local version = redis.call('GET', ARGV[1] .. 'own:v1:version') or '0'
return {generation[1] or '', generation[2] or '', version}
"""

# Starts a generation where there is none: ARGV = prefix, new id, writer. Returns the current id.
_START_GENERATION_LUA = """
local key = ARGV[1] .. 'own:v1:generation'
if redis.call('HEXISTS', key, 'id') == 0 then
  redis.call('HSET', key, 'id', ARGV[2], 'state', 'building', 'by', ARGV[3])
  redis.call('INCR', ARGV[1] .. 'own:v1:version')
end
return redis.call('HGET', key, 'id')
"""

# Marks a generation complete if it is still the current one: ARGV = prefix, id. Returns 1 when marked.
_COMPLETE_GENERATION_LUA = """
local key = ARGV[1] .. 'own:v1:generation'
if redis.call('HGET', key, 'id') ~= ARGV[2] then return 0 end
redis.call('HSET', key, 'state', 'ready')
redis.call('INCR', ARGV[1] .. 'own:v1:version')
return 1
"""


# Marks events as decided with their content digests: ARGV = key prefix, ttl seconds, most digests kept,
# then (id, digest) pairs. The value is the space-separated digests an id was decided with; a digest already
# there is not added twice, and only the latest `most` are kept.
_LEDGER_MARK_LUA = """
local prefix = ARGV[1]
local ttl = tonumber(ARGV[2])
local most = tonumber(ARGV[3])
for i = 4, #ARGV, 2 do
  local key = prefix .. ARGV[i]
  local digest = ARGV[i + 1]
  local value = redis.call('GET', key)
  if not value then
    value = digest
  elseif not string.find(' ' .. value .. ' ', ' ' .. digest .. ' ', 1, true) then
    value = value .. ' ' .. digest
    local parts = {}
    for part in string.gmatch(value, '%S+') do table.insert(parts, part) end
    if #parts > most then value = table.concat(parts, ' ', #parts - most + 1, #parts) end
  end
  redis.call('SET', key, value, 'EX', ttl)
end
return (#ARGV - 3) / 2
"""

LEDGER_DIGESTS_KEPT = 16
"""Most content digests kept per event id (a producer reusing one id more often is held every time)."""


@dataclass
class RoundTrips:
    """Counts Redis round trips and failures, for metrics and benchmarks."""

    round_trips: int = 0
    errors: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)

    def count(self, operation: str) -> None:
        """One round trip of `operation`."""
        self.round_trips += 1
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


def create_client(url: str, socket_timeout_s: float, **connection: Any) -> redis.Redis:
    """An asyncio Redis client (hiredis parser when installed); connects lazily.

    A pooled connection that died with a Redis restart is retried once on a fresh one, so the first
    batch after Redis returns is screened normally instead of held. `connection` adds the ACL user and
    TLS arguments (`adapters.security.create_redis_client` builds them from the settings).
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=socket_timeout_s,
        health_check_interval=0,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        **connection,
    )


GENERATION_READY = "ready"
GENERATION_BUILDING = "building"


def new_generation_id() -> str:
    """A generation id that sorts by creation time (milliseconds), then a random part."""
    return f"{time.time_ns() // 1_000_000:013d}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class RegistryState:
    """The registry's generation marker and version counter as last read, and what the reader made of them.

    `problem` is None when the registry can be read as complete, else one of `REGISTRY_PROBLEMS`:
    `unreachable` (Redis does not answer), `gone` (no marker: Redis lost the registry, or it was never
    loaded), `building` (a generation is being filled from the ownership feed) or `older` (a generation
    older than one seen before, or a version counter that went backwards: writes were lost).
    """

    generation: str | None
    version: int
    problem: str | None
    detail: str = ""

    @property
    def available(self) -> bool:
        """Whether decisions may read the registry as complete."""
        return self.problem is None


REGISTRY_PROBLEMS = ("unreachable", "gone", "building", "older")
"""Why the registry cannot be read as complete (see `RegistryState.problem`)."""


class RedisOwnershipRegistry:
    """Ownership registry in Redis with an in-process cache invalidated by the generation and version.

    Every read checks the generation marker (in the same round trip): a registry that is gone, being
    rebuilt, or older than one this process saw before reads as unavailable (every party `UNAVAILABLE`,
    a hold), never as "nobody owns anybody". `on_state` is called with each state whose `problem`
    differs from the previous one (the composition root starts a rebuild, or a rescreen on recovery).
    """

    def __init__(self, client: redis.Redis, prefix: str = "screening:", max_depth: int = 12) -> None:
        self._client = client
        self._prefix = prefix
        self._max_depth = max_depth
        self._script = client.register_script(_SNAPSHOT_LUA)
        self._state_script = client.register_script(_STATE_LUA)
        self._start_script = client.register_script(_START_GENERATION_LUA)
        self._complete_script = client.register_script(_COMPLETE_GENERATION_LUA)
        self.stats = RoundTrips()
        # Cache of one (generation, version): party key → entity id (or None), entity id → record.
        self._cache_version: str | None = None
        self._cache_resolved: dict[str, str | None] = {}
        self._cache_records: dict[str, OwnershipRecord] = {}
        self._cache_invalid: dict[str, str] = {}  # stored records that fail validation: id -> problem
        self._cache_ancestry: dict[str, tuple[str, ...]] = {}
        self._cache_label = "none"
        # The newest complete generation this process read, and the highest version seen in it.
        self._seen_generation = ""
        self._seen_version = 0
        # Not read yet: no problem known, so reading a ready registry first is no "recovery".
        self.state = RegistryState(None, 0, None, "not read yet")
        self.on_state: Callable[[RegistryState], None] = lambda state: None
        # The registry version after this process's own last write: other writers (`screening ownership
        # load`) are told apart from the feed this process applies.
        self.written_version: str | None = None

    def _key(self, suffix: str) -> str:
        return f"{self._prefix}{suffix}"

    @property
    def version_label(self) -> str:
        """`<latest as_of>:<registry version>:<generation>` as last read from Redis."""
        return self._cache_label

    # ----------------------------------------------------------------------------------- generation
    def _judge(self, generation: str, marker_state: str, version: int) -> RegistryState:
        """What a read of the marker means; remembers the newest complete generation seen."""
        if not generation:
            state = RegistryState(
                None,
                version,
                "gone",
                "no generation marker in Redis (restarted without its data, or never loaded)",
            )
        elif generation < self._seen_generation or (
            generation == self._seen_generation and version < self._seen_version
        ):
            state = RegistryState(
                generation,
                version,
                "older",
                f"registry generation {generation} version {version} is older than generation "
                f"{self._seen_generation} version {self._seen_version} read before: writes were lost",
            )
        elif marker_state != GENERATION_READY:
            state = RegistryState(
                generation, version, "building", f"registry generation {generation} is being rebuilt"
            )
        else:
            if generation != self._seen_generation:
                self._seen_generation, self._seen_version = generation, version
            self._seen_version = max(self._seen_version, version)
            state = RegistryState(generation, version, None)
        self._set_state(state)
        return state

    def _set_state(self, state: RegistryState) -> None:
        previous, self.state = self.state, state
        if previous.problem != state.problem:
            if state.problem is None:
                log.info("ownership registry available again: generation %s", state.generation)
            else:
                log.warning("ownership registry unavailable (%s): %s", state.problem, state.detail)
            self.on_state(state)

    def _unreachable(self, error: BaseException) -> RegistryState:
        state = RegistryState(self.state.generation, self.state.version, "unreachable", str(error)[:500])
        self._set_state(state)
        return state

    async def read_state(self) -> RegistryState:
        """Read the generation marker and version now (one round trip); never raises."""
        try:
            self.stats.count("state")
            generation, marker_state, version = await self._state_script(args=[self._prefix])
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            return self._unreachable(error)
        return self._judge(_text(generation), _text(marker_state), int(_text(version)))

    async def start_generation(self, wipe: bool = False, by: str = "rebuild") -> str:
        """The id of the generation to fill: a new one (state `building`) where there is no marker, the
        current one otherwise. `wipe` first deletes every registry key (an older generation: its records
        cannot be trusted, tombstones may be missing)."""
        if wipe:
            keys = [key async for key in self._client.scan_iter(match=self._key("own:v1:*"), count=1000)]
            for start in range(0, len(keys), 1000):
                await self._client.unlink(*keys[start : start + 1000])
            self._seen_generation, self._seen_version = "", 0
        generation = await self._start_script(args=[self._prefix, new_generation_id(), by])
        return _text(generation)

    async def complete_generation(self, generation: str) -> bool:
        """Mark `generation` ready, if it is still the current one; True when marked."""
        done = await self._complete_script(args=[self._prefix, generation])
        return bool(done)

    # ----------------------------------------------------------------------------------------- read
    async def snapshot(self, parties: Sequence[Party]) -> OwnershipSnapshot:
        """Resolve parties and fetch their ancestry in one round trip (or one marker check when cached)."""
        unique = {party_key(p): p for p in parties}
        try:
            if self._cache_version is not None and all(k in self._cache_resolved for k in unique):
                self.stats.count("version")
                generation, marker_state, version = await self._state_script(args=[self._prefix])
                state = self._judge(_text(generation), _text(marker_state), int(_text(version)))
                if state.problem is not None:
                    return self._unavailable(state)
                if f"{state.generation}/{state.version}" == self._cache_version:
                    self.stats.cache_hits += 1
                    return self._from_cache(unique)
            self.stats.cache_misses += 1
            return await self._fetch(unique)
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            log.warning("ownership registry unavailable: %s", error)
            return self._unavailable(self._unreachable(error))

    @staticmethod
    def _unavailable(state: RegistryState) -> OwnershipSnapshot:
        return OwnershipSnapshot(
            records={},
            resolved={},
            available=False,
            version="unavailable",
            error=f"ownership registry {state.problem}: {state.detail}",
        )

    async def _fetch(self, unique: dict[str, Party]) -> OwnershipSnapshot:
        ids: list[str] = []
        name_keys: list[str] = []
        key_to_party: dict[str, list[str]] = {}
        for pkey, party in unique.items():
            if party.party_id:
                ids.append(party.party_id)
            else:
                for lookup in party_lookup_keys(party):
                    name_keys.append(lookup)
                    key_to_party.setdefault(lookup, []).append(pkey)
        self.stats.count("snapshot")
        raw_version, raw_as_of, raw_resolved, raw_records, raw_generation, raw_state = await self._script(
            args=[self._prefix, self._max_depth, len(ids), *ids, *dict.fromkeys(name_keys)]
        )
        state = self._judge(_text(raw_generation), _text(raw_state), int(_text(raw_version)))
        if state.problem is not None:
            return self._unavailable(state)
        version = f"{state.generation}/{state.version}"
        if version != self._cache_version:
            self._cache_version = version
            self._cache_resolved.clear()
            self._cache_records.clear()
            self._cache_invalid.clear()
        self._cache_label = f"{_text(raw_as_of)}:{state.version}:{state.generation}"
        for raw_id, raw in zip(raw_records[0::2], raw_records[1::2], strict=True):
            entity_id = _text(raw_id)
            try:
                record = _stored_record(entity_id, raw)
            except (OwnershipRecordError, ValueError, TypeError) as error:
                # A record stored before validation was this strict, or by another writer: the parties it
                # touches read as INVALID (a hold), and the rest of the batch is screened normally.
                self._cache_invalid[entity_id] = str(error)[:500]
                log.warning("invalid ownership record %r in Redis: %s", entity_id[:200], error)
                continue
            self._cache_records[entity_id] = record
        found: dict[str, str] = {}
        pairs = [_text(x) for x in raw_resolved]
        for lookup, entity_id in zip(pairs[0::2], pairs[1::2], strict=True):
            if lookup.startswith("id:"):
                found[lookup] = entity_id
            else:
                for pkey in key_to_party.get(lookup, []):
                    found.setdefault(pkey, entity_id)
        for pkey in unique:
            self._cache_resolved[pkey] = found.get(pkey)
        return self._from_cache(unique)

    def _from_cache(self, unique: dict[str, Party]) -> OwnershipSnapshot:
        resolved = {k: v for k in unique if (v := self._cache_resolved.get(k)) is not None}
        records = collect_ancestry(resolved.values(), self._cache_records.get, self._max_depth)
        return OwnershipSnapshot(
            records=records,
            resolved=resolved,
            available=True,
            version=self._cache_label,
            invalid=dict(self._cache_invalid) if self._cache_invalid else {},
        )

    # ---------------------------------------------------------------------------------------- write
    async def upsert(self, records: Sequence[OwnershipRecord]) -> None:
        """Store records and their name keys in one transaction; bumps the registry version."""
        if not records:
            return
        old = await self._client.mget([self._key(f"own:v1:entity:{r.entity_id}") for r in records])
        pipe = self._client.pipeline(transaction=True)
        for previous in old:
            stale_keys = _stored_name_keys(previous)
            if stale_keys:
                pipe.hdel(self._key("own:v1:names"), *stale_keys)
        latest = None
        for record in records:
            pipe.set(self._key(f"own:v1:entity:{record.entity_id}"), ownership_to_json(record))
            keys = registry_keys((record.name, *record.aliases), record.country)
            if keys:
                pipe.hset(self._key("own:v1:names"), mapping=dict.fromkeys(keys, record.entity_id))
            if record.as_of and (latest is None or record.as_of > latest):
                latest = record.as_of
        self._mark_first_write(pipe)
        pipe.incr(self._key("own:v1:version"))
        pipe.hget(self._key("own:v1:generation"), "id")
        *_, version, generation = await pipe.execute()
        self.written_version = f"{_text(generation)}/{version}"
        if latest is not None:
            current = await self._client.get(self._key("own:v1:max_as_of"))
            if current is None or _text(current) < latest.isoformat():
                await self._client.set(self._key("own:v1:max_as_of"), latest.isoformat())

    async def delete(self, entity_ids: Sequence[str]) -> None:
        """Remove records and their name keys (tombstones); bumps the registry version."""
        if not entity_ids:
            return
        old = await self._client.mget([self._key(f"own:v1:entity:{e}") for e in entity_ids])
        pipe = self._client.pipeline(transaction=True)
        for entity_id, previous in zip(entity_ids, old, strict=True):
            keys = _stored_name_keys(previous)
            if keys:
                pipe.hdel(self._key("own:v1:names"), *keys)
            pipe.delete(self._key(f"own:v1:entity:{entity_id}"))
        self._mark_first_write(pipe)
        pipe.incr(self._key("own:v1:version"))
        pipe.hget(self._key("own:v1:generation"), "id")
        *_, version, generation = await pipe.execute()
        self.written_version = f"{_text(generation)}/{version}"

    def _mark_first_write(self, pipe: Any) -> None:
        # The first write into a Redis without a marker starts a generation, `building` until the
        # service has replayed the ownership feed into it (HSETNX: no-ops where a marker exists).
        key = self._key("own:v1:generation")
        pipe.hsetnx(key, "id", new_generation_id())
        pipe.hsetnx(key, "state", GENERATION_BUILDING)
        pipe.hsetnx(key, "by", "write")

    async def current_version(self) -> str:
        """The registry's generation and version in Redis now (`<generation>/<version>`)."""
        generation, _, version = await self._state_script(args=[self._prefix])
        return f"{_text(generation)}/{_text(version)}"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _stored_record(entity_id: str, raw: bytes | str) -> OwnershipRecord:
    """A record read back from Redis, through the same validator as the feed and the files."""
    record = record_from_mapping(orjson.loads(raw))
    if record.entity_id != entity_id:
        raise OwnershipRecordError(f"stored under {entity_id!r} but names itself {record.entity_id!r}")
    return record


def _stored_name_keys(raw: bytes | str | None) -> list[str]:
    """The name keys a stored record was indexed under, read leniently: a record that fails validation
    must still be replaceable and deletable, with its name keys removed."""
    if not raw:
        return []
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(data, dict):
        return []
    aliases = data.get("aliases")
    names = [data.get("name"), *(aliases if isinstance(aliases, list) else [])]
    country = data.get("country")
    texts = [name for name in names if isinstance(name, str) and len(name) <= 4096]
    return registry_keys(texts, country if isinstance(country, str) else None)


class RedisDecisionLedger:
    """Decided event ids and their content digests in Redis with a TTL; unreachable Redis means "not known
    to be decided"."""

    def __init__(self, client: redis.Redis, prefix: str = "screening:", ttl_s: int = 14 * 24 * 3600) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl_s = ttl_s
        # One script call marks a whole batch: a pipeline of SET ... EX costs ~80 µs of client CPU per key.
        self._mark = client.register_script(_LEDGER_MARK_LUA)
        self.stats = RoundTrips()

    async def decided(self, event_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The digests each id was decided with, for the ids decided before (one MGET)."""
        if not event_ids:
            return {}
        try:
            self.stats.count("ledger_read")
            values = await self._client.mget([f"{self._prefix}ledger:v1:{e}" for e in event_ids])
        except (RedisError, OSError) as error:
            # Without the ledger a redelivered event may be decided again; that is the safe side of
            # at-least-once (a duplicate decision), never a lost one.
            self.stats.errors += 1
            log.warning("decision ledger unavailable: %s", error)
            return {}
        found: dict[str, frozenset[str]] = {}
        for event_id, value in zip(event_ids, values, strict=True):
            if value is not None:
                text = _text(value)
                found[event_id] = frozenset({ANY_CONTENT}) if text == "1" else frozenset(text.split())
        return found

    async def remember(self, decided: Sequence[tuple[str, str]]) -> None:
        """Record (event id, digest) pairs as decided (one script call)."""
        if not decided:
            return
        args: list[str | int] = [f"{self._prefix}ledger:v1:", self._ttl_s, LEDGER_DIGESTS_KEPT]
        for event_id, digest in decided:
            args += [event_id, digest]
        try:
            self.stats.count("ledger_write")
            await self._mark(args=args)
        except (RedisError, OSError) as error:
            self.stats.errors += 1
            log.warning("decision ledger write failed: %s", error)
