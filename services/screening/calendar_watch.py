"""Rescreens on the rule calendar: when the service clock passes a day on which the ruleset's rules change
(`screening.domain.calendar`), the open orders and active leases that change can affect are re-decided.

`BoundaryWatcher.check` compares the clock's date with the last boundary processed, which is kept in Redis
(`BoundaryMark`) so that a boundary passed while the service was down is processed at start-up. The mark
moves only after the rescreen has run (a crash in between processes the boundary again; a rescreen
publishes only changed decisions, so that repeats nothing). With no mark (a new deployment) every boundary
up to today counts as passed: one rescreen re-decides whatever is open as of today.

Where instances share the rescreens (`screening.rescreen.PartitionShare`), each processes a boundary for the
event partitions it owns, so the mark is kept per partition: one instance's rescreen does not mark another's
partitions as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import orjson

from screening.domain.calendar import Boundary, next_after, passed_between
from screening.rescreen import RULESET_DATE, PartitionShare, RescreenScheduler
from screening.service import ScreeningService

log = logging.getLogger("screening.calendar")


Partitions = Sequence[tuple[str, int]] | None
"""The event partitions (topic, partition) a boundary is processed for; None: every subject."""


class BoundaryMark(Protocol):
    """Where the last rule-calendar boundary the service processed is kept."""

    async def last(self, partitions: Partitions = None) -> date | None:
        """The last boundary processed (for all of `partitions`: the earliest), None when none was."""
        ...

    async def mark(self, day: date, partitions: Partitions = None) -> None:
        """Record `day` as processed (for `partitions`)."""
        ...


class InMemoryBoundaryMark:
    """A `BoundaryMark` in memory (component tests)."""

    def __init__(self, day: date | None = None) -> None:
        self.day = day

    async def last(self, partitions: Partitions = None) -> date | None:
        """The last boundary processed."""
        return self.day

    async def mark(self, day: date, partitions: Partitions = None) -> None:
        """Record `day`."""
        self.day = day


def _day(found: Any) -> date:
    return date.fromisoformat(found.decode() if isinstance(found, bytes) else str(found))


class RedisBoundaryMark:
    """A `BoundaryMark` in Redis, under the service's key prefix: `calendar:last_boundary` (an ISO date)
    for every subject, and the hash `calendar:last_boundary:partitions` (field `{topic}:{partition}`) per
    event partition. A partition with no mark of its own has the whole service's."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._key = f"{prefix}calendar:last_boundary"
        self._partitions_key = f"{prefix}calendar:last_boundary:partitions"

    async def last(self, partitions: Partitions = None) -> date | None:
        """The last boundary processed (for all of `partitions`: the earliest)."""
        found = await self._client.get(self._key)
        whole = None if found is None else _day(found)
        if partitions is None:
            return whole
        if not partitions:
            return date.max  # owns nothing: nothing to rescreen
        marks = await self._client.hmget(self._partitions_key, [f"{t}:{p}" for t, p in partitions])
        days = [_day(mark) if mark is not None else whole for mark in marks]
        return None if any(day is None for day in days) else min(day for day in days if day is not None)

    async def mark(self, day: date, partitions: Partitions = None) -> None:
        """Record `day` (for `partitions`)."""
        if partitions is None:
            await self._client.set(self._key, day.isoformat())
        elif partitions:
            await self._client.hset(
                self._partitions_key, mapping={f"{t}:{p}": day.isoformat() for t, p in partitions}
            )


class BoundaryWatcher:
    """Starts a `ruleset_date` rescreen when the service clock has passed rule-calendar boundaries."""

    def __init__(
        self,
        service: ScreeningService,
        calendar: tuple[Boundary, ...],
        mark: BoundaryMark,
        rescreens: RescreenScheduler,
        share: PartitionShare | None = None,
    ) -> None:
        self._share = share
        self._service = service
        self._calendar = calendar
        self._mark = mark
        self._rescreens = rescreens
        self.processed: list[tuple[date, int]] = []
        """(boundary, decisions published) of each boundary rescreen this process ran."""

    async def check(self) -> tuple[Boundary, ...]:
        """Rescreen once for the boundaries passed since the last one processed (none: nothing); returns
        them. Waits for the rescreen, then marks the latest as processed."""
        today = self._service.now().date()
        covered = await self._share.covered() if self._share is not None else None
        partitions = sorted(covered) if covered is not None else None
        last = await self._mark.last(partitions)
        passed = passed_between(self._calendar, last, today)
        if not passed:
            return ()
        log.info(
            orjson.dumps(
                {
                    "msg": "rule calendar boundaries passed",
                    "cause": RULESET_DATE,
                    "today": today.isoformat(),
                    "last_processed": last.isoformat() if last else None,
                    "boundaries": [boundary.describe() for boundary in passed],
                }
            ).decode()
        )
        self._rescreens.request(RULESET_DATE)
        await self._rescreens.idle()
        report = self._rescreens.last_report
        published = report.published if report is not None and RULESET_DATE in report.cause else 0
        # A partition handed over during the rescreen keeps its rescreen mark: its next owner finishes it.
        await self._mark.mark(passed[-1].on, partitions)
        self.processed.append((passed[-1].on, published))
        return passed

    async def run(self, interval_s: float) -> None:
        """Check at start and then every `interval_s` seconds of wall time (the service clock decides
        whether a boundary passed, so a test can move it); a failed check is retried at the next."""
        while True:
            try:
                await self.check()
            except Exception as error:  # Redis down: try again later, nothing is marked
                log.error(orjson.dumps({"msg": "rule calendar check failed", "error": str(error)}).decode())
            await asyncio.sleep(interval_s)

    def next_boundary(self) -> Boundary | None:
        """The next boundary after the service clock's date."""
        return next_after(self._calendar, self._service.now().date())


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a watcher task and wait for it."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
