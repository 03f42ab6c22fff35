"""The JSON Schemas and AsyncAPI document of the contract, generated from the code.

`scripts/generate_schemas.py` writes them into `schemas/`; a test fails when the files drift from this.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from screening import wire

MODELS: dict[str, type[BaseModel]] = {
    "order.v1.schema.json": wire.OrderEventV1,
    "lease.v1.schema.json": wire.LeaseEventV1,
    "ownership.v1.schema.json": wire.OwnershipRecordV1,
    "decision.v1.schema.json": wire.DecisionV1,
    "dlq.v1.schema.json": wire.DlqRecordV1,
    "review.v1.schema.json": wire.ReviewV1,
    "licence.v1.schema.json": wire.LicenceRecordV1,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema of each wire model."""
    return {name: model.model_json_schema(mode="validation") for name, model in MODELS.items()}


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI document FastStream generates for `screening serve` with default settings."""
    from faststream.specification import AsyncAPI

    from screening.app import create_runtime
    from screening.config import KafkaSettings, MetricsSettings, Settings

    # Explicit defaults: the environment (a test run's SCREENING_KAFKA__BOOTSTRAP_SERVERS) must not leak in.
    runtime = create_runtime(Settings(kafka=KafkaSettings(), metrics=MetricsSettings(enabled=False)))
    spec = AsyncAPI(
        runtime.broker,
        title="export-screening",
        version="1",
        description="Screens AI-chip orders and GPU leases against US export controls; contract v1.",
        schema_version="3.0.0",
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return document


def render(document: dict[str, Any]) -> str:
    """Stable text form of a generated document."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
