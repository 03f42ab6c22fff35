"""Ports: the small interfaces the screening service needs from the outside world.

Every port has an in-memory implementation (`screening.adapters.memory`) used by tests and by
`screening check`, beside the real one (`screening.adapters.redis_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
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
