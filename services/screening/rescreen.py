"""Rescreening: when the lists or the ownership records change, re-decide every open order and active lease.

An entity that was just Entity-Listed, or a buyer that just became 50 % owned by one, must flip the open
orders and active leases it is party to (or owns a party of) now, not at their next event. The pipeline
records, per subject, its latest event as consumed and a digest of its last published decision
(`OpenSubjects`); a cancel or a termination forgets the subject. `Rescreener.rescreen` scans them in
chunks, decides each chunk with the same engine as the event path (one ownership snapshot per chunk,
`trigger="rescreen"`, no ledger: a rescreen is a new decision of an already decided event), and publishes
a decision only where the outcome or the reason keys differ from the last one published.
`RescreenScheduler` runs rescreens in the background, one at a time.

Instances share the work (`PartitionShare`): every instance notices every change itself (lists and the
registry are polled in Redis, the calendar is the same), and each re-decides only the open subjects whose
key falls in a partition of the event topics its consumer owns now, found with the producers' partitioner
(Kafka's murmur2 of the key modulo the partition count). A rescreen marks the partitions it covers in Redis
when it starts and clears them when it ends; a rebalance that hands a marked partition to another instance
makes that instance rescreen it, so a subject whose partition moved mid-rescreen is not left out.

A change that says what it changed (`RescreenChange`: the list entries added, removed or changed, the
registry entities written) re-decides only the subjects it can reach, found in the dependency index the
pipeline keeps beside the open subjects (`screening.domain.dependencies`): the subjects that depend on a
changed entry or entity, on a registry name key a new record is indexed under, or on a name or address
query that an added or changed entry now matches (the distinct queries are screened, not the subjects),
and those decided without the lists or the registry. The index is trusted only where a full rescreen
marked it complete (for the partitions it covered, on the same ruleset) and no write of it failed since;
otherwise, and for every change that does not say what it changed (another writer of the registry, a
registry recovery, the rule calendar, a partition handed over mid-rescreen), every subject is re-decided,
which (re)writes the index and marks it complete.

Decisions of one subject stay in order: the pipeline holds `gate` while it decides, publishes and records
a batch, and a rescreen publishes under the same gate, only for subjects whose stored event is still the
one it decided (`OpenSubjects.fresh`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.partitioner import murmur2

from screening.codec import EventDecoder, encode_decision
from screening.domain.dependencies import ADDRESS, ALWAYS, ENTITY, ENTRY, NAME, REGISTRY_KEY
from screening.domain.list_delta import ChangedEntries, ListDelta
from screening.domain.lists import ListsFreshness
from screening.domain.model import Decision, Event
from screening.domain.names import ScreeningLists
from screening.domain.ownership import OwnershipRecord
from screening.domain.registry import registry_keys
from screening.kinds import KINDS
from screening.metrics import Metrics
from screening.ports import DecodedEvent, OpenSubject, OpenSubjects, Publisher, RescreenMarks
from screening.service import RESCREEN, RescreenAborted, ScreeningService, decision_digest, hold_changes

__all__ = [
    "CAUSES",
    "PERIODIC",
    "RESCREEN",
    "RULESET_DATE",
    "PartitionShare",
    "RescreenAborted",
    "RescreenChange",
    "RescreenReport",
    "RescreenScheduler",
    "Rescreener",
    "full_rescreens",
    "lists_change",
    "ownership_change",
]

log = logging.getLogger("screening.rescreen")

RULESET_DATE = "ruleset_date"
"""The cause of a rescreen started because the service clock passed a boundary of the rule calendar."""

PERIODIC = "periodic"
"""The cause of the full rescreen that runs every `rescreen.full_every_hours`, whatever changed."""

CAUSES = ("lists", "ownership", RULESET_DATE, PERIODIC)
"""What can start a rescreen (the `cause` label of `screening_rescreens_total`)."""


INDEX_BASIS = "rev1"
"""The dependency index's format, part of the basis its completeness marks name (with the ruleset's
version): an index written by another format or ruleset is not trusted."""


@dataclass(frozen=True, slots=True)
class RescreenChange:
    """What a change of the lists or of the registry changed: list entry ids (added, removed or changed),
    registry entity ids (written or deleted), and registry name keys the written records are indexed under.
    A rescreen with one re-decides only the subjects these can reach."""

    entries: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()
    registry_keys: frozenset[str] = frozenset()

    def __or__(self, other: RescreenChange) -> RescreenChange:
        return RescreenChange(
            self.entries | other.entries,
            self.entities | other.entities,
            self.registry_keys | other.registry_keys,
        )


def lists_change(
    old: ScreeningLists | None, new: ScreeningLists, now: datetime, max_age_hours: float | None
) -> RescreenChange | None:
    """The change from lists `old` to `new` (None: re-decide every subject): the entries added, removed
    or changed. Every subject is re-decided when there were no lists before, when the matching thresholds
    differ, or when either version is stale now (a list's age holds every subject, LISTS_STALE)."""
    if old is None or old.index.thresholds != new.index.thresholds:
        return None
    for lists in (old, new):
        if ListsFreshness.at(lists.as_of, now, max_age_hours).stale:
            return None
    return RescreenChange(entries=ListDelta.between(old.entries, new.entries).touched)


def ownership_change(changed: Sequence[tuple[str, OwnershipRecord | None]]) -> RescreenChange:
    """The change a batch of the ownership feed made: each entity written or deleted, and the registry name
    keys of the records written (a party without an id resolves through one of them)."""
    keys = {
        key
        for _, record in changed
        if record is not None
        for key in registry_keys((record.name, *record.aliases), record.country)
    }
    return RescreenChange(
        entities=frozenset(entity_id for entity_id, _ in changed), registry_keys=frozenset(keys)
    )


@dataclass
class RescreenReport:
    """What one rescreen did."""

    cause: str
    mode: str = "full"
    """`delta`: only the subjects the change can reach (from the dependency index); `full`: every one."""
    candidates: int | None = None
    """Subjects the change can reach (a delta rescreen), before the partition filter."""
    queries_screened: int = 0
    """Distinct name and address queries screened against the added and changed entries (a delta)."""
    why_full: str | None = None
    """Why a change that said what it changed re-decided every subject (the index was not trusted)."""
    indexed: bool = False
    """A full rescreen that wrote every subject's dependencies and marked the index complete."""
    scanned: int = 0
    changed: int = 0
    """Subjects whose new decision differs from their last published one."""
    published: int = 0
    """Changed decisions published (changed minus those a newer event superseded meanwhile)."""
    superseded: int = 0
    undecodable: int = 0
    unaffected: int = 0
    """Subjects a rule-calendar rescreen left alone: already decided as of its date or later."""
    elsewhere: int = 0
    """Subjects of partitions another instance owns (it re-decides them)."""
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
        share: PartitionShare | None = None,
    ) -> None:
        self._service = service
        self._subjects = subjects
        self._send = send
        self._decoder = decoder or EventDecoder()
        self._topic = decisions_topic
        self._metrics = metrics
        self._gate = gate
        self._chunk_size = chunk_size
        self._share = share

    async def rescreen(self, cause: str, change: RescreenChange | None = None) -> RescreenReport:
        """Re-decide the open subjects `change` can reach, or every open subject without one (of this
        instance's partitions, with a `PartitionShare`); raises `RescreenAborted` when lists or ownership
        are unavailable."""
        covered = await self._share.begin(cause) if self._share is not None else None
        started = time.perf_counter()
        report = RescreenReport(cause=cause)
        basis = f"{INDEX_BASIS}/{self._service.engine.ruleset.version}"
        if change is not None:
            report.why_full = await self._untrusted(covered, basis)
            if report.why_full is not None:
                log.info(orjson.dumps({"msg": "rescreening every subject", "why": report.why_full}).decode())
                change = None
        if change is None:
            failures = self._subjects.index_failures
            async for chunk in self._subjects.scan(self._chunk_size):
                await self._chunk(chunk, report, cause, index=cause != RULESET_DATE)
        else:
            report.mode = "delta"
            fields = await self._candidates(change, report)
            report.candidates = len(fields)
            mine = [f for f in fields if self._mine_field(f)]
            report.elsewhere += len(fields) - len(mine)
            for start in range(0, len(mine), self._chunk_size):
                chunk = await self._subjects.load(mine[start : start + self._chunk_size])
                await self._chunk(chunk, report, cause, index=True)
        done = await self._share.finish(covered) if self._share is not None else None
        if change is None and cause != RULESET_DATE:
            # A rule-calendar scan leaves the subjects it skips as they were: it marks nothing.
            parts = ["*"] if covered is None else [f"{t}:{p}" for t, p in done or ()]
            report.indexed = await self._subjects.mark_indexed(parts, basis, failures)
        report.duration_s = round(time.perf_counter() - started, 6)
        return report

    async def _untrusted(self, covered: frozenset[tuple[str, int]] | None, basis: str) -> str | None:
        """Why the dependency index cannot be trusted for the subjects this instance covers (None: it can)."""
        try:
            marks = await self._subjects.indexed()
        except Exception as error:  # unknown: every subject (fail closed)
            return f"the index's completeness marks cannot be read: {error}"
        if marks.get("*") == basis:
            return None
        if not marks:
            return "the dependency index is not marked complete"
        if covered is None:
            return "the dependency index is not marked complete for every partition"
        missing = [f"{t}:{p}" for t, p in sorted(covered) if marks.get(f"{t}:{p}") != basis]
        return f"the dependency index is not marked complete for {missing[:5]}" if missing else None

    async def _candidates(self, change: RescreenChange, report: RescreenReport) -> list[str]:
        """The subject fields (`kind:id`) the change can reach."""
        keys = [
            ALWAYS,
            *(ENTRY + e for e in sorted(change.entries)),
            *(ENTITY + e for e in sorted(change.entities)),
            *(REGISTRY_KEY + k for k in sorted(change.registry_keys)),
        ]
        lists = self._service.current_lists()
        present = [e for e in lists.entries if e.entry_id in change.entries] if lists is not None else []
        if present and lists is not None:
            screen = ChangedEntries(
                tuple(present),
                lists.index,
                lists.addresses,
                self._service.engine.address_floor,
                lists.index.supplemental_aliases(change.entries),
            )
            screens = [
                (prefix, reaches)
                for prefix, reaches, wanted in (
                    (NAME, screen.reaches_name, screen.screens_names),
                    (ADDRESS, screen.reaches_address, screen.screens_addresses),
                )
                if wanted
            ]
            for prefix, reaches in screens:
                async for queries in self._subjects.queries(prefix):
                    report.queries_screened += len(queries)
                    # A name query may carry its tokens after a tab: the key is the query alone.
                    keys += [q.partition("\t")[0] for q in queries if reaches(q[len(prefix) :])]
                    await asyncio.sleep(0)  # the event path goes on between chunks
        return sorted(await self._subjects.dependents(keys))

    def _mine_field(self, name: str) -> bool:
        kind, _, subject_id = name.partition(":")
        return self._share is None or self._share.owns(kind, subject_id)

    async def _index(self, subjects: Sequence[OpenSubject]) -> None:
        try:
            await self._subjects.index(subjects)
        except Exception as error:  # the index is distrusted (the store counts it): the next change is full
            log.warning("cannot write the dependency index of re-decided subjects: %s", error)

    def _mine(self, subject: OpenSubject) -> bool:
        return self._share is None or self._share.owns(subject.kind, subject.subject_id)

    async def _chunk(
        self, chunk: Sequence[OpenSubject], report: RescreenReport, cause: str, index: bool = False
    ) -> None:
        """Re-decide a chunk, publish what changed, and (`index`) write every re-decided subject's
        dependencies."""
        started = time.perf_counter()
        report.scanned += len(chunk)
        subjects: list[OpenSubject] = []
        events: list[Event] = []
        unreadable: list[OpenSubject] = []
        today = self._service.now().date()
        for subject in chunk:
            if not self._mine(subject):
                report.elsewhere += 1
                continue
            kind = KINDS.get(subject.kind)
            decoded = self._decoder.decode(kind, subject.event) if kind is not None else None
            if not isinstance(decoded, DecodedEvent):  # stored by an older schema: left for its next event
                report.undecodable += 1
                unreadable.append(replace(subject, dependencies=None))  # depends on every change
                continue
            if cause == RULESET_DATE and not self._service.engine.dated_before(decoded.event, today):
                # Only the date moved: a subject already decided as of today or later cannot change.
                report.unaffected += 1
                continue
            subjects.append(subject)
            events.append(decoded.event)
        if not events:
            if index:
                await self._index(unreadable)
            return
        # The service raises RescreenAborted when lists or ownership are unavailable: the event path holds
        # on missing data, a rescreen would turn an outage into a `hold` for every open subject.
        decisions = await self._service.rescreen(events, cause)
        if index:
            # Whether its answer changed or not, a re-decided subject may depend on other entries now.
            await self._index(
                [
                    *unreadable,
                    *(
                        replace(s, dependencies=d.dependencies.keys() if d.dependencies is not None else None)
                        for s, d in zip(subjects, decisions, strict=True)
                    ),
                ]
            )
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
            # A partition handed over meanwhile is its new owner's to rescreen (the gate orders this check
            # before the handover completes).
            moved = [c for c in current if not self._mine(c[0])]
            report.elsewhere += len(moved)
            current = [c for c in current if self._mine(c[0])]
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


class PartitionShare(ConsumerRebalanceListener):  # type: ignore[misc]
    """Which open subjects this instance rescreens: those whose key the producers' partitioner puts in an
    event-topic partition this instance's consumer owns now. The rebalance listener of the event consumer.

    Outside a consumer group (FastStream's in-memory broker, a service whose consumer never started) it
    covers every subject. In a group, a rescreen waits for the first assignment, marks the partitions it
    covers (`RescreenMarks`) and clears, when it ends, those it owned from start to end; an assignment that
    brings a marked partition asks for a rescreen with the mark's causes (`on_handover`).
    """

    def __init__(
        self,
        topics_by_kind: Mapping[str, str],
        consumer: Callable[[], Any],
        gate: asyncio.Lock,
        marks: RescreenMarks | None,
    ) -> None:
        self._topic_of = dict(topics_by_kind)
        self._topics = frozenset(self._topic_of.values())
        self._consumer = consumer
        self._gate = gate
        self._marks = marks
        self._owned: frozenset[tuple[str, int]] | None = None
        self._partitions: dict[str, list[int]] = {}
        self._lost: set[tuple[str, int]] = set()
        self._assigned = asyncio.Event()
        self.on_handover: Callable[[set[str]], None] | None = None
        self.chained: ConsumerRebalanceListener | None = None
        """Another listener of the same consumer, told first of a revocation and of an assignment."""

    def _in_group(self) -> bool:
        return self._owned is not None or isinstance(self._consumer(), AIOKafkaConsumer)

    @property
    def owned(self) -> frozenset[tuple[str, int]] | None:
        """The (topic, partition)s owned now; None before the first assignment."""
        return self._owned

    def partition_of(self, kind: str, subject_id: str) -> tuple[str, int | None]:
        """The event-topic partition of a subject as the producers' default partitioner chooses it (None
        when the topic's partition count is unknown)."""
        topic = self._topic_of.get(kind, "")
        partitions = self._partitions.get(topic)
        if not partitions:
            return topic, None
        index = (murmur2(subject_id.encode()) & 0x7FFFFFFF) % len(partitions)
        return topic, partitions[index]

    def owns(self, kind: str, subject_id: str) -> bool:
        """Whether this instance rescreens the subject now."""
        if self._owned is None:
            return not self._in_group()
        topic, partition = self.partition_of(kind, subject_id)
        if partition is None:  # partition count unknown: rescreened here too rather than left out
            return True
        return (topic, partition) in self._owned

    async def covered(self) -> frozenset[tuple[str, int]] | None:
        """The partitions owned now, once assigned (None: outside a consumer group, every subject)."""
        if not self._in_group():
            return None
        await self._assigned.wait()
        return self._owned or frozenset()

    async def begin(self, cause: str) -> frozenset[tuple[str, int]] | None:
        """Start a rescreen: the partitions it covers, marked (None: every subject, nothing to mark)."""
        if not self._in_group():
            return None
        await self._assigned.wait()
        async with self._gate:
            covered = self._owned or frozenset()
            self._lost = set()
        if self._marks is not None:
            await self._marks.mark(sorted(covered), cause)
        return covered

    async def finish(self, covered: frozenset[tuple[str, int]] | None) -> list[tuple[str, int]]:
        """The rescreen that `begin` started reached its end: clear the marks of the partitions it owned
        throughout (one that was handed over is its new owner's to finish). Returns those partitions."""
        if covered is None:
            return []
        async with self._gate:
            done = sorted(p for p in covered if p in (self._owned or ()) and p not in self._lost)
            if self._marks is not None:
                await self._marks.clear(done)
        return done

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Stop rescreening the revoked partitions (after any rescreen publish in progress)."""
        if self.chained is not None:
            await self.chained.on_partitions_revoked(revoked)
        gone = {(tp.topic, tp.partition) for tp in revoked if tp.topic in self._topics}
        async with self._gate:
            self._lost |= gone
            self._owned = (self._owned or frozenset()) - gone
            self._assigned.clear()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Take the new assignment; rescreen it when a rescreen of one of its partitions was under way."""
        if self.chained is not None:
            await self.chained.on_partitions_assigned(assigned)
        consumer = self._consumer()
        for topic in self._topics:
            found = consumer.partitions_for_topic(topic) if consumer is not None else None
            self._partitions[topic] = sorted(found) if found else []
        mine = frozenset((tp.topic, tp.partition) for tp in assigned if tp.topic in self._topics)
        self._owned = mine
        self._assigned.set()
        log.info(orjson.dumps({"msg": "rescreen partitions assigned", "partitions": sorted(mine)}).decode())
        if self._marks is None or not mine or self.on_handover is None:
            return
        try:
            causes = await self._marks.causes(sorted(mine))
        except Exception as error:  # unknown whether one was under way: rescreen them (fail closed)
            log.warning("cannot read the rescreen marks, rescreening the assigned partitions: %s", error)
            causes = {"lists", "ownership"}
        if causes:
            log.info(orjson.dumps({"msg": "rescreen handed over", "causes": sorted(causes)}).decode())
            self.on_handover(causes)


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
        self._pending: dict[str, RescreenChange | None] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_report: RescreenReport | None = None

    def request(self, cause: str, change: RescreenChange | None = None) -> None:
        """Rescreen soon because of `cause` (one of `CAUSES`): the subjects `change` can reach, or every
        subject without one (requests pile up until the run: any without a change makes it a full one)."""
        self.request_later(cause, change)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self._settle_s)
            pending, self._pending = self._pending, {}
            causes = sorted(pending)
            changes = list(pending.values())
            change: RescreenChange | None = None
            if all(c is not None for c in changes):
                change = RescreenChange()
                for one in changes:
                    change = change | one  # type: ignore[operator]
            try:
                report = await self._rescreener.rescreen("+".join(causes), change)
            except Exception as error:
                log.error(
                    orjson.dumps(
                        {"msg": "rescreen failed", "cause": "+".join(causes), "error": str(error)}
                    ).decode()
                )
                for cause, one in pending.items():
                    self.request_later(cause, one)
                # A new request (the data it lacked is back) ends the wait early.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._retry_s)
                continue
            self.last_report = report
            self._metrics.rescreen_done(causes, report.published)
            log.info(orjson.dumps({"msg": "rescreen", **report.as_dict()}).decode())

    def request_later(self, cause: str, change: RescreenChange | None) -> None:
        """Add a request to the pending ones without starting a run (a failed run's, retried by it)."""
        if cause in self._pending:
            earlier = self._pending[cause]
            self._pending[cause] = earlier | change if earlier is not None and change is not None else None
        else:
            self._pending[cause] = change

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


async def full_rescreens(scheduler: RescreenScheduler, every_s: float) -> None:
    """Request a rescreen of every open subject every `every_s` seconds (cause `periodic`), until cancelled.

    The safety net under rescreens of only what changed: whatever a delta cannot see is re-decided within
    one period. The name matcher weighs a token by its rarity on the whole list, so a list change moves
    every score a little, and a subject whose match on an unchanged entry crosses a threshold only through
    that is not among a delta's candidates; an instance of an older version writes subjects without
    their dependencies. A full rescreen also rewrites the dependency index and marks it complete.
    """
    while True:
        await asyncio.sleep(every_s)
        scheduler.request(PERIODIC)
