"""The calendar of rule changes: every day on which the ruleset's rules differ from the day before.

Derived from the ruleset alone (`Ruleset.dated_entries`): the start and end of every rule window and
suspension, every dated parameter (NAC, ACA, the Oct-2022 scope, a relief limited to named recipients),
every country-group change and the start of its review window, every classification period. A date that
ends a window (`to`, `suspended_to`, `legacy_until`: inclusive) changes the rules on the day after it;
every other date changes them on the day itself. Pure: no clock.

The service re-decides open orders and active leases on each boundary; a lease is decided as of each
boundary inside its access period (`screening.domain.dating`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screening.domain.ruleset import Ruleset

# Keys naming the last day of a window: the rules change on the day after.
INCLUSIVE_ENDS = frozenset({"to", "suspended_to", "legacy_until"})


@dataclass(frozen=True, slots=True)
class Change:
    """One dated entry of the ruleset: where it is (`table`, `key`), the date the file names, and what
    happens on the boundary."""

    table: str
    key: str
    named: date
    what: str


@dataclass(frozen=True, slots=True)
class Boundary:
    """A day from which the rules differ from the day before, with the changes that take effect on it."""

    on: date
    changes: tuple[Change, ...]

    def describe(self) -> str:
        """One line: the date and the changes."""
        return f"{self.on.isoformat()}: " + "; ".join(change.what for change in self.changes)


def _what(table: str, key: str, named: date, first_day: date) -> str:
    where = table if key in ("from", "effective") else f"{table} {key}"
    if key in INCLUSIVE_ENDS:
        return f"{where} ended {named.isoformat()} (new rules from {first_day.isoformat()})"
    if key == "suspended_from":
        return f"{table} suspended"
    if key in ("from", "effective"):
        return f"{where} takes effect"
    return f"{where} takes effect"


def rule_calendar(ruleset: Ruleset) -> tuple[Boundary, ...]:
    """Every boundary of `ruleset`, in date order, each with the changes that take effect on it."""
    by_day: dict[date, list[Change]] = {}
    for entry in ruleset.dated_entries():
        key = entry.key.split(".", 1)[0]
        first_day = entry.on + timedelta(days=1) if key in INCLUSIVE_ENDS else entry.on
        by_day.setdefault(first_day, []).append(
            Change(entry.table, entry.key, entry.on, _what(entry.table, entry.key, entry.on, first_day))
        )
    return tuple(Boundary(day, tuple(changes)) for day, changes in sorted(by_day.items()))


def boundary_days(calendar: Iterable[Boundary]) -> tuple[date, ...]:
    """The days of `calendar`, in order."""
    return tuple(sorted(boundary.on for boundary in calendar))


def passed_between(calendar: Sequence[Boundary], after: date | None, upto: date) -> tuple[Boundary, ...]:
    """The boundaries on a day after `after` (every one before, when None) and not after `upto`."""
    return tuple(b for b in calendar if (after is None or b.on > after) and b.on <= upto)


def next_after(calendar: Sequence[Boundary], day: date) -> Boundary | None:
    """The first boundary after `day`, if any."""
    return next((b for b in calendar if b.on > day), None)
