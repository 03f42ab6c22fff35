"""Domain types of the screening service: parties, items, events, reasons and decisions.

Pure data, standard library only. Wire formats (pydantic) convert to and from these at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from screening.domain.outcome import Outcome
from screening.domain.reasons import ReasonCode

if TYPE_CHECKING:
    from screening.domain.dependencies import Dependencies

__all__ = [
    "Accelerator", "Decision", "Event", "Item", "ItemClassification", "Lease", "Licence", "Order", "Outcome",
    "Party", "Reason", "ReasonCode", "Versions",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Party:
    """A party named on an order or a lease (buyer, lessee, forwarder...)."""

    name: str
    role: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    address: str | None = None
    party_id: str | None = None
    hq_country: str | None = None
    party_role_detail: str | None = None  # e.g. an intermediary's declared role: "freight_forwarder"

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Accelerator:
    """An accelerator inside a server or board line (product and count)."""

    product: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Item:
    """An order line or a leased resource; a lease resource has a synthetic line id."""

    line_id: str
    product: str
    quantity: int
    eccn: str | None = None
    tpp: float | None = None
    die_area_mm2: float | None = None
    datacenter: bool | None = None
    memory_bandwidth_gbs: float | None = None
    package_area_mm2: float | None = None
    accelerators: tuple[Accelerator, ...] = ()


@dataclass(frozen=True, slots=True)
class Licence:
    """A licence or licence exception (`license`, `NAC`, `ACA`) on file for the transaction."""

    number: str
    type: str
    eccn: str | None = None
    destination: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order event: a sale of chips or servers."""

    event_id: str
    occurred_at: datetime
    order_id: str
    action: str
    seller: Party | None
    buyer: Party
    end_user: Party | None
    intermediaries: tuple[Party, ...]
    ship_from_country: str | None
    ship_to_country: str | None
    items: tuple[Item, ...]
    end_use: str | None = None
    licences: tuple[Licence, ...] = ()
    received_at: datetime | None = None
    """When the service received the event (the Kafka record's timestamp); None when not known."""
    ship_to_address: str | None = None
    """The delivery address, free text (additive field); screened against the list's addresses."""
    ship_date: date | None = None
    """The requested ship date: the goods move then, so the order is decided as of it (additive field)."""

    kind = "order"

    @property
    def subject_id(self) -> str:
        """The order id, the subject of the decision."""
        return self.order_id

    @property
    def parties(self) -> tuple[Party, ...]:
        """Every party of the order except the seller (the exporter itself)."""
        named = [self.buyer, self.end_user, *self.intermediaries]
        return tuple(party for party in named if party is not None)


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease event: rental of accelerator capacity."""

    event_id: str
    occurred_at: datetime
    lease_id: str
    action: str
    lessor: Party | None
    lessee: Party
    end_user: Party | None
    resources: tuple[Item, ...]
    hardware_country: str | None
    access: str | None  # "remote" or "dedicated"; None when the producer did not say (unknown)
    start: date | None = None
    end: date | None = None
    purpose: str | None = None
    licences: tuple[Licence, ...] = ()
    title_transfer: bool = False
    received_at: datetime | None = None
    """When the service received the event (the Kafka record's timestamp); None when not known."""

    kind = "lease"

    @property
    def subject_id(self) -> str:
        """The lease id, the subject of the decision."""
        return self.lease_id

    @property
    def parties(self) -> tuple[Party, ...]:
        """Every party of the lease except the lessor (the service's own customer)."""
        return tuple(party for party in (self.lessee, self.end_user) if party is not None)

    @property
    def items(self) -> tuple[Item, ...]:
        """The leased resources, screened like order lines."""
        return self.resources


Event = Order | Lease


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's finding: a stable code, its outcome, a message and the evidence behind it."""

    code: ReasonCode
    outcome: Outcome
    message: str
    party_role: str | None = None
    line_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemClassification:
    """How one line was classified: ECCN (or None), TPP, performance density and the basis used."""

    line_id: str
    eccn: str | None
    tpp: float | None
    performance_density: float | None
    basis: str
    product: str | None = None
    catalogue_model: str | None = None


@dataclass(frozen=True, slots=True)
class Versions:
    """Versions of the ruleset, lists and ownership data a decision used, so it can be replayed."""

    ruleset: str
    lists: str
    ownership: str
    lists_as_of: str | None = None
    """When the lists' source published them (ISO 8601, UTC); None when no lists were loaded."""
    lists_age_hours: float | None = None
    """Hours between `lists_as_of` and the decision; None when no lists were loaded."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to one event: the most severe outcome of its reasons, with evidence."""

    decision_id: str
    event_id: str
    subject_kind: str
    subject_id: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    items: tuple[ItemClassification, ...]
    trigger: str
    versions: Versions
    decided_at: datetime
    dependencies: Dependencies | None = field(default=None, compare=False, repr=False)
    """What of the lists and the registry the decision read (kept by the service for rescreens; not part
    of the published decision)."""
