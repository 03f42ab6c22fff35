"""The screening service: decides batches of events with the pure engine and the ports it is given.

`ScreeningService` owns the batch I/O through ports: one ledger read, one ownership read per batch; the
pure `ScreeningEngine` (`screening.domain.engine`) makes each decision.
`screening serve` and `screening check` both use this module; only the adapters differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.model import Decision, Event
from screening.domain.names import ScreeningLists
from screening.ports import DecisionLedger, OwnershipSource

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ScreeningService:
    """Screens batches of events through its ports; the same code serves Kafka and `screening check`."""

    def __init__(
        self,
        engine: ScreeningEngine,
        lists: Callable[[], ScreeningLists | None],
        ownership: OwnershipSource,
        ledger: DecisionLedger,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self._lists = lists
        self._ownership = ownership
        self._ledger = ledger
        self._clock = clock

    async def context_for(self, events: Sequence[Event]) -> BatchContext:
        """One ownership read for every party of the batch, and the current lists."""
        parties = [party for event in events for party in event.parties]
        snapshot = await self._ownership.snapshot(parties)
        return BatchContext(lists=self._lists(), ownership=snapshot)

    async def screen(self, events: Sequence[Event], trigger: str = "event") -> list[Decision]:
        """Decide every event not decided before; a repeated `event_id` is decided once."""
        unique: dict[str, Event] = {}
        for event in events:
            unique.setdefault(event.event_id, event)
        done = await self._ledger.already_decided(list(unique))
        todo = [event for event_id, event in unique.items() if event_id not in done]
        if not todo:
            return []
        context = await self.context_for(todo)
        now = self._clock()
        return [self.engine.decide(event, context, now, trigger) for event in todo]

    async def already_decided(self, event_ids: Sequence[str]) -> set[str]:
        """Event ids whose decision was already published."""
        return await self._ledger.already_decided(event_ids)

    def now(self) -> datetime:
        """The service clock."""
        return self._clock()

    async def confirm(self, decisions: Sequence[Decision]) -> None:
        """Record decisions as published, after the broker acknowledged them."""
        await self._ledger.remember([d.event_id for d in decisions])
