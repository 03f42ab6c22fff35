"""Ownership arithmetic (regulation.md §4) and the ownership file readers.

OFAC FAQ 401, the Affiliates rule's chains, exposure short of control, unknowns and the ultimate parent;
then the readers on the real data in tests/data/ownership.
"""

from __future__ import annotations

import importlib.util
import json
import tomllib
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from screening.adapters.ownership_files import (
    OwnershipFileError,
    load_ownership_file,
    parse_ownership_lines,
    read_ownership_file,
    read_ownership_lines,
)
from screening.domain.ownership import (
    OwnerLink,
    OwnershipFinding,
    OwnershipPolicy,
    OwnershipRecord,
    OwnershipRecordError,
    analyse,
    record_from_mapping,
    record_to_mapping,
    stale_records,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "ownership"
RULESET = ROOT / "services" / "screening" / "data" / "ruleset.toml"

SEEDS = {"OFAC": frozenset({"SDN"}), "BIS": frozenset({"EL", "MEU", "SDN"})}
POLICY = OwnershipPolicy()


def entity(entity_id: str, *owners: tuple[str, float | None], **fields: Any) -> OwnershipRecord:
    """A registry record owned by `owners` given as (owner id, share) pairs."""
    links = tuple(OwnerLink(owner, share) for owner, share in owners)
    return OwnershipRecord(
        entity_id=entity_id, name=fields.pop("name", entity_id.upper()), owners=links, **fields
    )


def run(
    root: str, records: list[OwnershipRecord], listed: dict[str, set[str]], **kwargs: Any
) -> OwnershipFinding:
    """Analyse `root` over `records` with `listed` list codes; owners without a record are leaves."""
    registry = {record.entity_id: record for record in records}
    codes = {entity_id: frozenset(lists) for entity_id, lists in listed.items()}
    return analyse(root, registry, codes, kwargs.pop("policy", POLICY), SEEDS, **kwargs)


def leaves(*ids: str) -> list[OwnershipRecord]:
    """Records without owners (listed parties at the top of a graph)."""
    return [entity(entity_id) for entity_id in ids]


# ----------------------------------------------------------------------------------------------------
# OFAC FAQ 401, regulation.md §4.1


def test_faq401_example1_blocks_through_a_blocked_intermediate_although_the_product_is_25_percent() -> None:
    finding = run("b", [entity("a", ("x", 0.5)), entity("b", ("a", 0.5)), *leaves("x")], {"x": {"SDN"}})
    ofac = finding.regime("OFAC")
    assert ofac.restricted
    assert ofac.aggregate_share == pytest.approx(0.5)
    assert ofac.multiplicative_exposure == pytest.approx(0.25)
    assert [(owner.entity_id, owner.share, owner.directly_listed) for owner in ofac.restricted_owners] == [
        ("a", 0.5, False)
    ]


def test_faq401_example2_aggregates_two_blocked_intermediates() -> None:
    records = [
        entity("a", ("x", 0.5)),
        entity("b", ("x", 0.5)),
        entity("c", ("a", 0.25), ("b", 0.25)),
        *leaves("x"),
    ]
    ofac = run("c", records, {"x": {"SDN"}}).regime("OFAC")
    assert ofac.restricted
    assert ofac.aggregate_share == pytest.approx(0.5)
    assert {owner.entity_id for owner in ofac.restricted_owners} == {"a", "b"}


def test_faq401_example3_adds_a_direct_stake_to_a_blocked_intermediates_stake() -> None:
    records = [entity("a", ("x", 0.5)), entity("b", ("x", 0.1), ("a", 0.4)), *leaves("x")]
    ofac = run("b", records, {"x": {"SDN"}}).regime("OFAC")
    assert ofac.restricted
    assert ofac.aggregate_share == pytest.approx(0.5)
    assert {(owner.entity_id, owner.directly_listed) for owner in ofac.restricted_owners} == {
        ("x", True),
        ("a", False),
    }


def test_faq401_example4_ignores_stakes_held_by_intermediates_that_are_not_blocked() -> None:
    records = [
        entity("a", ("x", 0.25)),
        entity("b", ("x", 0.25)),
        entity("c", ("a", 0.5), ("b", 0.5)),
        *leaves("x"),
    ]
    ofac = run("c", records, {"x": {"SDN"}}).regime("OFAC")
    assert not ofac.restricted
    assert ofac.aggregate_share == 0.0
    assert ofac.restricted_owners == ()


# ----------------------------------------------------------------------------------------------------
# Thresholds: scenarios 14-18


def test_exactly_50_percent_in_aggregate_restricts_because_the_test_is_at_least() -> None:
    finding = run("t", [entity("t", ("a", 0.3), ("b", 0.2)), *leaves("a", "b")], {"a": {"EL"}, "b": {"EL"}})
    bis = finding.regime("BIS")
    assert bis.restricted
    assert bis.aggregate_share == pytest.approx(0.5)
    assert not bis.significant_minority
    assert not finding.regime("OFAC").restricted


def test_shares_that_sum_to_half_in_floating_point_noise_still_restrict() -> None:
    # 0.1 + 0.2 + 0.2 is 0.5000000000000001 with plain addition and 0.49999... in other orders.
    records = [entity("t", ("a", 0.2), ("b", 0.1), ("c", 0.2)), *leaves("a", "b", "c")]
    assert run("t", records, {"a": {"SDN"}, "b": {"SDN"}, "c": {"SDN"}}).regime("OFAC").restricted


def test_49_9_percent_is_not_restricted_but_is_a_significant_minority() -> None:
    finding = run("t", [entity("t", ("a", 0.299), ("b", 0.2)), *leaves("a", "b")], {"a": {"EL"}, "b": {"EL"}})
    bis = finding.regime("BIS")
    assert not bis.restricted
    assert bis.aggregate_share == pytest.approx(0.499)
    assert bis.significant_minority
    assert "aggregate" in bis.minority_basis
    assert finding.significant_minority
    assert finding.listed_aggregate == pytest.approx(0.499)


def test_shares_aggregate_across_different_lists() -> None:
    finding = run("t", [entity("t", ("a", 0.3), ("b", 0.2)), *leaves("a", "b")], {"a": {"EL"}, "b": {"MEU"}})
    bis = finding.regime("BIS")
    assert bis.restricted
    assert bis.lists == ("EL", "MEU")


def test_chain_of_60_and_90_percent_is_restricted_and_multiplicative_agrees() -> None:
    finding = run("b", [entity("a", ("x", 0.6)), entity("b", ("a", 0.9)), *leaves("x")], {"x": {"SDN"}})
    ofac = finding.regime("OFAC")
    assert ofac.restricted
    assert ofac.aggregate_share == pytest.approx(0.9)
    assert ofac.multiplicative_exposure == pytest.approx(0.54)


def test_chain_of_50_and_50_percent_is_restricted_by_the_fixed_point_though_the_product_is_25() -> None:
    finding = run("b", [entity("a", ("x", 0.5)), entity("b", ("a", 0.5)), *leaves("x")], {"x": {"SDN"}})
    ofac = finding.regime("OFAC")
    assert ofac.restricted
    assert ofac.multiplicative_exposure == pytest.approx(0.25)
    assert not ofac.significant_minority  # restricted outright: a minority hold would be beside the point


def test_three_level_chain_from_a_listed_top_is_restricted_with_its_path_as_evidence() -> None:
    records = [
        entity("l1", ("top", 1.0), name="Level One"),
        entity("l2", ("l1", 0.6), name="Level Two"),
        entity("buyer", ("l2", 0.8), name="Buyer Sdn Bhd"),
        entity("top", name="Listed Top"),
    ]
    finding = run("buyer", records, {"top": {"EL"}})
    bis = finding.regime("BIS")
    assert bis.restricted
    assert bis.aggregate_share == pytest.approx(0.8)
    assert bis.multiplicative_exposure == pytest.approx(0.48)
    assert bis.lists == ("EL",)
    assert [(owner.entity_id, owner.lists, owner.directly_listed) for owner in bis.restricted_ancestors] == [
        ("l2", ("EL",), False),
        ("l1", ("EL",), False),
        ("top", ("EL",), True),
    ]
    assert finding.evidence()["regimes"]["BIS"]["ownership_paths"] == [
        [
            {"entity_id": "buyer", "name": "Buyer Sdn Bhd", "share": 0.8},
            {"entity_id": "l2", "name": "Level Two", "share": 0.6},
            {"entity_id": "l1", "name": "Level One", "share": 1.0},
            {"entity_id": "top", "name": "Listed Top"},
        ]
    ]
    assert not finding.regime("OFAC").restricted


# ----------------------------------------------------------------------------------------------------
# Exposure short of control: scenarios 19 and 20


def test_scenario19_ignored_intermediates_are_not_blocked_but_the_25_percent_look_through_is_held() -> None:
    # Regulation §9 #19 expects "hold (multiplicative 25%; significant-minority flag)". The fixed-point
    # aggregate is 0, so the 25% significant-minority threshold is applied to the look-through exposure.
    records = [
        entity("a", ("x", 0.25)),
        entity("b", ("x", 0.25)),
        entity("c", ("a", 0.5), ("b", 0.5)),
        *leaves("x"),
    ]
    ofac = run("c", records, {"x": {"SDN"}}).regime("OFAC")
    assert not ofac.restricted
    assert ofac.aggregate_share == 0.0
    assert ofac.multiplicative_exposure == pytest.approx(0.25)
    assert ofac.significant_minority
    assert ofac.minority_basis == ("multiplicative",)
    assert len(ofac.exposure_paths) == 2


def test_scenario20_multiplicative_75_percent_above_a_26_percent_fixed_point_is_a_hold() -> None:
    records = [entity("a", ("x", 0.49)), entity("c", ("a", 1.0), ("x", 0.26)), *leaves("x")]
    finding = run("c", records, {"x": {"EL"}})
    bis = finding.regime("BIS")
    assert not bis.restricted
    assert bis.aggregate_share == pytest.approx(0.26)
    assert bis.multiplicative_exposure == pytest.approx(0.75)
    assert bis.significant_minority
    assert bis.minority_basis == ("aggregate", "multiplicative", "multiplicative_hold")
    assert not finding.regime("OFAC").significant_minority  # X is on the Entity List only
    assert finding.multiplicative_exposure == pytest.approx(0.75)


def test_small_listed_stakes_are_not_a_significant_minority() -> None:
    finding = run("t", [entity("t", ("a", 0.1), ("b", 0.9)), *leaves("a", "b")], {"a": {"SDN"}})
    assert not finding.significant_minority


def test_a_listed_stake_is_counted_once_not_again_through_its_listed_owner() -> None:
    records = [entity("y", ("x", 1.0)), entity("t", ("y", 0.3)), *leaves("x")]
    bis = run("t", records, {"x": {"SDN"}, "y": {"EL"}}).regime("BIS")
    assert bis.multiplicative_exposure == pytest.approx(0.3)


# ----------------------------------------------------------------------------------------------------
# Cycles, unknowns, missing and stale data


def test_a_cycle_of_owners_terminates_and_propagates_restriction_around_it() -> None:
    records = [
        entity("a", ("b", 0.6), ("x", 0.5)),
        entity("b", ("a", 0.6)),
        entity("c", ("a", 1.0)),
        *leaves("x"),
    ]
    finding = run("c", records, {"x": {"SDN"}})
    ofac = finding.regime("OFAC")
    assert ofac.restricted
    assert {owner.entity_id for owner in ofac.restricted_ancestors} == {"a", "b", "x"}
    assert ofac.multiplicative_exposure == pytest.approx(0.5)


def test_a_cycle_without_listed_owners_terminates_unrestricted() -> None:
    finding = run("a", [entity("a", ("b", 1.0)), entity("b", ("a", 1.0))], {})
    assert not finding.restricted
    assert finding.ultimate_parent is not None
    assert finding.ultimate_parent.stop_reason == "cycle"
    assert finding.ultimate_parent.entity_id == "b"


def test_a_listed_owner_with_an_unknown_share_is_recorded_as_unknown() -> None:
    # Scenario 22: a reseller discloses Huawei (EL) as "a shareholder" without the share.
    records = [entity("reseller", ("huawei", None), ("founder", 0.6)), *leaves("huawei", "founder")]
    finding = run("reseller", records, {"huawei": {"EL"}})
    assert [(u.owner_id, u.owned_id, u.regimes, u.lists) for u in finding.unknown_share_owners] == [
        ("huawei", "reseller", ("BIS",), ("EL",))
    ]
    assert not finding.regime("BIS").restricted
    assert finding.regime("BIS").exposure_incomplete


def test_an_unknown_share_further_up_the_chain_is_recorded_too() -> None:
    records = [entity("a", ("x", None)), entity("t", ("a", 1.0)), *leaves("x")]
    finding = run("t", records, {"x": {"SDN"}})
    assert [(u.owner_id, u.owned_id) for u in finding.unknown_share_owners] == [("x", "a")]
    assert finding.regime("OFAC").exposure_incomplete
    assert finding.regime("OFAC").multiplicative_exposure == 0.0


def test_an_unknown_share_of_an_unlisted_owner_is_not_a_listed_unknown() -> None:
    finding = run("t", [entity("t", ("a", None)), *leaves("a")], {})
    assert finding.unknown_share_owners == ()


def test_owners_without_a_record_are_reported_missing() -> None:
    finding = run("t", [entity("t", ("ghost", 0.7))], {})
    assert finding.missing_records == ("ghost",)
    assert finding.root_known


def test_a_root_without_a_record_is_reported_missing_and_has_no_parent() -> None:
    finding = run("nobody", [], {})
    assert not finding.root_known
    assert finding.missing_records == ("nobody",)
    assert finding.ultimate_parent is None
    assert not finding.restricted


def test_the_roots_own_listing_is_reported_but_left_to_the_list_rule() -> None:
    finding = run("t", [entity("t")], {"t": {"EL", "UVL"}})
    assert finding.root_listed == ("EL", "UVL")
    assert not finding.regime("BIS").restricted


def test_owners_beyond_the_depth_cap_are_not_followed_and_the_cut_is_reported() -> None:
    records = [entity("e0", ("e1", 1.0)), entity("e1", ("e2", 1.0)), entity("e2", ("x", 1.0)), *leaves("x")]
    finding = run("e0", records, {"x": {"SDN"}}, policy=OwnershipPolicy(max_depth=2))
    assert finding.truncated == ("e2",)
    assert not finding.regime("OFAC").restricted
    assert run("e0", records, {"x": {"SDN"}}, policy=OwnershipPolicy(max_depth=3)).regime("OFAC").restricted


def test_records_older_than_the_allowed_age_are_stale_and_exactly_that_age_is_not() -> None:
    records = [
        entity("fresh", as_of=date(2026, 7, 1)),
        entity("edge", as_of=date(2025, 6, 27)),  # 400 days before 2026-08-01
        entity("old", as_of=date(2025, 6, 26)),
        entity("undated"),
    ]
    on = date(2026, 8, 1)
    assert stale_records(records, on, 400) == ("old",)
    assert stale_records(records, on, 400, include_undated=True) == ("old", "undated")


def test_analysis_reports_stale_and_undated_records_among_the_root_and_its_ancestors() -> None:
    records = [
        entity("t", ("p", 1.0), as_of=date(2026, 6, 30)),
        entity("p", ("q", 1.0), as_of=date(2024, 1, 1)),
        entity("q"),
        entity("unrelated", as_of=date(2020, 1, 1)),
    ]
    finding = run("t", records, {}, as_of_date=date(2026, 8, 1))
    assert finding.stale_records == ("p",)
    assert finding.undated_records == ("q",)


# ----------------------------------------------------------------------------------------------------
# Ultimate parent (R05 input)


def test_ultimate_parent_climbs_sg_hk_cn_and_reports_china_headquarters() -> None:
    # Scenario 10: a Singapore buyer 100% owned by a Hong Kong holding, 100% owned by a Beijing parent.
    records = [
        entity("sg", ("hk", 1.0), country="SG", name="Example (Singapore) Pte. Ltd."),
        entity("hk", ("bj", 1.0), country="HK", name="Example Holdings (HK) Limited"),
        entity("bj", country="CN", name="Beijing Example Technology Co., Ltd."),
    ]
    parent = run("sg", records, {}).ultimate_parent
    assert parent is not None
    assert (parent.entity_id, parent.headquarters_country, parent.stop_reason) == ("bj", "CN", "top")
    assert [(step.entity_id, step.share) for step in parent.path] == [("sg", 1.0), ("hk", 1.0), ("bj", None)]


def test_a_hong_kong_ultimate_parent_counts_as_headquartered_in_china() -> None:
    records = [entity("sg", ("hk", 0.8), country="SG"), entity("hk", country="HK")]
    parent = run("sg", records, {}).ultimate_parent
    assert parent is not None
    assert parent.headquarters_country == "CN"


def test_headquarters_prefers_hq_country_over_country() -> None:
    assert entity("ky", country="KY", hq_country="HK").headquarters_country == "CN"
    assert entity("sg", country="SG").headquarters_country == "SG"
    assert entity("unknown").headquarters_country is None


def test_ultimate_parent_follows_an_owner_of_exactly_half_only_when_no_one_else_can_match_it() -> None:
    follows = run("t", [entity("t", ("a", 0.5), ("b", 0.3)), *leaves("a", "b")], {}).ultimate_parent
    assert follows is not None and follows.entity_id == "a"
    tie = run("t", [entity("t", ("a", 0.5), ("b", 0.5)), *leaves("a", "b")], {})
    assert tie.ultimate_parent is None
    assert not tie.parent_unresolved


def test_ultimate_parent_stops_on_an_unknown_share_and_says_so() -> None:
    finding = run("t", [entity("t", ("p", None)), entity("p", country="CN")], {})
    assert finding.ultimate_parent is None
    assert finding.parent_unresolved


def test_ultimate_parent_without_a_record_has_unknown_headquarters() -> None:
    finding = run("t", [entity("t", ("p", 0.9))], {})
    parent = finding.ultimate_parent
    assert parent is not None
    assert (parent.entity_id, parent.name, parent.headquarters_country) == ("p", None, None)
    assert parent.stop_reason == "missing_record"
    assert finding.parent_unresolved


# ----------------------------------------------------------------------------------------------------
# Evidence and policy


def test_evidence_is_json_and_names_listed_owners_with_their_lists() -> None:
    records = [entity("t", ("a", 0.3), ("b", 0.2), name="Target"), *leaves("a", "b")]
    evidence = run("t", records, {"a": {"EL", "CMIC"}, "b": {"SDN"}}).evidence()
    assert json.loads(json.dumps(evidence)) == evidence
    assert evidence["listed_owners"] == [
        {"entity_id": "a", "name": "A", "lists": ["CMIC", "EL"]},
        {"entity_id": "b", "name": "B", "lists": ["SDN"]},
    ]
    assert evidence["regimes"]["BIS"]["restricted"] is True
    assert evidence["regimes"]["BIS"]["owner_lists"] == ["EL", "SDN"]
    assert evidence["regimes"]["OFAC"]["aggregate_share"] == 0.2


def test_policy_reads_the_rulesets_ownership_table() -> None:
    table = tomllib.loads(RULESET.read_text(encoding="utf-8"))["ownership"]
    policy = OwnershipPolicy.from_mapping(table)
    assert policy.control_threshold == table["control_threshold"]
    assert policy.significant_minority == table["significant_minority"]
    assert policy.max_depth == table["max_depth"]
    assert policy.stale_after_days == table["stale_after_days"]


@pytest.mark.parametrize(
    "table",
    [{"control_threshold": "0.5"}, {"max_depth": 1.5}, {"max_depth": True}, {"significant_minority": 0.6}],
)
def test_policy_rejects_values_of_the_wrong_type_or_range(table: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OwnershipPolicy.from_mapping(table)


# ----------------------------------------------------------------------------------------------------
# record_from_mapping: the contract's ownership record


CONTRACT_EXAMPLE = {
    "entity_id": "sg-201912345K",
    "name": "Shangtang Technology (Singapore) Pte. Ltd.",
    "aliases": ["SenseTime Singapore"],
    "country": "SG",
    "hq_country": "SG",
    "owners": [{"entity_id": "ky-sensetime-group", "share": 1.0}],
    "as_of": "2026-06-30",
    "source": "company registry",
}


def test_the_contract_example_round_trips() -> None:
    record = record_from_mapping(CONTRACT_EXAMPLE)
    assert record.owners == (OwnerLink("ky-sensetime-group", 1.0),)
    assert record.as_of == date(2026, 6, 30)
    assert record_to_mapping(record) == CONTRACT_EXAMPLE


def test_a_null_or_absent_share_is_unknown_and_unknown_fields_are_ignored() -> None:
    data = {
        "entity_id": "x",
        "name": "X",
        "owners": [{"entity_id": "a", "share": None}, {"entity_id": "b"}],
        "new": 1,
    }
    assert record_from_mapping(data).owners == (OwnerLink("a", None), OwnerLink("b", None))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"entity_id": None}, "entity_id"),
        ({"name": ""}, "name"),
        ({"owners": [{"entity_id": "a", "share": 1.5}]}, "outside [0, 1]"),
        ({"owners": [{"entity_id": "a", "share": -0.1}]}, "outside [0, 1]"),
        ({"owners": [{"entity_id": "a", "share": 51}]}, "outside [0, 1]"),
        ({"owners": [{"entity_id": "a", "share": "0.5"}]}, "must be a number"),
        ({"owners": [{"entity_id": "a", "share": True}]}, "must be a number"),
        ({"owners": [{"share": 0.5}]}, "entity_id"),
        ({"owners": [{"entity_id": "a", "share": 0.4}, {"entity_id": "a", "share": 0.1}]}, "twice"),
        ({"owners": [{"entity_id": "a", "share": 0.7}, {"entity_id": "b", "share": 0.7}]}, "add up"),
        ({"owners": {"entity_id": "a"}}, "owners must be a list"),
        ({"as_of": "2026-13-01"}, "not a valid ISO date"),
        ({"as_of": "30/06/2026"}, "ISO date"),
        ({"as_of": "2026-06-30T00:00:00Z"}, "ISO date"),
        ({"country": "CHN"}, "alpha-2"),
        ({"aliases": "SenseTime"}, "aliases"),
        ({"source": 7}, "source"),
    ],
)
def test_record_from_mapping_rejects_records_that_break_the_contract(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(OwnershipRecordError, match=message.replace("[", r"\[").replace("]", r"\]")):
        record_from_mapping({**CONTRACT_EXAMPLE, **change})


def test_record_from_mapping_rejects_what_is_not_an_object() -> None:
    with pytest.raises(OwnershipRecordError):
        record_from_mapping(["not", "a", "record"])  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------
# Ownership files: contract JSONL and FollowTheMoney, on real data


def test_the_followthemoney_sample_loads_companies_and_ownership_but_not_unknown_links() -> None:
    load = read_ownership_file(DATA / "ftm_ownership_cn_tech_sample.jsonl")
    records = {record.entity_id: record for record in load.records}
    assert len(records) == 44
    assert load.unknown_links == 3
    assert records["wd-Q41567675"].name == "Huawei Technologies (France)"
    assert records["wd-Q41567675"].owners == (OwnerLink("wd-Q160120", None),)
    # The OFAC "Linked To" links among Huawei entities are associations, not ownership.
    assert records["ofac-32087"].owners == ()
    assert records["ofac-30947"].owners == ()
    hgnh = records["lei-3003005JY7KTP8L48N10"]
    assert (hgnh.country, hgnh.aliases) == ("HK", ("HGNH INTERNATIONAL FINANCIAL CORPORATION LIMITED",))
    assert hgnh.owners == (OwnerLink("lei-30030096HNNZNN7BZK36", None),)
    # Two Wikidata edges with and without a start date are one owner.
    assert records["wd-Q17297596"].owners == (OwnerLink("wd-Q860580", None),)


def test_a_hypothetically_listed_parent_in_the_ftm_sample_makes_its_subsidiaries_shares_unknown() -> None:
    # Tencent is not on the Entity List; it is marked here only to exercise real graph shapes.
    records = {
        record.entity_id: record
        for record in load_ownership_file(DATA / "ftm_ownership_cn_tech_sample.jsonl")
    }
    listed = {"wd-Q860580": frozenset({"EL"})}
    finding = analyse("wd-Q22098668", records, listed, POLICY, SEEDS)
    assert {(u.owner_id, u.owned_id) for u in finding.unknown_share_owners} == {
        ("wd-Q860580", "wd-Q22098668"),
        ("wd-Q860580", "wd-Q39057776"),
    }
    assert not finding.regime("BIS").restricted
    assert finding.parent_unresolved  # Wikidata gives no percentages


def test_the_wikidata_chinese_subset_loads_as_contract_records() -> None:
    records = {record.entity_id: record for record in load_ownership_file(DATA / "wikidata_cn_edges.jsonl")}
    assert len(records) == 112
    assert records["wd-Q1438774"].name == "Supercell"
    assert records["wd-Q1438774"].owners == (OwnerLink("wd-Q860580", None),)
    assert records["wd-Q860580"].owners == ()  # owners get records, so chains have a known top
    assert {owner.entity_id for owner in records["wd-Q22098668"].owners} == {"wd-Q860580", "wd-Q39057776"}
    assert all(owner.share is None for record in records.values() for owner in record.owners)
    finding = analyse("wd-Q97300197", records, {}, POLICY, SEEDS, as_of_date=date(2026, 8, 1))
    assert finding.missing_records == ()
    assert set(finding.stale_records) == {"wd-Q97300197", "wd-Q39057776", "wd-Q860580"}


def _converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "wikidata_edges_to_jsonl", ROOT / "scripts" / "wikidata_edges_to_jsonl.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edge(owned: str, owned_label: str, owner: str, owner_label: str, **extra: str) -> dict[str, str]:
    row = {"owned_qid": owned, "owned_label": owned_label, "owner_qid": owner, "owner_label": owner_label}
    return {"start_date": "", "query_country_qid": "Q148", **row, **extra}


def test_the_wikidata_converter_keeps_a_given_share_and_creates_owner_records() -> None:
    rows = [
        _edge("Q2", "Sub", "Q1", "Parent", share="0.6"),
        _edge("Q2", "Sub", "Q1", "Parent", start_date="2020-01-01T00:00:00Z", share=""),
        _edge("Q9", "", "Q8", "", query_country_qid="Q30"),
    ]
    records = _converter().convert(rows, country_qid="Q148")
    assert [(r["entity_id"], r["name"], r["owners"]) for r in records] == [
        ("wd-Q2", "Sub", [{"entity_id": "wd-Q1", "share": 0.6}]),
        ("wd-Q1", "Parent", []),
    ]


def _ftm(entity_id: str, schema: str, **properties: list[str]) -> str:
    return json.dumps({"id": entity_id, "schema": schema, "properties": properties})


def test_contract_records_and_ftm_entities_mix_in_one_file() -> None:
    lines = [
        json.dumps({"entity_id": "t", "name": "Target", "owners": [{"entity_id": "p", "share": 0.3}]}),
        "",
        _ftm("own-1", "Ownership", owner=["x"], asset=["y"], percentage=["51%"]),
        _ftm("own-2", "Ownership", owner=["z"], asset=["y"], endDate=["2020"]),
        _ftm("y", "Company", name=["Why Ltd", "Y Limited"], jurisdiction=["gb"]),
        _ftm("x", "Person", name=["Mr X"]),
        _ftm("s-1", "Sanction", entity=["x"]),
    ]
    load = read_ownership_lines(lines)
    records = {record.entity_id: record for record in load.records}
    assert list(records) == ["t", "y", "x"]
    assert records["y"].owners == (OwnerLink("x", 0.51),)
    assert (records["y"].name, records["y"].aliases, records["y"].country) == (
        "Why Ltd",
        ("Y Limited",),
        "GB",
    )
    assert (load.ended_ownerships, dict(load.ignored)) == (1, {"Sanction": 1})
    assert parse_ownership_lines(lines) == list(load.records)


def test_an_ownership_whose_asset_has_no_entity_gets_a_stub_record() -> None:
    line = json.dumps({"id": "o", "schema": "Ownership", "properties": {"owner": ["x"], "asset": ["y"]}})
    load = read_ownership_lines([line])
    assert load.records == (OwnershipRecord("y", "y", owners=(OwnerLink("x", None),)),)
    assert load.stub_records == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"entity_id": "t", "name": "T", "owners": [{"entity_id": "p", "share": 2}]}', r"line 2: .*outside"),
    ],
)
def test_a_bad_line_fails_the_file_naming_the_line(line: str, message: str) -> None:
    good = json.dumps({"entity_id": "ok", "name": "OK"})
    with pytest.raises(OwnershipFileError, match=message):
        parse_ownership_lines([good, line])
