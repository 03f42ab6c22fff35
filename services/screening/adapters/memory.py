"""In-memory adapters: the ownership registry, the decision ledger, the open subjects and the open holds.

Used by `screening check` and by unit and component tests. They behave like the Redis adapters,
including resolution of parties by `party_id` or by name and country.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import orjson

from screening.domain.dependencies import ALWAYS
from screening.domain.model import Party
from screening.domain.ownership import OwnershipRecord
from screening.domain.profiles import OwnershipSnapshot, party_key
from screening.domain.registry import collect_ancestry, party_lookup_keys, registry_keys
from screening.ports import HoldChanges, HoldView, OpenSubject


class InMemoryOwnershipRegistry:
    """An ownership registry in a dict; implements both `OwnershipSource` and `OwnershipSink`."""

    def __init__(self, records: Iterable[OwnershipRecord] = (), max_depth: int = 12) -> None:
        self._records: dict[str, OwnershipRecord] = {}
        self._names: dict[str, str] = {}
        self._max_depth = max_depth
        self._changes = 0
        self.available = True
        for record in records:
            self._put(record)

    @property
    def version(self) -> str:
        """Latest `as_of` in the registry and the number of changes applied."""
        latest = max((r.as_of for r in self._records.values() if r.as_of), default=None)
        return f"{latest.isoformat() if latest else 'none'}:{self._changes}"

    def _put(self, record: OwnershipRecord) -> None:
        old = self._records.get(record.entity_id)
        if old is not None:
            self._drop_names(old)
        self._records[record.entity_id] = record
        for key in registry_keys((record.name, *record.aliases), record.country):
            self._names[key] = record.entity_id
        self._changes += 1

    def _drop_names(self, record: OwnershipRecord) -> None:
        for key in registry_keys((record.name, *record.aliases), record.country):
            if self._names.get(key) == record.entity_id:
                del self._names[key]

    async def upsert(self, records: Sequence[OwnershipRecord]) -> None:
        """Store or replace records."""
        for record in records:
            self._put(record)

    async def delete(self, entity_ids: Sequence[str]) -> None:
        """Remove records (tombstones)."""
        for entity_id in entity_ids:
            record = self._records.pop(entity_id, None)
            if record is not None:
                self._drop_names(record)
                self._changes += 1

    async def snapshot(self, parties: Sequence[Party]) -> OwnershipSnapshot:
        """Resolve parties and collect their ancestry, as the Redis adapter does in one round trip."""
        if not self.available:
            return OwnershipSnapshot(
                records={},
                resolved={},
                available=False,
                version="unavailable",
                error="registry marked unavailable",
            )
        resolved: dict[str, str] = {}
        for party in parties:
            entity_id = self._resolve(party)
            if entity_id is not None:
                resolved[party_key(party)] = entity_id
        records = collect_ancestry(resolved.values(), self._records.get, self._max_depth)
        return OwnershipSnapshot(records=records, resolved=resolved, available=True, version=self.version)

    def _resolve(self, party: Party) -> str | None:
        if party.party_id:
            return party.party_id if party.party_id in self._records else None
        for key in party_lookup_keys(party):
            if key in self._names:
                return self._names[key]
        return None


class InMemoryDecisionLedger:
    """Remembers decided event ids and the content digests they were decided with."""

    def __init__(self) -> None:
        self._decided: dict[str, set[str]] = {}

    async def decided(self, event_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The digests each id was decided with, for the ids decided before."""
        return {e: frozenset(self._decided[e]) for e in event_ids if e in self._decided}

    async def remember(self, decided: Sequence[tuple[str, str]]) -> None:
        """Record (event id, digest) pairs as decided."""
        for event_id, digest in decided:
            self._decided.setdefault(event_id, set()).add(digest)


class InMemoryOpenHolds:
    """Open holds in dicts, as the Redis adapter keeps them (`screening.adapters.holds`)."""

    def __init__(self) -> None:
        self.decisions: dict[tuple[str, str], bytes] = {}
        self.since: dict[tuple[str, str], datetime] = {}
        self.events: dict[tuple[str, str], bytes] = {}
        self.reviews: dict[tuple[str, str], list[bytes]] = {}

    async def record(self, changes: HoldChanges) -> None:
        """Apply held, released and reviews."""
        for held in changes.held:
            key = (held.kind, held.subject_id)
            self.decisions[key] = held.decision
            self.since.setdefault(key, held.decided_at)
            if held.event is not None:
                self.events[key] = held.event
            else:
                self.events.pop(key, None)
        for key in changes.released:
            for store in (self.decisions, self.since, self.events, self.reviews):
                store.pop(key, None)
        for kind, subject_id, review in changes.reviews:
            self.reviews.setdefault((kind, subject_id), []).append(review)

    def _view(self, key: tuple[str, str]) -> HoldView | None:
        raw = self.decisions.get(key)
        if raw is None:
            return None
        decision = orjson.loads(raw)
        reviews = tuple(
            review
            for item in self.reviews.get(key, [])
            if (review := orjson.loads(item)).get("decision_id") == decision.get("decision_id")
        )
        return HoldView(key[0], key[1], decision, self.since[key].astimezone(UTC), reviews)

    async def oldest(self, limit: int = 100) -> list[HoldView]:
        """Open holds, oldest first."""
        keys = sorted(self.since, key=lambda key: (self.since[key], key))[: max(0, limit)]
        return [view for key in keys if (view := self._view(key)) is not None]

    async def get(self, kind: str, subject_id: str) -> HoldView | None:
        """The subject's open hold, if any."""
        return self._view((kind, subject_id))

    async def current(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HoldView]:
        """The open hold of each subject that has one."""
        return {key: view for key in subjects if (view := self._view(key)) is not None}

    async def events_of(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """The event each held subject's hold decided."""
        return {key: self.events[key] for key in subjects if key in self.events}


class InMemoryOpenSubjects:
    """Open orders and active leases in a dict keyed by (kind, subject id)."""

    def __init__(self, holds: InMemoryOpenHolds | None = None) -> None:
        self.subjects: dict[tuple[str, str], OpenSubject] = {}
        self.holds = holds
        self.depends: dict[str, tuple[str, ...]] = {}
        """The dependency keys of each subject field (`kind:id`), as the Redis index keeps them."""
        self.dependents_of: dict[str, set[str]] = {}
        """Dependency key → subject fields."""
        self.complete: dict[str, str] = {}
        self.index_failures = 0
        self._trusted_since = 0  # the failures counted when a full rescreen last marked the index here

    async def record(
        self,
        opened: Sequence[OpenSubject],
        closed: Sequence[tuple[str, str]],
        holds: HoldChanges | None = None,
    ) -> None:
        """Store opened subjects and their dependency keys, forget closed ones, apply `holds`."""
        for subject in opened:
            self.subjects[(subject.kind, subject.subject_id)] = subject
            self._set_keys(subject)
        for kind, subject_id in closed:
            self.subjects.pop((kind, subject_id), None)
            self._drop_keys(f"{kind}:{subject_id}")
        if holds and self.holds is not None:
            await self.holds.record(holds)

    def _set_keys(self, subject: OpenSubject) -> None:
        name = f"{subject.kind}:{subject.subject_id}"
        self._drop_keys(name)
        keys = subject.dependencies if subject.dependencies is not None else (ALWAYS,)
        self.depends[name] = tuple(keys)
        for key in keys:
            self.dependents_of.setdefault(key, set()).add(name)

    def _drop_keys(self, name: str) -> None:
        for key in self.depends.pop(name, ()):
            members = self.dependents_of.get(key)
            if members is not None:
                members.discard(name)
                if not members:
                    del self.dependents_of[key]

    async def index(self, subjects: Sequence[OpenSubject]) -> None:
        """Replace the dependency keys of re-decided subjects whose stored event is still the one given."""
        for subject in subjects:
            stored = self.subjects.get((subject.kind, subject.subject_id))
            if stored is not None and stored.event == subject.event:
                self._set_keys(subject)

    async def dependents(self, keys: Iterable[str]) -> set[str]:
        """The subject fields that depend on any of `keys`."""
        return {name for key in keys for name in self.dependents_of.get(key, ())}

    async def queries(self, prefix: str, batch_size: int = 5000) -> AsyncIterator[list[str]]:
        """The distinct dependency keys starting with `prefix` (`name:` or `addr:`), in chunks."""
        found = [key for key in self.dependents_of if key.startswith(prefix)]
        for start in range(0, len(found), batch_size):
            yield found[start : start + batch_size]

    async def load(self, fields: Sequence[str]) -> list[OpenSubject]:
        """The subjects stored under `fields` (`kind:id`)."""
        found = (
            self.subjects.get((kind, subject_id))
            for kind, _, subject_id in (f.partition(":") for f in fields)
        )
        return [subject for subject in found if subject is not None]

    async def indexed(self) -> dict[str, str]:
        """The completeness marks of the index (partition or `*` → basis)."""
        return dict(self.complete) if self.index_failures == self._trusted_since else {}

    async def mark_indexed(self, parts: Sequence[str], basis: str, failures_before: int) -> bool:
        """Mark the index complete for `parts` unless a write failed since `failures_before`."""
        if not parts or self.index_failures != failures_before:
            return False
        self.complete.update(dict.fromkeys(parts, basis))
        self._trusted_since = failures_before
        return True

    async def scan(self, batch_size: int) -> AsyncIterator[list[OpenSubject]]:
        """Chunks of the subjects stored when the scan started (as with HSCAN, later writes may show)."""
        keys = list(self.subjects)
        for start in range(0, len(keys), batch_size):
            chunk = [s for k in keys[start : start + batch_size] if (s := self.subjects.get(k)) is not None]
            if chunk:
                yield chunk

    async def fresh(self, subjects: Sequence[OpenSubject]) -> list[OpenSubject]:
        """The subjects stored exactly so."""
        return [s for s in subjects if self.subjects.get((s.kind, s.subject_id)) == s]

    async def update_digests(
        self, updates: Sequence[tuple[OpenSubject, str]], holds: HoldChanges | None = None
    ) -> None:
        """Set the new digests of subjects still stored as given; apply `holds`."""
        for subject, digest in updates:
            key = (subject.kind, subject.subject_id)
            if self.subjects.get(key) == subject:
                self.subjects[key] = replace(subject, digest=digest)
        if holds and self.holds is not None:
            await self.holds.record(holds)
