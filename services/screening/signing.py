"""Signed decisions: Ed25519 signatures over a decision's canonical bytes, and their verification.

A consumer of `screening.decisions.v1` that checks the signature knows a decision came from a holder
of the service's private key and was not changed on the way, so a forged `allow` written by anyone
else who can reach the topic is refused.

Canonical bytes of a decision: its JSON object without the `signature` field, serialised as Python's
`json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`,
encoded as UTF-8: keys sorted at every level, no whitespace, strings unescaped beyond what JSON
requires, numbers as their shortest round-trip form. The signature field is
`{"alg": "ed25519", "key_id": "<16 hex digits of the SHA-256 of the raw public key>", "value": "<base64
of the 64-byte signature>"}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"


class SigningKeyError(ValueError):
    """A key file that cannot be used for signing or verifying (the message names the file only)."""


def canonical_bytes(decision: Mapping[str, Any]) -> bytes:
    """The bytes a decision's signature covers: the decision without `signature`, canonical JSON."""
    body = {key: value for key, value in decision.items() if key != "signature"}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: 16 hex digits of the SHA-256 of its raw 32 bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class DecisionSigner:
    """Signs decisions with one Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.key_id = key_id_of(private_key.public_key())

    @classmethod
    def from_file(cls, path: Path) -> DecisionSigner:
        """Load a PEM (PKCS#8, unencrypted) Ed25519 private key, as `openssl genpkey -algorithm ed25519`
        writes it."""
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except OSError as error:
            raise SigningKeyError(f"cannot read the signing key file {path}: {error.strerror}") from None
        except (ValueError, TypeError) as error:
            raise SigningKeyError(f"the signing key file {path} is not a PEM private key: {error}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"the signing key in {path} is not an Ed25519 key")
        return cls(key)

    def signature(self, decision: Mapping[str, Any]) -> dict[str, str]:
        """The `signature` field for a decision (its current `signature`, if any, is not covered)."""
        value = self._key.sign(canonical_bytes(decision))
        return {"alg": ALGORITHM, "key_id": self.key_id, "value": base64.b64encode(value).decode("ascii")}

    def sign_encoded(self, encoded: bytes) -> bytes:
        """An encoded decision (JSON bytes) with its `signature` field added."""
        decision = orjson.loads(encoded)
        decision["signature"] = self.signature(decision)
        return orjson.dumps(decision)


@dataclass(frozen=True)
class Verdict:
    """The result of checking one decision: `ok`, or why not."""

    ok: bool
    problem: str | None = None


class DecisionVerifier:
    """Checks decision signatures against a set of trusted public keys, chosen by key id."""

    def __init__(self, public_keys: Iterable[Ed25519PublicKey]) -> None:
        self._keys = {key_id_of(key): key for key in public_keys}

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> DecisionVerifier:
        """Trust the PEM public keys (SubjectPublicKeyInfo) in these files."""
        keys: list[Ed25519PublicKey] = []
        for path in paths:
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except OSError as error:
                raise SigningKeyError(f"cannot read the public key file {path}: {error.strerror}") from None
            except (ValueError, TypeError) as error:
                raise SigningKeyError(f"the file {path} is not a PEM public key: {error}") from None
            if not isinstance(key, Ed25519PublicKey):
                raise SigningKeyError(f"the public key in {path} is not an Ed25519 key")
            keys.append(key)
        return cls(keys)

    @property
    def key_ids(self) -> list[str]:
        """Ids of the trusted keys."""
        return sorted(self._keys)

    def verify(self, decision: object) -> Verdict:
        """Check one decoded decision."""
        if not isinstance(decision, dict):
            return Verdict(False, "not a JSON object")
        signature = decision.get("signature")
        if signature is None:
            return Verdict(False, "unsigned")
        if not isinstance(signature, dict):
            return Verdict(False, "signature is not an object")
        if signature.get("alg") != ALGORITHM:
            return Verdict(False, f"unsupported signature algorithm {signature.get('alg')!r}")
        key = self._keys.get(str(signature.get("key_id")))
        if key is None:
            return Verdict(False, f"signed with an unknown key id {signature.get('key_id')!r}")
        try:
            value = base64.b64decode(str(signature.get("value")), validate=True)
        except (binascii.Error, ValueError):
            return Verdict(False, "signature value is not base64")
        try:
            key.verify(value, canonical_bytes(decision))
        except InvalidSignature:
            return Verdict(False, "bad signature: the decision or its signature was changed")
        except ValueError as error:  # a value canonical JSON cannot hold (NaN, ...)
            return Verdict(False, f"not canonical JSON: {error}")
        return Verdict(True)

    def verify_encoded(self, encoded: bytes | None) -> Verdict:
        """Check one decision as it was published (JSON bytes)."""
        if encoded is None:
            return Verdict(False, "empty message")
        try:
            decision = orjson.loads(encoded)
        except orjson.JSONDecodeError:
            return Verdict(False, "not JSON")
        return self.verify(decision)
