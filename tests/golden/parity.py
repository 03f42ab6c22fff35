"""Outcome parity: the outcome and reason codes of many events, captured to compare two versions of the rules.

A refactoring of the rules must not change what they decide. This script captures, per event, the outcome
and the sorted (code, outcome, party role, line id) of every reason, for

- every golden scenario (through the golden harness),
- the demo events with the demo ownership registry (through `screening check`),
- a few thousand generated orders and leases with a generated ownership registry (through `screening
  check`), drawn from a fixed seed so that two runs see the same events.

Usage, from the repository root:

    .venv/bin/python -m tests.golden.parity generate DIR [--events N] [--seed S]
    .venv/bin/python -m tests.golden.parity capture DIR OUT.json
    .venv/bin/python -m tests.golden.parity compare BEFORE.json AFTER.json

`generate` writes `events.jsonl` and `ownership.jsonl` into DIR; `capture` decides them (plus the golden
and demo events) and writes the outcomes; `compare` lists every event whose outcome or codes differ.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from screening.cli import run_check
from screening.resources import data_path, demo_path
from tests.golden.harness import decide, scenario_dirs

COUNTRIES = [
    "US", "CN", "HK", "MO", "SG", "MY", "DE", "JP", "VN", "SA", "AE", "KH", "RU", "IR", "TW", "IN", "BR",
    "KP", "CU", "GB", "NL", "KR", "IL", "TH", "ID", "KZ", "BY", "MX",
]  # fmt: skip
PRODUCTS = [
    "NVIDIA H100 SXM", "H100", "NVIDIA H100 PCIe", "H200", "NVIDIA H20", "A100", "A800", "L20", "L40", "L40S",
    "L4", "L2", "RTX 4090", "RTX 4090 D", "RTX 4080", "B200", "GB200", "Instinct MI300X", "MI308",
    "AMD Instinct MI308X", "MI309", "Gaudi 3", "Ascend 910B", "Ascend 910C", "HGX H100 8-GPU server",
    "DGX A100", "HBM3E stack", "Office chairs", "Laptop", "Mystery accelerator X9", "Jetson Orin",
]  # fmt: skip
ECCNS = ["3A090.a", "3A090.b", "4A090.a", "4A090.b", "5A992.z", "5A992.c", "EAR99", "3A001.z", "3A090.c"]
FICTIONAL = [
    "Example Research Institute GmbH", "Acme Compute Pte. Ltd.", "Northwind Cloud Sdn. Bhd.",
    "Shanghai Example GPU Cloud Co., Ltd.", "Hangzhou Example AI Co., Ltd.", "Blue Harbor Trading FZE",
    "Tokyo Example Systems K.K.", "Saigon Example Labs JSC", "Riyadh Example Data Co.",
    "Example Hospital Group", "Phnom Penh Example Tech", "Moscow Example Research LLC",
    "Shenzhen Example Electronics Co., Ltd.", "Hong Kong Example Holdings Ltd.", "Macau Example Gaming Ltd.",
    "Example University", "Delaware Example AI Inc.", "Johor Example Colocation Sdn. Bhd.",
]  # fmt: skip
KNOWN_LISTED = [
    "Huawei Technologies Co., Ltd.", "IFLYTEK CO., LTD.", "iFlyTek",
    "Beijing Sense Time Technology Development",
    "Shangtang Technology (Singapore) Pte. Ltd.", "BANCO NACIONAL DE CUBA", "Banco Nacional Cuba Panama",
    "Moore Threads Technology Co., Ltd.", "Biren Technology", "SenseTime Group Limited", "科大讯飞",
    "Hikvision", "Zhejiang Dahua Technology", "Shanghai Langqing Electronic Technology Co.",
]  # fmt: skip
ROLE_DETAILS = [
    None,
    "freight_forwarder",
    "forwarder",
    "logistics",
    "reseller",
    "distributor",
    "broker",
    "bank",
]
END_USES = [
    None, "", "production inference", "research", "teardown and benchmark evaluation only",
    "training a large language model", "pre-train a model for military intelligence", "resale of GPU hours",
    "fine-tuning for a hospital", "train a closed-weight model estimated at 3e26 FLOP",
    "training run of 5 x 10^25 operations", "weapon simulation", "technical analysis",
]  # fmt: skip
DATE_RANGE = ("2022-06-01", "2027-06-30")


def _listed_names(rng: random.Random, count: int) -> list[str]:
    """Names of real list entries from the shipped CSL snapshot (entities only), some respelled."""
    with data_path("consolidated_2026-07-31.csv").open(encoding="utf-8") as handle:
        rows = [
            row["name"] for row in csv.DictReader(handle) if row["type"] in ("Entity", "") and row["name"]
        ]
    picked = rng.sample(rows, count)
    return [name.upper() if rng.random() < 0.2 else name for name in picked]


def _date(rng: random.Random) -> str:
    from datetime import date, timedelta

    start, end = (date.fromisoformat(d) for d in DATE_RANGE)
    # Weighted toward the boundaries the rules care about, plus uniform days.
    boundaries = [
        "2022-10-07", "2023-01-17", "2023-11-16", "2023-11-17", "2024-04-04", "2024-12-02", "2025-04-08",
        "2025-04-09", "2025-05-13", "2025-09-29", "2025-11-10", "2025-12-01", "2026-01-15", "2026-02-03",
        "2026-07-10", "2026-08-01", "2026-11-09", "2026-11-10", "2026-12-01",
    ]  # fmt: skip
    if rng.random() < 0.4:
        return rng.choice(boundaries)
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


class Generator:
    """Deterministic generator of varied contract events and an ownership registry for them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.listed = _listed_names(self.rng, 60) + KNOWN_LISTED
        self.records: list[dict[str, Any]] = []
        self._build_registry()

    def _build_registry(self) -> None:
        rng = self.rng
        names = FICTIONAL + self.listed
        for index, name in enumerate(names):
            country = rng.choice(COUNTRIES)
            record: dict[str, Any] = {"entity_id": f"e{index:03d}", "name": name, "country": country}
            if rng.random() < 0.8:
                record["hq_country"] = rng.choice([country, country, "CN", "HK", "SG", "US"])
            if rng.random() < 0.85:
                record["as_of"] = rng.choice(["2026-06-30", "2025-01-01", "2023-01-01", "2026-11-01"])
            self.records.append(record)
        # Owners: up to three earlier-or-later entities each (cycles allowed), shares summing to <= 1.
        for record in self.records:
            if rng.random() < 0.45:
                continue
            owners = rng.sample(self.records, rng.randint(1, 3))
            left = 1.0
            links = []
            for owner in owners:
                if owner is record:
                    continue
                if rng.random() < 0.12:
                    links.append({"entity_id": owner["entity_id"], "share": None})
                    continue
                share = round(rng.choice([0.1, 0.2, 0.25, 0.3, 0.499, 0.5, 0.51, 0.6, 0.75, 1.0]), 3)
                share = min(share, round(left, 3))
                if share <= 0:
                    break
                left -= share
                links.append({"entity_id": owner["entity_id"], "share": share})
            record["owners"] = links
        if rng.random() < 1.0:
            # An owner the registry names but does not hold: a missing record in some chains.
            self.records[0].setdefault("owners", []).append({"entity_id": "missing-entity", "share": 0.0})

    def party(self, role: str) -> dict[str, Any]:
        """A party: a registry entity (by id or by name), a listed name, or a fictional one."""
        rng = self.rng
        roll = rng.random()
        party: dict[str, Any]
        if roll < 0.35:
            record = rng.choice(self.records)
            party = {"name": record["name"]}
            if record.get("country") and rng.random() < 0.9:
                party["country"] = record["country"]
            if rng.random() < 0.5:
                party["party_id"] = record["entity_id"]
        elif roll < 0.6:
            party = {"name": rng.choice(self.listed)}
            if rng.random() < 0.8:
                party["country"] = rng.choice(COUNTRIES)
        else:
            party = {"name": rng.choice(FICTIONAL)}
            if rng.random() < 0.9:
                party["country"] = rng.choice(COUNTRIES)
        if rng.random() < 0.25:
            party["hq_country"] = rng.choice(COUNTRIES)
        if role in ("intermediary", "end_user"):
            detail = rng.choice(ROLE_DETAILS)
            if detail:
                party["role"] = detail
        return party

    def item(self, line: str, lease: bool) -> dict[str, Any]:
        """An order line or a leased resource, by product name, parameters or given ECCN."""
        rng = self.rng
        item: dict[str, Any] = {
            "product": rng.choice(PRODUCTS),
            "quantity": rng.choice([0, 1, 2, 8, 64, 512]),
        }
        if not lease or rng.random() < 0.5:
            item["line_id"] = line
        if rng.random() < 0.25:
            item["eccn"] = rng.choice(ECCNS)
        if rng.random() < 0.25:
            item["product"] = rng.choice(["Custom accelerator", "Board X", item["product"]])
            item["tpp"] = rng.choice([1500, 1912, 2368, 2400, 2896, 4790, 4810, 5285, 15832, 36000])
            if rng.random() < 0.7:
                item["die_area_mm2"] = rng.choice([294.5, 609, 814, 826, 1600])
            if rng.random() < 0.7:
                item["datacenter"] = rng.random() < 0.6
        if not lease and rng.random() < 0.08:
            item["product"] = "HBM stack"
            item.pop("tpp", None)
            item["memory_bandwidth_gbs"] = rng.choice([800, 1200, 4800])
            item["package_area_mm2"] = rng.choice([110, 121, 600])
        if not lease and rng.random() < 0.1:
            item["product"] = "Server"
            item["accelerators"] = [
                {"product": rng.choice(PRODUCTS), "count": rng.choice([1, 4, 8])}
                for _ in range(rng.randint(1, 2))
            ]
        return item

    def licences(self, ship_to: str | None) -> list[dict[str, Any]]:
        """Zero to two licences, sometimes matching the destination and the lines."""
        rng = self.rng
        found = []
        for index in range(rng.choice([0, 0, 0, 1, 1, 2])):
            licence: dict[str, Any] = {"number": f"L{index}", "type": rng.choice(["license", "NAC", "ACA"])}
            if rng.random() < 0.8:
                licence["eccn"] = rng.choice(["3A090", "3A090.a", "4A090", "3A090.b", "4A090.b", "3A090.c"])
            if rng.random() < 0.85:
                licence["destination"] = ship_to if ship_to and rng.random() < 0.7 else rng.choice(COUNTRIES)
            if rng.random() < 0.3:
                licence["valid_from"] = rng.choice(["2023-01-01", "2025-06-01", "2026-09-01"])
            if rng.random() < 0.3:
                licence["valid_until"] = rng.choice(["2024-12-31", "2026-12-31", "2028-01-01"])
            found.append(licence)
        return found

    def order(self, number: int) -> dict[str, Any]:
        """A contract order event."""
        rng = self.rng
        ship_to = rng.choice(COUNTRIES) if rng.random() < 0.9 else None
        event: dict[str, Any] = {
            "event_id": f"gen-{number:05d}",
            "occurred_at": f"{_date(rng)}T{rng.randrange(24):02d}:00:00Z",
            "order_id": f"SO-{number:05d}",
            "action": rng.choice(["create", "create", "create", "amend", "cancel"]),
            "seller": {"name": "Example Distribution Inc.", "country": "US"},
            "buyer": self.party("buyer"),
            "items": [self.item(str(line), lease=False) for line in range(1, rng.choice([1, 1, 2, 3]) + 1)],
        }
        if ship_to:
            event["ship_to_country"] = ship_to
        if rng.random() < 0.85:
            event["ship_from_country"] = rng.choice(["US", "US", "US", "SG", "MY", "CN"])
        if rng.random() < 0.5:
            event["end_user"] = event["buyer"] if rng.random() < 0.4 else self.party("end_user")
        if rng.random() < 0.3:
            event["intermediaries"] = [self.party("intermediary") for _ in range(rng.randint(1, 2))]
        use = rng.choice(END_USES)
        if use is not None:
            event["end_use"] = use
        event["licenses"] = self.licences(ship_to)
        return event

    def lease(self, number: int) -> dict[str, Any]:
        """A contract lease event."""
        rng = self.rng
        when = _date(rng)
        event: dict[str, Any] = {
            "event_id": f"gen-{number:05d}",
            "occurred_at": f"{when}T{rng.randrange(24):02d}:00:00Z",
            "lease_id": f"L-{number:05d}",
            "action": rng.choice(["start", "start", "extend", "modify", "terminate"]),
            "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
            "lessee": self.party("lessee"),
            "resources": [self.item(f"r{line}", lease=True) for line in range(1, rng.choice([1, 1, 2]) + 1)],
        }
        if rng.random() < 0.85:
            event["hardware_country"] = rng.choice(["US", "US", "MY", "SG", "CN", "DE", "JP"])
        if rng.random() < 0.85:
            event["access"] = rng.choice(["remote", "remote", "dedicated"])
        if rng.random() < 0.3:
            event["end_user"] = self.party("end_user")
        if event["action"] == "terminate" and rng.random() < 0.4:
            event["title_transfer"] = True
        if rng.random() < 0.7:
            event["start"] = rng.choice(["2025-06-01", when])
        use = rng.choice(END_USES)
        if use is not None:
            event["purpose"] = use
        event["licenses"] = self.licences(event.get("hardware_country"))
        return event

    def events(self, count: int) -> list[dict[str, Any]]:
        """`count` events, about two orders to one lease."""
        events = [self.lease(n) if self.rng.random() < 0.35 else self.order(n) for n in range(count)]
        # A few events that break the contract but name their subject (INVALID_EVENT decisions).
        for event in events[:: max(1, count // 20)]:
            event.pop("items", None) if "order_id" in event else event.update(access="shared")
        return events


def generate(folder: Path, count: int, seed: int) -> None:
    """Write `events.jsonl` and `ownership.jsonl` for `count` generated events into `folder`."""
    generator = Generator(seed)
    events = generator.events(count)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "events.jsonl").open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    with (folder / "ownership.jsonl").open("w", encoding="utf-8") as handle:
        for record in generator.records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _summary(decision: dict[str, Any]) -> dict[str, Any]:
    reasons = sorted(
        [r["code"], r["outcome"], r.get("party_role") or "", r.get("line_id") or ""]
        for r in decision["reasons"]
    )
    return {"outcome": decision["outcome"], "reasons": reasons}


def _check(events: Path, ownership: Path) -> dict[str, dict[str, Any]]:
    buffer = io.BytesIO()
    asyncio.run(run_check([str(events)], [], [ownership], out=buffer))
    found: dict[str, dict[str, Any]] = {}
    for line in buffer.getvalue().splitlines():
        decision = json.loads(line)
        found[decision["event_id"]] = _summary(decision)
    return found


def _without_lists(events: Path, ownership: Path, count: int) -> dict[str, dict[str, Any]]:
    """The first `count` valid events decided with no lists loaded (LISTS_UNAVAILABLE)."""
    from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
    from screening.adapters.ownership_files import load_ownership_file
    from screening.codec import Rejected, decode_event, encode_decision
    from screening.domain.engine import ScreeningEngine
    from screening.resources import load_catalogue, load_ruleset
    from screening.service import ScreeningService

    ruleset = load_ruleset()
    registry = InMemoryOwnershipRegistry(list(load_ownership_file(ownership)))
    service = ScreeningService(
        ScreeningEngine(ruleset, load_catalogue()), lambda: None, registry, InMemoryDecisionLedger()
    )
    decoded = []
    for line in events.read_bytes().splitlines()[:count]:
        kind = "lease" if b'"lease_id"' in line else "order"
        event = decode_event(kind, line)
        if not isinstance(event, Rejected):
            decoded.append(event)
    decisions = asyncio.run(service.screen(decoded))
    return {d.event_id: _summary(json.loads(encode_decision(d))) for d in decisions}


def capture(folder: Path) -> dict[str, dict[str, Any]]:
    """Outcome and reason codes of every golden scenario, demo event and generated event."""
    results: dict[str, dict[str, Any]] = {}
    for event_id, summary in _without_lists(folder / "events.jsonl", folder / "ownership.jsonl", 300).items():
        results[f"no-lists:{event_id}"] = summary
    for scenario in scenario_dirs():
        results[f"golden:{scenario.name}"] = _summary(decide(scenario))
    for event_id, summary in _check(demo_path("events.jsonl"), demo_path("ownership.jsonl")).items():
        results[f"demo:{event_id}"] = summary
    for event_id, summary in _check(folder / "events.jsonl", folder / "ownership.jsonl").items():
        results[f"generated:{event_id}"] = summary
    return results


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per event whose outcome or reasons differ, or that is in only one capture."""
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None or new is None:
            lines.append(f"{key}: only in {'after' if old is None else 'before'}")
            continue
        gone = [r for r in old["reasons"] if r not in new["reasons"]]
        added = [r for r in new["reasons"] if r not in old["reasons"]]
        lines.append(f"{key}: {old['outcome']} -> {new['outcome']}; removed {gone}; added {added}")
    return lines


def main(argv: list[str]) -> int:
    """Command line: generate, capture, compare."""
    parser = argparse.ArgumentParser(prog="python -m tests.golden.parity")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate")
    gen.add_argument("folder", type=Path)
    gen.add_argument("--events", type=int, default=5000)
    gen.add_argument("--seed", type=int, default=20261201)
    cap = commands.add_parser("capture")
    cap.add_argument("folder", type=Path)
    cap.add_argument("out", type=Path)
    cmp = commands.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.folder, args.events, args.seed)
        return 0
    if args.command == "capture":
        results = capture(args.folder)
        args.out.write_text(json.dumps(results, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        outcomes = Counter(summary["outcome"] for summary in results.values())
        print(f"{len(results)} events: {dict(sorted(outcomes.items()))}")
        return 0
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    differences = compare(before, after)
    for line in differences:
        print(line)
    print(f"{len(before)} before, {len(after)} after, {len(differences)} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
