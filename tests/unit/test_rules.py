"""The control rules (R04-R20) through the engine, on both sides of every date they depend on.

Each test builds a contract event, runs it through `ScreeningService` with in-memory adapters and the
shipped ruleset, catalogue and CSL snapshot, and looks at the outcome and the reason codes.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.cli import run_check
from screening.codec import Rejected, decode_event
from screening.domain.catalogue import Catalogue
from screening.domain.engine import ScreeningEngine
from screening.domain.model import Decision, Outcome
from screening.domain.names import ScreeningLists
from screening.domain.ownership import record_from_mapping
from screening.domain.ruleset import Ruleset
from screening.service import ScreeningService

SELLER = {"name": "Example Distribution Inc.", "country": "US"}


@pytest.fixture(scope="module")
def engine(ruleset: Ruleset, catalogue: Catalogue) -> ScreeningEngine:
    return ScreeningEngine(ruleset, catalogue)


def _record(
    entity_id: str, name: str, country: str, owners: Sequence[tuple[str, float | None]] = ()
) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "name": name,
        "country": country,
        "hq_country": country,
        "owners": [{"entity_id": owner, "share": share} for owner, share in owners],
    }


def _order(
    when: str,
    product: str,
    ship_to: str,
    buyer: str = "Example Buyer Co.",
    buyer_country: str | None = None,
    licences: Sequence[dict[str, Any]] = (),
    ship_from: str = "US",
    **item: Any,
) -> dict[str, Any]:
    return {
        "event_id": f"unit-{when}-{product}-{ship_to}",
        "occurred_at": f"{when}T09:00:00Z",
        "order_id": "SO-UNIT",
        "seller": SELLER,
        "buyer": {"name": buyer, "country": buyer_country or ship_to},
        "ship_from_country": ship_from,
        "ship_to_country": ship_to,
        "items": [{"line_id": "1", "product": product, "quantity": 8, **item}],
        "licenses": list(licences),
    }


def _decide(
    engine: ScreeningEngine,
    lists: ScreeningLists,
    event: dict[str, Any],
    records: Sequence[dict[str, Any]] | None = None,
) -> Decision:
    """Decide `event`; by default the buyer/lessee has a registry record with no owners (ownership known)."""
    party = event.get("buyer") or event["lessee"]
    if records is None:
        records = [_record("unit-party", party["name"], party["country"])]
    as_of = event["occurred_at"][:10]  # fresh on the event's date
    registry = InMemoryOwnershipRegistry([record_from_mapping({"as_of": as_of, **r}) for r in records])
    service = ScreeningService(
        engine,
        lambda: lists,
        registry,
        InMemoryDecisionLedger(),
        clock=lambda: datetime(2026, 8, 1, tzinfo=UTC),
    )
    kind = "lease" if "lease_id" in event else "order"
    decoded = decode_event(kind, orjson.dumps(event))
    assert not isinstance(decoded, Rejected), decoded
    (decision,) = asyncio.run(service.screen([decoded]))
    return decision


def _codes(decision: Decision, code: str) -> list[Outcome]:
    return [reason.outcome for reason in decision.reasons if reason.code == code]


# ---------------------------------------------------------------------------------------- R10 dates
@pytest.mark.parametrize(
    ("day", "outcome"),
    [
        ("2025-09-28", Outcome.HOLD),  # before 90 FR 47201 took effect: a red flag, not a restriction
        ("2025-09-29", Outcome.DENY),  # Affiliates rule in force
        ("2025-11-09", Outcome.DENY),  # last day before the suspension
        ("2025-11-10", Outcome.HOLD),  # suspended by 90 FR 50857
        ("2026-11-09", Outcome.HOLD),  # last day of the suspension
        ("2026-11-10", Outcome.DENY),  # back in force
    ],
)
def test_affiliates_rule_follows_its_effective_and_suspension_dates(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, outcome: Outcome
) -> None:
    event = _order(day, "Laptop", "MY", buyer="Example Tech Malaysia Sdn. Bhd.", eccn="EAR99")
    records = [
        _record("my-t", "Example Tech Malaysia Sdn. Bhd.", "MY", [("cn-huawei", 0.3), ("cn-iflytek", 0.2)]),
        _record("cn-huawei", "Huawei Technologies Co., Ltd.", "CN"),
        _record("cn-iflytek", "IFLYTEK Co., Ltd.", "CN"),
    ]
    decision = _decide(engine, shipped_lists, event, records)
    assert _codes(decision, "BIS_AFFILIATES_50") == [outcome]
    assert decision.outcome is outcome


# ------------------------------------------------------------------------------------ country groups
@pytest.mark.parametrize(
    ("day", "destination", "headquarters", "outcome", "review"),
    [
        ("2025-11-06", Outcome.DENY, Outcome.DENY, Outcome.DENY, False),  # still D:5
        ("2025-11-07", Outcome.HOLD, Outcome.HOLD, Outcome.HOLD, True),  # State lifted the embargo: unsettled
        ("2026-02-02", Outcome.HOLD, Outcome.HOLD, Outcome.HOLD, True),
        ("2026-02-03", Outcome.HOLD, None, Outcome.HOLD, False),  # BIS rule: D:1 only
    ],
)
def test_cambodia_leaves_d5_with_a_review_window(
    engine: ScreeningEngine,
    shipped_lists: ScreeningLists,
    day: str,
    destination: Outcome,
    headquarters: Outcome | None,
    outcome: Outcome,
    review: bool,
) -> None:
    decision = _decide(engine, shipped_lists, _order(day, "NVIDIA H100 SXM 80GB", "KH"))
    assert _codes(decision, "DEST_ADV_COMPUTE") == [destination]
    assert _codes(decision, "HQ_OR_PARENT_D5") == ([headquarters] if headquarters else [])
    assert decision.outcome is outcome
    dest = next(r for r in decision.reasons if r.code == "DEST_ADV_COMPUTE")
    assert ("country_group_review" in dest.evidence) is review


@pytest.mark.parametrize(
    ("day", "buyer", "outcome"),
    [
        ("2026-07-09", "Core42", Outcome.HOLD),  # AE still D:4: licence or ACA, even for the supplement
        ("2026-07-10", "Core42", Outcome.ALLOW),  # A:5 for the entities of the UAE supplement
        ("2026-07-10", "Example Abu Dhabi Trading LLC", Outcome.HOLD),  # anyone else: as before the change
    ],
)
def test_uae_moves_to_a5_on_10_july_2026_for_its_named_recipients_only(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, buyer: str, outcome: Outcome
) -> None:
    decision = _decide(engine, shipped_lists, _order(day, "HGX B200 8-GPU server", "AE", buyer=buyer))
    assert _codes(decision, "DEST_ADV_COMPUTE") == [outcome]
    assert decision.outcome is outcome


def test_hong_kong_counts_as_china(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "NVIDIA H100 SXM 80GB", "HK"))
    dest = next(r for r in decision.reasons if r.code == "DEST_ADV_COMPUTE")
    assert dest.outcome is Outcome.DENY
    assert dest.evidence["destination"] == "CN"
    assert _codes(decision, "HQ_OR_PARENT_D5") == [Outcome.DENY]


def test_macau_is_denied_like_d5(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "NVIDIA H100 SXM 80GB", "MO"))
    dest = next(r for r in decision.reasons if r.code == "DEST_ADV_COMPUTE")
    assert (dest.outcome, dest.evidence["group"]) == (Outcome.DENY, "D5_OR_MACAU")


def test_singapore_is_not_in_the_licence_set(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "NVIDIA H100 SXM 80GB", "SG"))
    assert decision.outcome is Outcome.ALLOW


# --------------------------------------------------------------------------------- R04 before Nov 2023
@pytest.mark.parametrize(
    ("day", "destination", "outcome"),
    [
        ("2023-10-01", "VN", Outcome.ALLOW),  # Oct-2022 scope: China (and Macau) only
        ("2023-10-01", "CN", Outcome.DENY),
        ("2023-01-16", "MO", Outcome.ALLOW),  # Macau added on 17 Jan 2023 (88 FR 2821)
        ("2023-01-17", "MO", Outcome.DENY),
        ("2023-11-17", "VN", Outcome.HOLD),  # AC/S IFR: D:1/D:4/D:5
    ],
)
def test_destination_scope_before_november_2023_is_china_and_macau(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, destination: str, outcome: Outcome
) -> None:
    # The A100 meets the Oct-2022 test (TPP 4,992, 600 GB/s) and the later TPP test.
    decision = _decide(engine, shipped_lists, _order(day, "NVIDIA A100 SXM4 80GB", destination))
    assert decision.items[0].eccn == "3A090.a"
    assert decision.outcome is outcome


def test_no_nac_before_17_november_2023(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    nac = {"number": "A000001", "type": "NAC", "eccn": "3A090.a", "destination": "CN"}
    before = _decide(
        engine, shipped_lists, _order("2023-10-01", "Custom GPU", "CN", licences=[nac], eccn="3A090.a")
    )
    assert _codes(before, "DEST_ADV_COMPUTE") == [Outcome.DENY]


@pytest.mark.parametrize(("day", "outcome"), [("2024-04-03", Outcome.HOLD), ("2024-04-04", Outcome.ALLOW)])
def test_aca_counts_from_4_april_2024(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, outcome: Outcome
) -> None:
    aca = {"number": "ACA", "type": "ACA", "eccn": "3A090.a", "destination": "SA"}
    decision = _decide(engine, shipped_lists, _order(day, "NVIDIA L4 24GB", "SA", licences=[aca]))
    assert _codes(decision, "DEST_ADV_COMPUTE") == [outcome]


# --------------------------------------------------------------------------------------- NAC, ACA, HBM
def test_hbm_is_not_nac_eligible(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    nac = {"number": "A000002", "type": "NAC", "eccn": "3A090.c", "destination": "CN"}
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "HBM3E stacks", "CN", licences=[nac]))
    assert decision.items[0].eccn == "3A090.c"
    assert _codes(decision, "DEST_ADV_COMPUTE") == [Outcome.DENY]
    assert decision.outcome is Outcome.DENY


def test_hbm_is_not_aca_eligible(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    aca = {"number": "ACA", "type": "ACA", "eccn": "3A090.c", "destination": "VN"}
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "HBM3E stacks", "VN", licences=[aca]))
    assert _codes(decision, "DEST_ADV_COMPUTE") == [Outcome.HOLD]


def test_datacenter_3a090a_is_not_nac_eligible(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    nac = {"number": "A000003", "type": "NAC", "eccn": "3A090.a", "destination": "CN"}
    decision = _decide(
        engine, shipped_lists, _order("2026-08-01", "NVIDIA H100 SXM 80GB", "CN", licences=[nac])
    )
    assert decision.outcome is Outcome.DENY


def test_a_licence_counts_only_for_its_destination(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    licence = {"number": "D1", "type": "license", "eccn": "3A090.a", "destination": "SA"}
    decision = _decide(engine, shipped_lists, _order("2026-08-01", "NVIDIA L4", "VN", licences=[licence]))
    assert _codes(decision, "DEST_ADV_COMPUTE") == [Outcome.HOLD]


# -------------------------------------------------------------------------------------------- Note 2
@pytest.mark.parametrize(
    ("tpp", "datacenter", "outcome"),
    [(4799, False, Outcome.ALLOW), (4800, False, Outcome.DENY), (4799, True, Outcome.DENY)],
)
def test_note_2_consumer_carve_out(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, tpp: int, datacenter: bool, outcome: Outcome
) -> None:
    # The memory bandwidth is given: a chip outside 3A090 to China is also checked against the H20's (R13).
    event = _order(
        "2026-08-01",
        "Custom GPU",
        "CN",
        tpp=tpp,
        die_area_mm2=620,
        datacenter=datacenter,
        memory_bandwidth_gbs=1008,
    )
    assert _decide(engine, shipped_lists, event).outcome is outcome


# ------------------------------------------------------------------------------------------------ R05
def test_headquarters_rule_needs_a_destination_outside_the_us(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    records = [
        _record("us-sub", "Example AI Research Inc.", "US", [("cn-parent", 1.0)]),
        _record("cn-parent", "Hangzhou Example AI Co., Ltd.", "CN"),
    ]
    home = _order("2026-08-01", "NVIDIA H100 SXM 80GB", "US", buyer="Example AI Research Inc.")
    assert _codes(_decide(engine, shipped_lists, home, records), "HQ_OR_PARENT_D5") == []
    abroad = _order(
        "2026-08-01", "NVIDIA H100 SXM 80GB", "DE", buyer="Example AI Research Inc.", buyer_country="US"
    )
    assert _codes(_decide(engine, shipped_lists, abroad, records), "HQ_OR_PARENT_D5") == [Outcome.DENY]


def test_onward_end_user_country_is_a_destination(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    event = _order("2026-08-01", "NVIDIA H100 SXM 80GB", "SG", buyer="Example SG Trading Pte. Ltd.")
    event["end_user"] = {"name": "Example Vietnam End User JSC", "country": "VN"}
    decision = _decide(engine, shipped_lists, event)
    dest = next(r for r in decision.reasons if r.code == "DEST_ADV_COMPUTE")
    assert (dest.outcome, dest.evidence["destination"]) == (Outcome.HOLD, "VN")
    assert dest.evidence["route"] == {"from": "SG", "to": "VN", "onward": True}


# ------------------------------------------------------------------------------------------------ R13
@pytest.mark.parametrize(("day", "outcome"), [("2025-04-08", Outcome.ALLOW), ("2025-04-09", Outcome.DENY)])
def test_is_informed_h20_from_9_april_2025(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, outcome: Outcome
) -> None:
    decision = _decide(engine, shipped_lists, _order(day, "NVIDIA H20", "CN"))
    assert decision.outcome is outcome


def test_is_informed_reaches_d5_headquartered_parties_abroad(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    event = _order("2025-06-01", "NVIDIA H20", "MY", buyer="Example Malaysia Cloud Sdn. Bhd.")
    records = [
        _record("my-cloud", "Example Malaysia Cloud Sdn. Bhd.", "MY", [("cn-parent", 1.0)]),
        _record("cn-parent", "Example Beijing Parent Co., Ltd.", "CN"),
    ]
    assert _codes(_decide(engine, shipped_lists, event, records), "IS_INFORMED_WATCHLIST") == [Outcome.DENY]


# ------------------------------------------------------------------------------------------------ R14
H200_LICENCE = {"number": "D2", "type": "license", "eccn": "3A090.a", "destination": "CN"}


@pytest.mark.parametrize(
    ("day", "ship_from", "outcome"),
    [
        ("2026-02-20", "US", Outcome.ALLOW),
        ("2026-02-20", "SG", Outcome.DENY),
        ("2026-02-20", "MY", Outcome.DENY),
    ],
)
def test_h200_case_by_case_covers_exports_from_the_us_only(
    engine: ScreeningEngine, shipped_lists: ScreeningLists, day: str, ship_from: str, outcome: Outcome
) -> None:
    event = _order(day, "NVIDIA H200", "CN", licences=[H200_LICENCE], ship_from=ship_from)
    decision = _decide(engine, shipped_lists, event)
    assert _codes(decision, "H200_CASE_BY_CASE") == [outcome]
    assert decision.outcome is outcome


def test_h200_rule_does_not_reach_chips_above_its_box(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    event = _order("2026-08-01", "NVIDIA B200", "CN", licences=[H200_LICENCE], ship_from="SG")
    decision = _decide(engine, shipped_lists, event)
    assert _codes(decision, "H200_CASE_BY_CASE") == []
    assert decision.outcome is Outcome.ALLOW  # the licence names the ECCN and destination


def test_nac_still_clears_a_consumer_part_inside_the_h200_box(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    nac = {"number": "A000004", "type": "NAC", "eccn": "3A090.a", "destination": "CN"}
    decision = _decide(
        engine, shipped_lists, _order("2026-08-01", "NVIDIA GeForce RTX 4090", "CN", licences=[nac])
    )
    assert decision.outcome is Outcome.ALLOW


# ----------------------------------------------------------------------------------------- R15, R17, R18
def test_prc_ic_on_remote_lease_is_still_gp10(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    lease = {
        "event_id": "unit-lease-ascend",
        "occurred_at": "2026-08-01T09:00:00Z",
        "lease_id": "L-UNIT",
        "lessee": {"name": "Example Lab Inc.", "country": "US"},
        "resources": [{"product": "Huawei Ascend 910B", "quantity": 8}],
        "hardware_country": "US",
        "access": "remote",
    }
    assert _codes(_decide(engine, shipped_lists, lease), "PRC_ADV_IC_GP10") == [Outcome.DENY]


def test_remote_lease_for_military_training_is_denied(
    engine: ScreeningEngine, shipped_lists: ScreeningLists
) -> None:
    lease = {
        "event_id": "unit-lease-military",
        "occurred_at": "2026-08-01T09:00:00Z",
        "lease_id": "L-UNIT-2",
        "lessee": {"name": "Example Defence Analytics Ltd.", "country": "GB"},
        "resources": [{"product": "NVIDIA H100 SXM", "quantity": 64}],
        "hardware_country": "US",
        "access": "remote",
        "purpose": "training models for military targeting",
    }
    assert _codes(_decide(engine, shipped_lists, lease), "AI_TRAINING_END_USE") == [Outcome.DENY]


def test_small_training_run_is_not_logged(engine: ScreeningEngine, shipped_lists: ScreeningLists) -> None:
    lease = {
        "event_id": "unit-lease-small",
        "occurred_at": "2026-08-01T09:00:00Z",
        "lease_id": "L-UNIT-3",
        "lessee": {"name": "Example Lab K.K.", "country": "JP"},
        "resources": [{"product": "NVIDIA H100 SXM", "quantity": 64}],
        "hardware_country": "US",
        "access": "remote",
        "purpose": "fine-tuning, about 2 x 10^24 FLOP",
    }
    decision = _decide(engine, shipped_lists, lease)
    assert _codes(decision, "LARGE_TRAINING_RUN") == []
    assert decision.outcome is Outcome.ALLOW


# ------------------------------------------------------------------------------- lists without a policy
def test_a_list_file_whose_source_has_no_policy_holds_its_matches(tmp_path: Path) -> None:
    """A list the ruleset's `[lists]` does not name is not ignored: its match holds (through `check`)."""
    columns = "_id,source,name,type,programs,start_date,addresses,alt_names,federal_register_notice"
    listed = tmp_path / "new-list-2026-08-01.csv"
    listed.write_text(
        f"{columns}\nnew-1,Foreign Sanctions Evaders (FSE) - Treasury Department,Example Evader Trading LLC,"
        "Entity,,,,,\n",
        encoding="utf-8",
    )
    events = tmp_path / "events.jsonl"
    events.write_bytes(
        orjson.dumps(_order("2026-08-01", "Laptop", "AE", buyer="Example Evader Trading LLC", eccn="EAR99"))
    )
    out = io.BytesIO()
    asyncio.run(run_check([str(events)], [listed], [], out=out))
    decision = orjson.loads(out.getvalue())
    assert decision["outcome"] == "hold"
    (reason,) = [r for r in decision["reasons"] if r["code"] == "LISTED_PARTY"]
    assert (
        reason["evidence"]["list_policy"]
        == "none for Foreign Sanctions Evaders (FSE) - Treasury Department: default hold"
    )
