"""Held decisions for the review page's tests, shaped as the service publishes them."""

from __future__ import annotations

from typing import Any

CMIC_ENTRY = "21bf782aead343e4b652bb4d466767885d1eaca222d102f7d6abba74"
OTHER_ENTRY = "0f00ba11"


def held_decision(
    subject_id: str = "SO-9001", decision_id: str = "dec-1", message: str | None = None
) -> dict[str, Any]:
    """A hold with a possible list match for two parties, an ownership path and a classified item."""
    hit = {
        "list": "CMIC",
        "entry_id": CMIC_ENTRY,
        "entry_name": "Sensetime Group Limited",
        "matched_name": "商汤科技",
        "query": "Shangtang Technology (Singapore) Pte. Ltd.",
        "score": 0.8586,
        "strong": False,
    }
    path = [
        {"entity_id": "sg-201912345K", "name": "Shangtang Technology (Singapore) Pte. Ltd.", "share": 1.0},
        {"entity_id": "ky-sensetime-group", "name": "SenseTime Group Limited"},
    ]
    return {
        "decision_id": decision_id,
        "event_id": f"evt-{subject_id}",
        "subject": {"kind": "order", "id": subject_id},
        "outcome": "hold",
        "reasons": [
            {
                "code": "POSSIBLE_LIST_MATCH",
                "outcome": "hold",
                "party_role": role,
                "line_id": None,
                "message": message or f"{role} may match CMIC entry 'Sensetime Group Limited'",
                "evidence": {"list_hit": hit},
            }
            for role in ("buyer", "end_user")
        ]
        + [
            {
                "code": "ULTIMATE_PARENT_UNKNOWN",
                "outcome": "hold",
                "party_role": "buyer",
                "line_id": "1",
                "message": "buyer's ultimate parent cannot be told",
                "evidence": {"ultimate_parent": {"entity_id": "ky-sensetime-group", "ownership_path": path}},
            }
        ],
        "items": [
            {
                "line_id": "1",
                "eccn": "4A090.a",
                "tpp": 15832.0,
                "performance_density": 19.45,
                "basis": "catalogue",
                "product": "HGX H100 8-GPU",
            }
        ],
        "trigger": "event",
        "versions": {"ruleset": "2026.11.1", "lists": "csl:2026-07-31:abc", "ownership": "2026-06-30:11"},
        "decided_at": "2026-11-30T10:00:00.000Z",
    }
