"""Decoding under the input limits: strict JSON, every limit a clean rejection that names its subject, and
dead-letter records that always fit."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from screening.codec import DLQ_RECORD_MAX_BYTES, EventDecoder, encode_dlq, received_at_of
from screening.config import LimitsSettings
from screening.kinds import LEASE, ORDER
from screening.ports import DecodedEvent, Rejected
from tests.support import order_event

DECODER = EventDecoder()


def order(**fields: Any) -> bytes:
    data = orjson.loads(order_event("e1", "SO-1"))
    data.update(fields)
    return orjson.dumps(data)


def rejected(raw: bytes, kind: Any = ORDER, **kwargs: Any) -> Rejected:
    decoded = DECODER.decode(kind, raw, **kwargs)
    assert isinstance(decoded, Rejected), decoded
    return decoded


def party(name: str = "Example Co", **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields}


def item(**fields: Any) -> dict[str, Any]:
    return {"line_id": "1", "product": "Office chairs", "quantity": 1, **fields}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"buyer": party("x" * 513)}, "buyer.name: 513 characters"),
        ({"buyer": party(aliases=["a"] * 21)}, "buyer.aliases: 21"),
        ({"buyer": party(aliases=["y" * 600])}, "buyer.aliases[0]"),
        ({"buyer": party(address="z" * 4001)}, "buyer.address"),
        ({"buyer": party(party_id="i" * 201)}, "buyer.party_id"),
        ({"intermediaries": [party() for _ in range(41)]}, "intermediaries: 41"),
        ({"items": [item() for _ in range(201)]}, "201 items"),
        ({"items": [item(quantity=10**9 + 1)]}, "items[0].quantity"),
        ({"items": [item(tpp=1e9 * 1.5)]}, "items[0].tpp"),
        ({"items": [item(die_area_mm2=2e9)]}, "items[0].die_area_mm2"),
        ({"items": [item(memory_bandwidth_gbs=2e9)]}, "items[0].memory_bandwidth_gbs"),
        ({"items": [item(product="p" * 513)]}, "items[0].product"),
        ({"items": [item(line_id="l" * 201)]}, "items[0].line_id"),
        ({"licenses": [{"number": "D1", "type": "license"}] * 51}, "51 licences"),
        ({"end_use": "u" * 4001}, "end_use"),
        ({"event_id": "e" * 201}, "event_id"),
    ],
)
def test_each_limit_is_a_schema_rejection_saying_where(fields: dict[str, Any], where: str) -> None:
    result = rejected(order(**fields))
    assert result.error_kind == "schema"
    assert where in result.error
    if "event_id" not in fields:
        assert (result.event_id, result.subject_id, result.kind) == ("e1", "SO-1", "order")
        assert result.digest  # named: the ledger can tell a redelivery of it


def test_limits_are_settings() -> None:
    roomy = EventDecoder(LimitsSettings(max_name_chars=2000))
    assert isinstance(roomy.decode(ORDER, order(buyer=party("x" * 1500))), DecodedEvent)
    few = EventDecoder(LimitsSettings(max_parties=5))
    crowded = few.decode(ORDER, order(intermediaries=[party() for _ in range(4)]))
    assert isinstance(crowded, Rejected) and "6 parties, more than 5" in crowded.error


def test_an_event_at_every_limit_is_accepted() -> None:
    raw = order(
        buyer=party("x" * 512, aliases=["a" * 512] * 20, address="b" * 4000, party_id="c" * 200),
        intermediaries=[party() for _ in range(40)],
        items=[item(quantity=10**9, tpp=1e9, die_area_mm2=1e9) for _ in range(200)],
        end_use="d" * 4000,
    )
    assert isinstance(DECODER.decode(ORDER, raw), DecodedEvent)


@pytest.mark.parametrize(
    "number",
    [b"9" * 4300, b"9" * 100_000, b"-" + b"9" * 5000, b"1e400", b"-1e400", b"1e-400"],
    ids=["4300 digits", "100k digits", "negative 5000 digits", "1e400", "-1e400", "1e-400"],
)
def test_huge_numbers_are_a_clean_rejection_or_a_bounded_value(number: bytes) -> None:
    for field in (b'"quantity":1', b'"quantity":1,"tpp":1'):
        raw = order_event("e1", "SO-1").replace(b'"quantity":2', field).replace(b":1", b":" + number, 1)
        decoded = DECODER.decode(ORDER, raw)
        if isinstance(decoded, Rejected):
            assert decoded.error_kind == "schema" and decoded.subject_id == "SO-1"
        else:  # 1e-400 reads as 0.0: a bounded value
            assert all(i.quantity <= 10**9 and (i.tpp or 0) <= 1e9 for i in decoded.event.items)


def test_nan_and_infinity_literals_are_not_json() -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        result = rejected(order_event("e1", "SO-1").replace(b'"quantity":2', b'"quantity":' + literal))
        assert result.error_kind == "invalid_json"


def test_a_duplicated_key_is_invalid_and_the_subject_named_when_its_ids_agree() -> None:
    twice = order_event("e1", "SO-1")[:-1] + b',"buyer":{"name":"Other"}}'
    result = rejected(twice)
    assert (result.error_kind, result.event_id, result.subject_id) == ("invalid_json", "e1", "SO-1")
    assert "duplicate key 'buyer'" in result.error
    nested = order_event("e1", "SO-1").replace(b'"country":"DE"', b'"country":"DE","country":"CN"', 1)
    assert "duplicate key 'country'" in rejected(nested).error
    other_subject = order_event("e1", "SO-1")[:-1] + b',"order_id":"SO-2"}'
    assert rejected(other_subject).subject_id is None  # which order is it? none is held


def test_bytes_that_are_not_utf8_or_json_or_too_deep_are_invalid_json() -> None:
    for raw in (b"\xff\xfe{}", b"{not json", b"[" * 100_000 + b"]" * 100_000, b"[1, 2]"):
        assert rejected(raw).error_kind == "invalid_json"
    assert rejected(b"").error_kind == "invalid_json"
    assert DECODER.decode(ORDER, None) == Rejected("empty message value (null)", "invalid_json", kind="order")


def test_a_leading_byte_order_mark_is_allowed() -> None:
    assert isinstance(DECODER.decode(ORDER, b"\xef\xbb\xbf" + order_event("e1", "SO-1")), DecodedEvent)


def test_a_message_over_the_size_limit_is_too_large_and_still_held() -> None:
    raw = order(end_use="x" * 300_000)
    result = rejected(raw)
    assert (result.error_kind, result.subject_id) == ("too_large", "SO-1")


def test_a_header_that_is_not_utf8_makes_the_message_invalid() -> None:
    result = rejected(order_event("e1", "SO-1"), headers=[("ok", b"text"), ("trace", b"\xff")])
    assert (result.error_kind, result.subject_id) == ("invalid_header", "SO-1")
    assert isinstance(DECODER.decode(ORDER, order_event("e1", "SO-1"), headers=[("a", b"b")]), DecodedEvent)


def test_the_content_digest_ignores_key_order_and_spacing_but_not_content() -> None:
    first = DECODER.decode(ORDER, order_event("e1", "SO-1"))
    reordered = DECODER.decode(
        ORDER, orjson.dumps(dict(reversed(orjson.loads(order_event("e1", "SO-1")).items())))
    )
    spaced = DECODER.decode(
        ORDER, orjson.dumps(orjson.loads(order_event("e1", "SO-1")), option=orjson.OPT_INDENT_2)
    )
    other = DECODER.decode(ORDER, order_event("e1", "SO-1", quantity=3))
    assert isinstance(first, DecodedEvent) and isinstance(other, DecodedEvent)
    assert isinstance(reordered, DecodedEvent) and isinstance(spaced, DecodedEvent)
    assert first.digest == reordered.digest == spaced.digest != other.digest


def test_received_at_comes_from_the_record_timestamp() -> None:
    moment = received_at_of(1_764_000_000_123)
    decoded = DECODER.decode(ORDER, order_event("e1", "SO-1"), received_at=moment)
    assert isinstance(decoded, DecodedEvent) and decoded.event.received_at == moment
    assert moment is not None and moment.isoformat() == "2025-11-24T16:00:00.123000+00:00"
    assert received_at_of(-1) is None and received_at_of(0) is None and received_at_of(None) is None


def test_a_lease_without_access_decodes_to_none() -> None:
    raw = orjson.dumps(
        {
            "event_id": "e1",
            "occurred_at": "2026-12-01T10:00:00Z",
            "lease_id": "L-1",
            "lessee": {"name": "Example Co"},
            "resources": [{"product": "NVIDIA A100 80GB", "quantity": 8}],
        }
    )
    decoded = DECODER.decode(LEASE, raw)
    assert isinstance(decoded, DecodedEvent) and decoded.event.access is None  # type: ignore[union-attr]
    assert rejected(raw.replace(b'"lessee"', b'"access":"shared","lessee"'), LEASE).error_kind == "schema"


def test_a_line_is_read_as_the_kind_its_subject_field_names() -> None:
    lease = b'{"event_id": "e1", "lease_id": "L-1", "resources": [{"quantity": 1' + b"0" * 30 + b"}]}"
    result = DECODER.decode_line(lease)
    assert isinstance(result, Rejected) and (result.kind, result.subject_id) == ("lease", "L-1")
    neither = DECODER.decode_line(b'{"event_id": "e1"}')
    assert isinstance(neither, Rejected) and "cannot tell its kind" in neither.error


@pytest.mark.parametrize("value", [bytes(range(32)) * 30_000, b"\xff" * 900_000, b'"\\' * 400_000])
def test_a_dead_letter_always_fits_and_says_what_it_cut(value: bytes) -> None:
    record = encode_dlq("t", 0, 7, b"k" * 5000, value, Rejected("e" * 10_000, "too_large"))
    assert len(record) <= DLQ_RECORD_MAX_BYTES
    data = orjson.loads(record)
    assert data["value_truncated"] is True and data["key_truncated"] is True
    assert data["value_length"] == len(value)
    assert data["value_sha256"] == hashlib.sha256(value).hexdigest()
    assert len(data["error"]) <= 2000


def test_a_small_dead_letter_keeps_the_whole_value() -> None:
    data = orjson.loads(encode_dlq("t", 0, 7, b"SO-1", b"{not json", Rejected("bad", "invalid_json")))
    assert (data["value"], data["value_truncated"], data["key"], data["key_truncated"]) == (
        "{not json",
        False,
        "SO-1",
        False,
    )
