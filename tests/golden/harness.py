"""Runs one golden scenario folder through the engine, exactly as `screening check` would decide it.

A scenario folder holds `event.json` (one contract order or lease event), optionally `ownership.jsonl`
(contract ownership records), optionally `licences.jsonl` (the licences on file, as `screening check
--licences` reads them: without it every licence the event names is held as not on file) and optionally
`setup.json`: `{"ownership_registry": "unavailable"}` marks the registry as down, as when Redis cannot be
read; `{"received_at": "<ISO time>"}` is when the service received the event (the Kafka record's time;
`screening check` has none). The shipped ruleset, catalogue and CSL
snapshot are used.
The decision is the JSON `screening check` prints, minus the fields that change from run to run.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from screening.adapters.licences import InMemoryLicenceStore, load_licence_file
from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
from screening.adapters.ownership_files import load_ownership_file
from screening.codec import Rejected, decode_event, encode_decision
from screening.domain.engine import ScreeningEngine
from screening.domain.licensing import LicenceRecord
from screening.domain.names import ScreeningLists
from screening.domain.ruleset import Ruleset
from screening.resources import load_catalogue, load_lists, load_ruleset
from screening.service import ScreeningService

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FIXED_CLOCK = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


def scenario_dirs() -> list[Path]:
    """Every scenario folder, in name order."""
    return sorted(path for path in SCENARIOS.iterdir() if (path / "event.json").is_file())


@lru_cache(maxsize=1)
def _shipped() -> tuple[Ruleset, ScreeningEngine, ScreeningLists]:
    ruleset = load_ruleset()
    return ruleset, ScreeningEngine(ruleset, load_catalogue()), load_lists([], ruleset)


def received_at(setup: dict[str, Any]) -> datetime:
    """The `received_at` a scenario's setup names."""
    return datetime.fromisoformat(str(setup["received_at"]).replace("Z", "+00:00"))


# Versions that vary per run: the registry's counter, and the lists' age (it grows with the clock; its
# source date is in `versions.lists`).
VOLATILE_VERSIONS = frozenset({"ownership", "lists_as_of", "lists_age_hours"})


def strip_volatile(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision without `decided_at`, `decision_id`, `versions.ownership` and the lists' age (they vary
    per run)."""
    stable = {key: value for key, value in decision.items() if key not in ("decided_at", "decision_id")}
    stable["versions"] = {k: v for k, v in decision.get("versions", {}).items() if k not in VOLATILE_VERSIONS}
    return stable


def decide(folder: Path) -> dict[str, Any]:
    """The stripped decision JSON for the scenario in `folder`."""
    ruleset, engine, lists = _shipped()
    raw = (folder / "event.json").read_bytes()
    kind = "lease" if "lease_id" in json.loads(raw) else "order"
    event = decode_event(kind, orjson.dumps(orjson.loads(raw)))
    if isinstance(event, Rejected):
        raise ValueError(f"{folder.name}/event.json does not follow the contract: {event.error}")
    setup_file = folder / "setup.json"
    setup = json.loads(setup_file.read_text(encoding="utf-8")) if setup_file.is_file() else {}
    if "received_at" in setup:
        event = replace(event, received_at=received_at(setup))
    ownership = folder / "ownership.jsonl"
    records = list(load_ownership_file(ownership)) if ownership.is_file() else []
    registry = InMemoryOwnershipRegistry(records, max_depth=int(ruleset.ownership.get("max_depth", 12)))
    if setup.get("ownership_registry") == "unavailable":
        registry.available = False
    service = ScreeningService(
        engine,
        lambda: lists,
        registry,
        InMemoryDecisionLedger(),
        clock=lambda: FIXED_CLOCK,
        licences=InMemoryLicenceStore(licence_records(folder)),
    )
    (decision,) = asyncio.run(service.screen([event]))
    return strip_volatile(orjson.loads(encode_decision(decision)))


def licence_records(folder: Path) -> list[LicenceRecord]:
    """The licences on file of a scenario (`licences.jsonl`; none when the folder has no such file)."""
    path = folder / "licences.jsonl"
    if not path.is_file():
        return []
    found = []
    for number, record in load_licence_file(path):
        if isinstance(record, Rejected):
            raise ValueError(f"{folder.name}/licences.jsonl:{number} is not a licence record: {record.error}")
        found.append(record)
    return found


def render(decision: dict[str, Any]) -> str:
    """The stable text form of an expected.json file."""
    return json.dumps(decision, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
