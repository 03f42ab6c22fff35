"""Cleared matches: a list match a reviewer released as a false positive, remembered for that party.

A clearance is (party identity, list entry id, SHA-256 of the entry's content) with who cleared it, when,
and on which review. The same party against the same, unchanged entry is not held again: its decision
says the match was cleared (`LIST_MATCH_CLEARED`, allow), by whom and when. When the entry changes in a new
list version (another name, alias, address, programme...), its content hash differs, the clearance lapses
and the match is held again, saying which clearance lapsed. A match the list policy denies (a strong match
on a deny list) is never cleared.

The party's identity is its `party_id` when the event gives one, else its primary name (case, punctuation
and spacing aside) and country: another name or another country is another party, held until reviewed.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from screening.domain.lists import ListEntry
from screening.domain.model import Event, Party, Reason

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Clearance:
    """A reviewer's finding that a party is not a list entry, as long as the entry stays as it was."""

    party: str
    """The party's identity (`party_identity`)."""
    entry_id: str
    entry_hash: str
    """`entry_fingerprint` of the entry when it was cleared."""
    reviewers: tuple[str, ...]
    cleared_at: datetime
    review_id: str
    lists_version: str
    party_name: str = ""
    entry_name: str = ""

    def evidence(self) -> dict[str, Any]:
        """The clearance as decision evidence."""
        return {
            "party": self.party,
            "entry_id": self.entry_id,
            "entry_sha256": self.entry_hash,
            "cleared_by": list(self.reviewers),
            "cleared_at": self.cleared_at.isoformat(),
            "review_id": self.review_id,
            "lists_version": self.lists_version,
        }

    def to_mapping(self) -> dict[str, Any]:
        """The clearance as stored (JSON-ready)."""
        data = asdict(self)
        data["reviewers"] = list(self.reviewers)
        data["cleared_at"] = self.cleared_at.isoformat()
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Clearance:
        """A stored clearance; raises `ValueError` (or `KeyError`, `TypeError`) when it is not one."""
        return cls(
            party=str(data["party"]),
            entry_id=str(data["entry_id"]),
            entry_hash=str(data["entry_hash"]),
            reviewers=tuple(str(name) for name in data["reviewers"]),
            cleared_at=datetime.fromisoformat(str(data["cleared_at"])),
            review_id=str(data["review_id"]),
            lists_version=str(data["lists_version"]),
            party_name=str(data.get("party_name", "")),
            entry_name=str(data.get("entry_name", "")),
        )


Clearances = Mapping[str, Mapping[str, Clearance]]
"""Party identity → list entry id → clearance: what a batch's parties have cleared."""


def party_identity(party: Party) -> str:
    """Who a party is, for clearances: its `party_id`, else its primary name (NFKC, case-folded, words
    only) and country."""
    if party.party_id:
        return f"id:{party.party_id.strip()}"
    words = " ".join(_WORD.findall(unicodedata.normalize("NFKC", party.name).casefold()))
    return f"name:{words}|{(party.country or '').upper()}"


def entry_fingerprint(entry: ListEntry) -> str:
    """SHA-256 (hex) of everything a list entry says: a change to any field changes it."""
    canonical = json.dumps(asdict(entry), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def cleared_parties(
    event: Event, reasons: Iterable[Reason], entry_ids: Sequence[str]
) -> list[tuple[Party, str]]:
    """(party, entry id) for each party of `event` whose list match named in `reasons` is one of
    `entry_ids`: the party of the reason's role whose names include the name that matched."""
    wanted = set(entry_ids)
    found: dict[tuple[str, str], tuple[Party, str]] = {}
    for reason in reasons:
        hit = reason.evidence.get("list_hit")
        if not isinstance(hit, Mapping) or hit.get("entry_id") not in wanted:
            continue
        for party in event.parties:
            if party.role == reason.party_role and hit.get("query") in party.names:
                found.setdefault((party_identity(party), str(hit["entry_id"])), (party, str(hit["entry_id"])))
                break
    return list(found.values())
