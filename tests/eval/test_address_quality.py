"""Address-screening quality on the address evaluation set: fails the build when recall or alert rates slip.

The set (`address_eval_set.jsonl`, made by `build_address_eval_set.py`) holds variants of the shipped CSL's
street addresses, near misses made from them, and real addresses that are not in the list's address data; a
part of it (`split: heldout`) was never looked at while the scorer and the threshold were tuned. The gates use
the ruleset's own threshold (`[rules.address_match] hold_at`), on the whole set and on the held-out part:

- recall ≥ 0.98 (measured 0.996 on both parts): two points of room for a change elsewhere in normalisation;
- real unlisted companies' addresses (GLEIF) held ≤ 1 % (measured 0; one alert in the 118 is 0.85 %);
- addresses from other lists held ≤ 2 % (measured 1.0 % tuning, 1.2 % held-out): every hit counts as a false
  alert here, though reading the tuning part's hits found 18 of 20 to be the same building as a listed
  address written another way (two lists naming one place), so the true false-alert rate is near 0.1 %;
- another house number on the same street, or the same street and number in another city, held ≤ 5 %
  (measured 1.6 % tuning, 1.1 % held-out): a number conflict alone does not always drop a hit that agrees on
  everything else (a building name, a postcode), and some "other cities" were made where the listed address
  names none. Another room of the same building is reported, not gated: a listed address for the whole
  building rightly matches it.

Cost per address is reported by `scripts/eval_addresses.py`, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.adapters.csl import load_list_file
from screening.domain.addresses import AddressIndex
from screening.domain.rules.addresses import AddressMatchParams
from screening.resources import load_ruleset

from .address_harness import SPLITS, AddressReport, evaluate, load_cases

SHIPPED = (
    Path(__file__).resolve().parents[2] / "services" / "screening" / "data" / "consolidated_2026-07-31.csv"
)

MIN_RECALL = 0.98
MAX_UNLISTED_ALERTS = 0.01
MAX_OTHER_LIST_ALERTS = 0.02
MAX_NEAR_MISS_ALERTS = 0.05


@pytest.fixture(scope="module")
def report() -> AddressReport:
    index = AddressIndex.build(load_list_file(SHIPPED).entries)
    return evaluate(index, load_cases(), load_ruleset().params(AddressMatchParams).hold_at)


def test_address_eval_set_is_big_enough(report: AddressReport) -> None:
    assert report.tally("variant").cases >= 2000 and report.tally("negative").cases >= 3000
    assert (
        report.tally("variant", "heldout").cases >= 600 and report.tally("negative", "heldout").cases >= 900
    )


@pytest.mark.parametrize("split", [None, *SPLITS], ids=["whole", *SPLITS])
def test_recall_on_variants_of_listed_addresses(report: AddressReport, split: str | None) -> None:
    misses = [miss["case"]["query"] for miss in report.misses if split in (None, miss["case"]["split"])][:10]
    assert report.recall(split) >= MIN_RECALL, f"recall {report.recall(split):.4f}; misses: {misses}"


@pytest.mark.parametrize("split", [None, *SPLITS], ids=["whole", *SPLITS])
def test_alert_rates_on_addresses_off_the_list(report: AddressReport, split: str | None) -> None:
    unlisted = report.tally("negative", split, "gleif")
    others = report.tally("negative", split, "other_lists")
    near = report.tally("near_miss", split, "other_number")
    city = report.tally("near_miss", split, "other_city")
    near_rate = (near.hits + city.hits) / max(near.cases + city.cases, 1)
    assert unlisted.cases and unlisted.rate <= MAX_UNLISTED_ALERTS, unlisted
    assert others.rate <= MAX_OTHER_LIST_ALERTS, others
    assert near_rate <= MAX_NEAR_MISS_ALERTS, (near, city)
