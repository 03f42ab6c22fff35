"""The screening service: every use case, through ports, around the pure engine.

`ScreeningService` decides what the adapters received (decoded events and rejected messages), records what
was published, and re-decides open subjects (rescreen); the pure `ScreeningEngine`
(`screening.domain.engine`) makes each decision. Adapters only decode, publish and acknowledge.
`screening serve` and `screening check` both use this module; only the adapters differ.

Per batch: one ledger read, one ownership read (retried with backoff while the registry is unreachable,
then decided with the registry marked unavailable: a hold), one decision per new event. The ledger keys on
the event id and a digest of the event's content: the same id with the same content is a redelivery
(decided once), the same id with other content is a reuse (decided, and marked in
`BatchContext.reused_event_ids`, never skipped).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from screening.domain.engine import BatchContext, ScreeningEngine, decision_id_for
from screening.domain.model import Decision, Event, Outcome, Reason
from screening.domain.names import ScreeningLists
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.reasons import ReasonCode
from screening.kinds import closes_subject
from screening.metrics import Metrics
from screening.ports import (
    ANY_CONTENT,
    DecisionLedger,
    DecodedEvent,
    OpenSubject,
    OpenSubjects,
    OwnershipSource,
    Received,
    Rejected,
)
from screening.resilience import RetryPolicy

log = logging.getLogger("screening.service")

Clock = Callable[[], datetime]

INVALID_EVENT = ReasonCode.INVALID_EVENT
"""Reason code of the hold for a message that failed validation but names its subject (contract)."""
ENGINE_ERROR = ReasonCode.ENGINE_ERROR
"""Reason code of the hold for an event the service failed on (the message is dead-lettered)."""
RESCREEN = "rescreen"
"""The contract's `trigger` of a decision made because a list or ownership change re-decided a subject."""
UNAVAILABLE = "unavailable"
"""The ownership version of a decision made while the registry could not be read (a hold)."""
BLIND_SUBJECTS_KEPT = 100_000
"""Most subjects decided without the registry remembered for the rescreen when it is back."""


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the service made of one received message.

    `decision` is the decision to publish: None for a redelivered event (decided before with the same
    content) and for a rejected message that names no subject. `dead_letter` says why the message goes to
    the dead-letter topic (a rejected message, or an event the service failed on); None when it was decided
    normally.
    """

    decision: Decision | None
    dead_letter: Rejected | None = None


class RescreenAborted(RuntimeError):
    """The data a rescreen needs is unavailable; it stops rather than publish a `hold` for every subject."""


def decision_digest(decision: Decision) -> str:
    """What a rescreen compares: the outcome and the set of (code, outcome, party_role, line_id) of the
    reasons. Messages, evidence, versions and times are left out: they change without the answer changing."""
    keys = sorted({(r.code, r.outcome.value, r.party_role or "", r.line_id or "") for r in decision.reasons})
    text = "\n".join("|".join(key) for key in keys)
    return f"{decision.outcome.value}:{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"


def subject_changes(
    published: Iterable[tuple[Decision, Event | None, bytes | None]],
) -> tuple[list[OpenSubject], list[tuple[str, str]]]:
    """What a batch's published decisions, in consumption order, do to the open subjects.

    Each item is (decision, event, event bytes as consumed); event and bytes are None for a hold of a
    message that was dead-lettered. The last decision of a subject wins: an open event stores the subject,
    a cancel or a termination closes it, and so does a dead-lettered message (its `hold` stands until a
    valid event arrives; rescreening the earlier event would publish an answer the caller has superseded).
    """
    latest: dict[tuple[str, str], OpenSubject | None] = {}
    for decision, event, raw in published:
        key = (decision.subject_kind, decision.subject_id)
        if event is None or raw is None or closes_subject(event):
            latest[key] = None
        else:
            latest[key] = OpenSubject(key[0], key[1], raw, decision_digest(decision))
    opened = [subject for subject in latest.values() if subject is not None]
    closed = [key for key, subject in latest.items() if subject is None]
    return opened, closed


def _raw_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class ScreeningService:
    """Screens what the adapters received through its ports; the same code serves Kafka and `check`."""

    def __init__(
        self,
        engine: ScreeningEngine,
        lists: Callable[[], ScreeningLists | None],
        ownership: OwnershipSource,
        ledger: DecisionLedger,
        subjects: OpenSubjects | None = None,
        retry: RetryPolicy | None = None,
        metrics: Metrics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self._lists = lists
        self._ownership = ownership
        self._ledger = ledger
        self._subjects = subjects
        self._retry = retry or RetryPolicy()
        self._metrics = metrics or Metrics()
        self._clock = clock
        # Subjects whose latest decision was made without the registry (held): rescreened once it is back,
        # even when Redis lost the open subjects they were recorded in.
        self._blind: dict[tuple[str, str], OpenSubject] = {}

    def now(self) -> datetime:
        """The service clock."""
        return self._clock()

    # ------------------------------------------------------------------------------------------ events
    async def decide(self, received: Sequence[Received]) -> list[Verdict]:
        """Decide a batch of received messages; one verdict per message, in the same order.

        A new event is decided; a redelivered one (same id, same content) gets no decision; a reused id
        (same id, other content) is decided with the id in `reused_event_ids` and a decision id of its
        own. A rejected message is dead-lettered, with an INVALID_EVENT hold when it names its subject; an
        event the engine fails on is dead-lettered with an ENGINE_ERROR hold. Never raises for one event.
        """
        named = {
            item.event.event_id if isinstance(item, DecodedEvent) else item.event_id
            for item in received
            if isinstance(item, DecodedEvent) or item.event_id
        }
        named.discard(None)
        decided = await self._ledger.decided([event_id for event_id in named if event_id])
        seen: dict[str, set[str]] = {event_id: set(digests) for event_id, digests in decided.items()}
        # (index, event or rejection, reused) of what needs a decision, in input order.
        todo: list[tuple[int, Received, bool]] = []
        for index, item in enumerate(received):
            event_id = item.event.event_id if isinstance(item, DecodedEvent) else item.event_id
            if event_id is None:
                continue
            digest = _digest_of(item)
            before = seen.setdefault(event_id, set())
            if digest in before or ANY_CONTENT in before:
                continue  # a redelivery: published already
            todo.append((index, item, bool(before)))
            before.add(digest)
        events = [item.event for _, item, _ in todo if isinstance(item, DecodedEvent)]
        context = await self.context_for(events)
        now = self._clock()
        verdicts: list[Verdict] = [
            Verdict(None, item if isinstance(item, Rejected) else None) for item in received
        ]
        reused_ids = frozenset(
            item.event.event_id for _, item, reused in todo if reused and isinstance(item, DecodedEvent)
        )
        reused_context = replace(context, reused_event_ids=reused_ids) if reused_ids else context
        for index, item, reused in todo:
            if isinstance(item, DecodedEvent):
                verdicts[index] = self._decide_one(item, reused_context if reused else context, now, reused)
            elif item.subject_id and item.kind:
                hold = self._hold(
                    item,
                    INVALID_EVENT,
                    f"event failed validation and was sent to the dead-letter topic: {item.error}",
                    context,
                    now,
                    reused,
                )
                verdicts[index] = Verdict(hold, item)
        return verdicts

    async def screen(self, events: Sequence[Event]) -> list[Decision]:
        """Decide domain events directly (tools and tests that build events themselves): what `decide`
        decides for them, in order; an event repeated with the same content is decided once. Nothing is
        recorded (`confirm` does that)."""
        received = [
            DecodedEvent(event, _raw_digest(repr(replace(event, received_at=None)).encode()), b"")
            for event in events
        ]
        return [verdict.decision for verdict in await self.decide(received) if verdict.decision is not None]

    def _decide_one(self, item: DecodedEvent, context: BatchContext, now: datetime, reused: bool) -> Verdict:
        event = item.event
        try:
            decision = self.engine.decide(event, context, now)
        except Exception as error:  # one event's failure is that event's: dead letter and hold
            log.exception("the engine failed on event %s", event.event_id[:200])
            rejected = Rejected(
                f"the service failed on this event: {type(error).__name__}: {error}",
                "processing",
                event.event_id,
                event.subject_id,
                event.kind,
                item.digest,
            )
            return Verdict(self._hold(rejected, ENGINE_ERROR, rejected.error, context, now, reused), rejected)
        if reused:
            # The first content's decision has the id the deterministic rule gives; this one must not.
            seed = f"{event.event_id}|{item.digest}"
            decision = replace(
                decision, decision_id=decision_id_for(seed, decision.trigger, decision.versions)
            )
        return Verdict(decision)

    def _hold(
        self,
        item: Rejected,
        code: ReasonCode,
        message: str,
        context: BatchContext,
        now: datetime,
        reused: bool,
        trigger: str = "event",
    ) -> Decision:
        """A `hold` for a message that names its subject but cannot be screened (INVALID_EVENT,
        ENGINE_ERROR)."""
        assert item.event_id is not None and item.subject_id is not None and item.kind is not None
        versions = self.engine.versions(context)
        seed = f"{item.event_id}|{_digest_of(item)}" if reused else item.event_id
        return Decision(
            decision_id=decision_id_for(seed, trigger, versions),
            event_id=item.event_id,
            subject_kind=item.kind,
            subject_id=item.subject_id,
            outcome=Outcome.HOLD,
            reasons=(Reason(code=code, outcome=Outcome.HOLD, message=message[:1000]),),
            items=(),
            trigger=trigger,
            versions=versions,
            decided_at=now,
        )

    def failed(self, item: Received, error: BaseException) -> Verdict:
        """The verdict on a message the adapter isolated as the one a batch fails on: dead-lettered, and
        held (ENGINE_ERROR) when it names its subject. Never raises."""
        event_id: str | None
        subject_id: str | None
        kind: str | None
        if isinstance(item, DecodedEvent):
            event_id, subject_id, kind = item.event.event_id, item.event.subject_id, item.event.kind
        else:
            event_id, subject_id, kind = item.event_id, item.subject_id, item.kind
        rejected = Rejected(
            f"the service failed on this message: {type(error).__name__}: {error}",
            "processing",
            event_id,
            subject_id,
            kind,
            _digest_of(item),
        )
        if not (event_id and subject_id and kind):
            return Verdict(None, rejected)
        try:
            context = BatchContext(lists=self._lists(), ownership=_NO_OWNERSHIP)
            return Verdict(
                self._hold(rejected, ENGINE_ERROR, rejected.error, context, self._clock(), True), rejected
            )
        except Exception:  # the hold itself cannot be built: the dead letter alone
            log.exception("no hold could be built for a failed message")
            return Verdict(None, rejected)

    async def context_for(self, events: Sequence[Event]) -> BatchContext:
        """The current lists and one ownership read for every party of `events`; while the registry is
        unreachable the read is retried with backoff, then the snapshot says unavailable (a hold)."""
        parties = [party for event in events for party in event.parties]
        snapshot = await self._ownership.snapshot(parties)
        for delay in self._retry.delays():
            if snapshot.available:
                break
            self._metrics.retried("ownership")
            await asyncio.sleep(delay)
            snapshot = await self._ownership.snapshot(parties)
        return BatchContext(lists=self._lists(), ownership=snapshot)

    async def confirm(self, published: Sequence[tuple[Received, Decision]]) -> None:
        """Record decisions as published, after the broker acknowledged them: the ledger (event id and
        content digest) and the open subjects, in one wait. `published` is in consumption order."""
        if not published:
            return
        remembered = [(decision.event_id, _digest_of(item)) for item, decision in published]
        writes = [self._ledger.remember(remembered)]
        if self._subjects is not None:
            self._remember_blind(published)
            opened, closed = subject_changes(
                (decision, item.event, item.raw) if isinstance(item, DecodedEvent) else (decision, None, None)
                for item, decision in published
            )
            writes.append(self._subjects.record(opened, closed))
        await asyncio.gather(*writes)

    def _remember_blind(self, published: Sequence[tuple[Received, Decision]]) -> None:
        for item, decision in published:
            key = (decision.subject_kind, decision.subject_id)
            blind = decision.versions.ownership == UNAVAILABLE
            if blind and isinstance(item, DecodedEvent) and not closes_subject(item.event):
                if key in self._blind or len(self._blind) < BLIND_SUBJECTS_KEPT:
                    self._blind[key] = OpenSubject(key[0], key[1], item.raw, decision_digest(decision))
                else:
                    log.error(
                        "more than %d subjects held without the registry: %s/%s will not be "
                        "rescreened when it is back",
                        BLIND_SUBJECTS_KEPT,
                        key[0],
                        key[1][:200],
                    )
            else:
                self._blind.pop(key, None)

    @property
    def blind_subjects(self) -> int:
        """Subjects whose latest decision here was made without the ownership registry."""
        return len(self._blind)

    async def recover_blind(self) -> int:
        """The registry is back: record every subject decided without it as open again (Redis may have
        lost them), so the next rescreen re-decides them. Returns how many."""
        if self._subjects is None or not self._blind:
            return 0
        blind, self._blind = list(self._blind.values()), {}
        await self._subjects.record(blind, [])
        return len(blind)

    # ----------------------------------------------------------------------------------------- rescreen
    async def rescreen(self, events: Sequence[Event]) -> list[Decision]:
        """Re-decide open subjects' latest events (`trigger="rescreen"`, no ledger: a rescreen is a new
        decision of an already decided event). Raises `RescreenAborted` when the lists or the registry are
        unavailable: a rescreen would turn an outage into a `hold` for every open subject."""
        context = await self.context_for(events)
        if context.lists is None or not context.ownership.available:
            raise RescreenAborted(context.ownership.error or "control lists are not loaded")
        now = self._clock()
        decisions: list[Decision] = []
        for event in events:
            try:
                decisions.append(self.engine.decide(event, context, now, RESCREEN))
            except Exception as error:
                log.exception("the engine failed on event %s during a rescreen", event.event_id[:200])
                rejected = Rejected(
                    f"the service failed on this event: {type(error).__name__}: {error}",
                    "processing",
                    event.event_id,
                    event.subject_id,
                    event.kind,
                )
                decisions.append(
                    self._hold(rejected, ENGINE_ERROR, rejected.error, context, now, False, RESCREEN)
                )
        return decisions


def _digest_of(item: Received) -> str:
    """The content digest the ledger keeps for a message: the event's, or the rejected bytes'."""
    if isinstance(item, DecodedEvent):
        return item.digest
    return item.digest or _raw_digest(f"{item.event_id}|{item.error}".encode())


_NO_OWNERSHIP = OwnershipSnapshot(records={}, resolved={}, available=False, version="unavailable")
"""The ownership snapshot of a hold built without reading the registry (its versions say so)."""
