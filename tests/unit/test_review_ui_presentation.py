"""What the review page reads out of a held decision: matched entries, ownership paths, age, reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from screening.ports import HoldView
from screening.review_ui.presentation import describe_age, summarise
from tests.review_page_support import CMIC_ENTRY, held_decision

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_an_entry_matched_for_two_parties_is_listed_once_with_both() -> None:
    summary = summarise(HoldView("order", "SO-9001", held_decision(), NOW - timedelta(hours=2)), NOW)
    assert [entry.entry_id for entry in summary.entries] == [CMIC_ENTRY]
    entry = summary.entries[0]
    assert entry.list_code == "CMIC"
    assert entry.matched_names == ("商汤科技",)
    assert entry.best_score == 0.8586
    assert entry.parties == (
        "buyer 'Shangtang Technology (Singapore) Pte. Ltd.'",
        "end_user 'Shangtang Technology (Singapore) Pte. Ltd.'",
    )


def test_ownership_paths_are_found_in_nested_evidence() -> None:
    summary = summarise(HoldView("order", "SO-9001", held_decision(), NOW), NOW)
    [path] = summary.paths
    assert [step.entity_id for step in path.steps] == ["sg-201912345K", "ky-sensetime-group"]
    assert path.steps[0].share == 1.0
    assert path.steps[1].share is None
    assert path.codes == ("ULTIMATE_PARENT_UNKNOWN",)
    assert path.party_roles == ("buyer",)
    assert summary.codes == ("POSSIBLE_LIST_MATCH", "ULTIMATE_PARENT_UNKNOWN")


def test_a_recorded_release_shows_as_one_of_two() -> None:
    release = {"reviewer": "bob", "action": "release", "reason": "ok", "reviewed_at": "2026-11-30T11:00:00Z"}
    info = {
        "reviewer": "carol",
        "action": "request_info",
        "reason": "?",
        "reviewed_at": "2026-11-30T11:01:00Z",
    }
    summary = summarise(HoldView("order", "SO-9001", held_decision(), NOW, (release, info)), NOW)
    assert summary.release_status == "1 of 2 reviewers released (bob)"
    assert summary.reviewed_by("bob")
    assert not summary.reviewed_by("carol")  # asked for information: may still release


def test_ages_read_as_a_person_says_them() -> None:
    assert describe_age(NOW - timedelta(seconds=45), NOW) == "45 s"
    assert describe_age(NOW - timedelta(minutes=12), NOW) == "12 min"
    assert describe_age(NOW - timedelta(hours=3, minutes=20), NOW) == "3 h 20 min"
    assert describe_age(NOW - timedelta(days=2, hours=4, minutes=5), NOW) == "2 d 4 h"
    assert describe_age(NOW + timedelta(seconds=5), NOW) == "0 s"  # a clock a little ahead
