"""Control lists: entries of the Consolidated Screening List, the per-list policy, and list hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from screening.domain.model import Outcome


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One entry of a control list (a row of the Consolidated Screening List)."""

    entry_id: str
    source: str  # short list code: EL, SDN, DPL, MEU, UVL, SSI, CMIC, NS-MBS, ISN, DTC, PLC, CAP
    name: str
    alt_names: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    entry_type: str | None = None  # Entity, Individual, Vessel, Aircraft
    programs: tuple[str, ...] = ()
    federal_register_notice: str | None = None
    start_date: str | None = None
    license_requirement: str | None = None
    addresses: str | None = None
    source_list_url: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the alternative names."""
        return (self.name, *self.alt_names)


@dataclass(frozen=True, slots=True)
class ListHit:
    """A match of a party name against a list entry, with the score and its explanation."""

    entry: ListEntry
    query: str
    matched_name: str
    score: float
    strong: bool
    why: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        """The hit as decision evidence: entry, the alias that matched, score and its pieces."""
        return {
            "list": self.entry.source,
            "entry_id": self.entry.entry_id,
            "entry_name": self.entry.name,
            "matched_name": self.matched_name,
            "query": self.query,
            "score": round(self.score, 4),
            "strong": self.strong,
            "federal_register_notice": self.entry.federal_register_notice,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class ListPolicy:
    """Per-list outcomes on a strong match: the ruleset's `[lists]` table (data, not code).

    A list the policy does not name is never ignored: a strong match on it takes `default` (hold unless
    the ruleset says deny), a weaker one is held like any other. A `record` list restricts something other
    than exports (NS-CMIC: securities investment): a match on it, strong or weak, is recorded for the
    reviewer with an `allow` outcome, never held as if it were an export-screening alert.
    """

    table: ClassVar[str] = "lists"

    deny_lists: frozenset[str] = field(metadata={"key": "deny"})
    hold_lists: frozenset[str] = field(metadata={"key": "hold"})
    default: Outcome = Outcome.HOLD
    record_lists: frozenset[str] = field(default=frozenset(), metadata={"key": "record"})

    def __post_init__(self) -> None:
        if self.default is Outcome.ALLOW:
            raise ValueError("default must be hold or deny: a list without a policy is never let through")
        both = sorted(self.record_lists & (self.deny_lists | self.hold_lists))
        if both:
            raise ValueError(f"{both[0]} is both a record-only list and a deny or hold list")

    def names(self, source: str) -> bool:
        """Whether the policy names `source` (else its hits take `default`)."""
        return source in self.deny_lists or source in self.hold_lists or source in self.record_lists

    def record_only(self, source: str) -> bool:
        """Whether `source` is a list with no export consequence, whose matches are only recorded."""
        return source in self.record_lists

    def outcome_for(self, source: str, strong: bool) -> Outcome:
        """Outcome of a hit on `source`: the list's outcome (or `default`) when strong, `hold` when weak;
        `allow` (recorded) for a record-only list either way."""
        if source in self.record_lists:
            return Outcome.ALLOW
        if not strong:
            return Outcome.HOLD
        if source in self.deny_lists:
            return Outcome.DENY
        if source in self.hold_lists:
            return Outcome.HOLD
        return self.default


# Long CSL source names → short codes; trade.gov's CSV and JSON name lists in full.
SOURCE_CODES: dict[str, str] = {
    "Entity List (EL) - Bureau of Industry and Security": "EL",
    "Denied Persons List (DPL) - Bureau of Industry and Security": "DPL",
    "Unverified List (UVL) - Bureau of Industry and Security": "UVL",
    "Military End User (MEU) List - Bureau of Industry and Security": "MEU",
    "Specially Designated Nationals (SDN) - Treasury Department": "SDN",
    "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department": "CMIC",
    "Sectoral Sanctions Identifications List (SSI) - Treasury Department": "SSI",
    "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department": "NS-MBS",
    "Palestinian Legislative Council List (PLC) - Treasury Department": "PLC",
    "Capta List (CAP) - Treasury Department": "CAP",
    "ITAR Debarred (DTC) - State Department": "DTC",
    "Nonproliferation Sanctions (ISN) - State Department": "ISN",
}


def source_code(source: str) -> str:
    """Short code of a CSL source name; unknown names are kept as given."""
    return SOURCE_CODES.get(source.strip(), source.strip())


@dataclass(frozen=True, slots=True)
class ListsFreshness:
    """How old the lists a decision used are, and how old the service lets them be.

    `as_of` is when the lists' source published them (None: unknown), `age_hours` the time from then to
    the decision, `max_age_hours` the service's limit (None: no limit). Lists of unknown date are stale
    whenever there is a limit: their age cannot be shown to be within it.
    """

    as_of: datetime | None
    age_hours: float | None
    max_age_hours: float | None = None

    @property
    def stale(self) -> bool:
        """Whether the lists are older than the limit, or of unknown date under one."""
        if self.max_age_hours is None:
            return False
        return self.age_hours is None or self.age_hours > self.max_age_hours

    @staticmethod
    def at(as_of: datetime | None, decided_at: datetime, max_age_hours: float | None) -> ListsFreshness:
        """The freshness of lists published at `as_of` for a decision made at `decided_at`."""
        if as_of is None:
            return ListsFreshness(None, None, max_age_hours)
        age = max(0.0, (decided_at - as_of).total_seconds() / 3600)
        return ListsFreshness(as_of, round(age, 2), max_age_hours)
