"""Which date (or dates) an event is decided as of, and why: the rules of the day the goods move or the
compute is used.

- The event's own date is its `occurred_at`, or the later of that and `received_at` when the two are
  implausibly far apart (`[rules.event_date]`, `EVENT_DATE_IMPLAUSIBLE`). It is the earliest date any
  decision of the event is made as of: nothing is decided under rules older than the event itself.
- An order is decided as of its requested `ship_date` when it carries one (the goods move then), else as of
  its own date. A ship date before the event's own date is not believed (it would let a back-dated order
  escape a control): the order is decided as of its own date and the evidence says so.
- A lease is decided as of each day of its access period (`start`..`end`, open-ended without `end`) that
  has not passed and on which the rules differ: the first day not passed, and every boundary of the rule
  calendar after it within the period. The strictest result counts (a lease running across 2026-11-10 is
  screened under the Affiliates rule from that day). A period that ended before its own date is decided as
  of that date.
- An order cancel or a lease termination moves nothing: it is decided as of its own date.
- A rescreen (a list, ownership or rule-calendar change) re-decides an open subject as of the later of its
  own date and the rescreen's date: an order whose ship date is still ahead keeps it; one whose date has
  passed is decided under today's rules; a lease drops the days that have passed.

Pure: the rescreen's date is given by the caller (the service clock), never read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from screening.domain.model import Event, Lease, Order
from screening.domain.rules.base import nothing_moves
from screening.domain.rules.integrity import EventDateParams


@dataclass(frozen=True, slots=True)
class Dating:
    """The dates an event is decided as of (one for an order, one or more for a lease) and why."""

    dates: tuple[date, ...]
    basis: str  # occurred_at | received_at | ship_date | access_period | rescreen
    why: str
    facts: tuple[tuple[str, str], ...] = ()  # the inputs the choice read, as (name, ISO date)

    def mentions(self, fact: str) -> bool:
        """Whether the choice read the input `fact` (e.g. a ship date, even one not believed)."""
        return any(name == fact for name, _ in self.facts)

    def evidence(self, chosen: date, outcomes: Sequence[tuple[date, str]] = ()) -> dict[str, Any]:
        """The choice as decision evidence: the date decided as of, the basis, every date considered and
        (for a lease) the outcome on each."""
        found: dict[str, Any] = {"decided_as_of": chosen.isoformat(), "basis": self.basis, **dict(self.facts)}
        if self.basis == "access_period":
            found["dates_considered"] = [
                {"date": day.isoformat(), "outcome": outcome} for day, outcome in outcomes
            ]
        found["why"] = self.why
        return found


def own_date(event: Event, params: EventDateParams) -> tuple[date, str]:
    """The event's own date and its basis: `occurred_at`, or `received_at` when that is the later of two
    implausibly distant times."""
    on = params.decision_date(event)
    basis = "occurred_at" if on == event.occurred_at.date() else "received_at"
    return on, basis


def dating(
    event: Event,
    params: EventDateParams,
    boundaries: Sequence[date],
    rescreen_on: date | None = None,
    cause: str | None = None,
) -> Dating:
    """The dates `event` is decided as of (see the module docstring); `boundaries` are the days of the rule
    calendar; `rescreen_on` is the date of a rescreen re-deciding it (None for the event itself) and
    `cause` what started that rescreen (`lists`, `ownership`, `ruleset_date`, `periodic`)."""
    own, basis = own_date(event, params)
    facts: list[tuple[str, str]] = [("occurred_at", event.occurred_at.date().isoformat())]
    if basis == "received_at" and event.received_at is not None:
        facts.append(("received_at", event.received_at.date().isoformat()))
    if rescreen_on is not None:
        facts.append(("rescreen_date", rescreen_on.isoformat()))
        if cause:
            facts.append(("rescreen_cause", cause))
    reference = max(own, rescreen_on) if rescreen_on is not None else own
    later = "rescreen" if reference > own else basis
    if nothing_moves(event):
        return Dating((own,), basis, "nothing moves on this event: decided as of its own date", tuple(facts))
    if isinstance(event, Order):
        return _order(event, own, basis, reference, later, facts)
    return _lease(event, reference, later, boundaries, facts)


def _order(
    event: Order, own: date, basis: str, reference: date, later: str, facts: list[tuple[str, str]]
) -> Dating:
    if event.ship_date is None:
        why = (
            "no ship date: decided as of the rescreen's date, its own date having passed"
            if later == "rescreen"
            else f"no ship date: decided as of its {basis}"
        )
        return Dating((reference,), later, why, tuple(facts))
    facts.append(("ship_date", event.ship_date.isoformat()))
    if event.ship_date < own:
        return Dating(
            (reference,),
            later,
            f"the ship date precedes the event's own date ({own.isoformat()}): not believed; decided as of "
            + ("the rescreen's date" if later == "rescreen" else f"its {basis}"),
            tuple(facts),
        )
    if event.ship_date >= reference:
        return Dating(
            (event.ship_date,), "ship_date", "the goods move on the requested ship date", tuple(facts)
        )
    return Dating(
        (reference,),
        "rescreen",
        "the requested ship date has passed and the order is still open: decided as of the rescreen's date",
        tuple(facts),
    )


def _lease(
    event: Lease, reference: date, later: str, boundaries: Sequence[date], facts: list[tuple[str, str]]
) -> Dating:
    if event.start is not None:
        facts.append(("start", event.start.isoformat()))
    if event.end is not None:
        facts.append(("end", event.end.isoformat()))
    if event.end is not None and event.end < reference:
        return Dating(
            (reference,), later, "the access period ended before this date: decided as of it", tuple(facts)
        )
    first = max(event.start, reference) if event.start is not None else reference
    days = [first, *(b for b in boundaries if b > first and (event.end is None or b <= event.end))]
    why = "each day of the access period not passed on which the rules differ; the strictest result counts"
    return Dating(tuple(days), "access_period", why, tuple(facts))
