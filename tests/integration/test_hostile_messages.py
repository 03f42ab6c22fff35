"""Messages that used to crash, stall or silently skip the stream, each followed by 100 good events on the
same partition, through the real broker and Redis: the poison and everything behind it are decided or
dead-lettered, the DLQ holds exactly the bad messages, no decision is published twice, and the committed
offsets reach the end offsets."""

from __future__ import annotations

import hashlib
import random

import orjson
import pytest

from screening.domain.model import Party
from screening.domain.profiles import OwnershipStatus
from tests.integration.conftest import RunningService, wait_until
from tests.integration.streams import (
    Output,
    assert_committed_to_the_end,
    collect,
    good_orders,
    lease_event,
    order_event_now,
    send_all,
)

pytestmark = pytest.mark.integration

GOOD = 100


async def check_stream(
    svc: RunningService,
    out: Output,
    good: list[tuple[str, bytes]],
    dead_at: set[tuple[str, int]],
) -> None:
    """Every good event decided once, the DLQ exactly the messages at `dead_at` (topic, offset), offsets
    committed to the end."""
    out.assert_once()
    decided = out.by_event()
    for _, value in good:
        assert orjson.loads(value)["event_id"] in decided
    assert {(d["topic"], d["offset"]) for d in out.dead_letters} == dead_at
    k = svc.settings.kafka
    await assert_committed_to_the_end(svc, k.group_id, [k.orders_topic, k.leases_topic])


def held_invalid(out: Output, event_id: str) -> dict[str, object]:
    decision = out.by_event()[event_id]
    assert decision["outcome"] == "hold"
    assert [r["code"] for r in decision["reasons"]] == ["INVALID_EVENT"]
    return decision


async def test_overflowing_numbers_in_a_lease_are_refused_or_capped_and_the_stream_goes_on(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    poison = [
        ("L-flop", lease_event("e-flop", "L-flop", purpose="training 1e400 FLOP")),
        ("L-qty", lease_event("e-qty", "L-qty").replace(b'"quantity":8', b'"quantity":' + b"9" * 4300)),
        ("L-tpp", lease_event("e-tpp", "L-tpp").replace(b'"quantity":8', b'"quantity":8,"tpp":1e400')),
        ("L-digits", lease_event("e-digits", "L-digits", purpose="training " + "7" * 20_000 + " FLOP")),
    ]
    good = [(f"L-{i}", lease_event(f"good-{i}", f"L-{i}")) for i in range(GOOD)]
    offsets = await send_all(svc, k.leases_topic, [*poison, *good])

    out = await collect(svc, GOOD + 4, 3)

    await check_stream(svc, out, good, {(k.leases_topic, offset) for offset in offsets[1:4]})
    flop = out.by_event()["e-flop"]  # decided: the figure is read as the 1e40 cap
    (flagged,) = [r for r in flop["reasons"] if r["code"] == "LARGE_TRAINING_RUN"]
    assert flagged["evidence"]["estimated_operations"] == 1e40
    for event_id in ("e-qty", "e-tpp", "e-digits"):
        held_invalid(out, event_id)
    errors = {d["offset"]: d["error"] for d in out.dead_letters}
    assert (
        "quantity" in errors[offsets[1]] and "tpp" in errors[offsets[2]] and "purpose" in errors[offsets[3]]
    )


async def test_a_long_party_name_is_refused_at_decode_and_the_stream_goes_on(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    words = " ".join(
        f"w{random.Random(i).randrange(10**9)}" for i in range(4000)
    )  # ~45 KB of distinct tokens
    poison = [
        ("SO-long", order_event_now("e-long", "SO-long", buyer=words)),
        ("SO-huge", order_event_now("e-huge", "SO-huge", buyer="Huawei " * 130_000)),  # ~900 KB
    ]
    good = good_orders("long", GOOD)
    offsets = await send_all(svc, k.orders_topic, [*poison, *good])

    out = await collect(svc, GOOD + 2, 2)

    await check_stream(svc, out, good, {(k.orders_topic, offsets[0]), (k.orders_topic, offsets[1])})
    held_invalid(out, "e-long")
    held_invalid(out, "e-huge")
    kinds = {d["offset"]: d["error_kind"] for d in out.dead_letters}
    assert kinds == {offsets[0]: "schema", offsets[1]: "too_large"}


async def test_a_900_kb_binary_value_dead_letters_a_record_that_fits(start_service, shipped_lists) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    garbage = random.Random(7).randbytes(900 * 1024)
    good = good_orders("bin", GOOD)
    offsets = await send_all(svc, k.orders_topic, [("SO-bin", garbage), *good])

    out = await collect(svc, GOOD, 1)

    await check_stream(svc, out, good, {(k.orders_topic, offsets[0])})
    (dead,) = out.dead_letters
    assert dead["error_kind"] == "too_large"
    assert dead["value_length"] == len(garbage)
    assert dead["value_sha256"] == hashlib.sha256(garbage).hexdigest()
    assert dead["value_truncated"] is True
    assert len(orjson.dumps(dead)) < 600 * 1024


async def test_a_non_utf8_header_dead_letters_that_message_alone(start_service, shipped_lists) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    poison = [
        ("SO-hdr", order_event_now("e-hdr", "SO-hdr")),  # a valid event, but its header is not text
        ("SO-ctype", b"{not json"),  # FastStream decoded a JSON content-type body itself, and failed
    ]
    good = good_orders("hdr", GOOD)
    headers = {
        0: [("trace", b"\xff\xfe\x00\x81")],
        1: [("content-type", b"application/json")],
        2: [("content-type", b"application/json")],  # a good event with the same header is decided
    }
    offsets = await send_all(svc, k.orders_topic, [*poison, *good], headers=headers)

    out = await collect(svc, GOOD + 1, 2)

    await check_stream(svc, out, good, {(k.orders_topic, offsets[0]), (k.orders_topic, offsets[1])})
    held_invalid(out, "e-hdr")
    kinds = {d["offset"]: d["error_kind"] for d in out.dead_letters}
    assert kinds == {offsets[0]: "invalid_header", offsets[1]: "invalid_json"}


BUYER = "Example Server Trading Sdn. Bhd."


def record(entity_id: str, owners: list[dict[str, object]], name: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "entity_id": entity_id,
            "name": name or entity_id,
            "country": "MY",
            "owners": owners,
            "as_of": "2026-10-01",
        }
    )


async def test_bad_ownership_records_are_refused_at_the_feed_and_read_as_invalid_when_stored(
    start_service, shipped_lists
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    prefix = svc.settings.redis.prefix
    # A record stored before the feed validated this strictly: the buyer's parent, owned 130 %.
    await svc.runtime.redis.set(
        f"{prefix}own:v1:entity:my-parent",
        record("my-parent", [{"entity_id": "x-a", "share": 0.7}, {"entity_id": "x-b", "share": 0.6}]),
    )
    feed = [
        (
            "my-parent-2",
            record("my-parent-2", [{"entity_id": "x-a", "share": 0.7}, {"entity_id": "x-b", "share": 0.6}]),
        ),
        (
            "my-dup",
            record("my-dup", [{"entity_id": "x-a", "share": 0.2}, {"entity_id": "x-a", "share": 0.2}]),
        ),
        ("my-self", record("my-self", [{"entity_id": "my-self", "share": 1.0}])),
        ("my-buyer", record("my-buyer", [{"entity_id": "my-parent", "share": 1.0}], name=BUYER)),
    ]
    feed_offsets = await send_all(svc, k.ownership_topic, feed)

    async def applied() -> bool:
        return bool(await svc.runtime.redis.exists(f"{prefix}own:v1:entity:my-buyer"))

    await wait_until(applied)
    assert not await svc.runtime.redis.exists(f"{prefix}own:v1:entity:my-dup")
    buyer = Party(BUYER, "buyer", country="MY")
    snapshot = await svc.runtime.registry.snapshot([buyer])
    assert snapshot.status_for(buyer) is OwnershipStatus.INVALID
    assert "my-parent" in snapshot.invalid_records_for(buyer)

    poison = [("SO-owned", order_event_now("e-owned", "SO-owned", buyer=BUYER, country="MY"))]
    good = good_orders("own", GOOD)
    await send_all(svc, k.orders_topic, [*poison, *good])
    out = await collect(svc, GOOD + 1, 3)

    await check_stream(svc, out, good, {(k.ownership_topic, offset) for offset in feed_offsets[:3]})
    owned = out.by_event()["e-owned"]  # decided, held: its buyer's parent record fails validation
    assert owned["outcome"] == "hold"
    assert "OWNERSHIP_INVALID" in {r["code"] for r in owned["reasons"]}
    assert {d["error_kind"] for d in out.dead_letters} == {"schema"}
    await assert_committed_to_the_end(svc, k.ownership_group_id, [k.ownership_topic])
