"""Ports: the small interfaces the screening service needs from the outside world.

Every port has an in-memory implementation (`screening.adapters.memory`) used by tests and by
`screening check`, beside the real one (`screening.adapters.redis_store`, `screening.adapters.subjects`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from screening.domain.model import Party
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
    """Remembers which events were decided, so a redelivered event is not decided twice."""

    async def already_decided(self, event_ids: Sequence[str]) -> set[str]:
        """The subset of `event_ids` already decided and published. Never raises: unknown → empty set."""
        ...

    async def remember(self, event_ids: Sequence[str]) -> None:
        """Record `event_ids` as decided and published."""
        ...


@dataclass(frozen=True, slots=True)
class OpenSubject:
    """An open order or active lease: its latest event as received and the digest of its last decision."""

    kind: str
    subject_id: str
    event: bytes
    """The latest event's contract JSON, byte for byte as consumed, so a rescreen decides the same input."""
    digest: str
    """`decision_digest` of the last decision published for the subject (outcome and reason keys)."""


class OpenSubjects(Protocol):
    """The orders and leases still open, so a list or ownership change can re-decide them (rescreen)."""

    async def record(self, opened: Sequence[OpenSubject], closed: Sequence[tuple[str, str]]) -> None:
        """Store `opened` (replacing a subject's earlier state) and forget `closed` (kind, subject id).
        Never raises: a failed write is logged; the subject is then rescreened from its older state."""
        ...

    def scan(self, batch_size: int) -> AsyncIterator[list[OpenSubject]]:
        """Every open subject, in chunks of about `batch_size`."""
        ...

    async def fresh(self, subjects: Sequence[OpenSubject]) -> list[OpenSubject]:
        """Those of `subjects` still stored exactly so (same event and digest): not superseded meanwhile."""
        ...

    async def update_digests(self, updates: Sequence[tuple[OpenSubject, str]]) -> None:
        """Set each (subject, new digest) whose rescreen decision was published; a subject no longer
        stored exactly as given (a newer event, a close) is left alone (compare-and-set)."""
        ...
