"""The `screening` command as a user runs it: check and match, with no Kafka and no Redis."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

from screening.cli import main
from screening.resources import demo_path
from tests.support import order_event


def run(
    argv: list[str], stdin: bytes = b"", capsys: pytest.CaptureFixture[str] | None = None
) -> tuple[int, str]:
    if stdin:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = main(argv)
    finally:
        sys.stdin = sys.__stdin__
    assert capsys is not None
    return code, capsys.readouterr().out


def test_match_finds_the_listed_sensetime_entity_under_a_spacing_variant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(
        ["match", "Sense Time Technology Development Co Ltd", "--country", "CN", "--json"], capsys=capsys
    )
    assert code == 0
    (line,) = out.splitlines()
    answer = orjson.loads(line)
    best = answer["hits"][0]
    assert best["source"] == "EL" and best["outcome"] == "deny"
    assert best["name"] == "Beijing Sensetime Technology Development Co., Ltd."
    assert 0 <= best["score"] <= 1 and best["why"]


def test_match_reads_jsonl_from_stdin_one_answer_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    stdin = b'{"name": "iFlyTek", "country": "CN"}\n{"name": "Lenovo Group Limited", "country": "CN"}\n'
    code, out = run(["match", "--file", "-", "--json"], stdin=stdin, capsys=capsys)
    assert code == 0
    first, second = (orjson.loads(line) for line in out.splitlines())
    assert first["hits"][0]["name"] == "IFLYTEK" and first["hits"][0]["outcome"] == "deny"
    assert not [hit for hit in second["hits"] if hit["outcome"] == "deny"]


def test_check_prints_one_decision_per_event_in_input_order(capsys: pytest.CaptureFixture[str]) -> None:
    events = demo_path("events.jsonl")
    code = main(["check", str(events), "--ownership", str(demo_path("ownership.jsonl"))])
    out = capsys.readouterr().out
    assert code == 0
    decided = [orjson.loads(line)["event_id"] for line in out.splitlines()]
    expected = [orjson.loads(line)["event_id"] for line in events.read_bytes().splitlines() if line.strip()]
    assert decided == expected


def test_check_holds_an_invalid_event_that_names_its_subject_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.jsonl"
    invalid = orjson.dumps({"event_id": "e-bad", "order_id": "SO-BAD", "buyer": {}})
    path.write_bytes(b"\n".join([order_event("e-ok", "SO-OK"), invalid, b"{not json"]) + b"\n")
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    decisions = [orjson.loads(line) for line in captured.out.splitlines()]
    assert [(d["event_id"], d["outcome"]) for d in decisions] == [("e-ok", "allow"), ("e-bad", "hold")]
    assert decisions[1]["reasons"][0]["code"] == "INVALID_EVENT"
    assert captured.err.count("invalid event") == 2
