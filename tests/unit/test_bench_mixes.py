"""The bench's event mixes and its process meter: what `screening bench` measures is what it says."""

from __future__ import annotations

import os
import time

import orjson
import pytest

from screening.bench import ProcessMeter, make_events, ownership_chains
from screening.codec import EventDecoder
from screening.domain.registry import party_lookup_keys, registry_keys
from screening.kinds import KINDS


def _names(events: list[tuple[str, str, bytes]]) -> list[str]:
    decoder = EventDecoder()
    names = []
    for kind, _, value in events:
        decoded = decoder.decode(KINDS[kind], value)
        names += [party.name for party in decoded.event.parties]  # type: ignore[union-attr]
    return names


def test_the_realistic_mix_repeats_its_customers() -> None:
    names = _names(make_events(300, mix="realistic"))
    assert len(set(names)) < 30 < len(names)


def test_every_name_of_the_all_new_mix_is_unseen_and_every_event_decodes() -> None:
    measured = _names(make_events(300, 7, "all-new", "m"))
    warm_up = _names(make_events(300, 8, "all-new", "w"))
    assert len(set(measured)) == len(measured) > 3 * 300  # 2 parties a lease, 5 an order
    assert not set(measured) & set(warm_up)


def test_each_all_new_buyer_resolves_to_its_own_chain() -> None:
    events = make_events(50, 7, "all-new", "m")
    records = ownership_chains(events, "m")
    by_key = {key: r.entity_id for r in records for key in registry_keys((r.name, *r.aliases), r.country)}
    decoder = EventDecoder()
    for index, (kind, _, value) in enumerate(events):
        customer = decoder.decode(KINDS[kind], value).event.parties  # type: ignore[union-attr]
        buyer = next(p for p in customer if p.role in ("buyer", "lessee"))
        assert {by_key.get(key) for key in party_lookup_keys(buyer)} - {None} == {f"bench-party-m{index}"}
    tops = [r for r in records if r.entity_id.startswith("bench-top-")]
    assert sum(r.name == "Sugon" for r in tops) == 3  # one parent in twenty is listed


def test_an_unknown_mix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mix"):
        make_events(1, mix="cold")


def test_the_meter_reads_this_process_cpu_time_and_peak_rss() -> None:
    meter = ProcessMeter(os.getpid())
    before = meter.cpu_s()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        orjson.dumps(list(range(1000)))
    assert 0.1 <= meter.cpu_s() - before <= 2.0
    assert meter.peak_rss_mb() > 10
