"""The ruleset file is parsed once, strictly: a typo is an error naming the file, the table and the key."""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from screening.domain.parameters import RulesetError
from screening.domain.rules.destination import DestinationParams, IsInformedParams
from screening.domain.rules.registry import RULES, parameter_classes
from screening.domain.ruleset import Ruleset
from screening.resources import data_path, load_ruleset

SHIPPED = tomllib.loads(data_path("ruleset.toml").read_text(encoding="utf-8"))


def _with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(RulesetError) as raised:
        Ruleset.from_mapping(data, source="custom-ruleset.toml")
    return str(raised.value)


def test_the_shipped_ruleset_parses_into_typed_parameters() -> None:
    ruleset = load_ruleset()
    destination = ruleset.params(DestinationParams)
    assert destination.nac_from == date(2023, 11, 17) and destination.legacy_destinations == ("CN",)
    assert "H20" in ruleset.params(IsInformedParams).models
    assert ruleset.source.endswith("ruleset.toml")


def test_a_typo_in_a_rule_key_names_the_file_the_table_and_the_key() -> None:
    message = _error(_with(lambda d: d["rules"]["destination"].update(nac_form="2023-11-17")))
    assert "custom-ruleset.toml" in message and "[rules.destination]" in message and "'nac_form'" in message


def test_a_value_of_the_wrong_type_names_the_key_and_the_expected_type() -> None:
    message = _error(_with(lambda d: d["rules"]["destination"].update(nac_from=20231117)))
    assert "custom-ruleset.toml: [rules.destination] nac_from: expected a date (YYYY-MM-DD)" in message
    message = _error(_with(lambda d: d["rules"]["is_informed"].update(models="H20")))
    assert "[rules.is_informed] models: expected a list of strings" in message
    message = _error(_with(lambda d: d["rules"]["large_training_run"].update(outcome="block")))
    assert "outcome: expected one of allow, hold, deny" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["rules"].update(destinaton={"from": "2022-10-07"}),
            "unknown rule table [rules.destinaton]",
        ),
        (lambda d: d["rules"].pop("headquarters"), "missing table [rules.headquarters]"),
        (
            lambda d: d["rules"]["h200_case_by_case"].pop("tpp_below"),
            "[rules.h200_case_by_case] tpp_below: required",
        ),
        (lambda d: d.update(extra=1), "unknown top-level key 'extra'"),
        (
            lambda d: d["ownership"].update(control_treshold=0.5),
            "[ownership] has unknown key 'control_treshold'",
        ),
        (
            lambda d: d["ownership"].update(control_threshold="50%"),
            "[ownership] control_threshold: expected a number",
        ),
        (
            lambda d: d["ownership"].update(significant_minority=0.9),
            "[ownership] significant_minority must be",
        ),
        (lambda d: d["lists"].update(deny="EL"), "[lists] deny: expected a list of strings"),
        (lambda d: d["matching"].update(strong=0.5), "[matching] need 0 < weak <= strong"),
        (lambda d: d["countries"].update(D6=["CN"]), "[countries] D6: unknown key"),
        (lambda d: d["countries"].pop("D5"), "[countries] D5 is required"),
        (lambda d: d["countries"]["changes"][0].update(efective="2026-02-03"), "has unknown key 'efective'"),
        (lambda d: d["countries"]["changes"][0].update(change="drop"), "change 'add' or 'remove'"),
        (lambda d: d["classification"]["periods"][2].update(a1tpp=4800), "has unknown key 'a1tpp'"),
        (lambda d: d["classification"]["periods"][2].pop("a2_pd"), "a2_pd: required"),
        (lambda d: d["classification"]["periods"][1].update(tpp_min="4800"), "tpp_min: expected a number"),
    ],
)
def test_every_part_of_the_file_is_checked(change: Any, expected: str) -> None:
    message = _error(_with(change))
    assert expected in message and "custom-ruleset.toml" in message


def test_every_rule_table_of_the_file_belongs_to_a_registered_rule() -> None:
    tables = {cls.table for cls in parameter_classes()}
    assert {f"rules.{name}" for name in SHIPPED["rules"]} <= tables
    assert all(rule.Params.table == "" or rule.Params.table in tables for rule in RULES)


def test_every_dated_window_is_discoverable_from_the_ruleset() -> None:
    entries = load_ruleset().dated_entries()
    found = {(entry.table, entry.key, entry.on) for entry in entries}
    assert ("rules.affiliates", "suspended_to", date(2026, 11, 9)) in found
    assert ("rules.is_informed", "from", date(2025, 4, 9)) in found
    assert ("rules.destination", "aca_from", date(2024, 4, 4)) in found
    assert any(
        entry.table.startswith("countries.changes") and entry.on == date(2026, 2, 3) for entry in entries
    )
    assert any(entry.key == "hbm_from" for entry in entries)
    assert [entry.on for entry in entries] == sorted(entry.on for entry in entries)


def test_a_ruleset_file_path_is_named_in_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(
        data_path("ruleset.toml").read_text(encoding="utf-8").replace("aca_from", "aca_form"),
        encoding="utf-8",
    )
    with pytest.raises(
        RulesetError, match=r"broken\.toml: \[rules\.destination\] has unknown key 'aca_form'"
    ):
        load_ruleset(broken)


def test_a_list_default_that_lets_unknown_lists_through_is_refused() -> None:
    message = _error(_with(lambda d: d["lists"].update(default="allow")))
    assert "[lists] default must be hold or deny" in message
