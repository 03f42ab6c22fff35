"""Completeness rules on hand-built contexts: a missing input a rule needs holds a controlled event."""

from __future__ import annotations

from screening.domain.profiles import OwnershipStatus
from screening.domain.rules.completeness import (
    AccessModeUnknownRule,
    BandwidthUnknownRule,
    DestinationUnknownRule,
    HardwareLocationUnknownRule,
    OriginUnknownRule,
    PartyLocationUnknownRule,
    UltimateParentUnknownRule,
)
from tests.rule_contexts import codes, context, item, lease, licence, order, party, profile, record, run


def test_a_controlled_order_without_a_ship_to_country_is_held() -> None:
    buyer = party("Shanghai Example Compute Co., Ltd.", country="CN", hq="CN")
    (reason,) = run(DestinationUnknownRule, context(order(buyer, [item("H100 SXM")], ship_to=None)))
    assert (reason.code, reason.outcome.value) == ("DESTINATION_UNKNOWN", "hold")
    assert reason.evidence == {"missing": "ship_to_country", "controlled_lines": ["1"]}
    assert run(DestinationUnknownRule, context(order(buyer, [item("H100 SXM")], ship_to="CN"))) == []
    laptop = item("Laptop", eccn="EAR99")
    assert run(DestinationUnknownRule, context(order(buyer, [laptop], ship_to=None))) == []


def test_a_party_without_a_country_is_held_on_any_event() -> None:
    buyer = party("Example Buyer", country=None)
    (reason,) = run(PartyLocationUnknownRule, context(order(buyer, [item("Laptop", eccn="EAR99")], "DE")))
    assert (reason.code.value, reason.party_role, reason.evidence["missing"]) == (
        "PARTY_LOCATION_UNKNOWN",
        "buyer",
        ["country"],
    )


def test_headquarters_nobody_states_are_held_only_for_controlled_lines() -> None:
    buyer = party("Example Buyer", country="SG")
    assert run(PartyLocationUnknownRule, context(order(buyer, [item("Laptop", eccn="EAR99")], "SG"))) == []
    (reason,) = run(PartyLocationUnknownRule, context(order(buyer, [item("H100 SXM")], "SG")))
    assert reason.evidence["missing"] == ["hq_country"]
    registered = profile(buyer, entity="b", records=[record("b", "Example Buyer", "SG", "SG")])
    assert run(PartyLocationUnknownRule, context(order(buyer, [item("H100 SXM")], "SG"), [registered])) == []
    unavailable = profile(buyer, status=OwnershipStatus.UNAVAILABLE)
    assert run(PartyLocationUnknownRule, context(order(buyer, [item("H100 SXM")], "SG"), [unavailable])) == []


def test_an_ultimate_parent_that_cannot_be_told_is_held_for_controlled_lines() -> None:
    buyer = party("Sub", country="SG", hq="SG")
    event = order(buyer, [item("H100 SXM")], "SG")
    (missing,) = run(UltimateParentUnknownRule, context(event))
    assert missing.evidence["missing"] == "ownership_record"
    chain = [record("s", "Sub", "SG", "SG", [("p", 0.9)])]  # the parent has no record
    (stops,) = run(UltimateParentUnknownRule, context(event, [profile(buyer, entity="s", records=chain)]))
    assert stops.evidence["ultimate_parent"]["stop_reason"] == "missing_record"
    known = [record("s", "Sub", "SG", "SG", [("p", 0.9)]), record("p", "Parent", "JP", "JP")]
    assert run(UltimateParentUnknownRule, context(event, [profile(buyer, entity="s", records=known)])) == []
    laptop = order(buyer, [item("Laptop", eccn="EAR99")], "SG")
    assert run(UltimateParentUnknownRule, context(laptop)) == []


def test_a_controlled_lease_without_hardware_location_or_access_mode_is_held() -> None:
    lessee = party("Lessee", role="lessee", country="SG", hq="SG")
    h100 = [item("H100 SXM", line_id="r1")]
    assert codes(run(HardwareLocationUnknownRule, context(lease(lessee, h100, None, "remote")))) == [
        ("HARDWARE_LOCATION_UNKNOWN", "hold")
    ]
    assert codes(run(AccessModeUnknownRule, context(lease(lessee, h100, "US", None)))) == [
        ("ACCESS_MODE_UNKNOWN", "hold")
    ]
    assert run(AccessModeUnknownRule, context(lease(lessee, h100, "US", "remote"))) == []
    chairs = [item("Office chairs", line_id="r1", eccn="EAR99")]
    assert run(AccessModeUnknownRule, context(lease(lessee, chairs, "US", None))) == []


def test_an_h200_licence_to_china_needs_the_origin() -> None:
    buyer = party("Buyer", country="CN", hq="CN")
    licensed = [licence("D1", "license", "3A090.a", "CN")]
    event = order(buyer, [item("H200")], "CN", ship_from=None, licences=licensed)
    assert codes(run(OriginUnknownRule, context(event))) == [("ORIGIN_UNKNOWN", "hold")]
    assert (
        run(OriginUnknownRule, context(order(buyer, [item("H200")], "CN", ship_from="US", licences=licensed)))
        == []
    )
    assert run(OriginUnknownRule, context(order(buyer, [item("H200")], "CN", ship_from=None))) == []


def test_an_accelerator_of_unknown_memory_bandwidth_to_china_is_held() -> None:
    below_3a090 = {"tpp": 2000.0, "die_area_mm2": 800.0, "datacenter": True}
    buyer = party("Buyer", country="CN", hq="CN")
    unknown = order(buyer, [item("Custom X", **below_3a090)], "CN")
    assert codes(run(BandwidthUnknownRule, context(unknown))) == [("ITEM_BANDWIDTH_UNKNOWN", "hold")]
    known = order(buyer, [item("Custom X", memory_bandwidth_gbs=900.0, **below_3a090)], "CN")
    assert run(BandwidthUnknownRule, context(known)) == []
    elsewhere = order(party("Buyer", country="DE", hq="DE"), [item("Custom X", **below_3a090)], "DE")
    assert run(BandwidthUnknownRule, context(elsewhere)) == []
