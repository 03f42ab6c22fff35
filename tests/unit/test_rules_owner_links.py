"""Owners are on a list by evidence (a link on their record, or exact identity), not by a look-alike."""

from __future__ import annotations

import orjson
import pytest

from screening.codec import decode_ownership
from screening.domain.list_links import ListIdentities, identity_key, owner_list_status
from screening.domain.ownership import record_from_mapping, record_to_mapping
from screening.domain.profiles import PartyProfile
from screening.domain.rules.ownership import OwnerListReviewRule
from tests.rule_contexts import context, entry, hit, item, order, party, profile, record, run

EL_SENSETIME = entry("Beijing Sensetime Technology Development Co., Ltd.", "EL", countries=("CN",))
CMIC_GROUP = entry("Sensetime Group Limited", "CMIC", countries=("CN",))
EL_HUAWEI = entry("Huawei Technologies Co., Ltd.", "EL", countries=("HK", "CN"))
EL_IFLYTEK = entry("IFLYTEK", "EL", countries=("CN",), alt_names=("iFlytek Co., Ltd.",))
IDENTITIES = ListIdentities.build([EL_SENSETIME, CMIC_GROUP, EL_HUAWEI, EL_IFLYTEK])


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("IFLYTEK CO., LTD.", "iFlytek", True),
        ("HUAWEI TECHNOLOGIES CO LTD", "Huawei Technologies Co., Ltd.", True),
        ("Ｈｕａｗｅｉ Technologies", "huawei technologies", True),  # full-width letters (NFKC)
        ("SenseTime Group Limited", "Sensetime Group Ltd", True),
        ("SenseTime Group Limited", "Beijing Sensetime Technology Development Co., Ltd.", False),
        ("Shangtang Technology Group", "Beijing Shangtang Technology Development", False),
        ("Co., Ltd.", "Limited", True),  # nothing distinctive left: the key is empty and never matches
    ],
)
def test_identity_key(one: str, other: str, same: bool) -> None:
    assert (identity_key(one) == identity_key(other)) is same


def test_exact_identity_needs_a_shared_country_when_both_state_one() -> None:
    assert IDENTITIES.same_entity(record("x", "Huawei Technologies Co., Ltd.", "CN", "CN")) == [EL_HUAWEI]
    assert IDENTITIES.same_entity(record("x", "Huawei Technologies Co., Ltd.", "HK")) == [EL_HUAWEI]
    assert IDENTITIES.same_entity(record("x", "Huawei Technologies Co., Ltd.", "NL", "NL")) == []
    assert IDENTITIES.same_entity(record("x", "Huawei Technologies Co., Ltd.")) == [EL_HUAWEI]
    assert IDENTITIES.same_entity(record("x", "", aliases=("Co., Ltd.",))) == []


def test_a_look_alike_owner_is_reviewed_not_listed() -> None:
    group = record("g", "SenseTime Group Limited", "KY", "HK", aliases=("Shangtang Technology Group",))
    status = owner_list_status(group, IDENTITIES, [hit(EL_SENSETIME, "Shangtang Technology Group", 0.93)])
    assert status.listed == {"CMIC"} and status.identical == (CMIC_GROUP.entry_id,)
    (review,) = status.review
    assert (review.basis, review.entry_id) == ("strong name match without a link", EL_SENSETIME.entry_id)


def test_a_link_on_the_record_makes_the_owner_listed_and_a_dangling_link_is_reviewed() -> None:
    linked = record("b", "Banco Nacional Cuba Panama", "PA", list_entry_ids=(EL_SENSETIME.entry_id, "gone"))
    weak = hit(EL_SENSETIME, "Banco Nacional Cuba Panama", 0.85, strong=False)
    status = owner_list_status(linked, IDENTITIES, [weak])
    assert status.listed == {"EL"} and status.linked == (EL_SENSETIME.entry_id,)
    assert [(r.basis, r.entry_id) for r in status.review] == [
        ("linked entry not in the loaded lists", "gone")
    ]


def test_further_look_alikes_on_a_list_the_owner_is_on_add_nothing() -> None:
    huawei = record("h", "Huawei Technologies Co., Ltd.", "CN", "CN")
    other_el = entry("Huawei Technologies Co., Ltd. (Huawei). Affiliated Entity: X", "EL", countries=("CN",))
    status = owner_list_status(huawei, IDENTITIES, [hit(other_el, "Huawei Technologies Co., Ltd.", 0.95)])
    assert status.listed == {"EL"} and status.review == ()


def test_the_review_rule_holds_with_the_owner_the_entry_and_the_score() -> None:
    buyer = party("Shangtang Technology (Singapore) Pte. Ltd.", country="SG", party_id="s")
    group = record("g", "SenseTime Group Limited", "KY", "HK", aliases=("Shangtang Technology Group",))
    status = owner_list_status(group, IDENTITIES, [hit(EL_SENSETIME, "Shangtang Technology Group", 0.93)])
    base = profile(buyer, entity="s", records=[record("s", buyer.name, "SG", "SG", [("g", 1.0)]), group])
    reviewed = PartyProfile(
        party=base.party,
        hits=(),
        entity=base.entity,
        ownership_status=base.ownership_status,
        ownership=base.ownership,
        owner_reviews=status.review,
    )
    (reason,) = run(
        OwnerListReviewRule, context(order(buyer, [item("Laptop", eccn="EAR99")], "SG"), [reviewed])
    )
    assert (reason.code.value, reason.outcome.value, reason.party_role) == (
        "OWNER_POSSIBLE_LIST_MATCH",
        "hold",
        "buyer",
    )
    assert reason.evidence["owner"] == {"entity_id": "g", "name": "SenseTime Group Limited"}
    (match,) = reason.evidence["matches"]
    assert match["list_hit"]["score"] == 0.93 and match["list_hit"]["entry_name"] == EL_SENSETIME.name


def test_the_link_travels_through_files_the_feed_and_the_store() -> None:
    data = {"entity_id": "b", "name": "Banco Nacional Cuba Panama", "list_entry_ids": ["e-1", "e-2"]}
    assert record_from_mapping(data).list_entry_ids == ("e-1", "e-2")
    assert record_to_mapping(record_from_mapping(data))["list_entry_ids"] == ["e-1", "e-2"]
    assert "list_entry_ids" not in record_to_mapping(record_from_mapping({"entity_id": "b", "name": "B"}))
    assert decode_ownership(orjson.dumps(data)).list_entry_ids == ("e-1", "e-2")
