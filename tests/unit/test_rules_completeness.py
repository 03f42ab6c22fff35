"""Completeness rules on hand-built contexts: a missing input a rule needs holds a controlled event."""

from __future__ import annotations

from screening.domain.rules.completeness import DestinationUnknownRule
from tests.rule_contexts import context, item, order, party, run


def test_a_controlled_order_without_a_ship_to_country_is_held() -> None:
    buyer = party("Shanghai Example Compute Co., Ltd.", country="CN", hq="CN")
    (reason,) = run(DestinationUnknownRule, context(order(buyer, [item("H100 SXM")], ship_to=None)))
    assert (reason.code, reason.outcome.value) == ("DESTINATION_UNKNOWN", "hold")
    assert reason.evidence == {"missing": "ship_to_country", "controlled_lines": ["1"]}
    assert run(DestinationUnknownRule, context(order(buyer, [item("H100 SXM")], ship_to="CN"))) == []
    laptop = item("Laptop", eccn="EAR99")
    assert run(DestinationUnknownRule, context(order(buyer, [laptop], ship_to=None))) == []
