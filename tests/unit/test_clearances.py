"""Cleared matches in the pure engine: cleared while the entry is unchanged, held again once it changes,
never for a match the list policy denies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson

from screening.codec import decode_event
from screening.domain.catalogue import Catalogue
from screening.domain.clearances import Clearance, entry_fingerprint, party_identity
from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.model import Order, Outcome, Party
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.ruleset import Ruleset
from screening.resources import lists_from_blobs
from tests.support import order_event

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
EL = "Entity List (EL) - Bureau of Industry and Security"


def lists(ruleset: Ruleset, aliases: list[str]):  # type: ignore[no-untyped-def]
    listing = orjson.dumps(
        {
            "results": [
                {
                    "id": "el-huawei-1",
                    "source": EL,
                    "name": "Huawei Technologies Co., Ltd.",
                    "alt_names": aliases,
                    "type": "Entity",
                    "addresses": [{"address": "Bantian", "city": "Shenzhen", "country": "CN"}],
                }
            ]
        }
    )
    return lists_from_blobs([("entity_list_2026-09-01.json", listing)], ruleset)


def order(buyer: str) -> Order:
    event = decode_event("order", order_event("e1", "SO-1", buyer=buyer))
    assert isinstance(event, Order)
    return event


def clearance(party: Party, entry_hash: str) -> Clearance:
    return Clearance(party_identity(party), "el-huawei-1", entry_hash, ("alice", "bob"), NOW, "rev-1", "v1")


def decide(ruleset: Ruleset, catalogue: Catalogue, event: Order, screening_lists, cleared):  # type: ignore[no-untyped-def]
    snapshot = OwnershipSnapshot(records={}, resolved={}, available=True, version="v")
    context = BatchContext(lists=screening_lists, ownership=snapshot, clearances=cleared)
    return ScreeningEngine(ruleset, catalogue).decide(event, context, NOW)


def test_party_identity_is_the_party_id_else_the_name_and_country() -> None:
    assert party_identity(Party("Huawai Technologies GmbH", "buyer", party_id=" cust-42 ")) == "id:cust-42"
    a = party_identity(Party("Huawai  Technologies, GmbH", "buyer", country="de"))
    assert a == party_identity(Party("HUAWAI TECHNOLOGIES GMBH", "end_user", country="DE"))
    assert a != party_identity(Party("Huawai Technologies GmbH", "buyer", country="AT"))


def test_a_cleared_match_allows_until_the_entry_changes(ruleset: Ruleset, catalogue: Catalogue) -> None:
    event = order("Huawai Technologies GmbH")
    before = lists(ruleset, ["Huawei"])
    (entry,) = before.entries
    held = decide(ruleset, catalogue, event, before, {})
    assert held.outcome is Outcome.HOLD and held.reasons[0].code == "POSSIBLE_LIST_MATCH"

    cleared = {party_identity(event.buyer): {"el-huawei-1": clearance(event.buyer, entry_fingerprint(entry))}}
    allowed = decide(ruleset, catalogue, event, before, cleared)
    assert allowed.outcome is Outcome.ALLOW
    (reason,) = allowed.reasons
    assert reason.code == "LIST_MATCH_CLEARED"
    assert reason.evidence["clearance"]["cleared_by"] == ["alice", "bob"]
    assert "alice and bob" in reason.message

    after = lists(ruleset, ["Huawei", "Huawei Device Co."])
    assert entry_fingerprint(after.entries[0]) != entry_fingerprint(entry)
    again = decide(ruleset, catalogue, event, after, cleared)
    assert again.outcome is Outcome.HOLD and again.reasons[0].code == "POSSIBLE_LIST_MATCH"
    assert again.reasons[0].evidence["clearance_lapsed"]["review_id"] == "rev-1"

    # Another party (another country) is not cleared by this party's clearance.
    other = replace(event, buyer=replace(event.buyer, country="AT"))
    assert decide(ruleset, catalogue, other, before, cleared).outcome is Outcome.HOLD


def test_a_strong_match_on_a_deny_list_is_never_cleared(ruleset: Ruleset, catalogue: Catalogue) -> None:
    event = order("Huawei Technologies Co., Ltd.")
    screening_lists = lists(ruleset, ["Huawei"])
    fingerprint = entry_fingerprint(screening_lists.entries[0])
    cleared = {party_identity(event.buyer): {"el-huawei-1": clearance(event.buyer, fingerprint)}}
    decision = decide(ruleset, catalogue, event, screening_lists, cleared)
    assert decision.outcome is Outcome.DENY and decision.reasons[0].code == "LISTED_PARTY"
