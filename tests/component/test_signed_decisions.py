"""The wired app signs every decision it publishes when given a key, and says so in readiness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faststream.kafka import TestKafkaBroker

from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOpenSubjects, InMemoryOwnershipRegistry
from screening.app import Runtime, create_runtime
from screening.config import MetricsSettings, Settings, SigningSettings
from screening.ops import readiness
from screening.signing import DecisionVerifier
from tests.support import order_event


def _runtime(shipped_lists: Any, key_file: Path | None) -> Runtime:
    runtime = create_runtime(
        Settings(metrics=MetricsSettings(enabled=False), signing=SigningSettings(key_file=key_file)),
        registry=InMemoryOwnershipRegistry(),
        ledger=InMemoryDecisionLedger(),
        subjects=InMemoryOpenSubjects(),
    )
    runtime.lists.current = shipped_lists
    return runtime


async def _decide(runtime: Runtime) -> list[dict[str, Any]]:
    published: list[dict[str, Any]] = []

    @runtime.broker.subscriber("screening.decisions.v1")
    async def collect(body: dict[str, Any]) -> None:
        published.append(body)

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(order_event("e1", "SO-1"), topic="screening.orders.v1", key=b"SO-1")
        # not valid against the schema but names its subject: an INVALID_EVENT hold, signed too
        await broker.publish(
            b'{"event_id": "e2", "order_id": "SO-2"}', topic="screening.orders.v1", key=b"SO-2"
        )
    return published


async def test_every_published_decision_is_signed_with_the_configured_key(
    tmp_path: Path, shipped_lists
) -> None:
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    runtime = _runtime(shipped_lists, key_file)
    published = await _decide(runtime)
    verifier = DecisionVerifier([key.public_key()])
    assert sorted(p["subject"]["id"] for p in published) == ["SO-1", "SO-2"]
    assert all(verifier.verify(p).ok for p in published)
    assert runtime.signer is not None
    checks = await readiness(runtime)
    assert checks["signing"] == f"ed25519:{runtime.signer.key_id}"


async def test_without_a_key_decisions_are_unsigned_and_readiness_says_so(shipped_lists) -> None:
    runtime = _runtime(shipped_lists, None)
    published = await _decide(runtime)
    assert published and all("signature" not in p for p in published)
    assert (await readiness(runtime))["signing"] == "off"
