"""Licences on file: what the licence store says about the licences an event names, as pure functions.

An event names its licences (`licenses[]`: a number, a type, and perhaps the ECCN, destination and dates
it covers). The licence store holds the licences and NAC/ACA notifications themselves (`LicenceRecord`):
ECCNs, destinations, the consignee and end user they name, quantity and value limits, validity and
status, and how much of the quantity has been drawn. For every licence the event names:

- the destination rules count what the **store** says it covers (each ECCN × destination of the record),
  not what the event claims; its dates are left to this check, so that an expired, revoked, suspended,
  exhausted or party-mismatched licence makes the event a `hold` with a reason that says so, never an
  automatic `deny` or `allow`;
- a licence the store does not hold is counted as the event describes it (a part it leaves out covers any
  line or destination of the event) and held: `LICENCE_UNVERIFIED` (described) or `LICENCE_UNKNOWN`
  (a number alone), unless event licences are trusted (`trust_event_licences`: described ones only);
- a licence that passes every check is `LICENCE_VERIFIED` (allow), with the lines it covers and the
  quantities to draw down when the decision is `allow` (`draw_on_allow`).

The draw-down itself is the service's (atomic, idempotent, one call per batch); a draw that would exceed
the balance comes back as a `Shortfall`, and the event is decided again with it: `LICENCE_EXHAUSTED`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from screening.domain.classification import ItemResult
from screening.domain.model import Event, Lease, Licence, Order, Outcome, Party, Reason
from screening.domain.reasons import Family, ReasonCode

ACTIVE = "active"
STATUSES = (ACTIVE, "revoked", "suspended")
TYPES = ("license", "NAC", "ACA")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class LicenceParty:
    """A party a licence names (consignee, end user): matched by party id, else by name and country."""

    name: str
    country: str | None = None
    party_id: str | None = None

    def evidence(self) -> dict[str, Any]:
        """The party as evidence."""
        return {"name": self.name, "country": self.country, "party_id": self.party_id}

    def matches(self, party: Party | None) -> bool:
        """Whether `party` is this party: same party id when both have one, else same name (case,
        punctuation and spacing aside) and, when the licence names one, same country."""
        if party is None:
            return False
        if self.party_id and party.party_id:
            return self.party_id.strip() == party.party_id.strip()
        if self.country and (party.country or "").upper() != self.country.upper():
            return False
        return _words(self.name) in {_words(name) for name in party.names}


def _words(name: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", name).casefold()))


@dataclass(frozen=True, slots=True)
class LicenceRecord:
    """A licence (or NAC/ACA notification) as the licence store holds it."""

    number: str
    type: str
    eccns: tuple[str, ...]
    destinations: tuple[str, ...]
    consignee: LicenceParty | None = None
    end_user: LicenceParty | None = None
    quantity_limit: int | None = None
    """Units of the licensed items it allows in all; None: no quantity limit."""
    value_limit: float | None = None
    """Value it allows in all (the events carry no value, so it is recorded, not drawn)."""
    valid_from: date | None = None
    valid_until: date | None = None
    status: str = ACTIVE

    def covers_eccn(self, eccn: str | None) -> bool:
        """Whether the licence names `eccn` (or a parent of it: 4A090 covers 4A090.a)."""
        if eccn is None:
            return False
        return any(eccn == own or eccn.startswith(own.rstrip(".") + ".") for own in self.eccns)

    def valid_on(self, on: date) -> bool:
        """Whether `on` is within the licence's validity."""
        return (self.valid_from is None or on >= self.valid_from) and (
            self.valid_until is None or on <= self.valid_until
        )

    def evidence(self) -> dict[str, Any]:
        """The record as decision evidence."""
        return {
            "number": self.number,
            "type": self.type,
            "eccns": list(self.eccns),
            "destinations": list(self.destinations),
            "consignee": self.consignee.evidence() if self.consignee else None,
            "end_user": self.end_user.evidence() if self.end_user else None,
            "quantity_limit": self.quantity_limit,
            "value_limit": self.value_limit,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A draw-down the balance could not cover: the event is held (`LICENCE_EXHAUSTED`)."""

    number: str
    needed: int
    remaining: int


@dataclass(frozen=True, slots=True)
class LicenceBook:
    """What the licence store said for a batch: the records of the licences its events name and how much
    of each is drawn. `available` is False when the store could not be read (every named licence is held)."""

    records: Mapping[str, LicenceRecord] = field(default_factory=dict)
    drawn: Mapping[str, int] = field(default_factory=dict)
    available: bool = True
    trust_event_licences: bool = False
    error: str | None = None

    def remaining(self, number: str) -> int | None:
        """Units left on the licence (None: no quantity limit, or not in the store)."""
        record = self.records.get(number)
        if record is None or record.quantity_limit is None:
            return None
        return record.quantity_limit - self.drawn.get(number, 0)


def effective_licences(
    event: Event,
    items: Sequence[ItemResult],
    book: LicenceBook | None,
    destinations: Iterable[str],
    on: date,
) -> tuple[Licence, ...]:
    """The licences the destination rules count for `event` on `on`: the store's terms for those it
    holds (its dates only while valid: an expired licence is held by `check_licences`, not denied), the
    event's description (its gaps filled with the event's lines and `destinations`) for the others."""
    if book is None:
        return event.licences
    found: list[Licence] = []
    places = tuple(dict.fromkeys(d.upper() for d in destinations if d))
    eccns = tuple(dict.fromkeys(item.eccn for item in items if item.eccn))
    for claimed in event.licences:
        record = book.records.get(claimed.number) if book.available else None
        if record is not None:
            # Dates and status are this module's checks (a hold), not coverage (a deny).
            valid = record.valid_on(on)
            found += [
                Licence(
                    record.number,
                    record.type,
                    eccn,
                    place,
                    record.valid_from if valid else None,
                    record.valid_until if valid else None,
                )
                for eccn in record.eccns
                for place in record.destinations
            ]
            continue
        for eccn in (claimed.eccn,) if claimed.eccn else eccns:
            for place in (claimed.destination,) if claimed.destination else places:
                found.append(
                    Licence(
                        claimed.number, claimed.type, eccn, place, claimed.valid_from, claimed.valid_until
                    )
                )
    return tuple(found)


def check_licences(
    event: Event,
    items: Sequence[ItemResult],
    book: LicenceBook,
    on: date,
    shortfalls: Sequence[Shortfall] = (),
) -> list[Reason]:
    """The licence reasons of `event`: one per licence it names."""
    reasons: list[Reason] = []
    drawn_lines: set[str] = set()
    for claimed in event.licences:
        claim = {
            "number": claimed.number,
            "type": claimed.type,
            "eccn": claimed.eccn,
            "destination": claimed.destination,
        }
        if not book.available:
            reasons.append(
                _hold(
                    ReasonCode.LICENCES_UNAVAILABLE,
                    f"licence {claimed.number} cannot be checked: the licence store cannot be read",
                    {"licence_claimed": claim, "error": book.error},
                )
            )
            continue
        record = book.records.get(claimed.number)
        if record is None:
            reasons += _not_on_file(claimed, claim, book.trust_event_licences)
            continue
        lines = [
            item
            for item in items
            if record.covers_eccn(item.eccn) and item.classification.line_id not in drawn_lines
        ]
        draws = {item.classification.line_id: _quantity(event, item.classification.line_id) for item in lines}
        drawn_lines.update(draws)
        problems = _problems(event, claimed, record, on, shortfalls)
        if problems:
            # A reviewer may release the hold: the allow it makes draws these lines down.
            reasons += [
                replace(problem, evidence={**problem.evidence, "draw_on_allow": draws})
                for problem in problems
            ]
            continue
        remaining = book.remaining(record.number)
        reasons.append(
            Reason(
                code=ReasonCode.LICENCE_VERIFIED,
                outcome=Outcome.ALLOW,
                message=(
                    f"{record.type} {record.number} is on file: active, valid on {on.isoformat()}"
                    + (
                        f", {remaining} of {record.quantity_limit} units left"
                        if remaining is not None
                        else ""
                    )
                ),
                evidence={
                    "licence_on_file": record.evidence(),
                    "remaining_before": remaining,
                    "draw_on_allow": draws,
                },
            )
        )
    return reasons


def _not_on_file(claimed: Licence, claim: dict[str, Any], trusted: bool) -> list[Reason]:
    if claimed.eccn is None and claimed.destination is None:
        return [
            _hold(
                ReasonCode.LICENCE_UNKNOWN,
                f"licence {claimed.number} is not in the licence store and the event does not say what it "
                "covers",
                {"licence_claimed": claim},
            )
        ]
    if trusted:
        return []
    return [
        _hold(
            ReasonCode.LICENCE_UNVERIFIED,
            f"{claimed.type} {claimed.number} is written only in the event, not in the licence store: "
            "counted as described, held until it is on file",
            {"licence_claimed": claim},
        )
    ]


def _problems(
    event: Event, claimed: Licence, record: LicenceRecord, on: date, shortfalls: Sequence[Shortfall]
) -> list[Reason]:
    what = f"{record.type} {record.number}"
    evidence: dict[str, Any] = {"licence_on_file": record.evidence()}
    found: list[Reason] = []
    if record.status != ACTIVE:
        found.append(
            _hold(
                ReasonCode.LICENCE_REVOKED,
                f"{what} is {record.status}",
                {**evidence, "status": record.status},
            )
        )
    if not record.valid_on(on):
        found.append(
            _hold(
                ReasonCode.LICENCE_EXPIRED,
                f"{what} is not valid on {on.isoformat()} (valid {record.valid_from or '…'} to "
                f"{record.valid_until or '…'})",
                {**evidence, "decision_date": on.isoformat()},
            )
        )
    contradictions = []
    if claimed.type != record.type:
        contradictions.append(f"the event says {claimed.type}, the store {record.type}")
    if claimed.eccn is not None and not record.covers_eccn(claimed.eccn):
        contradictions.append(f"it does not name {claimed.eccn}")
    if claimed.destination is not None and claimed.destination.upper() not in record.destinations:
        contradictions.append(f"it does not name destination {claimed.destination}")
    if contradictions:
        found.append(
            _hold(
                ReasonCode.LICENCE_MISMATCH,
                f"{what} on file contradicts the event: {'; '.join(contradictions)}",
                {**evidence, "contradictions": contradictions},
            )
        )
    consignee, end_user = _recipients(event)
    mismatched = []
    if record.consignee is not None and not record.consignee.matches(consignee):
        mismatched.append(("consignee", record.consignee, consignee))
    if record.end_user is not None and not record.end_user.matches(end_user):
        mismatched.append(("end user", record.end_user, end_user))
    if mismatched:
        found.append(
            _hold(
                ReasonCode.LICENCE_PARTY_MISMATCH,
                f"{what} names "
                + "; ".join(
                    f"{role} {named.name!r}, the event's is {party.name if party else 'not named'!r}"
                    for role, named, party in mismatched
                ),
                {
                    **evidence,
                    "mismatched": [
                        {"role": role, "licence": named.evidence(), "event": party.name if party else None}
                        for role, named, party in mismatched
                    ],
                },
            )
        )
    for shortfall in shortfalls:
        if shortfall.number == record.number:
            found.append(
                _hold(
                    ReasonCode.LICENCE_EXHAUSTED,
                    f"{what} has {shortfall.remaining} of {record.quantity_limit} units left; this event "
                    f"needs {shortfall.needed}",
                    {**evidence, "needed": shortfall.needed, "remaining": shortfall.remaining},
                )
            )
    return found


def _recipients(event: Event) -> tuple[Party | None, Party | None]:
    """(consignee, end user) of an event: the buyer (lessee) receives; the end user is the named end
    user, else the buyer (lessee)."""
    receiver = event.buyer if isinstance(event, Order) else event.lessee if isinstance(event, Lease) else None
    return receiver, event.end_user or receiver


def _quantity(event: Event, line_id: str) -> int:
    return next((item.quantity for item in event.items if item.line_id == line_id), 0)


def _hold(code: ReasonCode, message: str, evidence: dict[str, Any]) -> Reason:
    return Reason(code=code, outcome=Outcome.HOLD, message=message[:1000], evidence=evidence)


def draws_of(reasons: Iterable[Reason]) -> list[tuple[str, str, int]]:
    """(licence number, line id, quantity) to draw down for an `allow` made of `reasons`: what its licence
    reasons say (`LICENCE_VERIFIED`, or a licence hold a reviewer released), each line once."""
    found: list[tuple[str, str, int]] = []
    seen: set[tuple[str, str]] = set()
    for reason in reasons:
        if reason.code.family is not Family.LICENCES or reason.outcome is not Outcome.ALLOW:
            continue
        number = reason.evidence.get("licence_on_file", {}).get("number")
        draws = reason.evidence.get("draw_on_allow")
        if isinstance(number, str) and isinstance(draws, Mapping):
            for line, quantity in draws.items():
                if int(quantity) > 0 and (number, str(line)) not in seen:
                    seen.add((number, str(line)))
                    found.append((number, str(line), int(quantity)))
    return found
