"""Each rule family on hand-built contexts: a few parties, items and hand-made list hits, no list index.

End-to-end behaviour through the service and the real list lives in `test_rules.py` and the golden files;
here each rule is run alone on exactly the facts the test names.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from screening.domain.model import Accelerator, Item, Outcome
from screening.domain.profiles import OwnershipStatus
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import Scope, combine
from screening.domain.rules.classification import ItemClassificationRule
from screening.domain.rules.destination import (
    DestinationRule,
    H200CaseByCaseRule,
    HeadquartersRule,
    IsInformedRule,
    PrcAdvancedIcRule,
)
from screening.domain.rules.end_use import (
    AiTrainingRule,
    ForwarderFinalDestinationRule,
    IntermediaryHeadquartersRule,
    LargeTrainingRunRule,
    ResellerEndUserRule,
    ShipToMismatchRule,
)
from screening.domain.rules.integrity import EventDateRule, EventIdReusedRule, ListsUnavailableRule
from screening.domain.rules.leases import LeaseTransferRule, LifecycleRule, RemoteAccessRule
from screening.domain.rules.ownership import (
    AffiliatesRule,
    OfacFiftyPercentRule,
    OwnershipDataRule,
    SignificantMinorityRule,
    UnknownShareRule,
)
from screening.domain.rules.parties import ListedPartyRule, NameObfuscatedRule, PartyUnidentifiedRule
from screening.domain.rules.registry import RULES, build_rules, evaluate
from tests.rule_contexts import (
    codes,
    context,
    entry,
    hit,
    item,
    lease,
    licence,
    order,
    party,
    profile,
    record,
    run,
    shipped_ruleset,
)

H100 = item("H100 SXM")
LAPTOP = item("Laptop", eccn="EAR99")


# ------------------------------------------------------------------------------------- classification
def test_a_line_nothing_classifies_is_held() -> None:
    event = order(party("Buyer", country="DE"), [item("Mystery accelerator")], ship_to="DE")
    assert codes(run(ItemClassificationRule, context(event))) == [("CLASSIFICATION_UNKNOWN", "hold")]


def test_a_vendor_eccn_that_disagrees_with_the_parameters_is_held() -> None:
    event = order(party("Buyer", country="DE"), [item("H100 SXM", eccn="EAR99")], ship_to="DE")
    assert codes(run(ItemClassificationRule, context(event))) == [("ECCN_MISMATCH", "hold")]


# ---------------------------------------------------------------------------------------------- lists
def test_strong_match_takes_the_lists_outcome_and_weak_match_is_held() -> None:
    buyer, end_user = party("Acme", country="CN"), party("Acme Two", role="end_user", country="CN")
    listed, held_list = entry("ACME CO", "EL"), entry("ACME TWO", "UVL")
    ctx = context(
        order(buyer, [LAPTOP], ship_to="CN", end_user=end_user),
        [profile(buyer, [hit(listed, "Acme")]), profile(end_user, [hit(held_list, "Acme Two", 0.85, False)])],
    )
    assert codes(run(ListedPartyRule, ctx)) == [("LISTED_PARTY", "deny"), ("POSSIBLE_LIST_MATCH", "hold")]


def test_strong_match_on_a_hold_list_holds() -> None:
    buyer = party("Acme", country="CN")
    ctx = context(order(buyer, [LAPTOP], ship_to="CN"), [profile(buyer, [hit(entry("ACME", "UVL"), "Acme")])])
    assert codes(run(ListedPartyRule, ctx)) == [("LISTED_PARTY", "hold")]


# ------------------------------------------------------------------------------------------ ownership
def _owned(share: float, lists: tuple[str, ...], day: str = "2026-08-01") -> list[tuple[str, str]]:
    buyer = party("Target Sdn Bhd", country="MY", party_id="t")
    records = [
        record("t", "Target Sdn Bhd", "MY", "MY", [("x", share)]),
        record("x", "Listed Owner", "CN", "CN"),
    ]
    ctx = context(
        order(buyer, [LAPTOP], ship_to="MY", day=day),
        [profile(buyer, entity="t", records=records, listed={"x": lists}, day=day)],
    )
    found = []
    for rule in (OfacFiftyPercentRule, AffiliatesRule, SignificantMinorityRule, UnknownShareRule):
        found += codes(run(rule, ctx))
    return found


def test_ofac_fifty_percent_denies_and_the_affiliates_rule_holds_during_its_suspension() -> None:
    # An SDN of a 744.8(a)(1) programme seeds both regimes; any other SDN seeds OFAC's only (§4.2).
    assert _owned(0.6, ("SDN", "SDN:744.8")) == [("OFAC_50", "deny"), ("BIS_AFFILIATES_50", "hold")]
    assert _owned(0.6, ("SDN",)) == [("OFAC_50", "deny")]


def test_affiliates_rule_denies_once_back_in_force() -> None:
    assert _owned(0.5, ("EL",), day="2026-11-10") == [("BIS_AFFILIATES_50", "deny")]


def test_a_listed_minority_owner_is_held() -> None:
    assert _owned(0.3, ("EL",)) == [("SIGNIFICANT_MINORITY", "hold")]


def test_a_listed_owner_of_unknown_share_is_held() -> None:
    buyer = party("Target", country="MY", party_id="t")
    records = [record("t", "Target", "MY", "MY", [("x", None)]), record("x", "Listed", "CN", "CN")]
    ctx = context(
        order(buyer, [LAPTOP], ship_to="MY"),
        [profile(buyer, entity="t", records=records, listed={"x": ("EL",)})],
    )
    assert codes(run(UnknownShareRule, ctx)) == [("OWNERSHIP_UNKNOWN", "hold")]


def test_ownership_data_unavailable_or_missing_for_a_high_risk_party_is_held() -> None:
    buyer, end_user = party("Buyer", country="CN"), party("User", role="end_user", country="DE")
    ctx = context(
        order(buyer, [H100], ship_to="CN", end_user=end_user),
        [profile(buyer), profile(end_user, status=OwnershipStatus.UNAVAILABLE)],
    )
    assert [(r.code.value, r.party_role) for r in run(OwnershipDataRule, ctx)] == [
        ("OWNERSHIP_UNKNOWN", "buyer"),
        ("OWNERSHIP_UNAVAILABLE", "end_user"),
    ]


# ---------------------------------------------------------------------------------------- destination
def test_advanced_computing_to_china_is_denied_and_a_licence_clears_it() -> None:
    buyer = party("Buyer", country="CN")
    assert codes(run(DestinationRule, context(order(buyer, [H100], ship_to="CN")))) == [
        ("DEST_ADV_COMPUTE", "deny")
    ]
    licensed = order(buyer, [H100], ship_to="CN", licences=[licence("D1", "license", "3A090", "CN")])
    assert codes(run(DestinationRule, context(licensed))) == [("DEST_ADV_COMPUTE", "allow")]


def test_the_end_users_country_is_an_onward_destination() -> None:
    event = order(
        party("Reseller", country="SG"),
        [H100],
        ship_to="SG",
        end_user=party("User", role="end_user", country="VN"),
    )
    (reason,) = run(DestinationRule, context(event))
    assert (reason.outcome, reason.evidence["route"]) == (
        Outcome.HOLD,
        {"from": "SG", "to": "VN", "onward": True},
    )


def test_headquarters_in_d5_denies_wherever_the_goods_ship() -> None:
    event = order(party("Buyer", country="SG", hq="CN"), [H100], ship_to="SG")
    assert codes(run(HeadquartersRule, context(event))) == [("HQ_OR_PARENT_D5", "deny")]


def test_ultimate_parent_in_d5_denies() -> None:
    buyer = party("Sub", country="SG", party_id="s")
    records = [record("s", "Sub", "SG", "SG", [("p", 1.0)]), record("p", "Parent", "CN", "CN")]
    ctx = context(order(buyer, [H100], ship_to="SG"), [profile(buyer, entity="s", records=records)])
    (reason,) = run(HeadquartersRule, ctx)
    assert reason.outcome is Outcome.DENY and reason.evidence["ultimate_parent"]["entity_id"] == "p"


def test_is_informed_model_to_china_is_denied_from_9_april_2025() -> None:
    h20 = item("H20")
    buyer = party("Buyer", country="CN")
    assert run(IsInformedRule, context(order(buyer, [h20], ship_to="CN", day="2025-04-08"))) == []
    assert codes(run(IsInformedRule, context(order(buyer, [h20], ship_to="CN", day="2025-04-09")))) == [
        ("IS_INFORMED_WATCHLIST", "deny")
    ]


def test_h200_reexport_with_a_china_licence_is_denied() -> None:
    h200 = item("H200")
    event = order(
        party("Buyer", country="CN"),
        [h200],
        ship_to="CN",
        ship_from="SG",
        licences=[licence("D9", "license", "3A090.a", "CN")],
    )
    assert codes(run(H200CaseByCaseRule, context(event))) == [("H200_CASE_BY_CASE", "deny")]


def test_prc_advanced_ic_declared_for_evaluation_is_held() -> None:
    ascend = item("Ascend 910B")
    buyer = party("Lab", country="DE")
    assert codes(
        run(PrcAdvancedIcRule, context(order(buyer, [ascend], ship_to="DE", end_use="inference")))
    ) == [("PRC_ADV_IC_GP10", "deny")]
    evaluation = order(buyer, [ascend], ship_to="DE", end_use="teardown evaluation")
    assert codes(run(PrcAdvancedIcRule, context(evaluation))) == [("PRC_ADV_IC_GP10", "hold")]


# --------------------------------------------------------------------------------------------- leases
def test_remote_lease_for_a_d5_headquartered_lessee_is_held_and_for_a_listed_one_denied() -> None:
    lessee = party("Lessee", role="lessee", country="US", hq="CN")
    event = lease(lessee, [item("A100", line_id="r1")], hardware="US", access="remote")
    assert codes(run(RemoteAccessRule, context(event))) == [("LEASE_REMOTE_ACCESS_D5", "hold")]
    listed = context(event, [profile(lessee, [hit(entry("LESSEE"), "Lessee")])])
    assert codes(run(RemoteAccessRule, listed)) == [("LEASE_REMOTE_ACCESS_D5", "deny")]


def test_dedicated_lease_abroad_is_explained_as_a_transfer() -> None:
    event = lease(
        party("Lessee", role="lessee", country="MY"), [item("H100", line_id="r1")], "MY", "dedicated"
    )
    assert codes(run(LeaseTransferRule, context(event))) == [("LEASE_OFFSHORE_HARDWARE", "allow")]


def test_termination_alerts_when_a_party_is_now_listed() -> None:
    lessee = party("Lessee", role="lessee", country="CN")
    event = lease(lessee, [item("A100", line_id="r1")], "US", "remote", action="terminate")
    listed = entry("LESSEE", start_date="2025-10-08")
    (reason,) = run(LifecycleRule, context(event, [profile(lessee, [hit(listed, "Lessee")])]))
    assert (
        reason.code is ReasonCode.LEASE_TERMINATED and reason.evidence["alert"] == "party_listed_during_lease"
    )


# ------------------------------------------------------------------------------------ end use, red flags
def test_declared_military_training_is_denied() -> None:
    event = lease(
        party("Lessee", role="lessee", country="US"),
        [item("A100", line_id="r1")],
        "US",
        "remote",
        purpose="train a model for military targeting",
    )
    assert codes(run(AiTrainingRule, context(event))) == [("AI_TRAINING_END_USE", "deny")]


def test_large_training_run_is_logged_with_the_rulesets_outcome() -> None:
    event = lease(
        party("Lab", role="lessee", country="JP"),
        [item("H100", line_id="r1")],
        "US",
        "remote",
        purpose="3e26 FLOP",
    )
    assert codes(run(LargeTrainingRunRule, context(event))) == [("LARGE_TRAINING_RUN", "allow")]


def test_red_flags_of_an_order() -> None:
    forwarder = party(
        "Fast Forwarding", role="intermediary", country="SG", detail="freight_forwarder", hq="CN"
    )
    event = order(
        party("Buyer", country="MY"),
        [H100],
        ship_to="SG",
        intermediaries=[forwarder],
        end_user=party("Distributor", role="end_user", country="MY", detail="reseller"),
    )
    ctx = context(event)
    assert codes(run(ForwarderFinalDestinationRule, ctx)) == [("RF_FREIGHT_FORWARDER_FINAL_DEST", "hold")]
    assert codes(run(ShipToMismatchRule, ctx)) == [("RF_SHIP_TO_MISMATCH", "hold")]
    assert codes(run(ResellerEndUserRule, ctx)) == [("RF_RESELLER_END_USER", "hold")]
    assert codes(run(IntermediaryHeadquartersRule, ctx)) == [("RF_AC_D5_HQ_OR_TIES", "hold")]


def test_no_lists_is_a_hold() -> None:
    event = order(party("Buyer", country="DE"), [LAPTOP], ship_to="DE")
    assert codes(run(ListsUnavailableRule, context(event, lists_available=False))) == [
        ("LISTS_UNAVAILABLE", "hold")
    ]
    assert run(ListsUnavailableRule, context(event)) == []


# ---------------------------------------------------------------------------------------------- combine
def test_a_cancel_keeps_party_findings_downgraded_and_drops_movement_findings() -> None:
    buyer = party("Acme", country="CN")
    event = order(buyer, [H100], ship_to="CN", action="cancel")
    ctx = context(event, [profile(buyer, [hit(entry("ACME"), "Acme")])], lists_available=False)
    reasons, outcome = combine(event, evaluate(build_rules(shipped_ruleset()), ctx))
    assert [(r.code.value, r.outcome.value) for r in reasons] == [
        ("LISTED_PARTY", "allow"),
        ("OWNERSHIP_UNKNOWN", "allow"),
        ("ORDER_CANCELLED", "allow"),
        ("LISTS_UNAVAILABLE", "hold"),
    ]
    assert reasons[0].evidence["outcome_if_active"] == "deny"
    assert outcome is Outcome.HOLD


def test_every_rule_declares_what_it_needs_and_may_say() -> None:
    for rule in RULES:
        assert rule.inputs and rule.codes and rule.citation and rule.name, rule.__name__
        assert isinstance(rule.scope, Scope)
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_the_order_of_the_rules_changes_no_rules_findings() -> None:
    """Each rule reads the same context and never another rule's reasons: shuffling the registry changes
    only the order of reasons."""
    rules = build_rules(shipped_ruleset())
    buyer = party("Acme", country="SG", hq="CN")
    forwarder = party("Fwd", role="intermediary", country="SG", detail="forwarder")
    event = order(buyer, [H100, item("H20", line_id="2")], ship_to="SG", intermediaries=[forwarder])
    ctx = context(event, [profile(buyer, [hit(entry("ACME"), "Acme", 0.85, False)])])
    reference, outcome = combine(event, evaluate(rules, ctx))
    shuffled = list(rules)
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        again, again_outcome = combine(event, evaluate(shuffled, ctx))
        assert sorted(map(repr, again)) == sorted(map(repr, reference)) and again_outcome is outcome


# ------------------------------------------------------------------------------------ R13 is-informed
def _informed(line: Item, ship_to: str = "CN", **kw: Any) -> list[tuple[str, str]]:
    event = order(party("Buyer", country=ship_to), [line], ship_to=ship_to, **kw)
    return codes(run(IsInformedRule, context(event)))


def test_is_informed_models_are_caught_by_name_or_alias_without_a_catalogue_row() -> None:
    assert _informed(item("MI308")) == [("IS_INFORMED_WATCHLIST", "deny")]
    assert _informed(item("AMD Instinct MI308X 192GB")) == [("IS_INFORMED_WATCHLIST", "deny")]
    assert _informed(item("Server", accelerators=(Accelerator("MI309", 8),))) == [
        ("IS_INFORMED_WATCHLIST", "deny")
    ]
    assert _informed(item("MI308"), ship_to="DE") == []
    assert _informed(item("MI300X")) == []  # a 3A090 part: the advanced-computing rules deny it


def test_chips_reaching_the_h20s_memory_bandwidth_are_caught_from_9_april_2025() -> None:
    below_3a090 = {"tpp": 2000.0, "die_area_mm2": 800.0, "datacenter": True}
    assert _informed(item("Custom X", memory_bandwidth_gbs=4000.0, **below_3a090)) == [
        ("IS_INFORMED_WATCHLIST", "deny")
    ]
    assert _informed(item("Custom X", memory_bandwidth_gbs=3999.0, **below_3a090)) == []
    assert _informed(item("Custom X", memory_bandwidth_gbs=4800.0, **below_3a090), day="2025-04-08") == []


def test_h200_is_not_taken_for_the_h20() -> None:
    event = order(party("Buyer", country="CN"), [item("H200")], ship_to="CN")
    assert context(event).watched == (None,)


def test_a_list_without_a_policy_is_never_ignored() -> None:
    buyer = party("Acme", country="CN")
    new_list = entry("ACME", "NEW-LIST")
    ctx = context(order(buyer, [LAPTOP], ship_to="CN"), [profile(buyer, [hit(new_list, "Acme")])])
    (reason,) = run(ListedPartyRule, ctx)
    assert (reason.code.value, reason.outcome.value) == ("LISTED_PARTY", "hold")
    assert reason.evidence["list_policy"] == "none for NEW-LIST: default hold"


# -------------------------------------------------------------------------------------------- integrity
def test_an_invalid_record_on_the_chain_holds() -> None:
    buyer = party("Buyer", country="DE")
    ctx = context(order(buyer, [LAPTOP], "DE"), [profile(buyer, status=OwnershipStatus.INVALID)])
    assert codes(run(OwnershipDataRule, ctx)) == [("OWNERSHIP_INVALID", "hold")]


def test_a_reused_event_id_holds_even_when_nothing_moves() -> None:
    event = order(party("Buyer", country="DE"), [LAPTOP], "DE", action="cancel")
    reasons, outcome = combine(
        event, evaluate(build_rules(shipped_ruleset()), context(event, event_id_reused=True))
    )
    assert ("EVENT_ID_REUSED", "hold") in codes(reasons) and outcome is Outcome.HOLD
    assert run(EventIdReusedRule, context(event)) == []


@pytest.mark.parametrize(
    ("occurred", "received", "decided_on", "held"),
    [
        ("2026-08-01", None, "2026-08-01", False),  # screening check: no received time, no check
        ("2026-08-01", "2026-08-08T09:00:00", "2026-08-01", False),  # exactly 7 days late: plausible
        ("2026-08-01", "2026-08-08T09:00:01", "2026-08-08", True),  # back-dated: today's rules
        ("1970-01-01", "2026-11-30T09:00:00", "2026-11-30", True),
        ("2026-08-02", "2026-08-01T09:00:00", "2026-08-02", False),  # one day ahead: plausible
        ("2026-12-25", "2026-11-30T09:00:00", "2026-12-25", True),  # forward-dated: its own date's rules
    ],
)
def test_an_implausible_event_date_is_decided_as_of_the_later_date_and_held(
    occurred: str, received: str | None, decided_on: str, held: bool
) -> None:
    at = datetime.fromisoformat(f"{received}+00:00") if received else None
    event = order(party("Buyer", country="CN"), [H100], "CN", day=occurred, received=at)
    ctx = context(event)
    assert ctx.on.isoformat() == decided_on
    assert codes(run(EventDateRule, ctx)) == ([("EVENT_DATE_IMPLAUSIBLE", "hold")] if held else [])


def test_a_back_dated_h100_order_to_china_is_judged_by_todays_rules() -> None:
    """1 Oct 2023 was before the A800 became 3A090; received in Nov 2026 it is decided as of then."""
    buyer = party("Buyer", country="CN", hq="CN")
    late = datetime(2026, 11, 30, 9, tzinfo=UTC)
    event = order(buyer, [item("A800")], "CN", day="2023-10-01", received=late)
    reasons, outcome = combine(event, evaluate(build_rules(shipped_ruleset()), context(event)))
    assert ("DEST_ADV_COMPUTE", "deny") in codes(reasons) and ("EVENT_DATE_IMPLAUSIBLE", "hold") in codes(
        reasons
    )
    assert outcome is Outcome.DENY


# ------------------------------------------------------------------------------- disguised and empty names
@pytest.mark.parametrize(
    ("name", "trick"),
    [
        ("Нuаwеі Technologies", "mixed_script"),  # Cyrillic look-alikes in a Latin word
        ("Huawei\u200bTechnologies", "invisible"),  # zero-width space
        ("Huawei\u3164Technologies", "invisible"),  # Hangul filler
        ("\u202eiewauH\u202c Technologies", "bidi"),  # right-to-left override
        ("Huawei&#32;Technologies", "escape"),  # HTML escape
        ("Huawei%20Technologies", "escape"),  # URL escape
    ],
)
def test_a_disguised_name_is_held(name: str, trick: str) -> None:
    buyer = party(name, country="DE")
    (reason,) = run(NameObfuscatedRule, context(order(buyer, [LAPTOP], "DE")))
    assert (reason.code.value, reason.outcome.value) == ("NAME_OBFUSCATED", "hold")
    assert trick in reason.evidence["names"][0]["tricks"]


def test_an_honest_name_in_any_script_is_not_held() -> None:
    for name in ("Huawei Technologies Co., Ltd.", "华为技术有限公司", "Müller GmbH", "Ｈｕａｗｅｉ"):
        assert run(NameObfuscatedRule, context(order(party(name, country="DE"), [LAPTOP], "DE"))) == []


@pytest.mark.parametrize("name", [".", "TBD", "Co., Ltd.", "\u200b", "N/A", "unknown", "XXX", "TBD Ltd."])
def test_a_party_that_identifies_no_one_is_held(name: str) -> None:
    (reason,) = run(PartyUnidentifiedRule, context(order(party(name, country="DE"), [LAPTOP], "DE")))
    assert (reason.code.value, reason.outcome.value) == ("PARTY_UNIDENTIFIED", "hold")


def test_an_alias_that_names_the_party_is_enough() -> None:
    buyer = party("TBD", country="DE", aliases=("Example Berlin Research GmbH",))
    assert run(PartyUnidentifiedRule, context(order(buyer, [LAPTOP], "DE"))) == []


def test_headquarters_stated_on_the_event_cannot_talk_the_registrys_away() -> None:
    buyer = party("Sub", country="SG", hq="DE", party_id="s")
    registered = profile(buyer, entity="s", records=[record("s", "Sub", "SG", "CN")])
    (reason,) = run(HeadquartersRule, context(order(buyer, [H100], ship_to="SG"), [registered]))
    assert (reason.outcome, reason.evidence) == (Outcome.DENY, {"headquarters_country": "CN"})
