"""Ports: the small interfaces the screening service needs from the outside world.

Every port has an in-memory implementation (`screening.adapters.memory`) used by tests and by
`screening check`, beside the real one (`screening.adapters.redis_store`, `screening.adapters.subjects`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from screening.domain.clearances import Clearance
from screening.domain.licensing import LicenceBook, LicenceRecord, Shortfall
from screening.domain.model import Event, Party
from screening.domain.ownership import OwnershipRecord
from screening.domain.profiles import OwnershipSnapshot


class OwnershipSource(Protocol):
    """Reads the ownership records a batch needs: the parties' entities and all their owners."""

    async def snapshot(self, parties: Sequence[Party]) -> OwnershipSnapshot:
        """Resolve `parties` to registry entities and fetch their ancestry. Never raises: an unreachable
        registry gives a snapshot with `available=False`."""
        ...


class OwnershipSink(Protocol):
    """Writes ownership records (the feed consumer and `screening ownership load`)."""

    async def upsert(self, records: Sequence[OwnershipRecord]) -> None:
        """Store or replace records."""
        ...

    async def delete(self, entity_ids: Sequence[str]) -> None:
        """Remove records (tombstones)."""
        ...


class DecisionLedger(Protocol):
    """Remembers which events were decided, and with what content, so a redelivered event is not decided
    twice while a reused event id (the same id, other content) is never silently skipped."""

    async def decided(self, event_ids: Sequence[str]) -> Mapping[str, frozenset[str]]:
        """For each of `event_ids` decided and published before, the content digests it was decided with
        (`ANY_CONTENT` among them for an entry that kept no digest). Never raises: unknown → empty."""
        ...

    async def remember(self, decided: Sequence[tuple[str, str]]) -> None:
        """Record (event id, content digest) pairs as decided and published."""
        ...


ANY_CONTENT = "*"
"""The digest of a ledger entry written without one: it matches any content (a redelivery, not a reuse)."""


class Publisher(Protocol):
    """Sends one message without waiting for the broker's acknowledgement."""

    async def __call__(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future[Any]:
        """Send `value` to `topic` under `key`; returns the future of the broker's acknowledgement."""
        ...


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """A message that decoded into an event."""

    event: Event
    digest: str
    """Digest of the event's content (its JSON with keys sorted): tells a redelivery from a reused id."""
    raw: bytes
    """The message value as consumed (what a rescreen decides again)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that did not decode into an event: why, and its subject when it names one.

    `error_kind` is one of `invalid_json`, `schema`, `too_large`, `invalid_header` (the message) or
    `processing` (the service failed on it). `event_id` and `subject_id` are set when the message names
    both, so its subject can be held (INVALID_EVENT).
    """

    error: str
    error_kind: str
    event_id: str | None = None
    subject_id: str | None = None
    kind: str | None = None
    """The event kind the message was read as (from its topic, or its subject field)."""
    digest: str = ""
    """Digest of the message bytes when it names its subject (tells a redelivery from a reused id)."""


Received = DecodedEvent | Rejected
"""What an adapter hands the service for each message it consumed."""


@dataclass(frozen=True, slots=True)
class OpenSubject:
    """An open order or active lease: its latest event as received and the digest of its last decision."""

    kind: str
    subject_id: str
    event: bytes
    """The latest event's contract JSON, byte for byte as consumed, so a rescreen decides the same input."""
    digest: str
    """`decision_digest` of the last decision published for the subject (outcome and reason keys)."""
    dependencies: tuple[str, ...] | None = field(default=None, compare=False)
    """`Dependencies.keys` of the decision, when it is known (stored beside the subject, for rescreens
    of what changed); None: unknown, stored as depending on every change."""


class RescreenMarks(Protocol):
    """The event-topic partitions (topic, partition) whose rescreen is under way, kept where every instance
    sees them, so the next owner of a partition handed over mid-rescreen finishes it."""

    async def mark(self, partitions: Sequence[tuple[str, int]], cause: str) -> None:
        """Mark `partitions` as being rescreened because of `cause`."""
        ...

    async def clear(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Forget the marks of `partitions`, rescreened to the end."""
        ...

    async def causes(self, partitions: Sequence[tuple[str, int]]) -> set[str]:
        """The causes of the rescreens marked on any of `partitions`."""
        ...


class OpenSubjects(Protocol):
    """The orders and leases still open, so a list or ownership change can re-decide them (rescreen)."""

    async def record(
        self,
        opened: Sequence[OpenSubject],
        closed: Sequence[tuple[str, str]],
        holds: HoldChanges | None = None,
    ) -> None:
        """Store `opened` (replacing a subject's earlier state) and forget `closed` (kind, subject id), and
        apply `holds` to the open holds in the same write. Never raises: a failed write is logged; the
        subject is then rescreened from its older state."""
        ...

    def scan(self, batch_size: int) -> AsyncIterator[list[OpenSubject]]:
        """Every open subject, in chunks of about `batch_size`."""
        ...

    async def fresh(self, subjects: Sequence[OpenSubject]) -> list[OpenSubject]:
        """Those of `subjects` still stored exactly so (same event and digest): not superseded meanwhile."""
        ...

    async def update_digests(
        self, updates: Sequence[tuple[OpenSubject, str]], holds: HoldChanges | None = None
    ) -> None:
        """Set each (subject, new digest) whose rescreen decision was published; a subject no longer
        stored exactly as given (a newer event, a close) is left alone (compare-and-set). `holds` (the
        published decisions' effect on the open holds) is applied in the same write."""
        ...

    # The dependency index: which open subjects a change of the lists or of the registry can reach
    # (`screening.domain.dependencies`). `record` writes each opened subject's `dependencies` with it.
    index_failures: int
    """Writes of the index that failed in this process."""

    async def index(self, subjects: Sequence[OpenSubject]) -> None:
        """Replace the dependency keys of re-decided `subjects` with theirs, for those whose stored event
        is still the one given. Raises when the store fails."""
        ...

    async def dependents(self, keys: Iterable[str]) -> set[str]:
        """The subject fields (`kind:id`) that depend on any of the dependency keys `keys`."""
        ...

    def queries(self, prefix: str, batch_size: int = 5000) -> AsyncIterator[list[str]]:
        """The distinct dependency keys of open subjects that start with `prefix` (`name:`, `addr:`); a
        name key may be followed by a tab and its names' tokens (`with_tokens`)."""
        ...

    async def load(self, fields: Sequence[str]) -> list[OpenSubject]:
        """The open subjects stored under `fields` (`kind:id`); those no longer open are left out."""
        ...

    async def indexed(self) -> dict[str, str]:
        """Where the index is complete: event-topic partition (`topic:partition`, or `*` for all) → the
        basis it was built on. Empty when a write of the index failed in this process."""
        ...

    async def mark_indexed(self, parts: Sequence[str], basis: str, failures_before: int) -> bool:
        """Mark the index complete for `parts` after a full rescreen wrote every subject's keys, unless a
        write of the index failed since it began (`index_failures` was `failures_before`)."""
        ...


@dataclass(frozen=True, slots=True)
class HoldView:
    """An open hold as a reviewer sees it: the subject's current decision and the reviews recorded on it."""

    kind: str
    subject_id: str
    decision: Mapping[str, Any]
    """The held decision as published on the decisions topic (contract JSON, parsed)."""
    held_since: datetime
    """When the subject's current run of holds began (its age in the review queue)."""
    reviews: tuple[Mapping[str, Any], ...] = ()
    """Reviews already recorded on this decision (e.g. the first of two for a four-eyes release)."""


class OpenHolds(Protocol):
    """The held subjects awaiting review: what the review page lists and shows."""

    async def oldest(self, limit: int = 100) -> list[HoldView]:
        """Open holds, oldest first."""
        ...

    async def get(self, kind: str, subject_id: str) -> HoldView | None:
        """The subject's open hold, None when it is not held (released, confirmed, superseded)."""
        ...


@dataclass(frozen=True, slots=True)
class HeldDecision:
    """A published `hold`: what the open holds store keeps for the review queue."""

    kind: str
    subject_id: str
    decision_id: str
    decision: bytes
    """The decision's contract JSON as published (without a signature)."""
    decided_at: datetime
    event: bytes | None = None
    """The event the hold decided, as consumed (None for the hold of a dead-lettered message)."""
    codes: tuple[str, ...] = ()
    """The codes of its hold reasons (what the review queue is waiting on, for metrics)."""


@dataclass(frozen=True, slots=True)
class HoldChanges:
    """What published decisions (and recorded reviews) do to the open holds, applied in one write.

    `held`: subjects whose latest published decision is a hold (their run of holds starts, or goes on, at
    the first one's `decided_at`). `released`: subjects whose latest published decision is not a hold
    (allow, deny, or a close): they leave the review queue. `reviews`: (kind, subject id, review JSON) of
    reviews recorded on a subject's current hold without deciding it (a first of two, a request for
    information).
    """

    held: Sequence[HeldDecision] = ()
    released: Sequence[tuple[str, str]] = ()
    reviews: Sequence[tuple[str, str, bytes]] = ()

    def __bool__(self) -> bool:
        return bool(self.held or self.released or self.reviews)


class OpenHoldsStore(OpenHolds, Protocol):
    """The open holds as the service keeps them: written with the open subjects, read back by reviews."""

    async def record(self, changes: HoldChanges) -> None:
        """Apply `changes` on their own (when no open-subjects write carries them). Never raises."""
        ...

    async def current(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HoldView]:
        """The open hold of each of `subjects` (kind, id) that has one (one read for a batch of reviews).
        Raises when the store cannot be read: a review is never judged against a hold it could not see."""
        ...

    async def events_of(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """The event each held subject's hold decided, as consumed (absent for a dead-lettered message)."""
        ...


class ClearanceStore(Protocol):
    """The cleared matches (reviewers' false positives), by party identity."""

    async def for_parties(self, identities: Sequence[str]) -> dict[str, dict[str, Clearance]]:
        """The clearances of each of `identities` that has any (one read for a batch). Never raises: a
        store that cannot be read gives none (the matches are held)."""
        ...

    async def store(self, clearances: Sequence[Clearance]) -> None:
        """Remember `clearances` (replacing a party's earlier clearance of the same entry)."""
        ...


@dataclass(frozen=True, slots=True)
class DrawRequest:
    """What one `allow` draws down: (licence number, line id, quantity) of one event."""

    event_id: str
    draws: Sequence[tuple[str, str, int]]


class LicenceStore(Protocol):
    """Licences and NAC/ACA notifications on file, and their draw-downs."""

    async def book(self, numbers: Sequence[str]) -> LicenceBook:
        """The records of `numbers` and how much of each is drawn (one read for a batch). Never raises: a
        store that cannot be read gives a book with `available=False` (the events are held)."""
        ...

    async def draw(self, requests: Sequence[DrawRequest]) -> dict[str, tuple[Shortfall, ...]]:
        """Draw every request down atomically, in order, each event all or nothing, each (event, line,
        licence) once whatever the redeliveries; the events whose draw would exceed a balance are left out
        and returned with their shortfalls. Raises when the store fails (the batch is tried again)."""
        ...

    async def upsert(self, records: Sequence[LicenceRecord]) -> None:
        """Store or replace licences (their draw-downs so far are kept)."""
        ...

    async def delete(self, numbers: Sequence[str]) -> None:
        """Remove licences (tombstones); their draw-downs are kept as history."""
        ...
