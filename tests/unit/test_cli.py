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
    code = main(
        [
            "check",
            str(events),
            "--ownership",
            str(demo_path("ownership.jsonl")),
            "--licences",
            str(demo_path("licences.jsonl")),
        ]
    )
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


def lease_line(event_id: str, lease_id: str, quantity: bytes = b"8") -> bytes:
    return (
        b'{"event_id":"'
        + event_id.encode()
        + b'","occurred_at":"2026-12-01T10:00:00Z","lease_id":"'
        + lease_id.encode()
        + b'","lessee":{"name":"Example Research Institute GmbH","country":"DE"},'
        b'"resources":[{"product":"NVIDIA A100 80GB","quantity":' + quantity + b'}],"hardware_country":"US"}'
    )


def test_check_reads_any_line_ending_and_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A BOM, then lines ended by CR alone, CRLF, LF, CR again, and a last line with no ending at all.
    lines = [order_event(f"e{i}", f"SO-{i}") for i in range(4)] + [lease_line("e4", "L-4")]
    path = tmp_path / "events.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + lines[0]
        + b"\r"
        + lines[1]
        + b"\r\n"
        + lines[2]
        + b"\n"
        + lines[3]
        + b"\r"
        + lines[4]
    )
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    decided = [orjson.loads(line) for line in captured.out.splitlines()]
    assert [(d["event_id"], d["subject"]["kind"]) for d in decided] == [
        ("e0", "order"),
        ("e1", "order"),
        ("e2", "order"),
        ("e3", "order"),
        ("e4", "lease"),
    ]


def test_check_reports_every_unreadable_line_with_its_number_and_never_mis_kinds_a_lease(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        order_event("e-ok", "SO-OK"),
        b"{not json",
        lease_line("e-big", "L-BIG", b"9" * 4001),  # a 4,001-digit quantity: read as a lease, held
        b"",
        b'{"event_id": "e-none"}',
        lease_line("e-lease", "L-OK"),
    ]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    code = main(["check", str(path)])
    captured = capsys.readouterr()
    assert code == 1
    decided = [orjson.loads(line) for line in captured.out.splitlines()]
    assert [(d["event_id"], d["subject"]["kind"], d["outcome"]) for d in decided] == [
        ("e-ok", "order", "allow"),
        ("e-big", "lease", "hold"),
        ("e-lease", "lease", decided[2]["outcome"]),
    ]
    assert decided[1]["reasons"][0]["code"] == "INVALID_EVENT"
    reported = [
        line.split(": invalid event")[0] for line in captured.err.splitlines() if "invalid event" in line
    ]
    assert reported == [f"{path}:2", f"{path}:3", f"{path}:5"]


def test_check_counts_licences_on_file_given_with_licences_and_holds_those_not_on_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = Path(__file__).resolve().parents[1] / "golden" / "scenarios" / "29a-rtx4090-china-retail-nac"
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_bytes(orjson.dumps(orjson.loads((scenario / "event.json").read_bytes())) + b"\n")
    event, ownership = str(jsonl), str(scenario / "ownership.jsonl")
    licences = str(scenario / "licences.jsonl")
    assert main(["check", event, "--ownership", ownership, "--licences", licences]) == 0
    on_file = orjson.loads(capsys.readouterr().out)
    assert on_file["outcome"] == "allow"
    assert "LICENCE_VERIFIED" in {r["code"] for r in on_file["reasons"]}
    assert main(["check", event, "--ownership", ownership]) == 0
    only_in_event = orjson.loads(capsys.readouterr().out)
    assert only_in_event["outcome"] == "hold"
    assert {r["code"] for r in only_in_event["reasons"] if r["outcome"] == "hold"} == {"LICENCE_UNVERIFIED"}
