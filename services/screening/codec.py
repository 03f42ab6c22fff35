"""Bytes ⇄ domain at the edge: decode order/lease/ownership messages, encode decisions and DLQ records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from screening import wire
from screening.domain.model import Decision, Event
from screening.domain.ownership import OwnerLink, OwnershipRecord, record_to_mapping

ORDER = "order"
LEASE = "lease"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that could not be decoded; `event_id`/`subject_id` are set when it names its subject."""

    error: str
    error_kind: str  # invalid_json | schema
    event_id: str | None = None
    subject_id: str | None = None


def _first_errors(error: ValidationError, limit: int = 5) -> str:
    parts = []
    for item in error.errors()[:limit]:
        location = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{location}: {item['msg']}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def decode_event(kind: str, raw: bytes | None) -> Event | Rejected:
    """Decode an order or lease event; never raises."""
    if raw is None:
        return Rejected(error="empty message value", error_kind="invalid_json")
    try:
        if kind == ORDER:
            return wire.order_to_domain(wire.OrderEventV1.model_validate_json(raw))
        return wire.lease_to_domain(wire.LeaseEventV1.model_validate_json(raw))
    except ValidationError as error:
        invalid_json = any(e["type"] == "json_invalid" for e in error.errors())
        event_id, subject_id = _subject_of(kind, raw) if not invalid_json else (None, None)
        return Rejected(
            error=_first_errors(error),
            error_kind="invalid_json" if invalid_json else "schema",
            event_id=event_id,
            subject_id=subject_id,
        )


def _subject_of(kind: str, raw: bytes) -> tuple[str | None, str | None]:
    """Best-effort event and subject ids of a schema-invalid event (for the INVALID_EVENT hold)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    event_id = data.get("event_id")
    subject_id = data.get("order_id" if kind == ORDER else "lease_id")
    if isinstance(event_id, str) and event_id and isinstance(subject_id, str) and subject_id:
        return event_id, subject_id
    return None, None


def ownership_from_wire(record: wire.OwnershipRecordV1) -> OwnershipRecord:
    """Convert a validated ownership record to the domain type."""
    return OwnershipRecord(
        entity_id=record.entity_id,
        name=record.name,
        aliases=tuple(record.aliases),
        country=record.country,
        hq_country=record.hq_country,
        owners=tuple(OwnerLink(entity_id=o.entity_id, share=o.share) for o in record.owners),
        as_of=record.as_of,
        source=record.source,
        list_entry_ids=tuple(record.list_entry_ids),
    )


def ownership_to_json(record: OwnershipRecord) -> bytes:
    """The contract's JSON form of an ownership record (what Redis stores and the topic carries)."""
    return orjson.dumps(record_to_mapping(record))


def decode_ownership(raw: bytes) -> OwnershipRecord:
    """Decode an ownership record; raises `ValidationError` on bad input."""
    return ownership_from_wire(wire.OwnershipRecordV1.model_validate_json(raw))


def _iso(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """The decision in its wire shape as plain data (fast path; `wire.DecisionV1` validates it in tests)."""
    return {
        "decision_id": decision.decision_id,
        "event_id": decision.event_id,
        "subject": {"kind": decision.subject_kind, "id": decision.subject_id},
        "outcome": decision.outcome.value,
        "reasons": [
            {
                "code": r.code,
                "outcome": r.outcome.value,
                "party_role": r.party_role,
                "line_id": r.line_id,
                "message": r.message,
                "evidence": r.evidence,
            }
            for r in decision.reasons
        ],
        "items": [
            {
                "line_id": i.line_id,
                "eccn": i.eccn,
                "tpp": i.tpp,
                "performance_density": i.performance_density,
                "basis": i.basis,
                "product": i.product,
                "catalogue_model": i.catalogue_model,
            }
            for i in decision.items
        ],
        "trigger": decision.trigger,
        "versions": {
            "ruleset": decision.versions.ruleset,
            "lists": decision.versions.lists,
            "ownership": decision.versions.ownership,
        },
        "decided_at": _iso(decision.decided_at),
    }


def encode_decision(decision: Decision) -> bytes:
    """The decision as JSON bytes for `screening.decisions.v1`."""
    return orjson.dumps(decision_to_dict(decision), option=orjson.OPT_NON_STR_KEYS)


def encode_dlq(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    rejected: Rejected | str,
    error_kind: str | None = None,
) -> bytes:
    """A dead-letter record: the original message, where it came from, and why it was rejected."""
    error = rejected.error if isinstance(rejected, Rejected) else rejected
    kind = rejected.error_kind if isinstance(rejected, Rejected) else (error_kind or "processing")
    return orjson.dumps(
        {
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "key": key.decode("utf-8", "replace") if key is not None else None,
            "value": value.decode("utf-8", "replace") if value is not None else None,
            "error": error,
            "error_kind": kind,
            "rejected_at": _iso(datetime.now(UTC)),
        }
    )
