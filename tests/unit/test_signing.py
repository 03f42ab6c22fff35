"""Signed decisions: a changed decision or signature is caught by `screening verify`."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from screening.cli import build_parser
from screening.signing import DecisionSigner, DecisionVerifier, SigningKeyError, canonical_bytes
from screening.verify_command import run
from screening.wire import DecisionV1

DECISION = {
    "decision_id": "dec-1",
    "event_id": "evt-1",
    "subject": {"kind": "order", "id": "SO-1"},
    "outcome": "deny",
    "reasons": [
        {
            "code": "LISTED_PARTY",
            "outcome": "deny",
            "party_role": "buyer",
            "line_id": None,
            "message": "buyer matches 华为技术有限公司 on the Entity List",
            "evidence": {"score": 0.97, "ownership_path": [{"entity_id": "cn-1", "share": 1.0}]},
        }
    ],
    "items": [
        {"line_id": "1", "eccn": "3A090.a", "tpp": 15832.0, "performance_density": 19.45, "basis": "x"}
    ],
    "trigger": "event",
    "versions": {"ruleset": "2026.11.1", "lists": "csl:2026-07-31", "ownership": "2026-06-30:4"},
    "decided_at": "2026-08-01T09:30:00.012Z",
}


def _write_keys(directory: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = directory / f"{name}.pem"
    public = directory / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


@pytest.fixture
def keys(tmp_path: Path) -> tuple[DecisionSigner, Path]:
    private, public = _write_keys(tmp_path, "service")
    return DecisionSigner.from_file(private), public


def test_canonical_bytes_leave_out_the_signature_and_do_not_depend_on_key_order() -> None:
    reordered = dict(reversed(list(DECISION.items())))
    assert canonical_bytes(reordered) == canonical_bytes(DECISION)
    assert canonical_bytes({**DECISION, "signature": {"alg": "ed25519"}}) == canonical_bytes(DECISION)
    assert canonical_bytes({"b": 1, "a": [1.5, "華"]}) == '{"a":[1.5,"華"],"b":1}'.encode()


def test_a_signed_decision_verifies_and_fits_the_wire_model(keys: tuple[DecisionSigner, Path]) -> None:
    signer, public = keys
    signed = signer.sign_encoded(orjson.dumps(DECISION))
    verifier = DecisionVerifier.from_files([public])
    assert verifier.verify_encoded(signed).ok
    wire = DecisionV1.model_validate_json(signed)
    assert wire.signature is not None
    assert wire.signature.alg == "ed25519" and wire.signature.key_id == signer.key_id
    assert len(base64.b64decode(wire.signature.value)) == 64


def test_a_changed_outcome_or_signature_is_rejected(keys: tuple[DecisionSigner, Path]) -> None:
    signer, public = keys
    verifier = DecisionVerifier.from_files([public])
    signed = orjson.loads(signer.sign_encoded(orjson.dumps(DECISION)))

    forged = {**signed, "outcome": "allow", "reasons": []}
    verdict = verifier.verify(forged)
    assert not verdict.ok and verdict.problem is not None and "bad signature" in verdict.problem

    value = bytearray(base64.b64decode(signed["signature"]["value"]))
    value[0] ^= 1
    tampered = {**signed, "signature": {**signed["signature"], "value": base64.b64encode(value).decode()}}
    assert verifier.verify(tampered).problem == "bad signature: the decision or its signature was changed"

    assert verifier.verify(DECISION).problem == "unsigned"


def test_a_decision_signed_by_another_key_is_rejected(
    tmp_path: Path, keys: tuple[DecisionSigner, Path]
) -> None:
    _, trusted = keys
    other_private, _ = _write_keys(tmp_path, "intruder")
    forged = DecisionSigner.from_file(other_private).sign_encoded(
        orjson.dumps({**DECISION, "outcome": "allow"})
    )
    verdict = DecisionVerifier.from_files([trusted]).verify_encoded(forged)
    assert not verdict.ok and verdict.problem is not None and "unknown key id" in verdict.problem


def test_screening_verify_reports_each_bad_decision_and_fails(
    tmp_path: Path, keys: tuple[DecisionSigner, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    signer, public = keys
    good = signer.sign_encoded(orjson.dumps(DECISION))
    changed = orjson.loads(signer.sign_encoded(orjson.dumps({**DECISION, "decision_id": "dec-2"})))
    changed["outcome"] = "allow"
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_bytes(
        b"\n".join(
            [good, orjson.dumps(changed), orjson.dumps({**DECISION, "decision_id": "dec-3"}), b"{oops"]
        )
        + b"\n"
    )
    out = io.StringIO()
    args = build_parser().parse_args(["verify", "--public-key", str(public), str(decisions)])
    assert run(args, out) == 1
    reports = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["where"], r.get("decision_id"), r["problem"]) for r in reports] == [
        (f"{decisions}:2", "dec-2", "bad signature: the decision or its signature was changed"),
        (f"{decisions}:3", "dec-3", "unsigned"),
        (f"{decisions}:4", None, "not JSON"),
    ]
    assert "4 decisions checked, 1 good, 3 bad" in capsys.readouterr().err

    only_good = tmp_path / "good.jsonl"
    only_good.write_bytes(good + b"\n")
    args = build_parser().parse_args(["verify", "--public-key", str(public), str(only_good)])
    assert run(args, io.StringIO()) == 0


def test_a_key_file_of_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    _, public = _write_keys(tmp_path, "k")
    with pytest.raises(SigningKeyError, match="not a PEM private key"):
        DecisionSigner.from_file(public)
    with pytest.raises(SigningKeyError, match="cannot read"):
        DecisionSigner.from_file(tmp_path / "missing.pem")
