"""The lists store in Redis: the list files every instance screens against, with their version, source date,
counts, generation marker, a force record and the download's validators.

One hash, `<prefix>lists:v1`:

- `version`: the lists version decisions name;
- `count`, `file:{i}:name`, `file:{i}:data`: the list files, whole;
- `generation`: a marker every loader write raises (at least the write's time in ms, and above the last one):
  a reader that saw generation G and finds less (or nothing) knows Redis lost the lists;
- `as_of`, `as_of_basis`: the source date (ISO 8601 UTC) and where it comes from (`screening.adapters.csl`);
- `counts`: JSON `{"entries": n, "by_source": {...}}`, the baseline the next version is checked against;
- `forced`: JSON `{"version", "at", "by", "reason", "problems"}` when an operator forced this version past the
  integrity checks (absent otherwise);
- `url`, `etag`, `last_modified`: where `screening lists fetch` got the file, and its validators.

Written in one transaction; the generation is compared under WATCH so a republish never lowers it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import redis.asyncio as redis
from redis.exceptions import WatchError

from screening.domain.list_integrity import ListCounts

_HEAD_FIELDS = (
    "version",
    "generation",
    "as_of",
    "as_of_basis",
    "counts",
    "forced",
    "url",
    "etag",
    "last_modified",
)


@dataclass(frozen=True, slots=True)
class ListsHead:
    """What the store says about the stored lists, without their files."""

    version: str
    generation: int
    as_of: datetime | None = None
    as_of_basis: str = "unknown"
    counts: ListCounts | None = None
    forced: Mapping[str, Any] | None = None
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def forced_here(self) -> bool:
        """Whether the force record is this version's (an operator accepted it past the integrity checks)."""
        return self.forced is not None and self.forced.get("version") == self.version


@dataclass(frozen=True, slots=True)
class StoredLists:
    """The stored lists: their head and their files."""

    head: ListsHead
    files: list[tuple[str, bytes]] = field(default_factory=list)


class RedisListsStore:
    """The list files the service screens against, stored whole so every instance loads the same lists."""

    def __init__(self, client: redis.Redis, prefix: str = "screening:") -> None:
        self._client = client
        self._key = f"{prefix}lists:v1"

    async def save(
        self,
        files: Sequence[tuple[str, bytes]],
        version: str,
        *,
        as_of: datetime | None = None,
        as_of_basis: str = "unknown",
        counts: ListCounts | None = None,
        forced: Mapping[str, Any] | None = None,
        fetched: Mapping[str, str | None] | None = None,
    ) -> int:
        """Replace the stored lists atomically; returns the new generation (above every earlier one)."""
        mapping = _mapping(files, version, as_of, as_of_basis, counts, forced, fetched)
        for _ in range(5):
            async with self._client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self._key)
                    previous = await pipe.hget(self._key, "generation")
                    generation = max(int(time.time() * 1000), int(previous or 0) + 1)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.delete(self._key)
                    pipe.hset(self._key, mapping={**mapping, "generation": str(generation)})  # type: ignore[dict-item]
                    await pipe.execute()
                    return generation
                except WatchError:
                    continue  # another writer got in between: read its generation and go above it
        raise RuntimeError("the lists store kept changing under this write; try again")

    async def restore(self, stored: StoredLists) -> bool:
        """Write `stored` back, generation and all, unless the store now holds a generation as new or newer
        (a loader wrote meanwhile). Used by a service that finds its lists gone from Redis or older there."""
        head = stored.head
        fetched = {"url": head.url, "etag": head.etag, "last_modified": head.last_modified}
        mapping = _mapping(
            stored.files, head.version, head.as_of, head.as_of_basis, head.counts, head.forced, fetched
        )
        async with self._client.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self._key)
                current = await pipe.hget(self._key, "generation")
                if current is not None and int(current) >= head.generation:
                    return False
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.delete(self._key)
                pipe.hset(self._key, mapping={**mapping, "generation": str(head.generation)})  # type: ignore[dict-item]
                await pipe.execute()
                return True
            except WatchError:
                return False

    async def version(self) -> str | None:
        """Version of the stored lists, None when none are stored."""
        value = await self._client.hget(self._key, "version")
        return _text(value) if value else None

    async def head(self) -> ListsHead | None:
        """The stored lists' head (one HMGET), None when none are stored."""
        values = await self._client.hmget(self._key, list(_HEAD_FIELDS))
        found = dict(
            zip(_HEAD_FIELDS, (_text(value) if value is not None else None for value in values), strict=True)
        )
        return _head(found)

    async def load(self) -> StoredLists | None:
        """The stored lists with their files, None when none are stored."""
        stored: dict[bytes, bytes] = await self._client.hgetall(self._key)  # type: ignore[assignment]
        if not stored or b"version" not in stored:
            return None
        found = {
            name: _text(stored[name.encode()]) if name.encode() in stored else None for name in _HEAD_FIELDS
        }
        head = _head(found)
        assert head is not None
        count = int(stored.get(b"count", b"0"))
        files = [
            (stored[f"file:{i}:name".encode()].decode(), stored[f"file:{i}:data".encode()])
            for i in range(count)
        ]
        return StoredLists(head, files)


def _mapping(
    files: Sequence[tuple[str, bytes]],
    version: str,
    as_of: datetime | None,
    as_of_basis: str,
    counts: ListCounts | None,
    forced: Mapping[str, Any] | None,
    fetched: Mapping[str, str | None] | None,
) -> dict[str, str | bytes]:
    mapping: dict[str, str | bytes] = {
        "version": version,
        "count": str(len(files)),
        "as_of_basis": as_of_basis,
    }
    for index, (name, data) in enumerate(files):
        mapping[f"file:{index}:name"] = name
        mapping[f"file:{index}:data"] = data
    if as_of is not None:
        mapping["as_of"] = as_of.isoformat()
    if counts is not None:
        mapping["counts"] = orjson.dumps(counts.as_dict())
    if forced is not None:
        mapping["forced"] = orjson.dumps(dict(forced))
    for name, value in (fetched or {}).items():
        if value:
            mapping[name] = value
    return mapping


def _head(found: Mapping[str, str | None]) -> ListsHead | None:
    version = found.get("version")
    if not version:
        return None
    counts = None
    if found.get("counts"):
        data = orjson.loads(found["counts"] or "{}")
        counts = ListCounts(int(data.get("entries", 0)), dict(data.get("by_source") or {}))
    as_of = None
    if found.get("as_of"):
        try:
            as_of = datetime.fromisoformat(found["as_of"] or "")
        except ValueError:
            as_of = None
    return ListsHead(
        version=version,
        generation=int(found.get("generation") or 0),
        as_of=as_of,
        as_of_basis=found.get("as_of_basis") or "unknown",
        counts=counts,
        forced=orjson.loads(found["forced"] or "{}") if found.get("forced") else None,
        url=found.get("url"),
        etag=found.get("etag"),
        last_modified=found.get("last_modified"),
    )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
