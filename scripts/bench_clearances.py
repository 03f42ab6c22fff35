"""Hold rate of repeat customers on the bench mix, before and after their false positives are cleared.

In process, with the engine and the shipped lists (no broker, no Redis): `screening.bench.make_events`
generates the mix `screening bench` sends (70% orders, 30% leases, 14 customers that repeat). It is
measured twice: with an empty ownership registry, as `screening bench` runs (most holds are then for
missing ownership data), and with a registry that knows every party of the mix (no owners,
headquartered where it is located), as a pipeline whose customers are registered.

The first half of the stream is the review period: every held event whose possible list matches
(`POSSIBLE_LIST_MATCH`, hold) a reviewer would release is released with those entries as false
positives, which stores a clearance per (party, entry, entry hash) exactly as the service does. The second
half is then decided twice, without and with those clearances, and the hold rate of its events whose
customer (buyer or lessee) already appeared in the first half is reported, with the reasons still holding
them. Which matches are false positives is this script's assumption: every possible (weak) match of a
held event of the mix's fictional customers; the listed customers (iFlyTek, Beijing Sense Time, Sugon)
match strongly and are denied, never reviewed or cleared.

Run: `.venv/bin/python scripts/bench_clearances.py [--events N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import orjson

from screening.adapters.clearances import InMemoryClearances
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.bench import _BUYERS, make_events
from screening.codec import decode_event
from screening.domain.clearances import Clearance, cleared_parties, entry_fingerprint, party_identity
from screening.domain.engine import ScreeningEngine
from screening.domain.model import Decision, Event, Outcome
from screening.domain.names import ScreeningLists
from screening.domain.ownership import OwnershipRecord
from screening.domain.reasons import ReasonCode
from screening.domain.ruleset import Ruleset
from screening.resources import load_catalogue, load_lists, load_ruleset
from screening.service import ScreeningService

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def customer(event: Event) -> str:
    """The customer of an event: its buyer (orders) or lessee (leases), by clearance identity."""
    party = event.parties[0]
    return party_identity(party)


def hold_rate(decisions: list[Decision]) -> tuple[float, Counter[str]]:
    held = [d for d in decisions if d.outcome is Outcome.HOLD]
    reasons: Counter[str] = Counter(
        code for d in held for code in {r.code.value for r in d.reasons if r.outcome is Outcome.HOLD}
    )
    return (len(held) / len(decisions) if decisions else 0.0), reasons


def registry_of_the_mix() -> InMemoryOwnershipRegistry:
    """Every party of the mix registered: no owners, headquartered where it is located."""
    parties = {
        *_BUYERS,
        ("Fast Forwarding Pte Ltd", "SG"),
        ("Example Bank N.A.", "US"),
    }
    return InMemoryOwnershipRegistry(
        OwnershipRecord(f"bench-{i}", name, country=country, hq_country=country, as_of=NOW.date())
        for i, (name, country) in enumerate(sorted(parties))
    )


async def main(count: int) -> None:
    ruleset = load_ruleset()
    lists = load_lists([], ruleset)
    engine = ScreeningEngine(ruleset, load_catalogue())
    results = {
        "empty_registry": await measure(count, ruleset, lists, engine, InMemoryOwnershipRegistry()),
        "registered_customers": await measure(count, ruleset, lists, engine, registry_of_the_mix()),
    }
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


async def measure(
    count: int,
    ruleset: Ruleset,
    lists: ScreeningLists,
    engine: ScreeningEngine,
    registry: InMemoryOwnershipRegistry,
) -> dict[str, object]:
    """The hold rate of the second half's repeat customers without and with the first half's clearances."""
    entries = {entry.entry_id: entry for entry in lists.entries}
    events: list[Event] = []
    for kind, _, raw in make_events(count):
        event = decode_event(kind, raw)
        assert not isinstance(event, Exception) and hasattr(event, "event_id")
        events.append(event)  # type: ignore[arg-type]
    half = len(events) // 2
    first, second = events[:half], events[half:]

    store = InMemoryClearances()
    service = ScreeningService(
        engine,
        lambda: lists,
        registry,
        InMemoryDecisionLedger(),
        clock=lambda: NOW,
        clearances=store,
    )
    reviewed = await service.screen(first)
    made: dict[tuple[str, str], Clearance] = {}
    for event, decision in zip(first, reviewed, strict=True):
        if decision.outcome is not Outcome.HOLD:  # reviewers review holds; a deny is not reviewed
            continue
        weak = [
            r
            for r in decision.reasons
            if r.code is ReasonCode.POSSIBLE_LIST_MATCH and r.outcome is Outcome.HOLD
        ]
        ids = [str(r.evidence["list_hit"]["entry_id"]) for r in weak]
        for party, entry_id in cleared_parties(event, weak, ids):
            key = (party_identity(party), entry_id)
            made.setdefault(
                key,
                Clearance(
                    key[0],
                    entry_id,
                    entry_fingerprint(entries[entry_id]),
                    ("alice", "bob"),
                    NOW,
                    "bench",
                    lists.version,
                ),
            )
    seen = {customer(event) for event in first}
    repeat = [event for event in second if customer(event) in seen]
    # Fresh ids: the service decides each event once per id.
    repeat = [replace(event, event_id=f"{event.event_id}-again") for event in repeat]

    started = time.perf_counter()
    before = await service.screen(repeat)
    before_s = time.perf_counter() - started
    await store.store(list(made.values()))
    repeat_again = [replace(event, event_id=f"{event.event_id}-cleared") for event in repeat]
    started = time.perf_counter()
    after = await service.screen(repeat_again)
    after_s = time.perf_counter() - started
    rate_before, reasons_before = hold_rate(before)
    rate_after, reasons_after = hold_rate(after)
    cleared_reasons = sum(1 for d in after for r in d.reasons if r.code is ReasonCode.LIST_MATCH_CLEARED)
    only_list = sum(
        1
        for d in before
        if d.outcome is Outcome.HOLD
        and {r.code for r in d.reasons if r.outcome is Outcome.HOLD} == {ReasonCode.POSSIBLE_LIST_MATCH}
    )
    return {
        "events": len(events),
        "review_period_events": len(first),
        "clearances": len(made),
        "customers_cleared": len({party for party, _ in made}),
        "repeat_customer_events": len(repeat),
        "hold_rate_before": round(rate_before, 4),
        "hold_rate_after": round(rate_after, 4),
        "holds_before": sum(1 for d in before if d.outcome is Outcome.HOLD),
        "holds_after": sum(1 for d in after if d.outcome is Outcome.HOLD),
        "list_match_cleared_reasons": cleared_reasons,
        "held_only_for_possible_matches_before": only_list,
        "cleared": sorted({f"{c.party} ~ {entries[c.entry_id].name}" for c in made.values()}),
        "hold_reasons_before": dict(reasons_before.most_common()),
        "hold_reasons_after": dict(reasons_after.most_common()),
        "decide_s_before": round(before_s, 3),
        "decide_s_after": round(after_s, 3),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    asyncio.run(main(parser.parse_args().events))
