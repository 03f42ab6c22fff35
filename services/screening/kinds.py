"""The kinds of event the service screens, in one table: where each comes from and how it is read.

Everything that differs between an order and a lease outside the rules is here: the topic setting, the
wire model and its conversion to the domain, the field naming the subject, the parties and free text the
input limits bound, and which actions close a subject (a closed subject is no longer rescreened). Adding
a kind of event is adding a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from screening import wire
from screening.domain.model import Event, Lease, Order, Party


@dataclass(frozen=True)
class EventKind:
    """One kind of event (a row of `EVENT_KINDS`)."""

    name: str
    """The decision's `subject.kind`, and the domain event's `kind`."""
    topic_setting: str
    """The `KafkaSettings` field that names the topic carrying this kind."""
    subject_field: str
    """The event field holding the subject id (also the message key)."""
    items_field: str
    """The event field holding the lines screened (order items, leased resources)."""
    wire_model: type[BaseModel]
    to_domain: Callable[[Any, datetime | None], Event]
    """Validated wire model and the Kafka record's timestamp (None outside Kafka) → domain event."""
    closing_actions: frozenset[str]
    """Actions after which the subject is closed: not open, so not rescreened."""
    parties: Callable[[Event], tuple[tuple[str, Party], ...]]
    """Every party of the event with where it sits (`buyer`, `intermediaries[2]`), the exporter's own too."""
    free_text: Callable[[Event], tuple[tuple[str, str | None], ...]]
    """The caller's free-text fields (end use, purpose) with their names."""

    def topic(self, kafka_settings: Any) -> str:
        """The configured topic of this kind."""
        return str(getattr(kafka_settings, self.topic_setting))

    def closes(self, event: Event) -> bool:
        """Whether `event` closes its subject."""
        return event.action in self.closing_actions


def _order_parties(event: Event) -> tuple[tuple[str, Party], ...]:
    assert isinstance(event, Order)
    named: list[tuple[str, Party | None]] = [
        ("seller", event.seller),
        ("buyer", event.buyer),
        ("end_user", event.end_user),
    ]
    named += [(f"intermediaries[{index}]", party) for index, party in enumerate(event.intermediaries)]
    return tuple((where, party) for where, party in named if party is not None)


def _lease_parties(event: Event) -> tuple[tuple[str, Party], ...]:
    assert isinstance(event, Lease)
    named = (("lessor", event.lessor), ("lessee", event.lessee), ("end_user", event.end_user))
    return tuple((where, party) for where, party in named if party is not None)


ORDER = EventKind(
    name="order",
    topic_setting="orders_topic",
    subject_field="order_id",
    items_field="items",
    wire_model=wire.OrderEventV1,
    to_domain=wire.order_to_domain,
    closing_actions=frozenset({"cancel"}),
    parties=_order_parties,
    free_text=lambda event: (
        ("end_use", getattr(event, "end_use", None)),
        ("ship_to_address", getattr(event, "ship_to_address", None)),
    ),
)

LEASE = EventKind(
    name="lease",
    topic_setting="leases_topic",
    subject_field="lease_id",
    items_field="resources",
    wire_model=wire.LeaseEventV1,
    to_domain=wire.lease_to_domain,
    closing_actions=frozenset({"terminate"}),
    parties=_lease_parties,
    free_text=lambda event: (("purpose", getattr(event, "purpose", None)),),
)

EVENT_KINDS: tuple[EventKind, ...] = (ORDER, LEASE)
"""Every kind of event, in the order a JSONL line is tried against (`kind_of_mapping`)."""

KINDS: Mapping[str, EventKind] = {kind.name: kind for kind in EVENT_KINDS}


def kind_of_mapping(data: Mapping[str, Any]) -> EventKind | None:
    """The kind of a parsed event with no topic to tell it (`screening check`): the first kind whose
    subject field it carries (an order when it carries both), None when it carries none."""
    return next((kind for kind in EVENT_KINDS if kind.subject_field in data), None)


def closes_subject(event: Event) -> bool:
    """Whether `event` closes its subject (a cancelled order, a terminated lease)."""
    return KINDS[event.kind].closes(event)
