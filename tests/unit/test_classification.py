"""Classification of lines (R01-R03) and product-string resolution against the shipped catalogue."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from screening.domain.catalogue import Catalogue, Chip
from screening.domain.classification import (
    CLASSIFICATION_UNKNOWN,
    ECCN_MISMATCH,
    ClassificationRules,
    ItemResult,
    classify_item,
)
from screening.domain.model import Accelerator, Item, Outcome

DATA = Path(__file__).resolve().parents[2] / "services" / "screening" / "data"
TODAY = date(2026, 8, 1)  # regulation.md §9's default event date


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.from_csv_text((DATA / "catalogue.csv").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules() -> ClassificationRules:
    ruleset = tomllib.loads((DATA / "ruleset.toml").read_text(encoding="utf-8"))
    return ClassificationRules.from_mapping(ruleset["classification"]["periods"])


def _catalogue_chips() -> list[Chip]:
    return list(Catalogue.from_csv_text((DATA / "catalogue.csv").read_text(encoding="utf-8")).chips)


def classify(
    catalogue: Catalogue, rules: ClassificationRules, product: str, on: date = TODAY, **fields: object
) -> ItemResult:
    return classify_item(Item(line_id="1", product=product, quantity=1, **fields), catalogue, rules, on)  # type: ignore[arg-type]


def codes(result: ItemResult) -> list[str]:
    return [reason.code for reason in result.reasons]


# ---------------------------------------------------------------------------------------------------
# Every row of chips_tpp_2026.csv (our table) with the ECCN regulation.md §2 expects, as of 1 Aug 2026.
EXPECTED_2026 = {
    "A100": "3A090.a",
    "A800": "3A090.a",
    "H100 SXM": "3A090.a",
    "H100 PCIe": "3A090.a",
    "H800 SXM": "3A090.a",
    "H200": "3A090.a",
    "H20": None,  # TPP 2368 < 2400 and PD 2.91 < 3.2
    "L40S": "3A090.a",
    "L40": "3A090.b",  # TPP 2896, PD 4.76
    "L20": None,  # PD 3.14, just under b.2's 3.2
    "L4": "3A090.a",  # a.2: TPP 1940, PD 6.59
    "L2": None,  # TPP 1544 < 1600
    "GeForce RTX 4090": "3A090.a",  # consumer but TPP >= 4800
    "GeForce RTX 4090 D": None,  # Note 2
    "GeForce RTX 4080": None,  # Note 2
    "B200": "3A090.a",
    "GB200 (per Blackwell GPU)": "3A090.a",
    "Instinct MI250X": "3A090.a",  # a.1 even though PD 4.23
    "Instinct MI300X": "3A090.a",
    "Instinct MI325X": "3A090.a",
    "Gaudi 2": "3A090.a",  # a.1 needs no die area
    "Gaudi 3": "3A090.a",
    "Ascend 910": "3A090.a",  # a.2: TPP 4096, PD 8.98
    "Ascend 910B": "3A090.a",
}

# The Oct-2022 test (TPP >= 4800 AND interconnect >= 600 GB/s), e.g. on 1 Oct 2023.
EXPECTED_OCT_2022 = {
    "A100": "3A090.a",
    "A800": None,  # NVLink 400 GB/s
    "H100 SXM": "3A090.a",
    "H800 SXM": None,  # NVLink 400 GB/s
    "L40S": None,  # PCIe only
    "GeForce RTX 4090": None,
    "Instinct MI250X": "3A090.a",
    "Ascend 910": None,  # TPP 4096 < 4800
}


@pytest.mark.parametrize(("model", "eccn"), sorted(EXPECTED_2026.items()))
def test_our_table_chips_classify_as_regulation_expects(
    catalogue: Catalogue, rules: ClassificationRules, model: str, eccn: str | None
) -> None:
    result = classify(catalogue, rules, model)
    assert result.model == model
    assert result.classification.eccn == eccn
    assert result.classification.basis == "catalogue"
    assert result.reasons == ()
    assert result.advanced_computing is (eccn is not None)


def test_expected_table_covers_every_chip_of_our_table_with_a_tpp(catalogue: Catalogue) -> None:
    ours = {chip.model for chip in catalogue.chips if "Epoch AI" not in chip.source and not chip.is_hbm}
    assert ours == set(EXPECTED_2026)


@pytest.mark.parametrize(("model", "eccn"), sorted(EXPECTED_OCT_2022.items()))
def test_oct_2022_rule_needs_tpp_and_interconnect(
    catalogue: Catalogue, rules: ClassificationRules, model: str, eccn: str | None
) -> None:
    result = classify(catalogue, rules, model, on=date(2023, 10, 1))
    assert result.period == "oct-2022-ifr"
    assert result.classification.eccn == eccn
    assert result.reasons == ()


@pytest.mark.parametrize("chip", _catalogue_chips(), ids=lambda chip: chip.model)
def test_every_catalogue_chip_classifies_consistently_with_its_parameters(
    catalogue: Catalogue, rules: ClassificationRules, chip: Chip
) -> None:
    result = classify(catalogue, rules, chip.model)
    eccn = result.classification.eccn
    assert result.chip == chip
    assert result.prc_designed is chip.prc_designed
    assert result.datacenter is chip.datacenter
    if chip.tpp is not None and chip.die_area_mm2:
        assert chip.performance_density == pytest.approx(chip.tpp / chip.die_area_mm2, abs=0.006)
    if chip.is_hbm:
        assert chip.hbm_density is not None and chip.hbm_density > 2
        assert eccn == "3A090.c"
        return
    assert chip.tpp is not None
    pd = result.performance_density
    if chip.tpp >= 4800:
        assert eccn == "3A090.a"
    elif chip.tpp < 1600:
        assert eccn is None
        assert result.reasons == ()
    elif pd is None:
        assert codes(result) == [CLASSIFICATION_UNKNOWN]
        assert "die area" in result.reasons[0].message
    elif eccn == "3A090.a":
        assert pd >= 5.92
    elif eccn == "3A090.b":
        assert 1.6 <= pd < 5.92
    else:
        assert eccn is None
        assert result.consumer_note2 or pd < 3.2
        assert result.consumer_note2 or chip.tpp < 2400 or pd < 1.6
    assert result.advanced_computing is (eccn is not None)


@pytest.mark.parametrize("chip", _catalogue_chips(), ids=lambda chip: chip.model)
def test_every_model_name_and_alias_resolves_to_its_own_row(catalogue: Catalogue, chip: Chip) -> None:
    for spelling in (chip.model, *chip.aliases):
        match = catalogue.lookup(spelling)
        assert match is not None, spelling
        assert match.chip.model == chip.model, spelling


# ---------------------------------------------------------------------------------------------------
# Thresholds, just under and just over, from the line's own parameters (a datacenter part).
@pytest.mark.parametrize(
    ("tpp", "die_area", "eccn"),
    [
        pytest.param(4799, 4000, None, id="tpp-4799-low-pd"),
        pytest.param(4800, 4000, "3A090.a", id="tpp-4800-a1"),
        pytest.param(4799, 1000, "3A090.b", id="tpp-4799-pd-4.8-b"),
        pytest.param(4800, 1000, "3A090.a", id="tpp-4800-pd-4.8-a1"),
        pytest.param(1599, 1599 / 6, None, id="tpp-1599-pd-6"),
        pytest.param(1600, 1600 / 6, "3A090.a", id="tpp-1600-pd-6-a2"),
        pytest.param(2955, 500, "3A090.b", id="pd-5.91-b"),
        pytest.param(2960, 500, "3A090.a", id="pd-5.92-a2"),
        pytest.param(1914, 600, None, id="pd-3.19-under-b2"),
        pytest.param(1920, 600, "3A090.b", id="pd-3.20-b2"),
        pytest.param(3180, 2000, None, id="pd-1.59-under-b1"),
        pytest.param(3200, 2000, "3A090.b", id="pd-1.60-b1"),
        pytest.param(2399, 2399 / 2, None, id="tpp-2399-pd-2-under-b1"),
        pytest.param(2400, 1200, "3A090.b", id="tpp-2400-pd-2-b1"),
    ],
)
def test_thresholds_just_under_and_just_over(
    catalogue: Catalogue, rules: ClassificationRules, tpp: float, die_area: float, eccn: str | None
) -> None:
    result = classify(
        catalogue, rules, "Custom accelerator X", tpp=tpp, die_area_mm2=die_area, datacenter=True
    )
    assert result.classification.eccn == eccn
    assert result.classification.basis == "parameters"
    assert result.reasons == ()
    assert result.classification.tpp == tpp


def test_a1_needs_no_die_area(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "Custom accelerator X", tpp=4800, datacenter=True)
    assert result.classification.eccn == "3A090.a"
    assert result.classification.performance_density is None


def test_holds_when_die_area_is_missing_between_1600_and_4800(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "Custom accelerator X", tpp=3000, datacenter=True)
    assert codes(result) == [CLASSIFICATION_UNKNOWN]
    assert result.reasons[0].outcome is Outcome.HOLD
    assert "die area is missing" in result.reasons[0].message
    assert result.classification.eccn is None


def test_low_tpp_without_die_area_is_not_controlled(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "Custom accelerator X", tpp=1500)
    assert result.classification.eccn is None
    assert result.reasons == ()


def test_holds_when_datacenter_flag_decides_note_2_and_is_missing(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "Custom accelerator X", tpp=3000, die_area_mm2=400)
    assert codes(result) == [CLASSIFICATION_UNKNOWN]
    assert "datacenter" in result.reasons[0].message


def test_uses_catalogue_before_line_parameters(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "NVIDIA L20", tpp=9000, die_area_mm2=100, datacenter=True)
    assert result.classification.basis == "catalogue"
    assert result.classification.eccn is None
    assert result.tpp == 1912


# ---------------------------------------------------------------------------------------------------
# Note 2 (R02): consumer parts.
def test_consumer_part_under_4800_is_not_3a090_by_note_2(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "GeForce RTX 4090 D")
    assert result.tpp == 4707
    assert result.classification.eccn is None
    assert result.consumer_note2 is True
    assert result.advanced_computing is False
    assert result.reasons == ()


def test_consumer_part_at_or_over_4800_stays_3a090_a_and_nac_eligible(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "GeForce RTX 4090")
    assert result.tpp == 5285
    assert result.classification.eccn == "3A090.a"
    assert result.datacenter is False
    assert result.consumer_note2 is False
    assert result.nac_eligible is True


@pytest.mark.parametrize(("tpp", "eccn"), [(4790, None), (4810, "3A090.a")])
def test_consumer_gpu_either_side_of_4800(
    catalogue: Catalogue, rules: ClassificationRules, tpp: float, eccn: str | None
) -> None:
    # regulation.md §9 scenarios 7 and 8: PD 7.7, not datacenter-marketed
    result = classify(catalogue, rules, "Gaming GPU", tpp=tpp, die_area_mm2=tpp / 7.7, datacenter=False)
    assert result.classification.eccn == eccn
    assert result.consumer_note2 is (eccn is None)
    assert result.reasons == ()


def test_datacenter_3a090_a_is_not_nac_eligible_but_aca_eligible(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "NVIDIA H100 SXM 80GB")
    assert result.nac_eligible is False
    assert result.aca_eligible is True


# ---------------------------------------------------------------------------------------------------
# Named chips and dates.
@pytest.mark.parametrize(("on", "eccn"), [(date(2023, 10, 1), None), (date(2023, 11, 16), None)])
def test_a800_is_not_3a090_before_17_nov_2023(
    catalogue: Catalogue, rules: ClassificationRules, on: date, eccn: str | None
) -> None:
    result = classify(catalogue, rules, "A800", on=on)
    assert result.classification.eccn == eccn
    assert result.advanced_computing is False
    assert result.reasons == ()


@pytest.mark.parametrize("on", [date(2023, 11, 17), date(2023, 12, 1)])
def test_a800_is_3a090_a_from_17_nov_2023(catalogue: Catalogue, rules: ClassificationRules, on: date) -> None:
    result = classify(catalogue, rules, "A800", on=on)
    assert result.classification.eccn == "3A090.a"
    assert result.tpp == 4992


def test_nothing_is_3a090_before_7_oct_2022(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "H100 SXM", on=date(2022, 10, 6))
    assert result.classification.eccn is None
    assert result.period == "before-advanced-computing-controls"
    assert classify(catalogue, rules, "H100 SXM", on=date(2022, 10, 7)).classification.eccn == "3A090.a"


def test_h20_is_not_3a090_but_keeps_its_model_for_the_watch_list(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "NVIDIA H20")
    assert result.classification.eccn is None
    assert result.model == "H20"
    assert result.memory_bandwidth_gbs == 4000
    assert result.interconnect_gbs == 900
    assert result.reasons == ()


def test_l20_is_just_under_the_b2_density(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "L20")
    assert result.classification.eccn is None
    assert result.classification.performance_density == 3.14


def test_l4_is_3a090_a_through_the_density_prong(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "NVIDIA L4")
    assert result.classification.eccn == "3A090.a"
    assert result.tpp is not None and result.tpp < 4800
    assert result.classification.performance_density == 6.59


def test_l40_is_3a090_b_and_nac_eligible(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "L40")
    assert result.classification.eccn == "3A090.b"
    assert result.nac_eligible is True


def test_ascend_910b_is_prc_designed_3a090_a(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "Huawei Ascend 910B boards")
    assert result.classification.eccn == "3A090.a"
    assert result.prc_designed is True
    assert result.model == "Ascend 910B"


# ---------------------------------------------------------------------------------------------------
# HBM (R03).
def test_hbm_stack_is_3a090_c_from_2_dec_2024(catalogue: Catalogue, rules: ClassificationRules) -> None:
    before = classify(catalogue, rules, "HBM3E stacks", on=date(2024, 12, 1))
    after = classify(catalogue, rules, "HBM3E stacks", on=date(2024, 12, 2))
    assert before.classification.eccn is None
    assert after.classification.eccn == "3A090.c"
    assert after.advanced_computing is True
    assert after.nac_eligible is False
    assert after.aca_eligible is False
    assert after.is_server is False


@pytest.mark.parametrize(("bandwidth", "eccn"), [(200.0, None), (201.0, "3A090.c")])
def test_hbm_density_must_exceed_2_gb_s_per_mm2(
    catalogue: Catalogue, rules: ClassificationRules, bandwidth: float, eccn: str | None
) -> None:
    result = classify(
        catalogue, rules, "Custom memory stack", memory_bandwidth_gbs=bandwidth, package_area_mm2=100.0
    )
    assert result.classification.eccn == eccn
    assert result.classification.basis == "parameters"


# ---------------------------------------------------------------------------------------------------
# Servers and lines that list accelerators (4A090).
@pytest.mark.parametrize("product", ["HGX H100 8-GPU", "DGX H100", "8x H100 server", "NVIDIA HGX H100 640GB"])
def test_server_takes_4a090_a_from_its_chips(
    catalogue: Catalogue, rules: ClassificationRules, product: str
) -> None:
    result = classify(catalogue, rules, product)
    assert result.classification.eccn == "4A090.a"
    assert result.is_server is True
    assert result.accelerator_count == 8
    assert result.model == "H100 SXM"
    assert result.advanced_computing is True


def test_hgx_b200_is_4a090_a(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "HGX B200")
    assert result.classification.eccn == "4A090.a"
    assert result.model == "B200"


def test_line_with_accelerators_follows_its_most_capable_one(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    accelerators = (Accelerator("L20", 4), Accelerator("NVIDIA H100 SXM 80GB", 4))
    result = classify(catalogue, rules, "Dell PowerEdge XE9680", accelerators=accelerators)
    assert result.classification.eccn == "4A090.a"
    assert result.model == "H100 SXM"
    assert result.accelerator_count == 8
    assert result.reasons == ()


def test_server_of_l40_is_4a090_b_and_nac_eligible(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "GPU server", accelerators=(Accelerator("NVIDIA L40", 8),))
    assert result.classification.eccn == "4A090.b"
    assert result.nac_eligible is True


def test_server_of_uncontrolled_chips_is_not_4a090(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "Inference box", accelerators=(Accelerator("L20", 8),))
    assert result.classification.eccn is None
    assert result.is_server is True
    assert result.reasons == ()


def test_holds_when_a_listed_accelerator_is_unknown_and_the_rest_do_not_control(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    accelerators = (Accelerator("L20", 4), Accelerator("Mystery NPU", 4))
    result = classify(catalogue, rules, "Inference box", accelerators=accelerators)
    assert codes(result) == [CLASSIFICATION_UNKNOWN]
    assert "Mystery NPU" in result.reasons[0].message


def test_known_controlled_accelerator_decides_despite_an_unknown_one(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    accelerators = (Accelerator("Mystery NPU", 4), Accelerator("H100", 4))
    result = classify(catalogue, rules, "Training box", accelerators=accelerators)
    assert result.classification.eccn == "4A090.a"
    assert result.reasons == ()


# ---------------------------------------------------------------------------------------------------
# Given ECCNs and mismatches.
def test_holds_when_eccn_disagrees_with_parameters(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "H20", eccn="3A090.b")
    assert codes(result) == [ECCN_MISMATCH]
    reason = result.reasons[0]
    assert reason.outcome is Outcome.HOLD
    assert reason.evidence["given_eccn"] == "3A090.b"
    assert reason.evidence["computed_eccn"] is None
    assert result.classification.eccn == "3A090.b"
    assert result.classification.basis == "eccn"


def test_holds_when_ear99_is_given_for_a_3a090_chip(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "NVIDIA H100 SXM 80GB", eccn="EAR99")
    assert codes(result) == [ECCN_MISMATCH]
    assert result.reasons[0].evidence["computed_eccn"] == "3A090.a"
    assert result.advanced_computing is True  # the conservative reading for the destination rules


def test_holds_when_a_3a090_eccn_is_given_for_the_a800_under_the_2022_rule(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "A800", on=date(2023, 10, 1), eccn="3A090.a")
    assert codes(result) == [ECCN_MISMATCH]


@pytest.mark.parametrize(
    ("product", "eccn"),
    [
        ("HGX H100 8-GPU", "3A090.a"),
        ("HGX H100 8-GPU", "4A090.a"),
        ("H100 SXM", "4A090.a"),
        ("HGX H100 8-GPU", "5A992.z"),
        ("L40", "3a090.B"),
        ("L40", "3A090.b.1"),
        ("L20", "EAR99"),
        ("L20", "3A991.p"),
    ],
)
def test_accepts_eccn_that_agrees_on_the_paragraph(
    catalogue: Catalogue, rules: ClassificationRules, product: str, eccn: str
) -> None:
    result = classify(catalogue, rules, product, eccn=eccn)
    assert result.reasons == ()
    assert result.classification.basis == "eccn"


def test_z_eccn_counts_as_advanced_computing(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "HGX H100 8-GPU", eccn="5A992.z")
    assert result.classification.eccn == "5A992.z"
    assert result.advanced_computing is True
    assert result.paragraph == "a"


def test_holds_when_z_eccn_is_given_for_an_uncontrolled_server(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "Server", eccn="5A992.z", accelerators=(Accelerator("L20", 8),))
    assert codes(result) == [ECCN_MISMATCH]


def test_eccn_only_line_is_classified_by_its_eccn(catalogue: Catalogue, rules: ClassificationRules) -> None:
    result = classify(catalogue, rules, "Accelerator card, vendor part 123", eccn="3A090.a")
    assert result.classification.eccn == "3A090.a"
    assert result.classification.basis == "eccn"
    assert result.advanced_computing is True
    assert result.reasons == ()


def test_ear99_office_chairs_are_not_controlled_with_basis_eccn(
    catalogue: Catalogue, rules: ClassificationRules
) -> None:
    result = classify(catalogue, rules, "Office chairs", eccn="EAR99")
    assert result.classification.eccn == "EAR99"
    assert result.classification.basis == "eccn"
    assert result.advanced_computing is False
    assert result.reasons == ()


@pytest.mark.parametrize("product", ["Laptop", "Custom accelerator X", "Office chairs"])
def test_holds_when_nothing_classifies_the_line(
    catalogue: Catalogue, rules: ClassificationRules, product: str
) -> None:
    result = classify(catalogue, rules, product)
    assert codes(result) == [CLASSIFICATION_UNKNOWN]
    assert result.reasons[0].outcome is Outcome.HOLD
    assert result.classification.basis == "unknown"
    assert result.classification.eccn is None


# ---------------------------------------------------------------------------------------------------
# Product strings.
@pytest.mark.parametrize(
    ("product", "model"),
    [
        ("NVIDIA H100 SXM 80GB", "H100 SXM"),
        ("H100-SXM5-80GB", "H100 SXM"),
        ("HGX H100 8-GPU", "H100 SXM"),
        ("NVIDIA H100 PCIe 80GB", "H100 PCIe"),
        ("NVIDIA A100 80GB PCIe", "A100"),
        ("NVIDIA A100 80GB", "A100"),
        ("A100 40GB", "A100"),
        ("A800", "A800"),
        ("RTX 4090 D", "GeForce RTX 4090 D"),
        ("GeForce RTX 4090D", "GeForce RTX 4090 D"),
        ("GeForce RTX 4090", "GeForce RTX 4090"),
        ("rtx-4090", "GeForce RTX 4090"),
        ("L40S", "L40S"),
        ("L40", "L40"),
        ("Ascend 910B", "Ascend 910B"),
        ("Huawei Ascend 910C", "Ascend 910C"),
        ("MI300X", "Instinct MI300X"),
        ("AMD Instinct MI300X OAM", "Instinct MI300X"),
        ("B200", "B200"),
        ("H20", "H20"),
        ("H200", "H200"),
        ("L20", "L20"),
        ("L4", "L4"),
        ("8xH100", "H100 SXM"),
        ("HBM3E 12-Hi 36GB", "HBM3E stack"),
    ],
)
def test_resolves_product_spellings(catalogue: Catalogue, product: str, model: str) -> None:
    match = catalogue.lookup(product)
    assert match is not None
    assert match.chip.model == model


@pytest.mark.parametrize(
    ("product", "count"),
    [
        ("HGX H100 8-GPU", 8),
        ("DGX H100", 8),
        ("8x H100 server", 8),
        ("HGX H100 4-GPU", 4),
        ("GB200 NVL72", 72),
    ],
)
def test_recognises_servers_with_their_chip_count(catalogue: Catalogue, product: str, count: int) -> None:
    match = catalogue.lookup(product)
    assert match is not None
    assert match.server is True
    assert match.count == count


@pytest.mark.parametrize("product", ["NVIDIA H100 SXM 80GB", "RTX 4090", "L4"])
def test_a_chip_is_not_a_server(catalogue: Catalogue, product: str) -> None:
    match = catalogue.lookup(product)
    assert match is not None
    assert match.server is False
    assert match.count == 1


@pytest.mark.parametrize(
    "product",
    ["Office chairs", "Custom accelerator X", "Laptop", "Office chair T4", "Ascend 910D", "A100X", "", "GPU"],
)
def test_does_not_resolve_unrelated_products(catalogue: Catalogue, product: str) -> None:
    assert catalogue.lookup(product) is None


def test_rtx_4090_d_and_rtx_4090_never_resolve_to_each_other(catalogue: Catalogue) -> None:
    for product, model in [
        ("RTX 4090 D", "GeForce RTX 4090 D"),
        ("RTX 4090D", "GeForce RTX 4090 D"),
        ("RTX 4090", "GeForce RTX 4090"),
    ]:
        match = catalogue.lookup(product)
        assert match is not None and match.chip.model == model


def test_h100_pcie_and_h100_sxm_are_different_rows(catalogue: Catalogue) -> None:
    pcie = catalogue.lookup("NVIDIA H100 PCIe")
    sxm = catalogue.lookup("NVIDIA H100 SXM5")
    assert pcie is not None and sxm is not None
    assert pcie.chip.model == "H100 PCIe"
    assert sxm.chip.model == "H100 SXM"


def test_catalogue_rejects_colliding_aliases() -> None:
    header = "model,vendor,aliases,tpp,kind\n"
    with pytest.raises(ValueError, match="collides"):
        Catalogue.from_csv_text(
            header + "H100 SXM,NVIDIA,H100,15832,accelerator\nH100 PCIe,NVIDIA,H100,12104,\n"
        )


def test_rules_refuse_a_date_no_period_covers() -> None:
    rules = ClassificationRules.from_mapping([{"name": "only", "from": "2024-01-01", "scheme": "none"}])
    with pytest.raises(LookupError):
        rules.period_for(date(2023, 1, 1))
