"""`screening calendar` lists the boundaries of the shipped ruleset."""

from __future__ import annotations

import orjson
import pytest

from screening.cli import main


def test_the_calendar_command_lists_every_boundary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("2026-11-10: rules.affiliates suspended_to ended 2026-11-09")
    assert any(line.startswith("2026-07-10: ") and "AE add A5" in line for line in lines)
    assert [line[:10] for line in lines] == sorted(line[:10] for line in lines)


def test_the_calendar_command_filters_and_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "--json", "--after", "2026-07-10"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    found = orjson.loads(line)
    assert found["date"] == "2026-11-10"
    assert found["changes"][0]["key"] == "suspended_to"
