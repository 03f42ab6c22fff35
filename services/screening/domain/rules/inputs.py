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
        "decision date (`ship_date`, the lease's `start`..`end`, else `occurred_at`)",
        "`occurred_at` is required by the contract: an event without it is rejected (`INVALID_EVENT`); "
        "without a ship date or access period the event is decided as of `occurred_at`.",
    )
    SHIP_TO = (
        "ship-to country (`ship_to_country`)",
        "No destination leg is built, so R04, R05, R13 and R14 cannot run: an order with a controlled line "
        "is held.",
    )
    SHIP_FROM = (
        "ship-from country (`ship_from_country`)",
        "Taken as a direct export from the United States; held where that would let a licence clear an "
        "H200-class line to China/Macau (R14).",
    )
    PARTY_COUNTRY = (
        "party country (`country`)",
        "No onward leg to its country and no country evidence for list matching: any event is held.",
    )
    PARTY_HEADQUARTERS = (
        "party headquarters (`hq_country`, else the registry's)",
        "Its location stands in for its headquarters in the rules; with a controlled line, headquarters that "
        "neither the event nor the registry states hold the event.",
    )
    ULTIMATE_PARENT = (
        "ultimate parent's headquarters (ownership registry)",
        "With a controlled line, a party the registry does not know, or whose majority chain stops at an "
        "owner without a record or at unknown shares, holds the event.",
    )
    PARTY_NAMES = (
        "party names (`name`, `aliases`)",
        "Required by the contract (`name`); a name that identifies no one (a placeholder, a legal form "
        "alone, punctuation) holds any event.",
    )
    PARTY_ROLE = (
        "declared role of an intermediary or end user (`role`)",
        "No role-based red flag can fire.",
    )
    OWNERSHIP = (
        "ownership registry record and owners",
        "`OWNERSHIP_UNAVAILABLE` (hold) when the registry cannot be read, `OWNERSHIP_INVALID` (hold) when "
        "a record on the party's chain fails validation, `OWNERSHIP_UNKNOWN` (hold) when a high-risk party "
        "of an advanced-computing event has no record; with a controlled line, `ULTIMATE_PARENT_UNKNOWN`.",
    )
    LIST_MATCHES = (
        "control-list matches of the party names",
        "`LISTS_UNAVAILABLE` (hold) when no lists are loaded.",
    )
    ADDRESSES = (
        "ship-to and party addresses (`ship_to_address`, party `address`)",
        "Not screened against the list's addresses: no address hold can fire (names are still screened).",
    )
    LISTS_AGE = (
        "the lists' source date (file date, publication date, or the download's Last-Modified)",
        "Unknown: the lists count as stale under a maximum age, and every event is held (`LISTS_STALE`).",
    )
    ITEM_CLASSIFICATION = (
        "item classification (`eccn`, catalogue row, or `tpp` / `die_area_mm2` / `datacenter`)",
        "`CLASSIFICATION_UNKNOWN` (hold).",
    )
    ITEM_MODEL = (
        "item model (catalogue row)",
        "Without a catalogue row R13 still finds the models the notice names in the product string; R15 "
        "needs the catalogue's PRC-designed flag, and the line is held as unclassified when nothing else "
        "classifies it.",
    )
    ITEM_BANDWIDTH = (
        "item memory and interconnect bandwidth",
        "Whether an accelerator outside 3A090 reaches the H20's bandwidth cannot be told: held when it goes "
        "to China/D:5 or a party headquartered there. An unknown interconnect alone (memory bandwidth "
        "known) is not held.",
    )
    HARDWARE_COUNTRY = (
        "hardware location of a lease (`hardware_country`)",
        "No transfer leg can be built: a lease with a controlled line is held.",
    )
    ACCESS_MODE = (
        "access mode of a lease (`access`)",
        "Screened as remote access; a lease with a controlled line is held (dedicated access is a transfer).",
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
