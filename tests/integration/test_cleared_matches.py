"""Cleared matches through the real broker and Redis: a released false positive does not hold the party's
next order, a rescreen on unchanged data does not raise the released hold again, and a new list version
that changes the entry raises it again."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from screening.adapters.csl import combine, parse_list_bytes
from screening.app import refresh_lists
from screening.resources import lists_from_blobs, load_ruleset, screening_version
from tests.integration.conftest import RunningService, wait_until
from tests.integration.streams import order_event_now
from tests.integration.test_reviews import Reader, held_order, review

pytestmark = pytest.mark.integration

ENTRY = "el-huawei-1"
PARTY = "Huawai Technologies GmbH"  # a Munich furniture dealer; a possible match of the Huawei entry


def listing(aliases: list[str]) -> bytes:
    """A small Entity List (two entries) in trade.gov's JSON form; `aliases` of the Huawei entry."""
    return orjson.dumps(
        {
            "results": [
                {
                    "id": ENTRY,
                    "source": "Entity List (EL) - Bureau of Industry and Security",
                    "name": "Huawei Technologies Co., Ltd.",
                    "alt_names": aliases,
                    "type": "Entity",
                    "addresses": [{"address": "Bantian", "city": "Shenzhen", "country": "CN"}],
                },
                {
                    "id": "el-sugon-1",
                    "source": "Entity List (EL) - Bureau of Industry and Security",
                    "name": "Sugon Information Industry Co., Ltd.",
                    "type": "Entity",
                    "addresses": [{"address": "Haitai", "city": "Tianjin", "country": "CN"}],
                },
            ]
        }
    )


def codes(decision: dict[str, Any]) -> dict[str, str]:
    return {r["code"]: r["outcome"] for r in decision["reasons"]}


async def test_a_cleared_false_positive_stays_cleared_until_its_entry_changes(start_service) -> None:
    first_file = ("entity_list_2026-09-01.json", listing(["Huawei"]))
    svc: RunningService = await start_service(lists=lists_from_blobs([first_file], load_ruleset()))
    k = svc.settings.kafka
    decisions = Reader(svc, k.decisions_topic)

    hold = await held_order(svc, "SO-C1", buyer=PARTY)
    assert codes(hold) == {"POSSIBLE_LIST_MATCH": "hold"}
    await decisions.next(1)
    await svc.send(k.reviews_topic, "SO-C1", review(hold, "release", "alice", false_positive_entries=[ENTRY]))
    await svc.send(k.reviews_topic, "SO-C1", review(hold, "release", "bob", false_positive_entries=[ENTRY]))
    (released,) = await decisions.next(1)
    assert (released["outcome"], released["trigger"]) == ("allow", "review")
    assert released["reasons"][0]["evidence"]["false_positive_entries"] == [ENTRY]

    # The party's next order is not held: its decision says the match was cleared, by whom and when.
    await svc.send(k.orders_topic, "SO-C2", order_event_now("e-SO-C2", "SO-C2", buyer=PARTY))
    (next_order,) = await decisions.next(1)
    assert next_order["outcome"] == "allow" and codes(next_order) == {"LIST_MATCH_CLEARED": "allow"}
    clearance = next_order["reasons"][0]["evidence"]["clearance"]
    assert clearance["cleared_by"] == ["alice", "bob"] and clearance["entry_id"] == ENTRY
    assert clearance["party"] == "name:huawai technologies gmbh|DE"

    # A rescreen on unchanged data publishes nothing: the released hold does not come back.
    svc.runtime.rescreens.request("ownership")
    await svc.runtime.rescreens.idle()
    report = svc.runtime.rescreens.last_report
    assert report is not None and report.scanned == 2 and report.published == 0
    assert await decisions.next(0, timeout=2) == []

    # A new list version changes the entry (a new alias): the clearance lapses, both orders are held again.
    name = "entity_list_2026-09-15.json"
    changed = listing(["Huawei", "Huawei Device Co."])
    _, files_version = combine([parse_list_bytes(changed, name)])
    # Two entries and no SDN list fail the integrity checks: stored as forced, the service takes them.
    version = screening_version(files_version)
    await svc.runtime.lists_store.save(
        [(name, changed)], version, forced={"version": version, "reason": "test"}
    )
    await refresh_lists(svc.runtime)
    rescreened = await decisions.next(2)
    assert {d["subject"]["id"] for d in rescreened} == {"SO-C1", "SO-C2"}
    for decision in rescreened:
        assert (decision["trigger"], decision["outcome"]) == ("rescreen", "hold")
        (match,) = [r for r in decision["reasons"] if r["code"] == "POSSIBLE_LIST_MATCH"]
        lapsed = match["evidence"]["clearance_lapsed"]
        assert lapsed["entry_sha256"] != lapsed["entry_sha256_now"]

    async def both_queued() -> bool:
        return len(await svc.runtime.holds.oldest(10)) == 2

    await wait_until(both_queued)
