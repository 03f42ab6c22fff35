"""The rule calendar through the real Kafka and Redis, with a service clock the test moves.

The case is the BIS Affiliates rule (regulation.md §4.2: suspended 10 Nov 2025 - 9 Nov 2026, back on
10 Nov 2026): H100s for a Malaysian company 60 % owned by an Entity List company headquartered outside D:5
(Cyberinn Pte Ltd, Singapore, tied to its entry by the registry). Every event is stamped with its
`occurred_at` as the Kafka record time, so the service sees a plausible event date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from screening.app import start_calendar
from tests.integration.conftest import RunningService, wait_until

pytestmark = pytest.mark.integration

PLACED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
BOUNDARY = date(2026, 11, 10)
CYBERINN = "7d28e6c6f97797ccb7f6ddb307a65fc04c2e213904240dfb122a0069"  # its Entity List entry in the CSL
BUYER = {"name": "Example Tech Malaysia Sdn. Bhd.", "country": "MY", "party_id": "my-t"}


class Clock:
    """A service clock the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _order(event_id: str, order_id: str, ship_date: str | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "occurred_at": PLACED.isoformat(),
        "order_id": order_id,
        "seller": {"name": "Example Distribution Inc.", "country": "US"},
        "buyer": BUYER,
        "ship_from_country": "US",
        "ship_to_country": "MY",
        "items": [{"line_id": "1", "product": "NVIDIA H100 SXM 80GB", "quantity": 8}],
        **({"ship_date": ship_date} if ship_date else {}),
    }


def _lease(event_id: str, lease_id: str, end: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "occurred_at": PLACED.isoformat(),
        "lease_id": lease_id,
        "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
        "lessee": {**BUYER},
        "resources": [{"product": "NVIDIA H100 SXM 80GB", "quantity": 64}],
        "hardware_country": "MY",
        "access": "dedicated",
        "start": "2026-10-01",
        "end": end,
    }


async def _send_event(svc: RunningService, topic: str, key: str, event: dict[str, Any]) -> None:
    """Send with the event's occurred_at as the record time (as a producer stamping its events would)."""
    stamp = int(datetime.fromisoformat(event["occurred_at"]).timestamp() * 1000)
    await svc.producer.send_and_wait(topic, value=orjson.dumps(event), key=key.encode(), timestamp_ms=stamp)


async def _register_owners(svc: RunningService) -> None:
    k, prefix = svc.settings.kafka, svc.settings.redis.prefix
    records = [
        {"entity_id": "sg-cyberinn", "name": "Cyberinn PTE LTD", "country": "SG", "hq_country": "SG",
         "owners": [], "as_of": "2026-09-30", "list_entry_ids": [CYBERINN]},
        {"entity_id": "my-t", "name": BUYER["name"], "country": "MY", "hq_country": "MY",
         "owners": [{"entity_id": "sg-cyberinn", "share": 0.6}], "as_of": "2026-09-30"},
    ]  # fmt: skip
    for found in records:
        await svc.send(k.ownership_topic, found["entity_id"], orjson.dumps(found))

    async def registered() -> bool:
        return bool(await svc.runtime.redis.exists(f"{prefix}own:v1:entity:my-t"))

    await wait_until(registered)


async def _open(svc: RunningService, *subjects: str) -> None:
    key = f"{svc.settings.redis.prefix}subjects:v1"

    async def recorded() -> bool:
        return all([await svc.runtime.redis.hexists(key, subject) for subject in subjects])

    await wait_until(recorded)


async def _decisions(svc: RunningService, count: int) -> list[dict[str, Any]]:
    found = await svc.read(svc.settings.kafka.decisions_topic, count)
    return [orjson.loads(value) for _, value in found if value]


def _dated(decision: dict[str, Any]) -> dict[str, Any]:
    return next(r["evidence"] for r in decision["reasons"] if r["code"] == "DECISION_DATE")


def _by(decisions: list[dict[str, Any]], trigger: str) -> Callable[[str], list[dict[str, Any]]]:
    return lambda subject: [d for d in decisions if d["subject"]["id"] == subject and d["trigger"] == trigger]


async def test_open_subjects_are_redecided_when_the_service_clock_passes_a_boundary(start_service) -> None:
    clock = Clock(PLACED)
    svc: RunningService = await start_service(clock=clock)
    await _register_owners(svc)
    svc.settings.rescreen.calendar_check_s = 0.2
    assert svc.runtime.calendar is not None
    start_calendar(svc.runtime)  # as `screening serve` does once the broker is up

    async def caught_up() -> bool:  # the boundaries passed before 1 Oct 2026 (no subject open yet)
        return bool(svc.runtime.calendar and svc.runtime.calendar.processed)

    await wait_until(caught_up)
    k = svc.settings.kafka
    await _send_event(svc, k.orders_topic, "SO-SHIP", _order("e-ship", "SO-SHIP", ship_date="2026-12-01"))
    await _send_event(svc, k.orders_topic, "SO-OPEN", _order("e-open", "SO-OPEN"))
    await _send_event(svc, k.leases_topic, "L-ACROSS", _lease("e-lease", "L-ACROSS", end="2027-03-31"))
    first = await _decisions(svc, 3)
    answers = {d["subject"]["id"]: d for d in first}
    assert {s: d["outcome"] for s, d in answers.items()} == {
        "SO-SHIP": "deny",
        "SO-OPEN": "hold",
        "L-ACROSS": "deny",
    }
    assert _dated(answers["SO-SHIP"])["decided_as_of"] == "2026-12-01"  # its ship date
    assert _dated(answers["L-ACROSS"])["decided_as_of"] == "2026-11-10"  # the Affiliates rule's return
    assert "DECISION_DATE" not in {r["code"] for r in answers["SO-OPEN"]["reasons"]}  # as of occurred_at
    await _open(svc, "order:SO-SHIP", "order:SO-OPEN", "lease:L-ACROSS")

    clock.now = datetime(2026, 11, 12, 8, 0, tzinfo=UTC)  # the service clock passes 10 Nov 2026

    async def boundary_done() -> bool:
        return bool(svc.runtime.calendar and len(svc.runtime.calendar.processed) == 2)

    await wait_until(boundary_done)
    decisions = await _decisions(svc, 4)
    rescreened = _by(decisions, "rescreen")
    (redecided,) = rescreened("SO-OPEN")
    assert redecided["outcome"] == "deny"
    assert redecided["event_id"] == "e-open"
    assert _dated(redecided)["rescreen_cause"] == "ruleset_date"
    assert _dated(redecided)["decided_as_of"] == "2026-11-12"
    assert "BIS_AFFILIATES_50" in {r["code"] for r in redecided["reasons"] if r["outcome"] == "deny"}
    # Unchanged answers are not published again: the ship-date order and the lease were denied already.
    assert rescreened("SO-SHIP") == [] and rescreened("L-ACROSS") == []
    assert len(decisions) == 4, decisions
    calendar = svc.runtime.calendar
    assert calendar.processed[-1] == (BOUNDARY, 1)  # one subject re-decided and published on 10 Nov 2026
    report = svc.runtime.rescreens.last_report
    assert report is not None and report.cause == "ruleset_date"
    assert (report.scanned, report.unaffected, report.published) == (3, 1, 1)  # SO-SHIP: ship date ahead
    # Marked for each event partition this instance owns (all six: it is alone in the group).
    marks = await svc.runtime.redis.hgetall(f"{svc.settings.redis.prefix}calendar:last_boundary:partitions")
    assert len(marks) == 6 and set(marks.values()) == {b"2026-11-10"}


async def test_a_restart_after_the_boundary_redecides_at_start_up(start_service) -> None:
    before = Clock(PLACED)
    svc: RunningService = await start_service(clock=before)
    await _register_owners(svc)
    assert svc.runtime.calendar is not None
    await svc.runtime.calendar.check()  # the service ran on 1 Oct 2026 and caught up with the calendar
    await _send_event(svc, svc.settings.kafka.orders_topic, "SO-R", _order("e-r", "SO-R"))
    (held,) = await _decisions(svc, 1)
    assert (held["trigger"], held["outcome"]) == ("event", "hold")
    await _open(svc, "order:SO-R")

    # It was down across 10 Nov 2026 (it left the consumer group: the new process owns every partition);
    # a new process (same topics, same Redis) starts on 15 Nov.
    await svc.runtime.broker.stop()
    restarted: RunningService = await start_service(
        clock=Clock(datetime(2026, 11, 15, 6, 0, tzinfo=UTC)),
        settings=svc.settings,
        lists=svc.runtime.lists.current,
    )
    start_calendar(restarted.runtime)

    async def done() -> bool:
        return bool(restarted.runtime.calendar and restarted.runtime.calendar.processed)

    await wait_until(done)
    decisions = await _decisions(svc, 2)
    assert [(d["trigger"], d["outcome"]) for d in decisions] == [("event", "hold"), ("rescreen", "deny")]
    assert _dated(decisions[1])["rescreen_cause"] == "ruleset_date"
    assert restarted.runtime.calendar is not None
    assert restarted.runtime.calendar.processed == [(BOUNDARY, 1)]
