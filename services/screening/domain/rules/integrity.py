"""Integrity rules: the data a decision rests on must be there and be what it claims to be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from screening.domain.model import Event, Outcome, Reason
from screening.domain.parameters import Parameters, RuleParams
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope
from screening.domain.rules.inputs import Input


class ListsUnavailableRule:
    """No control lists are loaded: no party can be screened, so every event is held."""

    rule_id: ClassVar[str] = "—"
    name: ClassVar[str] = "lists_unavailable"
    title: ClassVar[str] = "Control lists must be loaded"
    citation: ClassVar[str] = "Contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.LIST_MATCHES,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LISTS_UNAVAILABLE,)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`LISTS_UNAVAILABLE` (hold) when the batch had no lists."""
        if context.lists_available:
            return []
        return [
            Reason(
                code=ReasonCode.LISTS_UNAVAILABLE,
                outcome=Outcome.HOLD,
                message="control lists are not loaded: parties cannot be screened",
            )
        ]


class ListsStaleRule:
    """The lists are older than the service allows (or of unknown date): a listing since their source
    published them would be missed, so every event is held (a deny stays a deny)."""

    rule_id: ClassVar[str] = "—"
    name: ClassVar[str] = "lists_stale"
    title: ClassVar[str] = "Control lists must be current"
    citation: ClassVar[str] = (
        "Contract failure semantics; 15 CFR 744.11 (listings take effect on publication)"
    )
    inputs: ClassVar[tuple[Input, ...]] = (Input.LISTS_AGE,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LISTS_STALE,)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`LISTS_STALE` (hold) when the lists are past the service's maximum age or of unknown date."""
        freshness = context.lists_freshness
        if freshness is None or not freshness.stale:
            return []
        limit = f"{freshness.max_age_hours:g} hours"
        if freshness.as_of is None or freshness.age_hours is None:
            message = (
                f"the control lists' date is unknown, so they cannot be shown to be under {limit} old: held"
            )
        else:
            message = (
                f"the control lists were published {freshness.as_of.isoformat()} and are "
                f"{freshness.age_hours:.0f} hours old, more than the {limit} the service allows: a listing "
                "since then would be missed; held"
            )
        return [
            Reason(
                code=ReasonCode.LISTS_STALE,
                outcome=Outcome.HOLD,
                message=message,
                evidence={
                    "lists_as_of": freshness.as_of.isoformat() if freshness.as_of else None,
                    "lists_age_hours": freshness.age_hours,
                    "max_age_hours": freshness.max_age_hours,
                },
            )
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDateParams(RuleParams):
    """`[rules.event_date]`: how far `occurred_at` may be from when the service received the event."""

    table: ClassVar[str] = "rules.event_date"
    max_days_before_received: float
    max_days_after_received: float

    def implausible(self, event: Event) -> bool:
        """Whether `occurred_at` lies outside the window around `received_at` (never without one)."""
        if event.received_at is None:
            return False
        occurred, received = _utc(event.occurred_at), _utc(event.received_at)
        return occurred < received - timedelta(days=self.max_days_before_received) or occurred > (
            received + timedelta(days=self.max_days_after_received)
        )

    def decision_date(self, event: Event) -> date:
        """The date the rules apply: `occurred_at`'s, or the later of it and `received_at` when implausible
        (a back-dated event is judged by today's rules, a forward-dated one by its own date's)."""
        if not self.implausible(event):
            return event.occurred_at.date()
        assert event.received_at is not None
        return max(_utc(event.occurred_at), _utc(event.received_at)).date()


def _utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC time (a time without zone is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class EventDateRule:
    """An event whose `occurred_at` is far from when it was received is decided as of the later date."""

    rule_id: ClassVar[str] = "—"
    name: ClassVar[str] = "event_date_implausible"
    title: ClassVar[str] = "The event's date must be plausible"
    citation: ClassVar[str] = "Contract failure semantics (rules are date-aware: regulation.md §8)"
    inputs: ClassVar[tuple[Input, ...]] = (Input.EVENT_DATE, Input.RECEIVED_AT)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.EVENT_DATE_IMPLAUSIBLE,)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = EventDateParams

    def __init__(self, params: EventDateParams) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`EVENT_DATE_IMPLAUSIBLE` (hold) when `occurred_at` is outside the window around `received_at`."""
        event = context.event
        if not self.params.implausible(event):
            return []
        assert event.received_at is not None
        return [
            Reason(
                code=ReasonCode.EVENT_DATE_IMPLAUSIBLE,
                outcome=Outcome.HOLD,
                message=(
                    f"occurred_at {event.occurred_at.isoformat()} is more than "
                    f"{self.params.max_days_before_received:g} days before or "
                    f"{self.params.max_days_after_received:g} days after the event was received "
                    f"({event.received_at.isoformat()}): decided as of {context.on.isoformat()}, held"
                ),
                evidence={
                    "occurred_at": event.occurred_at.isoformat(),
                    "received_at": event.received_at.isoformat(),
                    "decided_as_of": context.on.isoformat(),
                    "max_days_before_received": self.params.max_days_before_received,
                    "max_days_after_received": self.params.max_days_after_received,
                },
            )
        ]


class EventIdReusedRule:
    """An event that reuses an earlier event's id with other content is decided, and held."""

    rule_id: ClassVar[str] = "—"
    name: ClassVar[str] = "event_id_reused"
    title: ClassVar[str] = "An event id names one event"
    citation: ClassVar[str] = "Contract: at-least-once delivery keyed by event id"
    inputs: ClassVar[tuple[Input, ...]] = (Input.EVENT_ID,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.EVENT_ID_REUSED,)
    scope: ClassVar[Scope] = Scope.EVENT
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`EVENT_ID_REUSED` (hold) when the service saw this id before with other content."""
        if not context.event_id_reused:
            return []
        return [
            Reason(
                code=ReasonCode.EVENT_ID_REUSED,
                outcome=Outcome.HOLD,
                message=(
                    f"event id {context.event.event_id!r} was used before for an event with other content: "
                    "this one is decided too, and held for review"
                ),
                evidence={"event_id": context.event.event_id},
            )
        ]
