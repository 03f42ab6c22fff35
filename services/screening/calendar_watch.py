"""Rescreens on the rule calendar: when the service clock passes a day on which the ruleset's rules change
(`screening.domain.calendar`), the open orders and active leases that change can affect are re-decided.

`BoundaryWatcher.check` compares the clock's date with the last boundary processed, which is kept in Redis
(`BoundaryMark`) so that a boundary passed while the service was down is processed at start-up. The mark
moves only after the rescreen has run (a crash in between processes the boundary again; a rescreen
publishes only changed decisions, so that repeats nothing). With no mark (a new deployment) every boundary
up to today counts as passed: one rescreen re-decides whatever is open as of today.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date
from typing import Any, Protocol

import orjson

from screening.domain.calendar import Boundary, next_after, passed_between
from screening.rescreen import RULESET_DATE, RescreenScheduler
from screening.service import ScreeningService

log = logging.getLogger("screening.calendar")


class BoundaryMark(Protocol):
    """Where the last rule-calendar boundary the service processed is kept."""

    async def last(self) -> date | None:
        """The last boundary processed, None when none was."""
        ...

    async def mark(self, day: date) -> None:
        """Record `day` as processed."""
        ...


class InMemoryBoundaryMark:
    """A `BoundaryMark` in memory (component tests)."""

    def __init__(self, day: date | None = None) -> None:
        self.day = day

    async def last(self) -> date | None:
        """The last boundary processed."""
        return self.day

    async def mark(self, day: date) -> None:
        """Record `day`."""
        self.day = day


class RedisBoundaryMark:
    """A `BoundaryMark` in Redis, under the service's key prefix."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._key = f"{prefix}calendar:last_boundary"

    async def last(self) -> date | None:
        """The last boundary processed (an ISO date in Redis)."""
        found = await self._client.get(self._key)
        if found is None:
            return None
        return date.fromisoformat(found.decode() if isinstance(found, bytes) else str(found))

    async def mark(self, day: date) -> None:
        """Record `day`."""
        await self._client.set(self._key, day.isoformat())


class BoundaryWatcher:
    """Starts a `ruleset_date` rescreen when the service clock has passed rule-calendar boundaries."""

    def __init__(
        self,
        service: ScreeningService,
        calendar: tuple[Boundary, ...],
        mark: BoundaryMark,
        rescreens: RescreenScheduler,
    ) -> None:
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
        last = await self._mark.last()
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
        await self._mark.mark(passed[-1].on)
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
