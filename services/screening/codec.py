"""Bytes ⇄ domain at the edge: decode events and ownership records under the input limits, encode
decisions and dead letters.

Decoding never raises: a message either becomes a `DecodedEvent` or a `Rejected` that says why (and names
its subject when it can). The JSON reader is strict where the contract is: UTF-8, one value per key
(a duplicated key is invalid: the last copy must not silently win), no NaN or Infinity, and integers read
in bounded time whatever their length. The input limits (`LimitsSettings`) bound every string, list and
number an algorithm will see.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from screening.config import LimitsSettings
from screening.domain.licensing import LicenceRecord
from screening.domain.model import (
    Decision,
    Event,
    Item,
    ItemClassification,
    Outcome,
    Party,
    Reason,
    ReasonCode,
    Versions,
)
from screening.domain.ownership import (
    OwnershipRecord,
    OwnershipRecordError,
    RecordLimits,
    record_from_mapping,
    record_to_mapping,
)
from screening.domain.review import Review
from screening.kinds import KINDS, EventKind, kind_of_mapping
from screening.ports import DecodedEvent, Rejected

__all__ = [
    "DLQ_RECORD_MAX_BYTES",
    "ERROR_KINDS",
    "LEASE",
    "ORDER",
    "DecodedEvent",
    "EventDecoder",
    "JsonError",
    "Rejected",
    "decision_to_dict",
    "decode_event",
    "decode_ownership",
    "encode_decision",
    "encode_dlq",
    "ownership_to_json",
    "parse_json",
]

ORDER = "order"
LEASE = "lease"

ERROR_KINDS = ("invalid_json", "schema", "too_large", "invalid_header", "processing", "review")
"""Why a message was dead-lettered (`Rejected.error_kind`, the DLQ record's `error_kind`); `review`: a
review that cannot be applied (stale, of no open hold, by a reviewer not allowed)."""

DLQ_RECORD_MAX_BYTES = 512 * 1024
"""Largest dead-letter record written: half the producer's and the broker's 1 MiB default limit."""

_INT_BOUND = 2**63 - 1
_MAX_ERROR_CHARS = 2000
_MAX_KEY_BYTES = 1024


class JsonError(ValueError):
    """The bytes are not one strict JSON value."""


class _DuplicateKey(JsonError):
    pass


def _bounded_int(text: str) -> int:
    # int() of a 4,301-digit string raises and is quadratic below that; no limit allows 19 digits anyway.
    if len(text) > 19:
        return -_INT_BOUND if text.startswith("-") else _INT_BOUND
    return int(text)


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {key[:100]!r} in a JSON object")
            seen.add(key)
    return found


_STRICT = json.JSONDecoder(object_pairs_hook=_object, parse_int=_bounded_int, parse_constant=_no_constant)
_PAIRS = json.JSONDecoder(object_pairs_hook=list, parse_int=_bounded_int, parse_constant=_no_constant)


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonError(f"not UTF-8 text: {error.reason} at byte {error.start}") from error
    return text[1:] if text.startswith("\ufeff") else text


def parse_json(raw: bytes) -> Any:
    """Parse strict JSON: UTF-8 (a leading BOM is allowed), no duplicate keys, no NaN/Infinity; an integer
    of more than 19 digits reads as ±(2^63 - 1), a float beyond range as ±inf (the limits refuse both).
    Raises `JsonError`."""
    text = _text(raw)
    try:
        return _STRICT.decode(text)
    except JsonError:
        raise
    except RecursionError as error:
        raise JsonError("JSON nested too deeply") from error
    except ValueError as error:  # json.JSONDecodeError
        raise JsonError(f"not JSON: {error}") from error


# Digits to "0", every other byte to " ": a run of 19 digits is then a plain substring search (a regex
# costs more than the parse it guards).
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19
_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


def _parse_fast(raw: bytes) -> tuple[Any, bytes] | None:
    """orjson's reading of `raw` and its canonical form (sorted keys), when it is provably what the strict
    reader (`parse_json`) gives; None sends the message to the strict reader, which also words the error.

    The strict reader costs ~15 µs of a ~60 µs decode; orjson parses in ~3. They read every valid JSON
    text the same, except where orjson refuses (a lone surrogate escape, nesting orjson cannot write
    back: then the strict reader decides) and in three things orjson does silently, ruled out here:
    - a duplicated key (the last copy wins): every `:` of a JSON text is a key's or a string's, and
      orjson writes each key and every string's colons back as plain `:`, so the canonical form has as
      many colons as the message exactly when no key was dropped. A colon written as the escape
      `\\u003a` would break the count: such a message takes the strict reader;
    - an integer of 19 digits or more (read exactly, where the strict reader bounds it): any run of 19
      digits, in a string or not, takes the strict reader;
    - a leading byte-order mark: orjson refuses it, so the strict reader (which skips it) decides.
    """
    if _NINETEEN_DIGITS in raw.translate(_DIGITS_ONLY) or _ESCAPED_COLON.search(raw) is not None:
        return None
    try:
        data = orjson.loads(raw)
        canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (ValueError, TypeError):  # orjson.JSONDecodeError, orjson.JSONEncodeError
        return None
    if canonical.count(b":") != raw.count(b":"):
        return None  # a key given twice: the strict reader names it
    return data, canonical


def content_digest(data: Any) -> str:
    """Digest of a parsed event's content, independent of key order and spacing. Raises `JsonError` when
    the content holds what has no canonical form (a lone UTF-16 surrogate, nesting deeper than 255)."""
    try:
        canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError as error:  # orjson.JSONEncodeError
        raise JsonError(f"content cannot be read as text: {error}") from error
    return _blake2b_hex(canonical)


def _blake2b_hex(canonical: bytes) -> str:
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def received_at_of(timestamp_ms: int | None) -> datetime | None:
    """A Kafka record's timestamp (ms since the epoch) as a UTC time; None when the record has none (-1, or
    0: no producer stamps its records with the epoch)."""
    if timestamp_ms is None or timestamp_ms <= 0:
        return None
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _first_errors(error: ValidationError, limit: int = 5) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:limit]:
        location = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{location}: {item['msg']}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _joined(problems: list[str], limit: int = 5) -> str:
    more = len(problems) - limit
    return "; ".join(problems[:limit]) + (f" (+{more} more)" if more > 0 else "")


@dataclass(frozen=True)
class _Bounds:
    """The limits, read once into plain attributes for the per-event checks."""

    parties: int
    intermediaries: int
    aliases: int
    name: int
    items: int
    licences: int
    text: int
    ident: int
    quantity: int
    number: float


class EventDecoder:
    """Decodes events and ownership records under the input limits; never raises."""

    def __init__(self, limits: LimitsSettings | None = None) -> None:
        self.limits = limits or LimitsSettings()
        lim = self.limits
        self._bounds = _Bounds(
            lim.max_parties,
            lim.max_intermediaries,
            lim.max_aliases,
            lim.max_name_chars,
            lim.max_items,
            lim.max_licences,
            lim.max_text_chars,
            lim.max_id_chars,
            lim.max_quantity,
            lim.max_number,
        )
        self.record_limits = RecordLimits(
            max_id_chars=lim.max_id_chars,
            max_name_chars=lim.max_name_chars,
            max_aliases=lim.max_aliases,
            max_owners=lim.max_owners,
            max_text_chars=lim.max_text_chars,
        )

    # ---------------------------------------------------------------------------------------- events
    def decode(
        self,
        kind: EventKind,
        raw: bytes | None,
        received_at: datetime | None = None,
        headers: Iterable[tuple[str, bytes | None]] = (),
    ) -> DecodedEvent | Rejected:
        """Decode one message of `kind` (its topic's kind)."""
        if raw is None:
            return Rejected("empty message value (null)", "invalid_json", kind=kind.name)
        problem: tuple[str, str] | None = None
        if len(raw) > self.limits.max_message_bytes:
            problem = (
                f"message value is {len(raw)} bytes, more than the {self.limits.max_message_bytes} allowed",
                "too_large",
            )
        else:
            problem = _header_problem(headers)
        fast = _parse_fast(raw)
        canonical = fast[1] if fast is not None else None
        try:
            data = fast[0] if fast is not None else parse_json(raw)
        except _DuplicateKey as error:
            event_id, subject_id = self._subject_of_pairs(kind, raw)
            error_text, error_kind = problem or (str(error), "invalid_json")
            return _named(Rejected(error_text, error_kind, event_id, subject_id, kind.name), raw)
        except JsonError as error:
            error_text, error_kind = problem or (str(error), "invalid_json")
            return Rejected(error_text, error_kind, kind=kind.name)
        if problem is not None:
            return self._rejected(kind, data, *problem, raw)
        if not isinstance(data, dict):
            return Rejected(
                f"expected a JSON object, got {type(data).__name__}", "invalid_json", kind=kind.name
            )
        try:
            wire_event = kind.wire_model.model_validate(data)
        except ValidationError as error:
            return self._rejected(kind, data, _first_errors(error), "schema", raw)
        event = kind.to_domain(wire_event, received_at)
        if not self._within_limits(kind, event):
            return self._rejected(kind, data, _joined(self._limit_problems(kind, event)), "schema", raw)
        if canonical is not None:  # what content_digest would write, written already
            return DecodedEvent(event, _blake2b_hex(canonical), raw)
        try:
            digest = content_digest(data)
        except JsonError as error:
            return self._rejected(kind, data, str(error), "invalid_json", raw)
        return DecodedEvent(event, digest, raw)

    def decode_line(self, raw: bytes) -> DecodedEvent | Rejected:
        """Decode an event with no topic to tell its kind (a line of `screening check`): the kind is the
        one whose subject field the event carries."""
        try:
            data = parse_json(raw)
        except _DuplicateKey:
            data = None
            try:
                pairs = _PAIRS.decode(_text(raw))
            except (ValueError, RecursionError):
                pairs = None
            if isinstance(pairs, list):
                data = dict(pairs)
        except JsonError:
            data = None
        kind = kind_of_mapping(data) if isinstance(data, dict) else None
        if kind is None and isinstance(data, dict):
            fields = " or ".join(k.subject_field for k in KINDS.values())
            return Rejected(f"the event names no {fields}: cannot tell its kind", "schema")
        return self.decode(kind or KINDS[ORDER], raw)

    def _rejected(self, kind: EventKind, data: Any, error: str, error_kind: str, raw: bytes) -> Rejected:
        event_id, subject_id = self._subject_of(kind, data) if isinstance(data, dict) else (None, None)
        return _named(Rejected(error, error_kind, event_id, subject_id, kind.name), raw)

    def _subject_of(self, kind: EventKind, data: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """Event and subject ids of a rejected event when it names both usably (INVALID_EVENT hold)."""
        event_id = self._usable_id(data.get("event_id"))
        subject_id = self._usable_id(data.get(kind.subject_field))
        if event_id is None or subject_id is None:
            return None, None
        return event_id, subject_id

    def _subject_of_pairs(self, kind: EventKind, raw: bytes) -> tuple[str | None, str | None]:
        """Like `_subject_of` for JSON with duplicated keys: only ids that are not themselves duplicated
        (or whose copies agree) name the subject."""
        try:
            pairs = _PAIRS.decode(_text(raw))
        except (ValueError, RecursionError):
            return None, None
        if not isinstance(pairs, list):
            return None, None
        found: dict[str, Any] = {}
        for key in ("event_id", kind.subject_field):
            values = [value for name, value in pairs if name == key]
            if not values or any(value != values[0] for value in values):
                return None, None
            found[key] = values[0]
        return self._subject_of(kind, found)

    def _usable_id(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        value = value.strip()
        if not value or len(value) > self._bounds.ident or not value.isprintable():
            return None
        return value

    def _within_limits(self, kind: EventKind, event: Event) -> bool:
        """The fast check of every limit, straight-line on the hot path; `_limit_problems` says which
        limit failed. (A comparison with NaN is false, so `not value <= most` refuses NaN and infinity.)"""
        b = self._bounds
        if (
            len(event.event_id) > b.ident
            or len(event.subject_id) > b.ident
            or len(event.items) > b.items
            or len(event.licences) > b.licences
            or len(getattr(event, "intermediaries", ())) > b.intermediaries
        ):
            return False
        parties = kind.parties(event)
        if len(parties) > b.parties:
            return False
        for _, party in parties:
            if (
                len(party.name) > b.name
                or len(party.aliases) > b.aliases
                or (party.aliases and max(map(len, party.aliases)) > b.name)
                or (party.address is not None and len(party.address) > b.text)
                or (party.party_id is not None and len(party.party_id) > b.ident)
                or (party.party_role_detail is not None and len(party.party_role_detail) > b.ident)
            ):
                return False
        for item in event.items:
            if (
                len(item.line_id) > b.ident
                or len(item.product) > b.name
                or (item.eccn is not None and len(item.eccn) > b.ident)
                or item.quantity > b.quantity
                or (item.tpp is not None and not item.tpp <= b.number)
                or (item.die_area_mm2 is not None and not item.die_area_mm2 <= b.number)
                or (item.memory_bandwidth_gbs is not None and not item.memory_bandwidth_gbs <= b.number)
                or (item.package_area_mm2 is not None and not item.package_area_mm2 <= b.number)
            ):
                return False
            if item.accelerators and (
                len(item.accelerators) > b.items
                or max(len(a.product) for a in item.accelerators) > b.name
                or max(a.count for a in item.accelerators) > b.quantity
            ):
                return False
        for licence in event.licences:
            if len(licence.number) > b.ident or (licence.eccn is not None and len(licence.eccn) > b.ident):
                return False
        return all(text is None or len(text) <= b.text for _, text in kind.free_text(event))

    def _limit_problems(self, kind: EventKind, event: Event) -> list[str]:
        """Every input limit the event exceeds, each with where and by how much."""
        b = self._bounds
        problems: list[str] = []

        def too_long(where: str, value: str | None, most: int) -> None:
            if value is not None and len(value) > most:
                problems.append(f"{where}: {len(value)} characters, more than {most}")

        def number(where: str, value: float | None) -> None:
            if value is not None and not (math.isfinite(value) and value <= b.number):
                problems.append(f"{where}: {value!r} is not a finite number up to {b.number:g}")

        too_long("event_id", event.event_id, b.ident)
        too_long(kind.subject_field, event.subject_id, b.ident)
        parties = kind.parties(event)
        if len(parties) > b.parties:
            problems.append(f"{len(parties)} parties, more than {b.parties}")
        intermediaries = getattr(event, "intermediaries", ())
        if len(intermediaries) > b.intermediaries:
            problems.append(f"intermediaries: {len(intermediaries)}, more than {b.intermediaries}")
        for where, party in parties[: b.parties + 1]:
            self._party_problems(where, party, too_long, problems)
        if len(event.items) > b.items:
            problems.append(f"{len(event.items)} items, more than {b.items}")
        for index, item in enumerate(event.items[: b.items + 1]):
            self._item_problems(f"{kind.items_field}[{index}]", item, too_long, number, problems)
        if len(event.licences) > b.licences:
            problems.append(f"{len(event.licences)} licences, more than {b.licences}")
        for index, licence in enumerate(event.licences[: b.licences + 1]):
            too_long(f"licenses[{index}].number", licence.number, b.ident)
            too_long(f"licenses[{index}].eccn", licence.eccn, b.ident)
        for where, text in kind.free_text(event):
            too_long(where, text, b.text)
        return problems

    def _party_problems(self, where: str, party: Party, too_long: Any, problems: list[str]) -> None:
        b = self._bounds
        too_long(f"{where}.name", party.name, b.name)
        if len(party.aliases) > b.aliases:
            problems.append(f"{where}.aliases: {len(party.aliases)}, more than {b.aliases}")
        for index, alias in enumerate(party.aliases[: b.aliases + 1]):
            too_long(f"{where}.aliases[{index}]", alias, b.name)
        too_long(f"{where}.address", party.address, b.text)
        too_long(f"{where}.party_id", party.party_id, b.ident)
        too_long(f"{where}.role", party.party_role_detail, b.ident)

    def _item_problems(self, where: str, item: Item, too_long: Any, number: Any, problems: list[str]) -> None:
        b = self._bounds
        too_long(f"{where}.line_id", item.line_id, b.ident)
        too_long(f"{where}.product", item.product, b.name)
        too_long(f"{where}.eccn", item.eccn, b.ident)
        if item.quantity > b.quantity:
            problems.append(f"{where}.quantity: more than {b.quantity}")
        number(f"{where}.tpp", item.tpp)
        number(f"{where}.die_area_mm2", item.die_area_mm2)
        number(f"{where}.memory_bandwidth_gbs", item.memory_bandwidth_gbs)
        number(f"{where}.package_area_mm2", item.package_area_mm2)
        if len(item.accelerators) > b.items:
            problems.append(f"{where}.accelerators: {len(item.accelerators)}, more than {b.items}")
        for index, accelerator in enumerate(item.accelerators[: b.items + 1]):
            too_long(f"{where}.accelerators[{index}].product", accelerator.product, b.name)
            if accelerator.count > b.quantity:
                problems.append(f"{where}.accelerators[{index}].count: more than {b.quantity}")

    # ------------------------------------------------------------------------------------- ownership
    def decode_ownership(
        self, raw: bytes, headers: Iterable[tuple[str, bytes | None]] = ()
    ) -> OwnershipRecord | Rejected:
        """Decode an ownership record through the one ownership validator (`record_from_mapping`)."""
        if len(raw) > self.limits.max_message_bytes:
            return Rejected(
                f"message value is {len(raw)} bytes, more than the {self.limits.max_message_bytes} allowed",
                "too_large",
            )
        problem = _header_problem(headers)
        if problem is not None:
            return Rejected(*problem)
        try:
            data = parse_json(raw)
        except JsonError as error:
            return Rejected(str(error), "invalid_json")
        try:
            return record_from_mapping(data, self.record_limits)
        except OwnershipRecordError as error:
            return Rejected(str(error)[:_MAX_ERROR_CHARS], "schema")


def _named(rejected: Rejected, raw: bytes) -> Rejected:
    """A rejection that names its subject carries the digest of its bytes (for the ledger)."""
    if rejected.event_id is None:
        return rejected
    return replace(rejected, digest=hashlib.blake2b(raw, digest_size=16).hexdigest())


def _header_problem(headers: Iterable[tuple[str, bytes | None]]) -> tuple[str, str] | None:
    """The contract's headers are text: a header value that is not UTF-8 makes the message invalid."""
    for name, value in headers:
        if value is None:
            continue
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as error:
            return (
                f"header {name[:100]!r} is not UTF-8 text ({error.reason} at byte {error.start})",
                "invalid_header",
            )
    return None


_DEFAULT_DECODER: EventDecoder | None = None


def _default_decoder() -> EventDecoder:
    global _DEFAULT_DECODER
    if _DEFAULT_DECODER is None:
        _DEFAULT_DECODER = EventDecoder()
    return _DEFAULT_DECODER


def decode_event(kind: str, raw: bytes | None) -> Event | Rejected:
    """Decode an order or lease event under the default limits; never raises (a convenience for tools)."""
    decoded = _default_decoder().decode(KINDS[kind], raw)
    return decoded.event if isinstance(decoded, DecodedEvent) else decoded


def decode_ownership(raw: bytes) -> OwnershipRecord:
    """Decode an ownership record under the default limits; raises `OwnershipRecordError` saying what is
    wrong (a convenience for tools: the feed uses `EventDecoder.decode_ownership`, which never raises)."""
    decoded = _default_decoder().decode_ownership(raw)
    if isinstance(decoded, Rejected):
        raise OwnershipRecordError(decoded.error)
    return decoded


# -------------------------------------------------------------------------------------------- reviews
@dataclass(frozen=True, slots=True)
class DecodedReview:
    """A message of the reviews topic that decoded into a review."""

    review: Review
    digest: str
    """Digest of the review's content: tells a redelivery from a reused review id."""
    raw: bytes


def _json_object(
    raw: bytes, max_bytes: int, headers: Iterable[tuple[str, bytes | None]]
) -> dict[str, Any] | Rejected:
    """A message value read as one JSON object under the size limit, with readable headers."""
    if len(raw) > max_bytes:
        return Rejected(f"message value is {len(raw)} bytes, more than the {max_bytes} allowed", "too_large")
    problem = _header_problem(headers)
    if problem is not None:
        return Rejected(*problem)
    try:
        data = parse_json(raw)
    except JsonError as error:
        return Rejected(str(error), "invalid_json")
    if not isinstance(data, dict):
        return Rejected(f"expected a JSON object, got {type(data).__name__}", "invalid_json")
    return data


def decode_review(
    raw: bytes | None, max_bytes: int = 256 * 1024, headers: Iterable[tuple[str, bytes | None]] = ()
) -> DecodedReview | Rejected:
    """Decode a review (`wire.ReviewV1`); never raises. A rejection names the review's subject when it
    can (for the log), but a review never holds anything: it is only dead-lettered."""
    from screening import wire

    if raw is None:
        return Rejected("empty message value (null)", "invalid_json")
    data = _json_object(raw, max_bytes, headers)
    if isinstance(data, Rejected):
        return data
    try:
        validated = wire.ReviewV1.model_validate(data)
        digest = content_digest(data)
    except ValidationError as error:
        return Rejected(_first_errors(error), "schema")
    except JsonError as error:
        return Rejected(str(error), "invalid_json")
    return DecodedReview(wire.review_to_domain(validated), digest, raw)


def decode_licence(
    raw: bytes, max_bytes: int = 256 * 1024, headers: Iterable[tuple[str, bytes | None]] = ()
) -> LicenceRecord | Rejected:
    """Decode a licence record (`wire.LicenceRecordV1`); never raises."""
    from screening import wire

    data = _json_object(raw, max_bytes, headers)
    if isinstance(data, Rejected):
        return data
    try:
        return wire.licence_to_domain(wire.LicenceRecordV1.model_validate(data))
    except ValidationError as error:
        return Rejected(_first_errors(error), "schema")


def review_to_json(review: Review) -> bytes:
    """A review in its contract form (`wire.ReviewV1`), as the open holds record it."""
    return orjson.dumps(
        {
            "review_id": review.review_id,
            "subject": {"kind": review.kind, "id": review.subject_id},
            "decision_id": review.decision_id,
            "action": review.action.value,
            "reviewer": review.reviewer,
            "reason": review.reason,
            "false_positive_entries": list(review.false_positive_entries),
            "reviewed_at": _iso(review.reviewed_at),
        }
    )


def review_from_mapping(data: Mapping[str, Any]) -> Review:
    """A review read back from the open holds (contract form); raises `ValueError` when it is not one."""
    from screening import wire

    try:
        return wire.review_to_domain(wire.ReviewV1.model_validate(data))
    except ValidationError as error:
        raise ValueError(f"not a review: {_first_errors(error)}") from error


def decision_from_mapping(data: Mapping[str, Any]) -> Decision:
    """A decision read back from its contract JSON (parsed); raises `ValueError` when it is not one (an
    unknown reason code included)."""
    try:
        return Decision(
            decision_id=str(data["decision_id"]),
            event_id=str(data["event_id"]),
            subject_kind=str(data["subject"]["kind"]),
            subject_id=str(data["subject"]["id"]),
            outcome=Outcome(data["outcome"]),
            reasons=tuple(
                Reason(
                    code=ReasonCode[str(reason["code"])],
                    outcome=Outcome(reason["outcome"]),
                    message=str(reason["message"]),
                    party_role=reason.get("party_role"),
                    line_id=reason.get("line_id"),
                    evidence=dict(reason.get("evidence") or {}),
                )
                for reason in data["reasons"]
            ),
            items=tuple(
                ItemClassification(
                    line_id=item["line_id"],
                    eccn=item.get("eccn"),
                    tpp=item.get("tpp"),
                    performance_density=item.get("performance_density"),
                    basis=item["basis"],
                    product=item.get("product"),
                    catalogue_model=item.get("catalogue_model"),
                )
                for item in data["items"]
            ),
            trigger=str(data["trigger"]),
            versions=_versions_from(data["versions"]),
            decided_at=datetime.fromisoformat(str(data["decided_at"]).replace("Z", "+00:00")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"not a decision: {type(error).__name__}: {error}") from error


def _versions_from(data: Mapping[str, Any]) -> Versions:
    """A decision's versions read back, with the lists' source date and age when the decision had them."""
    as_of, age = data.get("lists_as_of"), data.get("lists_age_hours")
    return Versions(
        ruleset=str(data["ruleset"]),
        lists=str(data["lists"]),
        ownership=str(data["ownership"]),
        lists_as_of=str(as_of) if as_of is not None else None,
        lists_age_hours=float(age) if age is not None else None,
    )


# --------------------------------------------------------------------------------------------- encode
def ownership_to_json(record: OwnershipRecord) -> bytes:
    """The contract's JSON form of an ownership record (what Redis stores and the topic carries)."""
    return orjson.dumps(record_to_mapping(record))


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
            "lists_as_of": decision.versions.lists_as_of,
            "lists_age_hours": decision.versions.lists_age_hours,
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
    rejected: Rejected,
    max_value_bytes: int = 64 * 1024,
    max_record_bytes: int = DLQ_RECORD_MAX_BYTES,
) -> bytes:
    """A dead-letter record: the original message, where it came from, and why it was rejected.

    It always fits: a value longer than `max_value_bytes` is cut short (with its length and the SHA-256 of
    the whole, so the original can be found and checked), and the cut is shortened further while the
    record, whose JSON escapes can be six times the raw bytes, is over `max_record_bytes`.
    """
    key_text = None
    key_truncated = False
    if key is not None:
        key_truncated = len(key) > _MAX_KEY_BYTES
        key_text = key[:_MAX_KEY_BYTES].decode("utf-8", "replace")
    record: dict[str, Any] = {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "key": key_text,
        "value": None,
        "error": rejected.error[:_MAX_ERROR_CHARS],
        "error_kind": rejected.error_kind,
        "rejected_at": _iso(datetime.now(UTC)),
        "value_length": len(value) if value is not None else None,
        "value_sha256": hashlib.sha256(value).hexdigest() if value is not None else None,
        "value_truncated": False,
        "key_truncated": key_truncated,
    }
    if value is None:
        return orjson.dumps(record)
    cut = max_value_bytes
    while True:
        record["value"] = value[:cut].decode("utf-8", "replace")
        record["value_truncated"] = len(value) > cut
        encoded = orjson.dumps(record)
        if len(encoded) <= max_record_bytes or cut == 0:
            return encoded
        cut //= 2
