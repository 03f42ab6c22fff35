"""Reviews as pure functions: who may release what, four eyes, and the decision a review makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from screening.domain.model import Decision, ItemClassification, Outcome, Reason, Versions
from screening.domain.reasons import ReasonCode
from screening.domain.review import Review, ReviewAction, ReviewPolicy, ReviewRejected, judge

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
POLICY = ReviewPolicy(frozenset({"EL", "SDN", "DPL", "MEU"}))


def hold(*reasons: Reason, decision_id: str = "dec-1") -> Decision:
    return Decision(
        decision_id=decision_id,
        event_id="e1",
        subject_kind="order",
        subject_id="SO-1",
        outcome=Outcome.HOLD,
        reasons=reasons,
        items=(ItemClassification("1", "3A090.a", 1940.0, 6.59, "catalogue"),),
        trigger="event",
        versions=Versions("2026.11.1", "csl:x", "own:y"),
        decided_at=NOW,
    )


def match(
    source: str, entry_id: str = "entry-1", code: ReasonCode = ReasonCode.POSSIBLE_LIST_MATCH
) -> Reason:
    return Reason(
        code,
        Outcome.HOLD,
        f"may match {source}",
        "buyer",
        None,
        {"list_hit": {"list": source, "entry_id": entry_id}},
    )


DEST = Reason(ReasonCode.DEST_ADV_COMPUTE, Outcome.HOLD, "needs a licence or ACA", line_id="1")
NOTE = Reason(ReasonCode.LARGE_TRAINING_RUN, Outcome.ALLOW, "logged")


def review(
    action: str = "release", reviewer: str = "alice", decision_id: str = "dec-1", **fields: object
) -> Review:
    return Review(
        review_id=f"r-{reviewer}-{action}-{decision_id}-{len(fields)}",
        kind="order",
        subject_id="SO-1",
        decision_id=decision_id,
        action=ReviewAction(action),
        reviewer=reviewer,
        reason="checked",
        reviewed_at=NOW,
        **fields,  # type: ignore[arg-type]
    )


def test_a_release_of_a_licence_hold_needs_one_reviewer_and_keeps_the_event_items_and_versions() -> None:
    held = hold(DEST, NOTE)
    outcome = judge(held, [], review(), POLICY, NOW)
    decision = outcome.decision
    assert decision is not None and outcome.released and not outcome.four_eyes
    assert (decision.outcome, decision.trigger) == (Outcome.ALLOW, "review")
    assert (decision.event_id, decision.items, decision.versions) == (
        held.event_id,
        held.items,
        held.versions,
    )
    first, *kept = decision.reasons
    assert first.code is ReasonCode.REVIEW_RELEASED and first.evidence["reviews"][0]["reviewer"] == "alice"
    assert first.evidence["released_reasons"] == ["DEST_ADV_COMPUTE"]
    assert kept[0].outcome is Outcome.ALLOW and kept[0].evidence["outcome_before_review"] == "hold"
    assert kept[1] == NOTE
    # Deterministic: the same review of the same hold makes the same decision id.
    again = judge(held, [], review(), POLICY, NOW).decision
    assert again is not None and again.decision_id == decision.decision_id != held.decision_id


@pytest.mark.parametrize(
    "reason",
    [
        match("EL"),
        Reason(ReasonCode.OWNERSHIP_UNKNOWN, Outcome.HOLD, "no ownership record", "buyer"),
        Reason(ReasonCode.OWNER_POSSIBLE_LIST_MATCH, Outcome.HOLD, "owner may be listed", "buyer"),
        Reason(ReasonCode.ULTIMATE_PARENT_UNKNOWN, Outcome.HOLD, "ultimate parent cannot be told", "buyer"),
        Reason(ReasonCode.RF_SHIP_TO_MISMATCH, Outcome.HOLD, "ship-to differs"),
        Reason(ReasonCode.NAME_OBFUSCATED, Outcome.HOLD, "disguised", "buyer"),
    ],
)
def test_deny_list_matches_ownership_reasons_and_red_flags_need_two_different_reviewers(
    reason: Reason,
) -> None:
    held = hold(reason, DEST)
    first = judge(held, [], review(reviewer="alice"), POLICY, NOW)
    assert first.decision is None and first.four_eyes == (reason.code.value,)
    same = judge(held, list(first.reviews), _again("Alice"), POLICY, NOW)
    assert same.decision is None  # the same reviewer twice is still one reviewer
    second = judge(held, list(same.reviews), review(reviewer="bob"), POLICY, NOW)
    assert second.released and second.decision is not None
    assert [r["reviewer"] for r in second.decision.reasons[0].evidence["reviews"]] == ["alice", "bob"]


def _again(reviewer: str) -> Review:
    """A second, distinct review by the same reviewer."""
    return Review("r-again", "order", "SO-1", "dec-1", ReviewAction.RELEASE, reviewer, "again", NOW)


def test_a_possible_match_against_a_hold_list_needs_one_reviewer() -> None:
    assert judge(hold(match("CMIC")), [], review(), POLICY, NOW).released


def test_stale_unknown_and_anonymous_reviews_are_rejected_with_the_reason() -> None:
    with pytest.raises(
        ReviewRejected, match=r"stale review: it names decision 'dec-0'.*current hold .* is 'dec-1'"
    ):
        judge(hold(DEST), [], review(decision_id="dec-0"), POLICY, NOW)
    with pytest.raises(ReviewRejected, match="has no open hold"):
        judge(None, [], review(), POLICY, NOW)
    with pytest.raises(ReviewRejected, match="reviewer is empty"):
        judge(hold(DEST), [], review(reviewer=" "), POLICY, NOW)
    only_bob = ReviewPolicy(frozenset({"EL"}), reviewers=frozenset({"bob"}))
    with pytest.raises(ReviewRejected, match="not one of the configured reviewers"):
        judge(hold(DEST), [], review(reviewer="mallory"), only_bob, NOW)


def test_false_positives_must_be_matches_of_the_hold_and_come_with_a_release() -> None:
    held = hold(match("EL", "entry-1"))
    with pytest.raises(ReviewRejected, match="not a possible list match of this hold"):
        judge(held, [], review(false_positive_entries=("entry-9",)), POLICY, NOW)
    with pytest.raises(ReviewRejected, match="only meaningful on a release"):
        judge(held, [], review("confirm", false_positive_entries=("entry-1",)), POLICY, NOW)


def test_a_confirm_denies_at_once_and_request_info_leaves_the_hold_standing() -> None:
    held = hold(match("EL"), DEST)
    asked = judge(held, [], review("request_info", "carol"), POLICY, NOW)
    assert asked.decision is None and [r.reviewer for r in asked.reviews] == ["carol"]
    confirmed = judge(held, list(asked.reviews), review("confirm", "dave"), POLICY, NOW)
    assert confirmed.confirmed and confirmed.decision is not None
    assert confirmed.decision.reasons[0].code is ReasonCode.REVIEW_CONFIRMED
    assert confirmed.decision.reasons[1:] == held.reasons  # the held reasons, as they were


def test_a_hold_of_an_event_that_was_never_screened_cannot_be_released() -> None:
    invalid = hold(Reason(ReasonCode.INVALID_EVENT, Outcome.HOLD, "failed validation"))
    with pytest.raises(ReviewRejected, match="cannot be released"):
        judge(invalid, [], review(), POLICY, NOW)
    assert judge(invalid, [], review("confirm"), POLICY, NOW).confirmed
