"""Name-matching quality on the evaluation set: fails the build when recall, alerts or top-1 get worse.

The set (`name_eval_set.jsonl`, the tuning part, and `name_eval_heldout.jsonl`, the held-out part) is made by
`build_eval_set.py` from the shipped CSL snapshot, the shipped supplemental Chinese-name table and real
unlisted companies; the lists are built as the service builds them and hits are read through the shipped
ruleset's list policy, so an alert is what a reviewer would see: any `hold` or `deny` on an unlisted company.
The gate reads both parts together. Recall counts every variant, the first Chinese hold-out (names not in the
table) included; the second hold-out (`chinese_holdout_2`) is measured and reported by `scripts/eval_names.py`
but gates nothing (see `harness.MEASURED_ONLY`). Failure messages name cases of the tuning part only. Cost
per name is reported by `scripts/eval_names.py`, not asserted here.
"""

from __future__ import annotations

import pytest

from screening.resources import load_ruleset

from .harness import Report, evaluate, list_outcome, load_part, shipped_matcher

MIN_RECALL = 0.98
# The target: at most 1 % of unlisted companies held or denied. Not reached yet on the whole set (see
# `test_alert_rate_meets_the_target`); the rate reached is kept from growing.
MAX_ALERT_RATE = 0.01
REACHED_ALERT_RATE = 0.011
MIN_TOP1 = 0.95


@pytest.fixture(scope="module")
def report() -> Report:
    ruleset = load_ruleset()
    matcher, _ = shipped_matcher(ruleset)
    return evaluate(matcher, load_part("all"), list_outcome(ruleset))


def _tuning(found: list[dict[str, object]]) -> list[object]:
    return [item["case"]["query"] for item in found if item["case"]["part"] == "tuning"][:20]  # type: ignore[index]


def test_eval_set_is_big_enough(report: Report) -> None:
    assert report.variants >= 1000 and report.negatives >= 5000


def test_recall_on_variants_of_listed_names(report: Report) -> None:
    misses = _tuning(report.misses)
    assert report.recall >= MIN_RECALL, f"recall {report.recall:.4f}; first misses (tuning part): {misses}"


def test_alert_rate_on_unlisted_companies_does_not_grow(report: Report) -> None:
    alerts = _tuning(report.false_alerts)
    assert report.alert_rate <= REACHED_ALERT_RATE, (
        f"alert rate {report.alert_rate:.4f} ({report.alerted} of {report.negatives} held or denied); "
        f"first false alerts (tuning part): {alerts}"
    )


@pytest.mark.xfail(
    strict=True,
    reason="1.07 % of the unlisted companies are held or denied (tuning part 0.97 %, held-out part 1.35 %)",
)
def test_alert_rate_meets_the_target(report: Report) -> None:
    assert report.alert_rate <= MAX_ALERT_RATE


def test_best_hit_is_the_listed_entry(report: Report) -> None:
    assert report.top1_accuracy >= MIN_TOP1, f"top-1 {report.top1_accuracy:.4f}"
