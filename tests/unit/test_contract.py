"""The contract: schemas/ matches the code, and the example payloads validate."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import orjson
import pytest

from screening import wire
from screening.codec import Rejected, decision_to_dict, decode_event
from screening.domain.model import Decision, ItemClassification, Outcome, Reason, Versions
from screening.schemas import asyncapi_document, json_schemas, render

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EXAMPLES = SCHEMAS / "examples"


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_json_schema_files_match_the_wire_models(name: str) -> None:
    committed = (SCHEMAS / name).read_text(encoding="utf-8")
    assert committed == render(json_schemas()[name]), f"schemas/{name} drifted: run `make schemas`"


def test_asyncapi_document_matches_the_app() -> None:
    committed = (SCHEMAS / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render(asyncapi_document()), "schemas/asyncapi.json drifted: run `make schemas`"


@pytest.mark.parametrize(
    ("example", "model"),
    [
        ("order.json", wire.OrderEventV1),
        ("lease.json", wire.LeaseEventV1),
        ("ownership.json", wire.OwnershipRecordV1),
        ("decision.json", wire.DecisionV1),
        ("dlq.json", wire.DlqRecordV1),
        ("review.json", wire.ReviewV1),
        ("licence.json", wire.LicenceRecordV1),
    ],
)
def test_examples_validate_against_their_models(example: str, model: type[wire.BaseModel]) -> None:
    model.model_validate_json((EXAMPLES / example).read_bytes())


def test_an_example_with_a_bad_country_code_is_rejected() -> None:
    data = json.loads((EXAMPLES / "order.json").read_text())
    data["buyer"]["country"] = "Singapore"
    rejected = decode_event("order", orjson.dumps(data))
    assert isinstance(rejected, Rejected)
    assert rejected.error_kind == "schema" and rejected.event_id == "evt-2026-000123"


def test_encoded_decisions_validate_against_the_decision_model() -> None:
    from datetime import datetime

    decision = Decision(
        decision_id="dec-1",
        event_id="evt-1",
        subject_kind="lease",
        subject_id="L-1",
        outcome=Outcome.HOLD,
        reasons=(Reason(code="OWNERSHIP_UNKNOWN", outcome=Outcome.HOLD, message="m", party_role="lessee"),),
        items=(
            ItemClassification(
                line_id="r1", eccn="3A090.a", tpp=4992, performance_density=6.04, basis="catalogue"
            ),
        ),
        trigger="event",
        versions=Versions("r", "l", "o"),
        decided_at=datetime(2026, 8, 1, tzinfo=UTC),
    )
    parsed = wire.DecisionV1.model_validate(decision_to_dict(decision))
    assert parsed.outcome == "hold" and parsed.subject.kind == "lease"
