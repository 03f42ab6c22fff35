"""What the review page shows of a hold, read from the published decision (contract JSON) it carries.

The decision's evidence is nested differently by each rule; the matched list entries (`list_hit`) and the
ownership paths (`ownership_path`, `ownership_paths`, `exposure_paths`) are found wherever they are, so a
new rule's evidence shows up here without a change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from screening.ports import HoldView

_PATH_KEYS = ("ownership_path",)
_PATH_LIST_KEYS = ("ownership_paths", "exposure_paths")
_MAX_DEPTH = 12


@dataclass(frozen=True, slots=True)
class MatchedEntry:
    """A control-list entry a party of the held subject may be: what a reviewer can mark a false positive."""

    entry_id: str
    list_code: str
    entry_name: str
    matched_names: tuple[str, ...]
    best_score: float | None
    strong: bool
    parties: tuple[str, ...]
    """Who matched it: `role 'name'` for each party of the event."""


@dataclass(frozen=True, slots=True)
class PathStep:
    """One entity on an ownership path, with the share its child is owned by it when known."""

    entity_id: str
    name: str | None
    share: float | None


@dataclass(frozen=True, slots=True)
class OwnershipPath:
    """A chain of ownership from an event party up, with the rules and party roles that cited it; each
    step's `share` is the fraction of it held by the next step up (None at the top, or when unknown)."""

    codes: tuple[str, ...]
    party_roles: tuple[str, ...]
    steps: tuple[PathStep, ...]


@dataclass(frozen=True, slots=True)
class RecordedReview:
    """A review the service already recorded on this hold (e.g. the first of a four-eyes release)."""

    reviewer: str
    action: str
    reason: str
    reviewed_at: str


@dataclass(frozen=True, slots=True)
class HoldSummary:
    """A hold as the queue and its page show it."""

    kind: str
    subject_id: str
    decision_id: str
    held_since: datetime
    age: str
    codes: tuple[str, ...]
    reasons: tuple[Mapping[str, Any], ...]
    entries: tuple[MatchedEntry, ...]
    paths: tuple[OwnershipPath, ...]
    items: tuple[Mapping[str, Any], ...]
    versions: Mapping[str, Any]
    trigger: str
    event_id: str
    decided_at: str
    reviews: tuple[RecordedReview, ...] = field(default=())

    @property
    def releases(self) -> tuple[RecordedReview, ...]:
        """The releases recorded while the subject is still held: each by a different reviewer."""
        return tuple(review for review in self.reviews if review.action == "release")

    @property
    def release_status(self) -> str | None:
        """'1 of 2 reviewers released (alice)' when a release is recorded and the hold stands: a hold
        that one release did not end waits for a second reviewer (four eyes)."""
        releases = self.releases
        if not releases:
            return None
        names = ", ".join(review.reviewer for review in releases)
        return f"{len(releases)} of {len(releases) + 1} reviewers released ({names})"

    def reviewed_by(self, reviewer: str) -> bool:
        """Whether `reviewer` already released this hold (a second release must come from someone else)."""
        return any(review.reviewer == reviewer for review in self.releases)


def describe_age(held_since: datetime, now: datetime) -> str:
    """A hold's age for a reader: '45 s', '12 min', '3 h 20 min', '2 d 4 h'."""
    seconds = max(0, int((now - held_since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _walk(value: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of the nested evidence, depth first, bounded."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield str(key), child
            yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)


def _path(steps: Any) -> tuple[PathStep, ...]:
    if not isinstance(steps, list):
        return ()
    found = []
    for step in steps:
        if isinstance(step, Mapping) and step.get("entity_id") is not None:
            share = step.get("share")
            found.append(
                PathStep(
                    str(step["entity_id"]),
                    str(step["name"]) if step.get("name") is not None else None,
                    float(share) if isinstance(share, int | float) else None,
                )
            )
    return tuple(found)


def matched_entries(reasons: Sequence[Mapping[str, Any]]) -> tuple[MatchedEntry, ...]:
    """Every list entry the reasons cite as a match (`list_hit`), once each, in the order first cited."""
    by_id: dict[str, dict[str, Any]] = {}
    for reason in reasons:
        who = f"{reason.get('party_role') or 'party'}"
        for key, value in _walk(reason.get("evidence", {})):
            if key != "list_hit" or not isinstance(value, Mapping) or not value.get("entry_id"):
                continue
            entry = by_id.setdefault(
                str(value["entry_id"]),
                {
                    "list": str(value.get("list", "")),
                    "name": str(value.get("entry_name", "")),
                    "matched": [],
                    "score": None,
                    "strong": False,
                    "parties": [],
                },
            )
            matched, query = value.get("matched_name"), value.get("query")
            if matched and str(matched) not in entry["matched"]:
                entry["matched"].append(str(matched))
            score = value.get("score")
            if isinstance(score, int | float) and (entry["score"] is None or score > entry["score"]):
                entry["score"] = float(score)
            entry["strong"] = entry["strong"] or bool(value.get("strong"))
            party = f"{who} '{query}'" if query else who
            if party not in entry["parties"]:
                entry["parties"].append(party)
    return tuple(
        MatchedEntry(
            entry_id,
            e["list"],
            e["name"],
            tuple(e["matched"]),
            e["score"],
            e["strong"],
            tuple(e["parties"]),
        )
        for entry_id, e in by_id.items()
    )


def ownership_paths(reasons: Sequence[Mapping[str, Any]]) -> tuple[OwnershipPath, ...]:
    """Every ownership path the reasons cite, once each: a path cited for several parties or by several
    rules shows once, with every party role and rule that cited it."""
    found: dict[tuple[PathStep, ...], tuple[list[str], list[str]]] = {}
    for reason in reasons:
        role, code = reason.get("party_role"), str(reason.get("code", ""))
        for key, value in _walk(reason.get("evidence", {})):
            candidates = [value] if key in _PATH_KEYS else value if key in _PATH_LIST_KEYS else []
            if not isinstance(candidates, list):
                continue
            for candidate in candidates:
                steps = _path(candidate)
                if len(steps) < 2:
                    continue
                codes, roles = found.setdefault(steps, ([], []))
                if code not in codes:
                    codes.append(code)
                if role and str(role) not in roles:
                    roles.append(str(role))
    return tuple(OwnershipPath(tuple(codes), tuple(roles), steps) for steps, (codes, roles) in found.items())


def _recorded(review: Mapping[str, Any]) -> RecordedReview:
    return RecordedReview(
        reviewer=str(review.get("reviewer", "?")),
        action=str(review.get("action", "?")),
        reason=str(review.get("reason", "")),
        reviewed_at=str(review.get("reviewed_at", "")),
    )


def summarise(hold: HoldView, now: datetime) -> HoldSummary:
    """The hold as the page shows it; `now` gives its age."""
    decision = hold.decision
    reasons = tuple(r for r in decision.get("reasons", []) if isinstance(r, Mapping))
    versions = decision.get("versions")
    codes = tuple(dict.fromkeys(str(r.get("code", "")) for r in reasons if r.get("outcome") != "allow"))
    return HoldSummary(
        kind=hold.kind,
        subject_id=hold.subject_id,
        decision_id=str(decision.get("decision_id", "")),
        held_since=hold.held_since,
        age=describe_age(hold.held_since, now),
        codes=codes,
        reasons=reasons,
        entries=matched_entries(reasons),
        paths=ownership_paths(reasons),
        items=tuple(i for i in decision.get("items", []) if isinstance(i, Mapping)),
        versions=versions if isinstance(versions, Mapping) else {},
        trigger=str(decision.get("trigger", "")),
        event_id=str(decision.get("event_id", "")),
        decided_at=str(decision.get("decided_at", "")),
        reviews=tuple(_recorded(r) for r in hold.reviews if isinstance(r, Mapping)),
    )
