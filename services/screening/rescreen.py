"""Rescreening: when the lists or the ownership records change, re-decide every open order and active lease.

An entity that was just Entity-Listed, or a buyer that just became 50 % owned by one, must flip the open
orders and active leases it is party to (or owns a party of) now, not at their next event. The pipeline
records, per subject, its latest event as consumed and a digest of its last published decision
(`OpenSubjects`); a cancel or a termination forgets the subject. `Rescreener.rescreen` scans them in
chunks, decides each chunk with the same engine as the event path (one ownership snapshot per chunk,
`trigger="rescreen"`, no ledger: a rescreen is a new decision of an already decided event), and publishes
a decision only where the outcome or the reason keys differ from the last one published.
`RescreenScheduler` runs rescreens in the background, one at a time.

Decisions of one subject stay in order: the pipeline holds `gate` while it decides, publishes and records
a batch, and a rescreen publishes under the same gate, only for subjects whose stored event is still the
one it decided (`OpenSubjects.fresh`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from screening.codec import EventDecoder, encode_decision
from screening.domain.model import Decision, Event
from screening.kinds import KINDS
from screening.metrics import Metrics
from screening.ports import DecodedEvent, OpenSubject, OpenSubjects, Publisher
from screening.service import RESCREEN, RescreenAborted, ScreeningService, decision_digest, hold_changes

__all__ = [
    "CAUSES",
    "RESCREEN",
    "RULESET_DATE",
    "RescreenAborted",
    "RescreenReport",
    "RescreenScheduler",
    "Rescreener",
]

log = logging.getLogger("screening.rescreen")

RULESET_DATE = "ruleset_date"
"""The cause of a rescreen started because the service clock passed a boundary of the rule calendar."""

CAUSES = ("lists", "ownership", RULESET_DATE)
"""What can start a rescreen (the `cause` label of `screening_rescreens_total`)."""


@dataclass
class RescreenReport:
    """What one rescreen did."""

    cause: str
    scanned: int = 0
    changed: int = 0
    """Subjects whose new decision differs from their last published one."""
    published: int = 0
    """Changed decisions published (changed minus those a newer event superseded meanwhile)."""
    superseded: int = 0
    undecodable: int = 0
    unaffected: int = 0
    """Subjects a rule-calendar rescreen left alone: already decided as of its date or later."""
    by_outcome: dict[str, int] = field(default_factory=dict)
    """Outcomes of the published decisions."""
    lists: str | None = None
    ownership: str | None = None
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data, for the log line."""
        return asdict(self)


class Rescreener:
    """Re-decides every open subject and publishes the decisions that changed."""

    def __init__(
        self,
        service: ScreeningService,
        subjects: OpenSubjects,
        send: Publisher,
        decisions_topic: str,
        metrics: Metrics,
        gate: asyncio.Lock,
        chunk_size: int = 500,
        decoder: EventDecoder | None = None,
    ) -> None:
        self._service = service
        self._subjects = subjects
        self._send = send
        self._decoder = decoder or EventDecoder()
        self._topic = decisions_topic
        self._metrics = metrics
        self._gate = gate
        self._chunk_size = chunk_size

    async def rescreen(self, cause: str) -> RescreenReport:
        """Scan every open subject; raises `RescreenAborted` when lists or ownership are unavailable."""
        started = time.perf_counter()
        report = RescreenReport(cause=cause)
        async for chunk in self._subjects.scan(self._chunk_size):
            await self._chunk(chunk, report, cause)
        report.duration_s = round(time.perf_counter() - started, 6)
        return report

    async def _chunk(self, chunk: Sequence[OpenSubject], report: RescreenReport, cause: str) -> None:
        started = time.perf_counter()
        report.scanned += len(chunk)
        subjects: list[OpenSubject] = []
        events: list[Event] = []
        today = self._service.now().date()
        for subject in chunk:
            kind = KINDS.get(subject.kind)
            decoded = self._decoder.decode(kind, subject.event) if kind is not None else None
            if not isinstance(decoded, DecodedEvent):  # stored by an older schema: left for its next event
                report.undecodable += 1
                continue
            if cause == RULESET_DATE and not self._service.engine.dated_before(decoded.event, today):
                # Only the date moved: a subject already decided as of today or later cannot change.
                report.unaffected += 1
                continue
            subjects.append(subject)
            events.append(decoded.event)
        if not events:
            return
        # The service raises RescreenAborted when lists or ownership are unavailable: the event path holds
        # on missing data, a rescreen would turn an outage into a `hold` for every open subject.
        decisions = await self._service.rescreen(events, cause)
        report.lists = decisions[0].versions.lists
        report.ownership = decisions[0].versions.ownership
        changed: list[tuple[OpenSubject, Decision, str]] = []
        for subject, decision in zip(subjects, decisions, strict=True):
            digest = decision_digest(decision)
            if digest != subject.digest:
                changed.append((subject, decision, digest))
        report.changed += len(changed)
        if not changed:
            self._service.rescreened([(s.kind, s.subject_id) for s in subjects])
            return
        async with self._gate:
            fresh = {(s.kind, s.subject_id) for s in await self._subjects.fresh([c[0] for c in changed])}
            current = [c for c in changed if (c[0].kind, c[0].subject_id) in fresh]
            report.superseded += len(changed) - len(current)
            if current:  # an allow draws its licences down before it is published (or is held)
                events_of = {(s.kind, s.subject_id): e for s, e in zip(subjects, events, strict=True)}
                settled = await self._service.settle(
                    [(events_of[(s.kind, s.subject_id)], d) for s, d, _ in current], RESCREEN
                )
                current = [(s, d, decision_digest(d)) for (s, _, _), d in zip(current, settled, strict=True)]
            pending = [
                await self._send(self._topic, decision.subject_id.encode(), encode_decision(decision))
                for _, decision, _ in current
            ]
            if pending:
                await asyncio.gather(*pending)
            holds = hold_changes((decision, s.event) for s, decision, _ in current)
            await self._subjects.update_digests(
                [(s, digest) for s, _, digest in current], holds if self._service.holds is not None else None
            )
        # Re-decided with the registry (a rescreen never runs without it), changed or not.
        self._service.rescreened([(s.kind, s.subject_id) for s in subjects])
        published = [decision for _, decision, _ in current]
        report.published += len(published)
        for decision in published:
            outcome = decision.outcome.value
            report.by_outcome[outcome] = report.by_outcome.get(outcome, 0) + 1
        self._metrics.batch_done((), published, started)


class RescreenScheduler:
    """Runs at most one rescreen at a time; changes that arrive meanwhile cause one more run after it.

    A run waits `settle_s` first, so a burst of ownership batches (the compacted topic replayed at start)
    is one rescreen, and a batch screened on the old data has recorded its subjects before the scan. A run
    that fails is retried after `retry_s`.
    """

    def __init__(
        self, rescreener: Rescreener, metrics: Metrics, settle_s: float = 0.5, retry_s: float = 30.0
    ) -> None:
        self._rescreener = rescreener
        self._metrics = metrics
        self._settle_s = settle_s
        self._retry_s = retry_s
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_report: RescreenReport | None = None

    def request(self, cause: str) -> None:
        """Rescreen soon because of `cause` (one of `CAUSES`)."""
        self._pending.add(cause)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self._settle_s)
            causes, self._pending = sorted(self._pending), set()
            try:
                report = await self._rescreener.rescreen("+".join(causes))
            except Exception as error:
                log.error(
                    orjson.dumps(
                        {"msg": "rescreen failed", "cause": "+".join(causes), "error": str(error)}
                    ).decode()
                )
                self._pending.update(causes)
                # A new request (the data it lacked is back) ends the wait early.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._retry_s)
                continue
            self.last_report = report
            self._metrics.rescreen_done(causes, report.published)
            log.info(orjson.dumps({"msg": "rescreen", **report.as_dict()}).decode())

    async def idle(self) -> None:
        """Wait until no rescreen is running or pending."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Cancel a running or pending rescreen (shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
