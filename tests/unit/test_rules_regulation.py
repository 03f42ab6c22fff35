"""The rules read against regulation.md, line by line: each test quotes the line it follows.

Every quoted line is checked to be in `docs/regulation.md`, so a test cannot drift from the text it cites.
The contexts are hand-built (`tests.rule_contexts`); where a rule needs the engine's own matching (the
UAE supplement's names), the engine decides with no control lists loaded, and only the rule under test is
looked at.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.list_links import SDN_744_8, seed_codes
from screening.domain.model import Outcome
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.reasons import ReasonCode
from screening.domain.rules.destination import (
    NAMED_RECIPIENTS,
    DestinationRule,
    HeadquartersRule,
    IsInformedRule,
    PrcAdvancedIcRule,
)
from screening.domain.rules.end_use import AiTrainingRule
from screening.domain.rules.leases import LifecycleRule, RemoteAccessRule
from screening.domain.rules.ownership import AffiliatesParams, AffiliatesRule, OwnerListReviewRule
from screening.domain.rules.parties import ListedPartyRule
from tests.rule_contexts import (
    codes,
    context,
    entry,
    hit,
    item,
    lease,
    order,
    party,
    profile,
    record,
    run,
    shipped_catalogue,
    shipped_ruleset,
)

REGULATION = (Path(__file__).resolve().parents[2] / "docs" / "regulation.md").read_text(encoding="utf-8")


def quoted(line: str) -> str:
    """`line`, after checking that regulation.md says it word for word."""
    assert line in REGULATION, f"not in regulation.md: {line!r}"
    return line


# ------------------------------------------------------------------------------------------- UAE (§3.5)
UAE_RELIEF = quoted(
    "The UAE government and entities listed in a new supplement (G42, Core42 and UAE subsidiaries of "
    "U.S.-HQ'd AI firms) may receive advanced-computing items without a licence."
)
UAE_HQ_RULE = quoted("The D:5/Macau-HQ licence requirement still applies.")
B200_SERVER = item("HGX B200 8-GPU server")


def _uae_order(buyer: str, day: str = "2026-08-15", hq: str | None = None) -> list[tuple[str, str]]:
    """R04's and R05's reasons for a B200 server shipped to `buyer` in the UAE, decided by the engine (so
    that the supplement's names are matched as any list is)."""
    engine = ScreeningEngine(shipped_ruleset(), shipped_catalogue())
    event = order(party(buyer, country="AE", hq=hq), [B200_SERVER], ship_to="AE", day=day)
    snapshot = OwnershipSnapshot(records={}, resolved={}, available=True, version="none")
    decision = engine.decide(event, BatchContext(lists=None, ownership=snapshot), datetime.now(UTC))
    wanted = {ReasonCode.DEST_ADV_COMPUTE, ReasonCode.HQ_OR_PARENT_D5}
    return [(r.code.value, r.outcome.value) for r in decision.reasons if r.code in wanted]


@pytest.mark.parametrize("buyer", ["Core42", "Group 42 Holding Ltd", "UAE Government"])
def test_the_uae_government_and_the_supplements_entities_need_no_licence_from_10_july_2026(
    buyer: str,
) -> None:
    """§3.5: UAE_RELIEF (quoted above)"""
    assert UAE_RELIEF
    assert _uae_order(buyer) == [("DEST_ADV_COMPUTE", "allow")]
    # The day before the UAE joined A:5 it was D:4 for everyone: licence or ACA.
    assert _uae_order(buyer, day="2026-07-09") == [("DEST_ADV_COMPUTE", "hold")]


def test_any_other_uae_recipient_is_screened_as_before_the_change() -> None:
    """§3.5 relieves only the named recipients; anyone else in the UAE keeps the D:4 treatment (licence
    or ACA: hold), with the reason saying why."""
    assert _uae_order("Example Abu Dhabi Trading LLC") == [("DEST_ADV_COMPUTE", "hold")]
    event = order(
        party("Example Abu Dhabi Trading LLC", country="AE"), [B200_SERVER], ship_to="AE", day="2026-08-15"
    )
    (reason,) = run(DestinationRule, context(event))
    assert reason.outcome is Outcome.HOLD
    assert reason.evidence["named_recipients_only"] == {"since": "2026-07-10", "not_named": ["buyer"]}


def test_a_named_buyer_with_an_unnamed_end_user_is_still_held() -> None:
    buyer = party("Core42", country="AE")
    end_user = party("Example Abu Dhabi Trading LLC", role="end_user", country="AE")
    event = order(buyer, [B200_SERVER], ship_to="AE", day="2026-08-15", end_user=end_user)
    named = replace(
        profile(buyer),
        named_recipient_hits=(hit(entry("Core42", source=NAMED_RECIPIENTS, countries=("AE",)), "Core42"),),
    )
    (reason,) = run(DestinationRule, context(event, [named]))
    assert reason.outcome is Outcome.HOLD
    assert reason.evidence["named_recipients_only"]["not_named"] == ["end_user"]


def test_the_d5_headquarters_rule_still_applies_to_a_named_uae_recipient() -> None:
    """§3.5: UAE_HQ_RULE (quoted above)"""
    assert UAE_HQ_RULE
    assert _uae_order("Core42", hq="CN") == [("DEST_ADV_COMPUTE", "allow"), ("HQ_OR_PARENT_D5", "deny")]


# --------------------------------------------------------------------------- Affiliates seeds (§4.2)
AFFILIATES_SDN_SEEDS = quoted("SDNs designated under the programmes listed in §744.8(a)(1);")


def test_only_sdns_of_the_744_8_programmes_seed_the_affiliates_rule() -> None:
    """§4.2: the Affiliates rule's seeds are EL, MEU and AFFILIATES_SDN_SEEDS (quoted above)"""
    programs = shipped_ruleset().params(AffiliatesParams).sdn_programs
    assert {"SDGT", "NPWMD", "FTO", "RUSSIA-EO14024"} <= programs
    proliferator = entry("LIMMT", source="SDN", programs=("NPWMD", "IFSR"))
    cuban_bank = entry("BANCO NACIONAL DE CUBA", source="SDN", programs=("CUBA",))
    assert seed_codes([proliferator], programs) == {"SDN", SDN_744_8}
    assert seed_codes([cuban_bank], programs) == {"SDN"}
    assert seed_codes([entry("Huawei", source="EL")], programs) == {"EL"}
    assert shipped_ruleset().params(AffiliatesParams).seed_lists == {"EL", "MEU", SDN_744_8}


@pytest.mark.parametrize(
    ("lists", "found"), [(("SDN",), []), (("SDN", SDN_744_8), [("BIS_AFFILIATES_50", "deny")])]
)
def test_an_sdn_outside_those_programmes_owns_no_affiliate(
    lists: tuple[str, ...], found: list[tuple[str, str]]
) -> None:
    buyer = party("Target Sdn Bhd", country="MY", party_id="t")
    records = [record("t", "Target Sdn Bhd", "MY", "MY", [("x", 0.6)]), record("x", "Owner", "CU", "CU")]
    day = "2026-12-01"  # the Affiliates rule is back in force
    ctx = context(
        order(buyer, [item("Laptop", eccn="EAR99")], ship_to="MY", day=day),
        [profile(buyer, entity="t", records=records, listed={"x": lists}, day=day)],
    )
    assert codes(run(AffiliatesRule, ctx)) == found


# ------------------------------------------------------------------------------------- NS-CMIC (§0)
CMIC_NOT_EXPORT = quoted(
    "On 10 Dec 2021 OFAC put SenseTime on the NS-CMIC list. That list restricts securities investment; "
    "it is **not** an export-screening list."
)


@pytest.mark.parametrize("strong", [True, False])
def test_an_ns_cmic_match_is_recorded_for_the_reviewer_not_held(strong: bool) -> None:
    """§0: CMIC_NOT_EXPORT (quoted above)"""
    assert CMIC_NOT_EXPORT
    buyer = party("SenseTime Group Limited", country="HK")
    listed = entry("Sensetime Group Limited", source="CMIC")
    ctx = context(
        order(buyer, [item("Laptop", eccn="EAR99")], ship_to="HK"),
        [profile(buyer, [hit(listed, buyer.name, strong=strong)])],
    )
    (reason,) = run(ListedPartyRule, ctx)
    assert (reason.code, reason.outcome) == (ReasonCode.NON_EXPORT_LIST_MATCH, Outcome.ALLOW)
    assert reason.evidence["list_hit"]["list"] == "CMIC"
    assert "no export consequence" in reason.message


def test_an_ns_cmic_listed_party_raises_no_alert_at_lease_end() -> None:
    lessee = party("SenseTime Group Limited", role="lessee", country="HK")
    listed = entry("Sensetime Group Limited", source="CMIC")
    ctx = context(
        lease(lessee, [item("A100")], "US", "remote", action="terminate"),
        [profile(lessee, [hit(listed, lessee.name)])],
    )
    (reason,) = run(LifecycleRule, ctx)
    assert "ALERT" not in reason.message


def test_an_owners_ns_cmic_look_alike_is_not_held() -> None:
    from screening.domain.list_links import OwnerListMatch

    buyer = party("Example Buyer Pte. Ltd.", country="SG")
    look_alike = OwnerListMatch(
        "ky-x",
        "X Group",
        "strong name match without a link",
        "e1",
        hit(entry("X Group", source="CMIC"), "X Group"),
    )
    ctx = context(
        order(buyer, [item("Laptop", eccn="EAR99")], ship_to="SG"),
        [replace(profile(buyer), owner_reviews=(look_alike,))],
    )
    assert run(OwnerListReviewRule, ctx) == []


# ------------------------------------------------------------------------------ GP10 (§5.4, §8 R15)
GP10_SCOPE = quoted(
    "**GP10 guidance on PRC advanced-computing ICs.** Covers Ascend 910B/910C/910D and any PRC-designed "
    "3A090 IC (§3.5). Evaluation-only purchases are excepted."
)
GP10_RULE = quoted("Item is a PRC-designed 3A090-level IC (Ascend 910B/C/D etc.)")


@pytest.mark.parametrize(
    ("product", "found"),
    [
        ("Huawei Ascend 910B", [("PRC_ADV_IC_GP10", "deny")]),  # named by the guidance
        ("Ascend 910B3", [("PRC_ADV_IC_GP10", "deny")]),  # a variant of a named model
        ("Ascend 910C", [("PRC_ADV_IC_GP10", "deny")]),
        ("Ascend 910", [("PRC_ADV_IC_GP10", "hold")]),  # the 2019 chip: 3A090-level, not named: review
        ("T-Head Hanguang 800", [("PRC_ADV_IC_GP10", "hold")]),  # likewise
        ("Ascend 310", []),  # PRC-designed, not 3A090: outside the guidance
        ("NVIDIA H100 SXM", []),  # not PRC-designed
    ],
)
def test_gp10_denies_the_models_the_guidance_names_and_holds_other_prc_3a090_ics(
    product: str, found: list[tuple[str, str]]
) -> None:
    """§5.4: GP10_SCOPE and §8 R15: GP10_RULE (quoted above) → deny. The guidance names the 910B/C/D as
    likely made in breach of the EAR; for another PRC-designed 3A090 IC that is a fact to review."""
    assert GP10_SCOPE and GP10_RULE
    buyer = party("Example Research Lab GmbH", country="DE")
    ctx = context(order(buyer, [item(product)], ship_to="DE", end_use="production inference"))
    assert codes(run(PrcAdvancedIcRule, ctx)) == found


def test_gp10_names_the_model_in_the_evidence() -> None:
    buyer = party("Example Research Lab GmbH", country="DE")
    named = run(PrcAdvancedIcRule, context(order(buyer, [item("Ascend 910B2")], ship_to="DE")))
    unnamed = run(PrcAdvancedIcRule, context(order(buyer, [item("Ascend 910")], ship_to="DE")))
    assert named[0].evidence["named_in_guidance"] == "Ascend 910B"
    assert unnamed[0].evidence["named_in_guidance"] is None


# -------------------------------------------------------------------- Cambodia's review window (§7)
CAMBODIA_WINDOW = quoted(
    "Between those dates a careful screener should not rely on either answer alone: treat KH in that "
    "window as D:1 and flag it for review."
)
IN_WINDOW, BEFORE_WINDOW = "2026-01-15", "2025-11-01"


@pytest.mark.parametrize(
    ("day", "outcome", "review"), [(BEFORE_WINDOW, "deny", False), (IN_WINDOW, "hold", True)]
)
def test_r13_holds_an_is_informed_chip_to_cambodia_in_its_review_window(
    day: str, outcome: str, review: bool
) -> None:
    """§7: CAMBODIA_WINDOW (quoted above) — R13 as R04/R05: hold, not deny, in the window."""
    assert CAMBODIA_WINDOW
    ctx = context(
        order(party("Example Phnom Penh Co., Ltd.", country="KH"), [item("H20")], ship_to="KH", day=day)
    )
    (reason,) = run(IsInformedRule, ctx)
    assert reason.outcome.value == outcome
    assert ("country_group_review" in reason.evidence) is review
    # R04 and R05 agree on the same line.
    assert {r.outcome.value for r in run(DestinationRule, ctx) + run(HeadquartersRule, ctx)} <= {
        outcome,
        "allow",
    }


def test_r13_still_denies_when_china_reaches_the_line_too() -> None:
    buyer = party("Example Phnom Penh Co., Ltd.", country="KH", hq="CN")
    ctx = context(order(buyer, [item("H20")], ship_to="KH", day=IN_WINDOW))
    (reason,) = run(IsInformedRule, ctx)
    assert reason.outcome is Outcome.DENY


def test_r17_holds_and_flags_a_cambodian_lessee_in_the_window() -> None:
    lessee = party("Example Cambodia Cloud Co., Ltd.", role="lessee", country="KH")
    ctx = context(lease(lessee, [item("A100")], "US", "remote", day=IN_WINDOW))
    (reason,) = run(RemoteAccessRule, ctx)
    assert reason.outcome is Outcome.HOLD
    assert reason.evidence["country_group_review"]["group"] == "D5"


def test_r18_holds_and_flags_training_for_a_cambodian_party_in_the_window() -> None:
    lessee = party("Example Cambodia Cloud Co., Ltd.", role="lessee", country="KH")
    ctx = context(lease(lessee, [item("A100")], "KH", "dedicated", day=IN_WINDOW, purpose="model training"))
    (reason,) = run(AiTrainingRule, ctx)
    assert reason.outcome is Outcome.HOLD
    assert reason.evidence["country_group_review"]["effective"] == "2026-02-03"


# -------------------------------------------------------------------------- R18 end-use terms (§8)
R18_TRIGGER = quoted(
    "Declared or inferred training for military-intelligence or WMD end users, or for D:5-HQ'd parties "
    "where such use is known or suspected"
)


@pytest.mark.parametrize(
    "purpose",
    [
        "training models for the People's Liberation Army",
        "training models for the People’s Liberation Army",
        "fine-tuning a model for PLA logistics",
        "training models for the PLA and grading PLA filament",
        "training for the ministry of defence",
        "pre-training for a defense contractor",
        "training a military targeting model",
        "training for military-intelligence analysts",
        "training for an intelligence agency",
        "training for the intelligence services",
        "train a weapons-guidance model",
        "training for missile design",
        "training a SIGINT triage model",
    ],
)
def test_r18_denies_training_declared_for_a_military_or_intelligence_end_use(purpose: str) -> None:
    """§8 R18: R18_TRIGGER (quoted above) → known: deny."""
    assert R18_TRIGGER
    lessee = party("Example Lab K.K.", role="lessee", country="JP")
    ctx = context(lease(lessee, [item("H100 SXM")], "US", "remote", purpose=purpose))
    assert codes(run(AiTrainingRule, ctx)) == [("AI_TRAINING_END_USE", "deny")]


@pytest.mark.parametrize(
    "purpose",
    [
        "training a recommendation platform",
        "training to plan delivery routes",
        "fine-tuning an explanation model for radiology",
        "artificial intelligence training for customer support",
        "training a business intelligence dashboard model",
        "training a defenseless-species habitat model",
        "training models that apply for loans",
        "training a vision model to grade PLA filament for 3D printers",
        "fine-tuning a defect detector for PLA printing and PLA packaging film",
    ],
)
def test_r18_leaves_innocent_words_alone(purpose: str) -> None:
    lessee = party("Example Lab K.K.", role="lessee", country="JP")
    ctx = context(lease(lessee, [item("H100 SXM")], "US", "remote", purpose=purpose))
    assert run(AiTrainingRule, ctx) == []
