"""One ownership validator for the feed, the files and the records read back from Redis; a stored record
that fails it makes the parties whose chain reaches it INVALID, never an exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from screening.adapters.ownership_files import OwnershipFileError, load_ownership_file
from screening.codec import EventDecoder
from screening.domain.model import Party
from screening.domain.ownership import OwnerLink, OwnershipRecord, OwnershipRecordError, record_from_mapping
from screening.domain.profiles import OwnershipSnapshot, OwnershipStatus, party_key
from screening.ports import Rejected
from screening.wire import OwnershipRecordV1


def record(entity_id: str = "sg-1", **fields: Any) -> dict[str, Any]:
    return {"entity_id": entity_id, "name": "Example Holdings", **fields}


BAD = [
    (record(owners=[{"entity_id": "a", "share": 0.7}, {"entity_id": "b", "share": 0.6}]), "add up to 1.3000"),
    (record(owners=[{"entity_id": "a", "share": 0.2}, {"entity_id": "a", "share": 0.2}]), "listed twice"),
    (record(owners=[{"entity_id": "sg-1", "share": 1.0}]), "its own owner"),
    (record(owners=[{"entity_id": "a", "share": 1.5}]), "outside [0, 1]"),
    (record(owners=[{"entity_id": "a", "share": True}]), "must be a number"),
    (record(owners=[{"entity_id": "a\nb"}]), "non-printable"),
    (record(entity_id="x" * 201), "more than 200"),
    (record(name="n" * 513), "more than 512"),
    (record(aliases=["a"] * 21), "21 aliases"),
    (record(owners=[{"entity_id": f"o{i}"} for i in range(101)]), "101 owners"),
    (record(list_entry_ids=["el-1"] * 21), "21 list_entry_ids"),
    (record(list_entry_ids=["e" * 201]), "list_entry_ids[0] is 201 characters"),
    (record(country="Malaysia"), "alpha-2"),
    (record(as_of="20260630"), "ISO date"),
    ({"name": "no id"}, "entity_id is required"),
]


@pytest.mark.parametrize(("data", "problem"), BAD, ids=[problem for _, problem in BAD])
def test_the_feed_the_wire_model_and_the_files_refuse_the_same_records(
    data: dict[str, Any], problem: str, tmp_path: Path
) -> None:
    with pytest.raises(OwnershipRecordError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        record_from_mapping(data)
    decoded = EventDecoder().decode_ownership(orjson.dumps(data))
    assert isinstance(decoded, Rejected) and decoded.error_kind == "schema" and problem in decoded.error
    with pytest.raises(ValueError):
        OwnershipRecordV1.model_validate(data)
    path = tmp_path / "ownership.jsonl"
    path.write_bytes(orjson.dumps(record("ok-1")) + b"\n" + orjson.dumps(data) + b"\n")
    with pytest.raises(OwnershipFileError, match="line 2"):
        load_ownership_file(path)


def test_rounded_percentages_that_add_up_to_a_little_over_one_are_accepted() -> None:
    shares = [{"entity_id": f"o{i}", "share": 0.3334} for i in range(3)]
    assert len(record_from_mapping(record(owners=shares)).owners) == 3


def test_a_feed_record_that_is_not_json_or_not_an_object_is_rejected() -> None:
    decoder = EventDecoder()
    for raw in (b"{broken", b"[1]", b'{"entity_id": "a", "entity_id": "b", "name": "x"}'):
        result = decoder.decode_ownership(raw)
        assert isinstance(result, Rejected), raw


BUYER = Party("Example Buyer Sdn Bhd", "buyer", country="MY", party_id="my-buyer")


def snapshot(invalid: dict[str, str], *records: OwnershipRecord) -> OwnershipSnapshot:
    return OwnershipSnapshot(
        records={r.entity_id: r for r in records},
        resolved={party_key(BUYER): "my-buyer"},
        available=True,
        version="test",
        invalid=invalid,
    )


def test_a_party_whose_chain_reaches_an_invalid_record_is_invalid() -> None:
    buyer = OwnershipRecord("my-buyer", "Example Buyer", owners=(OwnerLink("my-mid", 1.0),))
    mid = OwnershipRecord("my-mid", "Example Mid", owners=(OwnerLink("my-top", 0.6),))
    reaches = snapshot({"my-top": "shares add up to 1.3"}, buyer, mid)
    assert reaches.status_for(BUYER) is OwnershipStatus.INVALID
    assert reaches.invalid_records_for(BUYER) == {"my-top": "shares add up to 1.3"}
    elsewhere = snapshot({"cn-other": "owner listed twice"}, buyer, mid)
    assert elsewhere.status_for(BUYER) is OwnershipStatus.KNOWN
    own = snapshot({"my-buyer": "its own owner"})
    assert own.status_for(BUYER) is OwnershipStatus.INVALID
    cycle = OwnershipRecord("my-mid", "Example Mid", owners=(OwnerLink("my-buyer", 0.6),))
    assert snapshot({"x": "bad"}, buyer, cycle).status_for(BUYER) is OwnershipStatus.KNOWN  # a cycle ends
