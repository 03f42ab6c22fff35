"""List integrity, source dates and the lists' age in decisions (pure parts and in-memory service)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest

from screening.adapters.csl import parse_list_bytes
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.codec import decision_from_mapping, decode_event, encode_decision
from screening.domain.engine import ScreeningEngine
from screening.domain.list_integrity import IntegrityPolicy, ListCounts, integrity_problems
from screening.domain.names import ScreeningLists
from screening.lists_update import ListsRefused, prepare
from screening.resources import SHIPPED_LIST, data_path, load_catalogue, load_ruleset
from screening.service import ScreeningService
from tests.support import order_event

POLICY = IntegrityPolicy(max_entry_loss=0.10, required_sources=("EL", "SDN"))
BASE = ListCounts(1000, {"EL": 300, "SDN": 600, "DPL": 100})
HEADER = '"_id","source","name","alt_names","addresses","type","programs","start_date"\n'


def test_a_version_losing_too_much_or_a_required_list_is_refused() -> None:
    assert integrity_problems(ListCounts(960, {"EL": 290, "SDN": 590, "DPL": 80}), BASE, POLICY) == []
    shrunk = integrity_problems(ListCounts(850, {"EL": 300, "SDN": 500, "DPL": 50}), BASE, POLICY)
    assert shrunk == [
        "entries: 850 against 1000 in the last good version, 15% lost (more than the 10% allowed)",
        "SDN entries: 500 against 600 in the last good version, 17% lost (more than the 10% allowed)",
    ]
    # A list that swaps its Entity List for anything else is refused even at the same size.
    assert integrity_problems(ListCounts(1000, {"SDN": 900, "DPL": 100}), BASE, POLICY) == [
        "the required list EL is missing"
    ]
    assert integrity_problems(ListCounts(0, {}), None, POLICY) == ["the version holds no entries"]
    assert integrity_problems(ListCounts(5, {"EL": 4, "SDN": 1}), None, POLICY) == []  # no baseline


def test_the_source_date_comes_from_the_caller_the_name_the_content_or_the_newest_entry() -> None:
    row = '"1","Entity List (EL) - Bureau of Industry and Security","Acme","","","Entity","","2026-05-02"\n'
    data = (HEADER + row).encode()
    given = datetime(2026, 11, 28, 6, tzinfo=UTC)
    assert (parse_list_bytes(data, "x.csv", given).as_of, parse_list_bytes(data, "x.csv", given).basis) == (
        given,
        "given",
    )
    named = parse_list_bytes(data, "consolidated_2026-07-31.csv")
    assert named.as_of == datetime(2026, 7, 31, tzinfo=UTC) and named.version.startswith("csl:2026-07-31:")
    newest = parse_list_bytes(data, "consolidated.csv")
    assert (newest.as_of, newest.basis) == (datetime(2026, 5, 2, tzinfo=UTC), "newest_entry")
    undated = parse_list_bytes((HEADER + row.replace("2026-05-02", "")).encode(), "consolidated.csv")
    assert (undated.as_of, undated.basis) == (None, "unknown") and undated.version.startswith("csl:unknown:")


def test_a_download_must_parse_and_have_the_official_columns() -> None:
    with pytest.raises(ListsRefused, match="not a CSL CSV"):
        prepare([("consolidated.csv", b"<!DOCTYPE html><html><body>Service Unavailable</body></html>")])
    with pytest.raises(ListsRefused, match="required columns missing: alt_names, addresses"):
        prepare(
            [("c.csv", b'"source","name","type","programs","start_date"\n"EL","Acme","","",""\n')], None, True
        )
    # A file cut in the middle parses (the csv reader takes the cut row as it is): the entries lost refuse it.
    whole = data_path(SHIPPED_LIST).read_bytes()
    cut = prepare([("consolidated.csv", whole[: len(whole) // 2])], None, True)
    problems = integrity_problems(cut.counts, prepare([("consolidated.csv", whole)]).counts, POLICY)
    assert problems and problems[0].startswith("entries: ") and "lost" in problems[0]


def test_decisions_carry_the_lists_age_and_hold_past_the_maximum(shipped_lists: ScreeningLists) -> None:
    ruleset = load_ruleset()
    engine = ScreeningEngine(ruleset, load_catalogue())
    event = decode_event("order", order_event("evt-age", "SO-age", occurred_at="2026-08-03T08:00:00Z"))

    def decide(now: datetime, max_age: float | None) -> dict[str, object]:
        service = ScreeningService(
            engine,
            lambda: shipped_lists,
            InMemoryOwnershipRegistry([]),
            InMemoryDecisionLedger(),
            clock=lambda: now,
            lists_max_age_hours=max_age,
        )
        (decision,) = asyncio.run(service.screen([event]))  # type: ignore[list-item]
        return orjson.loads(encode_decision(decision))  # type: ignore[no-any-return]

    fresh = decide(datetime(2026, 8, 2, 12, tzinfo=UTC), 72)
    assert fresh["outcome"] == "allow"
    assert fresh["versions"]["lists_as_of"] == "2026-07-31T00:00:00Z"  # type: ignore[index]
    assert fresh["versions"]["lists_age_hours"] == 60.0  # type: ignore[index]
    stale = decide(datetime(2026, 8, 3, 9, tzinfo=UTC), 72)
    assert stale["outcome"] == "hold"
    (reason,) = [r for r in stale["reasons"] if r["code"] == "LISTS_STALE"]  # type: ignore[attr-defined]
    assert reason["evidence"] == {
        "lists_as_of": "2026-07-31T00:00:00+00:00",
        "lists_age_hours": 81.0,
        "max_age_hours": 72,
    }
    assert decide(datetime(2026, 8, 3, 9, tzinfo=UTC), None)["outcome"] == "allow"  # no limit


def test_an_order_with_a_ship_date_is_held_at_a_listed_ship_to_address_and_says_the_lists_age(
    shipped_lists: ScreeningLists,
) -> None:
    engine = ScreeningEngine(load_ruleset(), load_catalogue())
    service = ScreeningService(
        engine,
        lambda: shipped_lists,
        InMemoryOwnershipRegistry([]),
        InMemoryDecisionLedger(),
        clock=lambda: datetime(2026, 8, 2, 12, tzinfo=UTC),
        lists_max_age_hours=72,
    )
    raw = order_event(
        "evt-addr-date",
        "SO-addr-date",
        buyer="Harbour Components Trading Ltd",
        country="HK",
        occurred_at="2026-08-01T08:00:00Z",
        ship_date="2026-08-20",
        ship_to_address="Rm 1905, 19/F, Nam Wo Hong Building, 148 Wing Lok Street, Sheung Wang, Hong Kong",
    )
    (decision,) = asyncio.run(service.screen([decode_event("order", raw)]))  # type: ignore[list-item]
    found = orjson.loads(encode_decision(decision))
    assert found["outcome"] == "hold"
    by_code = {reason["code"]: reason for reason in found["reasons"]}
    assert "Sky Rise Technology Ltd." in orjson.dumps(by_code["ADDRESS_MATCH"]["evidence"]).decode()
    assert by_code["DECISION_DATE"]["message"].startswith("decided as of 2026-08-20")
    assert found["versions"]["lists_age_hours"] == 60.0
    # Read back (a review's decision keeps the reviewed one's versions), the lists' date and age stay.
    assert decision_from_mapping(found).versions == decision.versions  # type: ignore[union-attr]
