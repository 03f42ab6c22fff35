"""The address index on hand-made list entries, and the address and staleness rules on hand-built contexts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from screening.domain.addresses import AddressIndex, AddressMatch, normalise_address
from screening.domain.lists import ListsFreshness
from screening.domain.names import ScreeningLists
from screening.domain.rules.addresses import AddressMatchRule
from screening.domain.rules.integrity import ListsStaleRule
from tests.rule_contexts import codes, context, entry, item, order, party, run

IFLYTEK = entry(
    "IFLYTEK",
    addresses="National Intelligent Speech High-tech Industrialization Base, No. 666, Wangjiang Road West, "
    "Hefei, Anhui, CN",
)
FRONT_A = entry(
    "Alpha Trading Limited",
    addresses="Room 1905, 19/F, Nam Wo Hong Building, 148 Wing Lok Street, Sheung Wan, HK",
)
FRONT_B = entry(
    "Beta Electronics Co.", addresses="Room 1905, 19/F, Nam Wo Hong Bldg., 148 Wing Lok St., Sheung Wan, HK"
)
MOSCOW = entry("Gamma JSC", source="EL", addresses="26 General Belov Street, Office 415, Moscow, 115583, RU")
VAGUE = entry("Delta LLC", addresses="Tverskaya, RU; Ghazni City, AF")
HAND_MADE = [IFLYTEK, FRONT_A, FRONT_B, MOSCOW, VAGUE]
INDEX: AddressIndex


@pytest.fixture(scope="module", autouse=True)
def index(shipped_lists: ScreeningLists) -> None:
    """The hand-made entries indexed with the shipped list's, so that words weigh what they weigh there."""
    global INDEX
    INDEX = AddressIndex.build([*shipped_lists.entries, *HAND_MADE])


def best(address: str, country: str | None = None) -> tuple[str, float] | None:
    hits = INDEX.match(address, country, floor=0.0)
    return (hits[0].listed.text, round(hits[0].score, 3)) if hits else None


def test_normalisation_reads_numbers_postcodes_abbreviations_and_countries() -> None:
    found = normalise_address("Zastavskaya St. 15-B, Saint Petersburg, 196084, RU")
    assert found.numbers == ("15b",) and found.postcode == "196084" and found.country == "RU"
    assert found.words == ("zastavskaya", "street", "saint", "petersburg")
    assert normalise_address("5F, Bldg. 2, Rm 301").numbers == ("5", "2", "301")
    assert normalise_address("Room 2107, Wanchai, HK").postcode is None  # a room number is no postcode
    assert normalise_address("1 Main Road, London, England").country == "GB"
    assert normalise_address("1 Main Road, London", "us").country == "US"
    chinese = normalise_address("安徽省合肥市望江西路666号")
    assert chinese.numbers == ("666",) and {"wangjiang", "west", "road", "hefei"} <= set(chinese.words)


def test_front_companies_at_one_address_are_one_listed_address() -> None:
    (shared,) = [listed for listed in AddressIndex.build(HAND_MADE).addresses if FRONT_A in listed.entries]
    assert shared.entries == (FRONT_A, FRONT_B)


def test_a_street_or_city_alone_is_too_vague_to_index() -> None:
    alone = AddressIndex.build([VAGUE])
    assert alone.vague == 2 and len(alone) == 0
    assert (best("Moscow", "RU") or ("", 0.0))[1] < 0.9


@pytest.mark.parametrize(
    "given",
    [
        "No. 666 Wangjiang Rd West, Hefei, Anhui",  # the listed campus name left out
        "666 WANGJIANG ROAD WEST HEFEI",
        "Hefei, Wangjiang Road West, 666",
        "安徽省合肥市望江西路666号",
        "Attn: Receiving, No. 666 Wangjiang Road West, Hefei",
    ],
)
def test_ways_of_writing_a_listed_address_match_it(given: str) -> None:
    found = best(given, "CN")
    assert found is not None and found[0].startswith("National Intelligent Speech") and found[1] >= 0.9


def test_another_house_number_or_country_is_not_the_listed_address() -> None:
    assert (best("No. 668 Wangjiang Road West, Hefei", "CN") or ("", 0.0))[1] < 0.9
    assert best("No. 666 Wangjiang Road West, Hefei", "US") is None  # the country gate
    assert (best("26 General Belov Street, Office 21, Moscow", "RU") or ("", 0.0))[1] < 0.9
    other_postcode = INDEX.match("26 General Belov Street, Office 415, Moscow, 115584", "RU", floor=0.0)
    assert all(hit.score < 0.9 for hit in other_postcode if MOSCOW in hit.listed.entries)


def test_a_typo_and_a_missing_postcode_still_match_and_the_evidence_says_why() -> None:
    (hit,) = [
        found
        for found in INDEX.match("26 Generl Belov St, Office 415, Moscow", "RU", floor=0.9)
        if MOSCOW in found.listed.entries
    ]
    why = hit.evidence()["why"]
    assert why["words"]["by_edit"] == ["general"] and why["numbers"]["matched"] == ["26", "415"]
    assert why["postcode"] == {"listed": "115583", "given": None, "agrees": None}
    assert "Gamma JSC" in {found["entry_name"] for found in hit.evidence()["entries"]}


def test_hong_kong_addresses_listed_under_cn_match_a_hong_kong_ship_to() -> None:
    listed = entry(
        "Epsilon Ltd", addresses="Flat 12, 9F Po Hong Kong, 2 Wang Tung Street, Kowloon Bay, Hong Kong, CN"
    )
    hits = AddressIndex.build([listed]).match("Flat 12, 9/F, 2 Wang Tung St, Kowloon Bay", "HK", floor=0.9)
    assert [hit.listed.entries for hit in hits] == [(listed,)]


# ------------------------------------------------------------------------------------------------ rules
def test_address_rule_holds_a_ship_to_address_that_is_listed_with_its_evidence() -> None:
    hit = INDEX.match("148 Wing Lok St, 19/F, Room 1905, Sheung Wan", "HK", floor=0.9)[0]
    event = order(party("Unlisted Buyer Ltd", country="HK"), [item("H100 SXM")], ship_to="HK")
    reasons = run(AddressMatchRule, context(event, address_hits=(AddressMatch("ship_to", None, hit),)))
    assert codes(reasons) == [("ADDRESS_MATCH", "hold")]
    (reason,) = reasons
    assert reason.party_role is None and reason.evidence["where"] == "ship_to"
    assert {FRONT_A.name, FRONT_B.name} <= {found["entry_name"] for found in reason.evidence["entries"]}
    assert reason.evidence["entries_at_address"] >= 2 and reason.evidence["score"] >= 0.9


def test_address_rule_names_the_party_and_ignores_scores_under_the_threshold() -> None:
    strong = INDEX.match("26 General Belov St., Office 415, Moscow 115583", "RU", floor=0.9)[0]
    weak = INDEX.match("26 General Belov Street, Office 19, Moscow", "RU", floor=0.5)[-1]
    assert weak.score < 0.9
    buyer = party("Unlisted Buyer", country="RU")
    event = order(buyer, [item("Laptop", eccn="EAR99")], ship_to="RU")
    held = run(AddressMatchRule, context(event, address_hits=(AddressMatch("party", "buyer", strong),)))
    assert codes(held) == [("ADDRESS_MATCH", "hold")] and held[0].party_role == "buyer"
    assert run(AddressMatchRule, context(event, address_hits=(AddressMatch("party", "buyer", weak),))) == []


def test_lists_stale_rule_holds_past_the_limit_and_on_an_unknown_date() -> None:
    published = datetime(2026, 7, 31, tzinfo=UTC)
    event = order(party("Buyer", country="DE"), [item("Laptop", eccn="EAR99")], ship_to="DE")
    fresh = ListsFreshness.at(published, datetime(2026, 8, 1, 12, tzinfo=UTC), max_age_hours=72)
    stale = ListsFreshness.at(published, datetime(2026, 8, 3, 1, tzinfo=UTC), max_age_hours=72)
    unknown = ListsFreshness.at(None, datetime(2026, 8, 1, tzinfo=UTC), max_age_hours=72)
    unlimited = ListsFreshness.at(published, datetime(2027, 1, 1, tzinfo=UTC), max_age_hours=None)
    assert fresh.age_hours == 36.0 and stale.age_hours == 73.0
    assert run(ListsStaleRule, context(event, lists_freshness=fresh)) == []
    assert run(ListsStaleRule, context(event, lists_freshness=unlimited)) == []
    (reason,) = run(ListsStaleRule, context(event, lists_freshness=stale))
    assert (reason.code, reason.outcome.value) == ("LISTS_STALE", "hold")
    assert reason.evidence == {
        "lists_as_of": "2026-07-31T00:00:00+00:00",
        "lists_age_hours": 73.0,
        "max_age_hours": 72,
    }
    assert codes(run(ListsStaleRule, context(event, lists_freshness=unknown))) == [("LISTS_STALE", "hold")]
