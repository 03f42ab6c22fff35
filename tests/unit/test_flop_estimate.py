"""A declared training-compute figure in a lease's purpose is read in linear time and capped, never raised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from screening.domain.catalogue import Catalogue
from screening.domain.engine import BatchContext, ScreeningEngine
from screening.domain.model import Item, Lease, Party
from screening.domain.names import ScreeningLists
from screening.domain.profiles import OwnershipSnapshot
from screening.domain.ruleset import Ruleset

DECIDED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def lease(purpose: str) -> Lease:
    return Lease(
        event_id="e-flop",
        occurred_at=DECIDED_AT,
        lease_id="L-flop",
        action="start",
        lessor=Party("Example GPU Cloud LLC", "lessor", country="US"),
        lessee=Party("Example Research Institute GmbH", "lessee", country="DE"),
        end_user=None,
        resources=(Item("r1", "NVIDIA H100 SXM 80GB", 8),),
        hardware_country="US",
        access="remote",
        purpose=purpose,
    )


def decide(ruleset: Ruleset, catalogue: Catalogue, lists: ScreeningLists, purpose: str):  # type: ignore[no-untyped-def]
    engine = ScreeningEngine(ruleset, catalogue)
    context = BatchContext(lists=lists, ownership=OwnershipSnapshot({}, {}, True, "test"))
    return engine.decide(lease(purpose), context, DECIDED_AT)


def test_a_figure_beyond_float_range_is_read_as_the_cap(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> None:
    decision = decide(ruleset, catalogue, shipped_lists, "training 1e400 FLOP")
    (flag,) = [r for r in decision.reasons if r.code == "LARGE_TRAINING_RUN"]
    assert flag.evidence["estimated_operations"] == 1e40


def test_a_four_thousand_digit_exponent_is_capped_too(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> None:
    decision = decide(ruleset, catalogue, shipped_lists, "training 3 x 10^" + "9" * 4000 + " operations")
    (flag,) = [r for r in decision.reasons if r.code == "LARGE_TRAINING_RUN"]
    assert flag.evidence["estimated_operations"] == 1e40


def test_an_ordinary_figure_is_read_exactly(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> None:
    decision = decide(ruleset, catalogue, shipped_lists, "pre-training run of 3×10²⁶ FLOP")
    (flag,) = [r for r in decision.reasons if r.code == "LARGE_TRAINING_RUN"]
    assert flag.evidence["estimated_operations"] == pytest.approx(3e26)
    below = decide(ruleset, catalogue, shipped_lists, "fine-tuning, 2e24 FLOP")
    assert "LARGE_TRAINING_RUN" not in {r.code for r in below.reasons}


def test_a_long_run_of_digits_is_decided(
    ruleset: Ruleset, catalogue: Catalogue, shipped_lists: ScreeningLists
) -> None:
    # The former pattern retried every digit of a run as the start of a number: 20,000 digits took about a
    # minute. The figure names no unit, so no estimate is read from it.
    decision = decide(ruleset, catalogue, shipped_lists, "training " + "7" * 20_000 + "e")
    assert "LARGE_TRAINING_RUN" not in {r.code for r in decision.reasons}
