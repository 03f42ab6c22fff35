"""Fixtures shared by every tier: the shipped ruleset, catalogue and lists (built once per session)."""

from __future__ import annotations

import pytest

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
