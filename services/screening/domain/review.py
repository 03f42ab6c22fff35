"""Reviews of held decisions, as pure functions: who may release what, and the decision a review makes.

A reviewer `release`s a hold (→ `allow`), `confirm`s it (→ `deny`) or asks for information (`request_info`:
the hold stands, the review is recorded). Releasing a hold that carries a possible match against a deny
list, an ownership reason or a red flag needs two different reviewers (four eyes): the first release is
recorded and the hold stands until a second, different reviewer releases it. A review must name the
subject's current hold; anything else is rejected with a reason (the service dead-letters it).

The decision a review makes keeps the reviewed decision's event, items and versions (it decides the same
event on the same data); its reasons say who reviewed and why (`REVIEW_RELEASED` / `REVIEW_CONFIRMED`,
with every review in the evidence), and the held reasons stay in it: downgraded to `allow` with
`outcome_before_review` on a release, as they were on a confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from screening.domain.engine import decision_id_for
from screening.domain.model import Decision, Outcome, Reason
from screening.domain.reasons import Family, ReasonCode


class ReviewAction(StrEnum):
    """What a reviewer decided."""

    RELEASE = "release"
    CONFIRM = "confirm"
    REQUEST_INFO = "request_info"


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer's verdict on one held decision (`screening.reviews.v1`)."""

    review_id: str
    kind: str
    subject_id: str
    decision_id: str
    action: ReviewAction
    reviewer: str
    reason: str
    reviewed_at: datetime
    false_positive_entries: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        """The review as decision evidence."""
        return {
            "review_id": self.review_id,
            "reviewer": self.reviewer,
            "action": self.action.value,
            "reason": self.reason,
            "reviewed_at": self.reviewed_at.isoformat(),
            "false_positive_entries": list(self.false_positive_entries),
        }


class ReviewRejected(ValueError):
    """A review that cannot be applied: stale, of an unknown hold, by a reviewer not allowed, or asking
    for what the hold does not allow. The message says which."""


LIST_MATCH_CODES = frozenset({ReasonCode.POSSIBLE_LIST_MATCH, ReasonCode.LISTED_PARTY})
"""Reasons about a party's own list match (their evidence carries `list_hit`)."""
RED_FLAG_CODES = frozenset(
    {
        ReasonCode.NAME_OBFUSCATED,
        ReasonCode.RF_FREIGHT_FORWARDER_FINAL_DEST,
        ReasonCode.RF_SHIP_TO_MISMATCH,
        ReasonCode.RF_RESELLER_END_USER,
        ReasonCode.RF_AC_D5_HQ_OR_TIES,
        ReasonCode.AI_TRAINING_END_USE,
    }
)
"""Red flags (Supp. 3 to Part 732, the advanced-computing red flags, a disguised name): four eyes."""
OWNERSHIP_GAP_CODES = frozenset({ReasonCode.ULTIMATE_PARENT_UNKNOWN})
"""Completeness holds that are ownership reasons: a party whose ultimate parent cannot be told may be owned
from a D:5 country or by a listed party; releasing it is the judgement four eyes exist for."""
UNSCREENED_CODES = frozenset(
    {ReasonCode.INVALID_EVENT, ReasonCode.ENGINE_ERROR, ReasonCode.LISTS_UNAVAILABLE}
)
"""Holds of an event that was never screened (or screened against no lists): they can be confirmed, never
released; the caller sends a valid event, or the lists are loaded, and it is screened then."""


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Which holds need two reviewers to release, who may review at all.

    `deny_lists` are the lists whose strong match denies (the ruleset's `[lists] deny`): a possible match
    against one of them needs four eyes. `reviewers` (empty: anyone) names who may review.
    """

    deny_lists: frozenset[str]
    reviewers: frozenset[str] = frozenset()
    reviewers_to_release: int = 2

    def four_eyes_reasons(self, decision: Decision) -> list[Reason]:
        """The hold reasons of `decision` that need two different reviewers to release."""
        return [reason for reason in decision.reasons if self._needs_four_eyes(reason)]

    def _needs_four_eyes(self, reason: Reason) -> bool:
        if reason.outcome is not Outcome.HOLD:
            return False
        if reason.code in RED_FLAG_CODES | OWNERSHIP_GAP_CODES or reason.code.family is Family.OWNERSHIP:
            return True
        if reason.code in LIST_MATCH_CODES:
            hit = reason.evidence.get("list_hit")
            return not isinstance(hit, Mapping) or hit.get("list") in self.deny_lists
        return False

    def check_reviewer(self, reviewer: str) -> None:
        """Raise `ReviewRejected` when `reviewer` may not review."""
        if not reviewer.strip() or not reviewer.isprintable():
            raise ReviewRejected("the reviewer is empty or not printable: reviews need a signed-in reviewer")
        if self.reviewers and reviewer not in self.reviewers:
            raise ReviewRejected(f"reviewer {reviewer[:200]!r} is not one of the configured reviewers")


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What a review does: a decision to publish (`allow` or `deny`), or the review recorded on the hold
    (`decision` None: the hold stands, waiting for a second reviewer or for information)."""

    review: Review
    held: Decision
    """The hold reviewed."""
    decision: Decision | None
    reviews: tuple[Review, ...]
    """Every review of the held decision so far, this one last."""
    four_eyes: tuple[str, ...] = ()
    """The codes that made the release need two reviewers (empty when one suffices)."""

    @property
    def released(self) -> bool:
        """Whether the hold was released (an `allow` published)."""
        return self.decision is not None and self.decision.outcome is Outcome.ALLOW

    @property
    def confirmed(self) -> bool:
        """Whether the hold was confirmed (a `deny` published)."""
        return self.decision is not None and self.decision.outcome is Outcome.DENY


def list_entries_of(decision: Decision) -> dict[str, list[Reason]]:
    """The list entry ids of a decision's hold-outcome party list matches, with the reasons naming each."""
    found: dict[str, list[Reason]] = {}
    for reason in decision.reasons:
        hit = reason.evidence.get("list_hit")
        if reason.code in LIST_MATCH_CODES and reason.outcome is Outcome.HOLD and isinstance(hit, Mapping):
            entry_id = hit.get("entry_id")
            if isinstance(entry_id, str):
                found.setdefault(entry_id, []).append(reason)
    return found


def judge(
    held: Decision | None,
    earlier: Sequence[Review],
    review: Review,
    policy: ReviewPolicy,
    decided_at: datetime,
) -> ReviewOutcome:
    """Apply `review` to the subject's current hold `held` (None: the subject has none), given the reviews
    recorded on it before. Raises `ReviewRejected` with the reason when the review cannot apply."""
    policy.check_reviewer(review.reviewer)
    if held is None or held.outcome is not Outcome.HOLD:
        raise ReviewRejected(
            f"{review.kind} {review.subject_id[:200]!r} has no open hold: the review of decision "
            f"{review.decision_id[:200]!r} is stale (released, confirmed or superseded) or names an unknown "
            "subject"
        )
    if (held.subject_kind, held.subject_id) != (review.kind, review.subject_id):
        raise ReviewRejected("the review's subject is not the held decision's subject")
    if review.decision_id != held.decision_id:
        raise ReviewRejected(
            f"stale review: it names decision {review.decision_id[:200]!r}, but the current hold of "
            f"{review.kind} {review.subject_id[:200]!r} is {held.decision_id!r}"
        )
    if any(item.review_id == review.review_id for item in earlier):
        raise ReviewRejected(f"review {review.review_id[:200]!r} was recorded on this hold already")
    entries = list_entries_of(held)
    unknown = [entry for entry in review.false_positive_entries if entry not in entries]
    if unknown:
        raise ReviewRejected(
            f"false_positive_entries names {unknown[0][:200]!r}, which is not a possible list match of this "
            f"hold (its matches: {sorted(entries) or 'none'})"
        )
    if review.false_positive_entries and review.action is not ReviewAction.RELEASE:
        raise ReviewRejected("false_positive_entries are only meaningful on a release")
    reviews = (*earlier, review)
    if review.action is ReviewAction.REQUEST_INFO:
        return ReviewOutcome(review, held, None, reviews)
    if review.action is ReviewAction.CONFIRM:
        denied = review_decision(held, [review], Outcome.DENY, decided_at)
        return ReviewOutcome(review, held, denied, reviews)
    unscreened = sorted({reason.code.value for reason in held.reasons if reason.code in UNSCREENED_CODES})
    if unscreened:
        raise ReviewRejected(
            f"a hold for {', '.join(unscreened)} cannot be released: the event was not screened; confirm it, "
            "or let the caller send a valid event"
        )
    four_eyes = tuple(sorted({reason.code.value for reason in policy.four_eyes_reasons(held)}))
    releases = _distinct_releasers(reviews)
    needed = policy.reviewers_to_release if four_eyes else 1
    if len(releases) < needed:
        return ReviewOutcome(review, held, None, reviews, four_eyes)
    decision = review_decision(held, list(releases.values()), Outcome.ALLOW, decided_at, four_eyes)
    return ReviewOutcome(review, held, decision, reviews, four_eyes)


def _distinct_releasers(reviews: Iterable[Review]) -> dict[str, Review]:
    """The first release of each different reviewer, in order (the same reviewer twice counts once)."""
    found: dict[str, Review] = {}
    for item in reviews:
        if item.action is ReviewAction.RELEASE:
            found.setdefault(item.reviewer.strip().casefold(), item)
    return found


def review_decision(
    held: Decision,
    reviews: Sequence[Review],
    outcome: Outcome,
    decided_at: datetime,
    four_eyes: Sequence[str] = (),
) -> Decision:
    """The `allow` (a release) or `deny` (a confirm) that `reviews` make of the hold `held`."""
    evidence: dict[str, Any] = {
        "reviewed_decision_id": held.decision_id,
        "reviews": [review.evidence() for review in reviews],
    }
    names = " and ".join(dict.fromkeys(review.reviewer for review in reviews))
    if outcome is Outcome.ALLOW:
        released = sorted({reason.code.value for reason in held.reasons if reason.outcome is Outcome.HOLD})
        evidence["released_reasons"] = released
        if four_eyes:
            evidence["four_eyes"] = list(four_eyes)
        cleared = sorted({entry for review in reviews for entry in review.false_positive_entries})
        if cleared:
            evidence["false_positive_entries"] = cleared
        reason = Reason(
            code=ReasonCode.REVIEW_RELEASED,
            outcome=Outcome.ALLOW,
            message=(
                f"released on review by {names}"
                + (f" (four eyes for {', '.join(four_eyes)})" if four_eyes else "")
                + f": {reviews[-1].reason}"
            )[:1000],
            evidence=evidence,
        )
        kept = [_released(item) for item in held.reasons]
    else:
        reason = Reason(
            code=ReasonCode.REVIEW_CONFIRMED,
            outcome=Outcome.DENY,
            message=f"hold confirmed on review by {names}: {reviews[-1].reason}"[:1000],
            evidence=evidence,
        )
        kept = list(held.reasons)
    seed = "|".join((held.decision_id, *(review.review_id for review in reviews)))
    return replace(
        held,
        decision_id=decision_id_for(seed, "review", held.versions),
        outcome=outcome,
        reasons=(reason, *kept),
        trigger="review",
        decided_at=decided_at,
    )


def _released(reason: Reason) -> Reason:
    if reason.outcome is not Outcome.HOLD:
        return reason
    return Reason(
        code=reason.code,
        outcome=Outcome.ALLOW,
        message=f"(released on review) {reason.message}",
        party_role=reason.party_role,
        line_id=reason.line_id,
        evidence={**reason.evidence, "outcome_before_review": reason.outcome.value},
    )
