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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from screening.codec import (
    DecodedReview,
    EventDecoder,
    decision_from_mapping,
    encode_decision,
    review_from_mapping,
    review_to_json,
)
from screening.domain.clearances import Clearance, cleared_parties, entry_fingerprint, party_identity
from screening.domain.engine import BatchContext, ScreeningEngine, decision_id_for
from screening.domain.licensing import LicenceBook, draws_of
from screening.domain.lists import ListEntry
from screening.domain.model import Decision, Event, Outcome, Reason
from screening.domain.names import ScreeningLists
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.reasons import ReasonCode
from screening.domain.review import Review, ReviewOutcome, ReviewPolicy, ReviewRejected, judge
from screening.kinds import KINDS, closes_subject
from screening.metrics import Metrics
from screening.ports import (
    ANY_CONTENT,
    ClearanceStore,
    DecisionLedger,
    DecodedEvent,
    DrawRequest,
    HeldDecision,
    HoldChanges,
    LicenceStore,
    OpenHoldsStore,
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


@dataclass(frozen=True, slots=True)
class ReviewVerdict:
    """What the service made of one message of the reviews topic.

    `outcome` is the applied review (its decision to publish, or None when it was recorded on the hold);
    None for a redelivered review (applied before) and for a rejected one, which `dead_letter` explains.
    `held_since` is when the reviewed hold's run began (time to review).
    """

    outcome: ReviewOutcome | None
    dead_letter: Rejected | None = None
    digest: str = ""
    held_since: datetime | None = None


class RescreenAborted(RuntimeError):
    """The data a rescreen needs is unavailable; it stops rather than publish a `hold` for every subject."""


def decision_digest(decision: Decision) -> str:
    """What a rescreen compares: the outcome and the set of (code, outcome, party_role, line_id) of the
    reasons. Messages, evidence, versions and times are left out: they change without the answer changing."""
    keys = sorted(
        {
            (r.code, r.outcome.value, r.party_role or "", r.line_id or "")
            for r in decision.reasons
            if r.code != ReasonCode.DECISION_DATE  # says as of when; the answer is in the other reasons
        }
    )
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
            latest[key] = OpenSubject(key[0], key[1], raw, decision_digest(decision), _keys(decision))
    opened = [subject for subject in latest.values() if subject is not None]
    closed = [key for key, subject in latest.items() if subject is None]
    return opened, closed


def _keys(decision: Decision) -> tuple[str, ...] | None:
    return decision.dependencies.keys() if decision.dependencies is not None else None


def hold_changes(
    published: Iterable[tuple[Decision, bytes | None]], encoded: Mapping[int, bytes] | None = None
) -> HoldChanges:
    """What published decisions, in publishing order, do to the open holds: the last decision of a
    subject wins; a hold (whatever its trigger) keeps the subject in the review queue with that decision
    and the event it decided (None for a dead-lettered message), anything else takes it out.

    `encoded` maps `id(decision)` to the decision's `encode_decision` bytes where the caller has them
    already (the publishing path encoded each decision once; encoding a hold again cost as much)."""
    encoded = encoded or {}
    latest: dict[tuple[str, str], tuple[Decision, bytes | None]] = {}
    for decision, event in published:
        latest[(decision.subject_kind, decision.subject_id)] = (decision, event)
    held = [
        HeldDecision(
            decision.subject_kind,
            decision.subject_id,
            decision.decision_id,
            encoded.get(id(decision)) or encode_decision(decision),
            decision.decided_at,
            event or None,
            tuple(sorted({r.code.value for r in decision.reasons if r.outcome is Outcome.HOLD})),
        )
        for decision, event in latest.values()
        if decision.outcome is Outcome.HOLD
    ]
    released = [key for key, (decision, _) in latest.items() if decision.outcome is not Outcome.HOLD]
    return HoldChanges(held=held, released=released)


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
        lists_max_age_hours: float | None = None,
        holds: OpenHoldsStore | None = None,
        review_policy: ReviewPolicy | None = None,
        decoder: EventDecoder | None = None,
        clearances: ClearanceStore | None = None,
        licences: LicenceStore | None = None,
        trust_event_licences: bool = False,
    ) -> None:
        self.engine = engine
        self._lists = lists
        self._ownership = ownership
        self._ledger = ledger
        self._subjects = subjects
        self._holds = holds
        self.review_policy = review_policy or ReviewPolicy(engine.ruleset.list_policy.deny_lists)
        self._decoder = decoder or EventDecoder()
        self._clearances = clearances
        self._licences = licences
        self._trust_event_licences = trust_event_licences
        self._entries: tuple[str, dict[str, ListEntry]] | None = None
        self._retry = retry or RetryPolicy()
        self._metrics = metrics or Metrics()
        self._clock = clock
        # Subjects whose latest decision was made without the registry (held): rescreened once it is back,
        # even when Redis lost the open subjects they were recorded in.
        self._blind: dict[tuple[str, str], OpenSubject] = {}
        self.lists_max_age_hours = lists_max_age_hours
        """The oldest the lists may be before every decision is held (LISTS_STALE); None: no limit."""

    def current_lists(self) -> ScreeningLists | None:
        """The lists decisions are made with now (None: not loaded)."""
        return self._lists()

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
                continue
            if item.subject_id and item.kind:
                hold = self._hold(
                    item,
                    INVALID_EVENT,
                    f"event failed validation and was sent to the dead-letter topic: {item.error}",
                    context,
                    now,
                    reused,
                )
                verdicts[index] = Verdict(hold, item)
        if self._licences is not None:
            await self._draw_down(todo, verdicts, context, reused_context, now)
        return verdicts

    async def _draw_down(
        self,
        todo: Sequence[tuple[int, Received, bool]],
        verdicts: list[Verdict],
        context: BatchContext,
        reused_context: BatchContext,
        now: datetime,
    ) -> None:
        """Draw the batch's `allow`s down on their licences (one call); an event whose draw would exceed a
        balance is decided again with its shortfall: a hold (LICENCE_EXHAUSTED), drawing nothing."""
        assert self._licences is not None
        requests = [
            DrawRequest(decision.event_id, draws)
            for index, _, _ in todo
            if (decision := verdicts[index].decision) is not None
            and decision.outcome is Outcome.ALLOW
            and (draws := draws_of(decision.reasons))
        ]
        shortfalls = await self._licences.draw(requests) if requests else {}
        if not shortfalls:
            return
        short = replace(context, licence_shortfalls=shortfalls)
        short_reused = replace(reused_context, licence_shortfalls=shortfalls)
        for index, item, reused in todo:
            if isinstance(item, DecodedEvent) and item.event.event_id in shortfalls:
                verdicts[index] = self._decide_one(item, short_reused if reused else short, now, reused)

    async def settle(self, decided: Sequence[tuple[Event, Decision]], trigger: str) -> list[Decision]:
        """Draw down the `allow`s about to be published outside the event path (a rescreen), as `decide`
        does; an event whose draw would exceed a balance is decided again: LICENCE_EXHAUSTED."""
        if self._licences is None:
            return [decision for _, decision in decided]
        requests = [
            DrawRequest(decision.event_id, draws)
            for _, decision in decided
            if decision.outcome is Outcome.ALLOW and (draws := draws_of(decision.reasons))
        ]
        shortfalls = await self._licences.draw(requests) if requests else {}
        if not shortfalls:
            return [decision for _, decision in decided]
        short_events = [event for event, _ in decided if event.event_id in shortfalls]
        context = replace(await self.context_for(short_events), licence_shortfalls=shortfalls)
        now = self._clock()
        as_of = now.date() if trigger == RESCREEN else None
        return [
            self.engine.decide(event, context, now, trigger, as_of=as_of)
            if event.event_id in shortfalls
            else decision
            for event, decision in decided
        ]

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
        versions = self.engine.versions(context, now)
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
            context = BatchContext(
                lists=self._lists(), ownership=_NO_OWNERSHIP, lists_max_age_hours=self.lists_max_age_hours
            )
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
        # Clearances and licences are read beside the ownership records: the batch waits for one round trip.
        numbers = [licence.number for event in events for licence in event.licences]
        snapshot, clearances, licences = await asyncio.gather(
            self._ownership.snapshot(parties),
            self._cleared([party_identity(p) for p in parties]),
            self._licence_book(numbers),
        )
        for delay in self._retry.delays():
            if snapshot.available:
                break
            self._metrics.retried("ownership")
            await asyncio.sleep(delay)
            snapshot = await self._ownership.snapshot(parties)
        return BatchContext(
            lists=self._lists(),
            ownership=snapshot,
            lists_max_age_hours=self.lists_max_age_hours,
            clearances=clearances,
            licences=licences,
        )

    async def _licence_book(self, numbers: Sequence[str]) -> LicenceBook | None:
        if self._licences is None:
            return None
        book = await self._licences.book(numbers) if numbers else LicenceBook()
        return replace(book, trust_event_licences=self._trust_event_licences)

    async def _cleared(self, identities: Sequence[str]) -> dict[str, dict[str, Clearance]]:
        return await self._clearances.for_parties(identities) if self._clearances is not None else {}

    async def confirm(
        self, published: Sequence[tuple[Received, Decision]], encoded: Mapping[int, bytes] | None = None
    ) -> None:
        """Record decisions as published, after the broker acknowledged them: the ledger (event id and
        content digest), and the open subjects with the open holds in one write, in one wait.
        `published` is in consumption order; `encoded` (by `id(decision)`) holds the `encode_decision`
        bytes the publisher made, so a hold is not encoded twice."""
        if not published:
            return
        remembered = [(decision.event_id, _digest_of(item)) for item, decision in published]
        writes = [self._ledger.remember(remembered)]
        holds = None
        if self._holds is not None:
            holds = hold_changes(
                (
                    (decision, item.raw if isinstance(item, DecodedEvent) else None)
                    for item, decision in published
                ),
                encoded,
            )
        if self._subjects is not None:
            self._remember_blind(published)
            opened, closed = subject_changes(
                (decision, item.event, item.raw) if isinstance(item, DecodedEvent) else (decision, None, None)
                for item, decision in published
            )
            writes.append(self._subjects.record(opened, closed, holds))
        elif holds is not None:
            writes.append(self._holds.record(holds))  # type: ignore[union-attr]
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
        lost them), so the next rescreen re-decides them. Returns how many. They stay known here until a
        rescreen has re-decided them (`rescreened`): should Redis lose its data again before that, the
        next recovery records them again."""
        if self._subjects is None or not self._blind:
            return 0
        blind = list(self._blind.values())
        await self._subjects.record(blind, [])
        return len(blind)

    def rescreened(self, keys: Sequence[tuple[str, str]]) -> None:
        """A rescreen re-decided these (kind, subject id) with the registry: no longer decided without it."""
        for key in keys:
            self._blind.pop(key, None)

    @property
    def holds(self) -> OpenHoldsStore | None:
        """The open holds store (None when the service keeps none)."""
        return self._holds

    # ------------------------------------------------------------------------------------------ reviews
    async def review(self, received: Sequence[DecodedReview | Rejected]) -> list[ReviewVerdict]:
        """Apply a batch of reviews in order; one verdict per message.

        One ledger read (a review applied before is not applied again), one read of the reviewed
        subjects' open holds (raises when it fails: a review is never judged against a hold it could not
        see; the batch is retried). Each review must name its subject's current hold, by a reviewer who
        may review (`ReviewPolicy`); a release that needs four eyes and has one reviewer so far, and a
        request for information, are recorded and leave the hold standing. Reviews of one subject in
        the batch see each other in order.
        """
        holds = self._require_holds()
        reviews = [item for item in received if isinstance(item, DecodedReview)]
        applied = await self._ledger.decided([_review_key(item.review) for item in reviews])
        keys = [(item.review.kind, item.review.subject_id) for item in reviews]
        views = await holds.current(keys)
        state: dict[tuple[str, str], tuple[Decision | None, list[Review], datetime | None]] = {}
        for key, view in views.items():
            try:
                stored = decision_from_mapping(view.decision)
                earlier = [review_from_mapping(review) for review in view.reviews]
            except ValueError as error:
                log.error("the open hold of %s cannot be read: %s", key, error)
                continue  # its reviews are rejected below: no hold to judge them against
            state[key] = (stored, earlier, view.held_since)
        now = self._clock()
        verdicts: list[ReviewVerdict] = []
        for item in received:
            if isinstance(item, Rejected):
                verdicts.append(ReviewVerdict(None, item))
                continue
            review = item.review
            before = applied.get(_review_key(review), frozenset())
            if item.digest in before or ANY_CONTENT in before:
                verdicts.append(ReviewVerdict(None))  # a redelivery: applied already
                continue
            key = (review.kind, review.subject_id)
            held, earlier, since = state.get(key, (None, [], None))
            try:
                if before:
                    raise ReviewRejected(f"review id {review.review_id[:200]!r} was used for another review")
                outcome = judge(held, earlier, review, self.review_policy, now)
            except ReviewRejected as error:
                rejected = Rejected(str(error), "review", subject_id=review.subject_id, kind=review.kind)
                verdicts.append(ReviewVerdict(None, rejected, item.digest))
                continue
            pending = outcome.decision is None
            state[key] = (held, list(outcome.reviews), since) if pending else (None, [], None)
            verdicts.append(ReviewVerdict(outcome, None, item.digest, since))
        if self._licences is not None:
            await self._draw_released(verdicts)
        return verdicts

    async def _draw_released(self, verdicts: list[ReviewVerdict]) -> None:
        """A release lets the goods move: draw its licences down (one call). A release the balance cannot
        cover is dead-lettered with the shortfall and the hold stands."""
        assert self._licences is not None
        requests = [
            DrawRequest(decision.event_id, draws)
            for verdict in verdicts
            if verdict.outcome is not None
            and (decision := verdict.outcome.decision) is not None
            and decision.outcome is Outcome.ALLOW
            and (draws := draws_of(decision.reasons))
        ]
        shortfalls = await self._licences.draw(requests) if requests else {}
        for index, verdict in enumerate(verdicts):
            outcome = verdict.outcome
            if outcome is None or outcome.decision is None or not outcome.released:
                continue
            short = shortfalls.get(outcome.decision.event_id)
            if short:
                review = outcome.review
                error = "; ".join(
                    f"licence {s.number} has {s.remaining} units left, the release needs {s.needed}"
                    for s in short
                )
                rejected = Rejected(
                    f"the release cannot be applied: {error}; the hold stands",
                    "review",
                    subject_id=review.subject_id,
                    kind=review.kind,
                )
                verdicts[index] = ReviewVerdict(None, rejected, verdict.digest)

    async def confirm_reviews(self, applied: Sequence[ReviewVerdict]) -> None:
        """Record applied reviews after their decisions were acknowledged: the ledger (review ids), the
        open holds (a decided hold leaves the queue, a recorded review joins its hold) and the open
        subjects. A released subject stays open for rescreens, with the decision the engine makes of its
        event now as the one to compare with, so a rescreen on unchanged data does not raise the released
        hold again; a confirmed (denied) subject is closed: a reviewer's deny is not undone by a rescreen.
        """
        outcomes = [(verdict, verdict.outcome) for verdict in applied if verdict.outcome is not None]
        if not outcomes:
            return
        holds = self._require_holds()
        remembered = [(_review_key(outcome.review), verdict.digest) for verdict, outcome in outcomes]
        released = [o for _, o in outcomes if o.released]
        confirmed = [o for _, o in outcomes if o.confirmed]
        changes = HoldChanges(
            released=[(o.review.kind, o.review.subject_id) for o in released + confirmed],
            reviews=[
                (o.review.kind, o.review.subject_id, review_to_json(o.review))
                for _, o in outcomes
                if o.decision is None
            ],
        )
        subjects = await self._released_subjects(released)
        if self._clearances is not None:
            # Stored before anything else: the next event of the party must find them.
            await self._clearances.store(self._clearances_made(subjects))
        writes = [self._ledger.remember(remembered)]
        if self._subjects is None:
            writes.append(holds.record(changes))
        else:
            updates = await self._references(subjects)
            closed = [(o.review.kind, o.review.subject_id) for o in confirmed]
            writes.append(self._subjects.update_digests(updates, changes))
            if closed:
                writes.append(self._subjects.record([], closed))
        await asyncio.gather(*writes)

    async def _released_subjects(
        self, released: Sequence[ReviewOutcome]
    ) -> list[tuple[ReviewOutcome, OpenSubject, Event]]:
        """Each released subject as stored (its hold's event and the hold's digest), with its event."""
        keys = [(o.review.kind, o.review.subject_id) for o in released]
        if not keys:
            return []
        raw_events = await self._require_holds().events_of(keys)
        found: list[tuple[ReviewOutcome, OpenSubject, Event]] = []
        for outcome, key in zip(released, keys, strict=True):
            raw = raw_events.get(key)
            decoded = self._decoder.decode(KINDS[key[0]], raw) if raw is not None else None
            if raw is not None and isinstance(decoded, DecodedEvent):
                stored = OpenSubject(key[0], key[1], raw, decision_digest(outcome.held))
                found.append((outcome, stored, decoded.event))
        return found

    def _clearances_made(
        self, released: Sequence[tuple[ReviewOutcome, OpenSubject, Event]]
    ) -> list[Clearance]:
        """The clearances releases make: each party whose false-positive match they named, against the
        entry as the loaded lists hold it now (an entry no longer listed needs none)."""
        lists = self._lists()
        if lists is None:
            return []
        if self._entries is None or self._entries[0] != lists.version:
            self._entries = (lists.version, {entry.entry_id: entry for entry in lists.entries})
        entries = self._entries[1]
        made: list[Clearance] = []
        for outcome, _, event in released:
            decision = outcome.decision
            fps = [entry for review in outcome.reviews for entry in review.false_positive_entries]
            if decision is None or not fps:
                continue
            reviewers = tuple(
                dict.fromkeys(r.reviewer for r in outcome.reviews if r.action.value == "release")
            )
            for party, entry_id in cleared_parties(event, outcome.held.reasons, fps):
                entry = entries.get(entry_id)
                if entry is None:
                    continue
                made.append(
                    Clearance(
                        party=party_identity(party),
                        entry_id=entry_id,
                        entry_hash=entry_fingerprint(entry),
                        reviewers=reviewers,
                        cleared_at=decision.decided_at,
                        review_id=outcome.review.review_id,
                        lists_version=lists.version,
                        party_name=party.name,
                        entry_name=entry.name,
                    )
                )
        return made

    async def _references(
        self, released: Sequence[tuple[ReviewOutcome, OpenSubject, Event]]
    ) -> list[tuple[OpenSubject, str]]:
        """(the subject as stored, the digest a rescreen compares with from now on) for each released
        subject: what the engine decides of its event now, with the clearances the release made."""
        if not released:
            return []
        context = await self.context_for([event for _, _, event in released])
        now = self._clock()
        updates = []
        for _, stored, event in released:
            try:
                # As a rescreen decides it (as of today), so that an unchanged subject compares equal.
                reference = self.engine.decide(event, context, now, RESCREEN, as_of=now.date())
            except Exception:  # the subject keeps its digest: a rescreen may raise the hold again
                log.exception("re-deciding released %s %s failed", stored.kind, stored.subject_id[:200])
                continue
            updates.append((stored, decision_digest(reference)))
        return updates

    def _require_holds(self) -> OpenHoldsStore:
        if self._holds is None:
            raise RuntimeError("this service keeps no open holds: reviews cannot be applied")
        return self._holds

    # ----------------------------------------------------------------------------------------- rescreen
    async def rescreen(self, events: Sequence[Event], cause: str | None = None) -> list[Decision]:
        """Re-decide open subjects' latest events (`trigger="rescreen"`, no ledger: a rescreen is a new
        decision of an already decided event), each as of the later of its own date and the service clock's
        date; `cause` (lists, ownership, ruleset_date) is named in the decision's evidence. Raises
        `RescreenAborted` when the lists or the registry are unavailable: a rescreen would turn an outage
        into a `hold` for every open subject."""
        context = await self.context_for(events)
        if context.lists is None or not context.ownership.available:
            raise RescreenAborted(context.ownership.error or "control lists are not loaded")
        now = self._clock()
        decisions: list[Decision] = []
        for event in events:
            try:
                decisions.append(
                    self.engine.decide(event, context, now, RESCREEN, as_of=now.date(), cause=cause)
                )
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


def _review_key(review: Review) -> str:
    """The ledger key of a review (apart from every event id)."""
    return f"review:{review.review_id}"


def _digest_of(item: Received) -> str:
    """The content digest the ledger keeps for a message: the event's, or the rejected bytes'."""
    if isinstance(item, DecodedEvent):
        return item.digest
    return item.digest or _raw_digest(f"{item.event_id}|{item.error}".encode())


_NO_OWNERSHIP = OwnershipSnapshot(records={}, resolved={}, available=False, version="unavailable")
"""The ownership snapshot of a hold built without reading the registry (its versions say so)."""
