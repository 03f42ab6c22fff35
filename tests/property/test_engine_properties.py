"""Properties of the engine on generated events (hypothesis), through the `screening check` path.

1. Every input line gets exactly one decision, or a rejection (the dead-letter record `serve` would write,
   reported on stderr by `check`), whatever the line holds; no exception escapes the engine.
2. Knowing less never helps: removing an optional field, or blanking a party's country, headquarters or
   id, never turns a `hold` or `deny` into `allow` (deny becoming hold is fine: less is known).

What "removing an optional field" covers: every optional field whose absence means "not known", that is
the top-level countries, access mode, dates, licences and action; a party's country, headquarters, id and
address; a line's parameters (TPP, die area, datacenter flag, memory bandwidth, package area, the chips of
a server). Left out, because their absence is a statement and not a gap: a declared end use or purpose and
a declared role (an event that stops confessing a military end use or a reseller looks innocent, and no
screening can tell), a vendor's ECCN (a claim the line is classified by) and, on a line that carries one,
its parameters (they only cross-check the claim: without them the claim stands alone), `title_transfer`
(the contract's default is "title does not pass"), aliases, and whole parties. A server line is generated
with its chips or with its own parameters, never both (they would contradict each other). A party's id is
generated, as producers send it, with the name and country the registry knows the entity by; a party the
registry knows only by its id (its name or country differ from the record's) is outside the property:
for controlled lines it is held anyway (`ULTIMATE_PARENT_UNKNOWN`), for other items R11 asks for
ownership data only for high-risk parties, so blanking such an id can lose an owner's 50% finding.
Likewise headquarters the event states agree with the registry's record when both are given: the rules act
on every claim (a D:5 one wins), so blanking the event's claim leaves the registry's, which decides alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import screening.resources
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.cli import run_check
from screening.codec import Rejected, decode_event
from screening.domain.engine import ScreeningEngine
from screening.domain.model import Decision
from screening.domain.names import ScreeningLists
from screening.domain.ownership import record_from_mapping
from screening.resources import load_catalogue, load_lists, load_ruleset
from screening.service import ScreeningService
from tests.golden.parity import Generator
from tests.property.world import RECORDS, leases, orders

FAST = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

ORDER_FIELDS = ("action", "ship_from_country", "ship_to_country", "licenses")
LEASE_FIELDS = ("action", "hardware_country", "access", "start", "end", "licenses")
PARTY_FIELDS = ("country", "hq_country", "party_id", "address")
ITEM_FIELDS = (
    "tpp",
    "die_area_mm2",
    "datacenter",
    "memory_bandwidth_gbs",
    "package_area_mm2",
    "accelerators",
)

COUNTS = {"lines": 0, "decided": 0}
RAN: set[str] = set()
MINIMUM_EVENTS = 10_000


@pytest.fixture(scope="module", autouse=True)
def _count_events() -> Iterator[None]:
    """At least 10,000 generated events per full run: lines through `check`, and events decided (each
    property test's events and the variants with less known)."""
    yield
    total = COUNTS["lines"] + COUNTS["decided"]
    print(f"\nproperty tests: {COUNTS['lines']} lines through check, {COUNTS['decided']} events decided")
    if len(RAN) == 3:  # every property ran (not a -k selection)
        assert total >= MINIMUM_EVENTS, f"only {total} generated events"


@cache
def _lists() -> ScreeningLists:
    return load_lists([], load_ruleset())


@cache
def _engine() -> ScreeningEngine:
    return ScreeningEngine(load_ruleset(), load_catalogue())


@cache
def _registry_records() -> tuple[Any, ...]:
    return tuple(record_from_mapping({**record, "as_of": "2026-06-30"}) for record in RECORDS)


def _decide(events: list[dict[str, Any]], lists: ScreeningLists) -> list[Decision]:
    """The decisions `screening check` gives for `events`, decided as one batch (the same service, the
    same in-memory adapters; each event gets its own id)."""
    decoded = []
    for number, event in enumerate(events):
        kind = "lease" if "lease_id" in event else "order"
        found = decode_event(kind, orjson.dumps({**event, "event_id": f"p-{number}"}))
        assert not isinstance(found, Rejected), found.error
        decoded.append(found)
    service = ScreeningService(
        _engine(), lambda: lists, InMemoryOwnershipRegistry(_registry_records()), InMemoryDecisionLedger()
    )
    decisions = asyncio.run(service.screen(decoded))
    assert [decision.event_id for decision in decisions] == [f"p-{n}" for n in range(len(events))]
    COUNTS["decided"] += len(decisions)
    for decision in decisions:
        assert "ENGINE_ERROR" not in {reason.code for reason in decision.reasons}
    return decisions


def _less_known(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`event` with one optional field removed, or one party's country, headquarters or id blanked."""
    top = LEASE_FIELDS if "lease_id" in event else ORDER_FIELDS
    for key in top:
        if key in event:
            smaller = copy.deepcopy(event)
            del smaller[key]
            yield key, smaller
    for role in ("buyer", "end_user", "lessee"):
        yield from _party_variants(event, (role,))
    for index in range(len(event.get("intermediaries", []))):
        yield from _party_variants(event, ("intermediaries", index))
    lines = "resources" if "lease_id" in event else "items"
    for index, line in enumerate(event[lines]):
        if "eccn" in line:
            continue  # the vendor's ECCN classifies the line; its parameters only cross-check the claim
        for key in ITEM_FIELDS:
            if key in line:
                smaller = copy.deepcopy(event)
                del smaller[lines][index][key]
                yield f"{lines}[{index}].{key}", smaller


def _party_variants(event: dict[str, Any], path: tuple[Any, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    party: Any = event
    for step in path:
        if isinstance(party, dict) and step not in party:
            return
        party = party[step]
    for key in PARTY_FIELDS:
        if key in party:
            smaller = copy.deepcopy(event)
            target: Any = smaller
            for step in path:
                target = target[step]
            del target[key]
            yield f"{'.'.join(map(str, path))}.{key}", smaller


def _check_less_known(event: dict[str, Any], lists: ScreeningLists) -> None:
    (full,) = _decide([event], lists)
    if full.outcome.value == "allow":
        return
    variants = list(_less_known(event))
    for (what, _), less in zip(variants, _decide([smaller for _, smaller in variants], lists), strict=True):
        assert less.outcome.value != "allow", (
            f"removing {what} turned {full.outcome.value} into allow:\n{json.dumps(event)}\n"
            f"full: {[(r.code.value, r.outcome.value) for r in full.reasons]}"
        )


@settings(FAST, max_examples=600)
@given(orders())
def test_less_known_never_turns_an_order_into_allow(event: dict[str, Any]) -> None:
    RAN.add("orders")
    _check_less_known(event, _lists())


@settings(FAST, max_examples=350)
@given(leases())
def test_less_known_never_turns_a_lease_into_allow(event: dict[str, Any]) -> None:
    RAN.add("leases")
    _check_less_known(event, _lists())


# ------------------------------------------------------------------------------------------ lines
def _broken(event: dict[str, Any], how: str) -> bytes:
    """`event` made invalid in one of the ways producers get it wrong (always invalid)."""
    data = copy.deepcopy(event)
    lines = "resources" if "lease_id" in data else "items"
    if not data.get(lines):
        return orjson.dumps(data)[:-7]  # already without lines: cut it short instead
    if how == "no occurred_at":
        del data["occurred_at"]
    elif how == "no lines":
        data[lines] = []
    elif how == "negative quantity":
        data[lines][0]["quantity"] = -1
    elif how == "quantity as text":
        data[lines][0]["quantity"] = "lots"
    elif how == "bad country":
        data["lessee" if "lease_id" in data else "buyer"]["country"] = "ZZZ"
    elif how == "bad date":
        data["occurred_at"] = "yesterday"
    elif how == "no subject":
        del data["lease_id" if "lease_id" in data else "order_id"]
    elif how == "truncated":
        return orjson.dumps(data)[:-7]
    elif how == "not an object":
        return orjson.dumps([data])
    elif how == "not utf-8":
        return orjson.dumps(data).replace(b'"p', b'"\xff', 1)
    return orjson.dumps(data)


BREAKAGES = [
    "no occurred_at", "no lines", "negative quantity", "quantity as text", "bad country", "bad date",
    "no subject", "truncated", "not an object", "not utf-8",
]  # fmt: skip


@cache
def _pool() -> tuple[tuple[tuple[dict[str, Any], bool], ...], tuple[dict[str, Any], ...]]:
    """Varied contract events (orders and leases; listed, look-alike and registry parties; every kind of
    line), each with whether it follows the contract, and the ownership registry they refer to, from the
    outcome-parity generator (fast and seeded)."""
    generator = Generator(seed=11)
    pool = tuple(
        (
            event,
            not isinstance(
                decode_event("lease" if "lease_id" in event else "order", orjson.dumps(event)), Rejected
            ),
        )
        for event in generator.events(3000)
    )
    return pool, tuple(generator.records)


@st.composite
def batches(draw: st.DrawFn) -> list[tuple[bytes, bool]]:
    """5 to 40 JSONL lines, each (bytes, valid?) with a unique event id: pool events, a quarter broken."""
    pool, _ = _pool()
    found = []
    for number in range(draw(st.integers(5, 40))):
        picked, valid = pool[draw(st.integers(0, len(pool) - 1))]
        event = {**picked, "event_id": f"p-{number}"}
        breakage = draw(st.one_of(st.none(), st.none(), st.none(), st.sampled_from(BREAKAGES)))
        if breakage is not None:
            found.append((_broken(event, breakage), False))
        else:  # the pool holds a few events that break the contract on purpose
            found.append((orjson.dumps(event), valid))
    return found


@settings(FAST, max_examples=260)
@given(batches())
def test_every_line_gets_one_decision_or_a_rejection(
    tmp_path_factory: pytest.TempPathFactory, batch: list[tuple[bytes, bool]]
) -> None:
    RAN.add("lines")
    shipped_lists = _lists()
    path = tmp_path_factory.mktemp("check") / "events.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in batch) + b"\n")
    out, err = io.BytesIO(), io.StringIO()
    original = screening.resources.load_lists
    screening.resources.load_lists = lambda files, ruleset: shipped_lists  # type: ignore[assignment]
    try:
        with contextlib.redirect_stderr(err):
            status = asyncio.run(
                run_check([str(path)], [], [Path(_ownership_file(tmp_path_factory))], out=out)
            )
    finally:
        screening.resources.load_lists = original  # type: ignore[assignment]
    decisions = [orjson.loads(line) for line in out.getvalue().splitlines()]
    by_id: dict[str, list[dict[str, Any]]] = {}
    for decision in decisions:
        by_id.setdefault(decision["event_id"], []).append(decision)
        assert "ENGINE_ERROR" not in {reason["code"] for reason in decision["reasons"]}
    rejections = err.getvalue().count("invalid event")
    COUNTS["lines"] += len(batch)
    invalid = sum(1 for _, valid in batch if not valid)
    for number, (_, valid) in enumerate(batch):
        found = by_id.get(f"p-{number}", [])
        codes = [reason["code"] for decision in found for reason in decision["reasons"]]
        if valid:
            assert len(found) == 1 and "INVALID_EVENT" not in codes, f"valid line {number}: {found}"
        else:  # rejected; held as INVALID_EVENT when it still names its subject
            assert len(found) <= 1 and codes in ([], ["INVALID_EVENT"]), f"invalid line {number}: {found}"
    assert rejections == invalid, f"{rejections} rejections for {invalid} invalid lines"
    assert status == (1 if invalid else 0)


@cache
def _ownership_path(folder: str) -> str:
    path = Path(folder) / "ownership.jsonl"
    path.write_text("\n".join(json.dumps(record) for record in _pool()[1]) + "\n", encoding="utf-8")
    return str(path)


def _ownership_file(factory: pytest.TempPathFactory) -> str:
    return _ownership_path(str(factory.getbasetemp()))
