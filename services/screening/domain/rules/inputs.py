"""The inputs rules read, and what the service decides when one is missing.

Every rule declares the inputs it needs (`Rule.inputs`). `docs/rules.md` is generated from the
declarations: for each rule its citation, its inputs, and for each input what happens when it is absent.
"""

from __future__ import annotations

from enum import StrEnum


class Input(StrEnum):
    """A field or fact a rule reads; `missing` says what the service decides when it is absent."""

    missing: str

    def __new__(cls, label: str, missing: str) -> Input:
        member = str.__new__(cls, label)
        member._value_ = label
        member.missing = missing
        return member

    EVENT_DATE = (
        "event date (`occurred_at`)",
        "Required by the contract: an event without it is rejected (`INVALID_EVENT`).",
    )
    SHIP_TO = (
        "ship-to country (`ship_to_country`)",
        "No destination leg is built: the destination rules cannot run.",
    )
    SHIP_FROM = (
        "ship-from country (`ship_from_country`)",
        "Taken as an export from the United States.",
    )
    PARTY_COUNTRY = (
        "party country (`country`)",
        "The party's location is unknown: no onward leg to its country; its headquarters are taken from "
        "the registry only.",
    )
    PARTY_HEADQUARTERS = (
        "party headquarters (`hq_country`, else the registry's)",
        "The party's location is taken as its headquarters.",
    )
    ULTIMATE_PARENT = (
        "ultimate parent's headquarters (ownership registry)",
        "The party is taken to have no parent above it.",
    )
    PARTY_NAMES = (
        "party names (`name`, `aliases`)",
        "Required by the contract (`name`).",
    )
    PARTY_ROLE = (
        "declared role of an intermediary or end user (`role`)",
        "No role-based red flag can fire.",
    )
    OWNERSHIP = (
        "ownership registry record and owners",
        "`OWNERSHIP_UNAVAILABLE` (hold) when the registry cannot be read; `OWNERSHIP_UNKNOWN` (hold) "
        "when a high-risk party has no record.",
    )
    LIST_MATCHES = (
        "control-list matches of the party names",
        "`LISTS_UNAVAILABLE` (hold) when no lists are loaded.",
    )
    ITEM_CLASSIFICATION = (
        "item classification (`eccn`, catalogue row, or `tpp` / `die_area_mm2` / `datacenter`)",
        "`CLASSIFICATION_UNKNOWN` (hold).",
    )
    ITEM_MODEL = (
        "item model (catalogue row)",
        "The model-based rule does not fire.",
    )
    ITEM_BANDWIDTH = (
        "item memory and interconnect bandwidth",
        "The bandwidth test does not fire.",
    )
    HARDWARE_COUNTRY = (
        "hardware location of a lease (`hardware_country`)",
        "No transfer leg is built for a dedicated lease.",
    )
    ACCESS_MODE = (
        "access mode of a lease (`access`)",
        "Treated as remote access.",
    )
    LICENCES = (
        "licences on file (`licenses`)",
        "None on file: every licence requirement stands.",
    )
    DECLARED_USE = (
        "declared end use or purpose (`end_use`, `purpose`)",
        "Nothing declared: the end-use rules that key on declarations do not fire; the GP10 evaluation "
        "exception does not apply.",
    )
    RECEIVED_AT = (
        "time the event was received (`received_at`: the Kafka record's timestamp)",
        "No plausibility check of `occurred_at` (as in `screening check`).",
    )
    EVENT_ID = (
        "event id and content digest (the decision ledger)",
        "Required by the contract (`event_id`).",
    )
    LIFECYCLE = (
        "event action and title transfer (`action`, `title_transfer`)",
        "The contract defaults apply (`create` / `start`, no title transfer).",
    )
