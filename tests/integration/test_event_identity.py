"""Who an event is, through the real broker and Redis: a redelivery is decided once, a reused event id with
other content is decided again (never skipped), and JSON with a duplicated key is invalid."""

from __future__ import annotations

import orjson
import pytest

from tests.integration.conftest import RunningService
from tests.integration.streams import collect, order_event_now, send_all

pytestmark = pytest.mark.integration


async def test_a_reused_event_id_with_other_content_is_decided_and_a_redelivery_is_not(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    first = order_event_now("e-1", "SO-1")
    same_again = orjson.dumps(orjson.loads(first))  # the same content, keys in another order would do too
    other = order_event_now(
        "e-1", "SO-1", buyer="Inspur Electronic Information Industry Co., Ltd.", country="CN"
    )
    await send_all(svc, k.orders_topic, [("SO-1", first), ("SO-1", same_again)])
    (decided,) = (await collect(svc, 1, 0)).decisions
    await send_all(svc, k.orders_topic, [("SO-1", other), ("SO-1", other)])

    out = await collect(svc, 2, 0)

    assert [d["event_id"] for d in out.decisions] == ["e-1", "e-1"]
    first_decision, reused = out.decisions
    assert first_decision == decided
    assert reused["decision_id"] != first_decision["decision_id"]
    assert reused["outcome"] != "allow"  # the second content names a listed buyer: screened, not skipped
    assert "EVENT_ID_REUSED" in {r["code"] for r in reused["reasons"]}
    assert "EVENT_ID_REUSED" not in {r["code"] for r in first_decision["reasons"]}
    assert out.dead_letters == []


async def test_json_with_a_duplicated_key_is_dead_lettered_and_its_subject_held(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    listed_first = order_event_now("e-dup", "SO-dup", buyer="Huawei Technologies Co., Ltd.", country="CN")
    # A second "buyer" key after the first: a lenient reader keeps only the last, unlisted one.
    twice = listed_first[:-1] + b',"buyer":{"name":"Example Research Institute GmbH","country":"DE"}}'
    offsets = await send_all(
        svc, k.orders_topic, [("SO-dup", twice), ("SO-ok", order_event_now("e-ok", "SO-ok"))]
    )

    out = await collect(svc, 2, 1)

    out.assert_once()
    held = out.by_event()["e-dup"]
    assert held["outcome"] == "hold" and [r["code"] for r in held["reasons"]] == ["INVALID_EVENT"]
    assert "duplicate key 'buyer'" in held["reasons"][0]["message"]
    (dead,) = out.dead_letters
    assert (dead["offset"], dead["error_kind"]) == (offsets[0], "invalid_json")
    assert out.by_event()["e-ok"]["outcome"] == "allow"
