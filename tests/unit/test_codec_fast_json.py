"""The fast JSON reader of the event path gives exactly what the strict reader gives, or steps aside: every
duplicated key, long integer and text the strict reader reads otherwise goes to the strict reader."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.codec import EventDecoder, JsonError, _parse_fast, content_digest, parse_json
from screening.kinds import ORDER
from screening.ports import DecodedEvent, Rejected
from tests.support import order_event

_TEXT = st.text(alphabet=st.sampled_from('ab:":\\\u00e9\u4e2d\ud83d\ude00\n\x00 /u'), max_size=8)
_NUMBER = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25),
    st.floats(allow_nan=False, allow_infinity=False),
)
_LEAF = st.one_of(st.none(), st.booleans(), _NUMBER, _TEXT)


def _pairs(children: Any) -> Any:
    """Objects as key/value pair lists, so a key may come twice."""
    return st.lists(st.tuples(st.sampled_from(["a", "b", "a:b", ":", "c"]) | _TEXT, children), max_size=4)


_VALUE = st.recursive(
    _LEAF, lambda children: st.lists(children, max_size=3) | _pairs(children), max_leaves=12
)


def _write(value: Any, ensure_ascii: bool) -> str:
    """JSON text of a value whose objects are pair lists (written as objects, duplicates and all)."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        members = (f"{json.dumps(k, ensure_ascii=ensure_ascii)}:{_write(v, ensure_ascii)}" for k, v in value)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_write(v, ensure_ascii) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


def _strict(raw: bytes) -> Any:
    try:
        return ("ok", parse_json(raw))
    except JsonError as error:
        return ("error", type(error))


@settings(max_examples=400, deadline=None)
@given(_VALUE, st.booleans())
def test_the_fast_reader_reads_what_the_strict_one_reads_or_steps_aside(value: Any, ascii_only: bool) -> None:
    raw = _write(value, ascii_only).encode("utf-8", "surrogatepass")
    fast = _parse_fast(raw)
    if fast is None:
        return
    data, canonical = fast
    strict = _strict(raw)
    assert strict[0] == "ok", "the fast reader accepted what the strict one refuses"
    assert repr(data) == repr(strict[1])  # repr: -0.0 vs 0.0 and int vs float count too
    assert canonical == orjson.dumps(strict[1], option=orjson.OPT_SORT_KEYS)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40) | st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_the_fast_reader_accepts_the_strict_one_reads_the_same(raw: bytes) -> None:
    fast = _parse_fast(raw)
    if fast is not None:
        assert _strict(raw) == ("ok", fast[0]) or repr(_strict(raw)[1]) == repr(fast[0])


def test_every_duplicated_key_goes_to_the_strict_reader() -> None:
    for raw in (
        b'{"a":1,"a":1}',
        b'{"a":{"b":":","b":":"}}',
        b'{"a":"x","a":"y:"}',
        b'{"a":"\\u003a","a":"x"}',  # an escaped colon must not make up for the dropped key
        b'{"a":"\\u003A:","a":"x","b":":"}',
        b'[{"k":1},{"k":2,"k":2}]',
    ):
        assert _parse_fast(raw) is None, raw
        try:
            parse_json(raw)
        except JsonError as error:
            assert "duplicate key" in str(error)
        else:
            raise AssertionError(f"strict reader accepted {raw!r}")


def test_long_integers_a_byte_order_mark_and_lone_surrogates_go_to_the_strict_reader() -> None:
    for raw in (
        b"[1234567890123456789]",
        b"[-1234567890123456789]",
        b"[99999999999999999999999]",
        b'["1234567890123456789"]',
        b"\xef\xbb\xbf{}",
        b'["\\ud800"]',
    ):
        assert _parse_fast(raw) is None, raw
    assert _parse_fast(b"[123456789012345678]") == ([123456789012345678], b"[123456789012345678]")


def test_an_event_decodes_the_same_through_either_reader() -> None:
    decoder = EventDecoder()
    raw = order_event("e1", "SO-1")
    fast = decoder.decode(ORDER, raw)
    assert isinstance(fast, DecodedEvent)
    strict_only = raw.replace(b'"e1"', b'"e1\\u003a"', 1)  # the escaped colon forces the strict reader
    assert _parse_fast(strict_only) is None
    strict = decoder.decode(ORDER, strict_only)
    assert isinstance(strict, DecodedEvent)
    assert strict.digest == content_digest(parse_json(strict_only))
    assert fast.digest == content_digest(parse_json(raw))
    assert fast.event == decoder.decode(ORDER, raw.replace(b"{", b" {", 1)).event  # type: ignore[union-attr]
    twice = raw[:-1] + b',"buyer":{"name":"Other"}}'
    rejected = decoder.decode(ORDER, twice)
    assert isinstance(rejected, Rejected) and "duplicate key 'buyer'" in rejected.error
