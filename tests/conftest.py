"""Fixtures shared by every tier: the shipped ruleset, catalogue and lists (built once per session).

The shipped CSL snapshot is dated 2026-07-31 and the tests decide with today's clock: every `Settings()` the
tests build (and every command they run) gets a maximum list age that the snapshot is under, so that only the
tests of list staleness, which set their own limit, see LISTS_STALE.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SCREENING_LISTS__MAX_AGE_HOURS", str(24 * 365 * 100))

from screening.domain.catalogue import Catalogue
from screening.domain.names import ScreeningLists
from screening.domain.ruleset import Ruleset
from screening.resources import load_catalogue, load_lists, load_ruleset


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def shipped_lists(ruleset: Ruleset) -> ScreeningLists:
    return load_lists([], ruleset)
