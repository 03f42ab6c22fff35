"""Loading the shipped data (ruleset, product catalogue, CSL snapshot, demo files) or files given instead."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from screening.adapters.csl import (
    CJK_NAMES,
    ListFormatError,
    LoadedList,
    combine,
    load_cjk_aliases,
    load_list_file,
    oldest_source_date,
    parse_list_bytes,
)
from screening.adapters.name_words import (
    COMMON_WORDS,
    HAN_WORDS,
    NAME_WORDS,
    name_words_digest,
    parse_name_words,
)
from screening.domain.catalogue import Catalogue
from screening.domain.list_integrity import ListCounts
from screening.domain.names import MatchThresholds, NameWords, ScreeningLists, install_words
from screening.domain.ruleset import Ruleset

SHIPPED_LIST = "consolidated_2026-07-31.csv"


def data_path(name: str) -> Path:
    """Path of a file shipped in `screening/data`."""
    return Path(str(resources.files("screening") / "data" / name))


def _name_word_files() -> tuple[bytes, bytes, bytes]:
    return (
        data_path(NAME_WORDS).read_bytes(),
        data_path(HAN_WORDS).read_bytes(),
        data_path(COMMON_WORDS).read_bytes(),
    )


def load_name_words() -> NameWords:
    """The name matcher's shipped word tables (`data/name_words.toml`, `data/han_words.csv`,
    `data/common_words.txt`)."""
    return parse_name_words(*_name_word_files())


# The word tables are data beside the CSL snapshot: read once, when the resources are first imported, and
# handed to the domain, so every entry point (service, CLI, scripts) that loads its data through this module
# normalises and matches names with them.
install_words(load_name_words())


def demo_path(name: str) -> Path:
    """Path of a shipped demo file (`screening/demo`)."""
    return Path(str(resources.files("screening") / "demo" / name))


def load_ruleset(path: Path | None = None) -> Ruleset:
    """The ruleset from `path`, or the shipped one."""
    source = path or data_path("ruleset.toml")
    with source.open("rb") as handle:
        return Ruleset.from_mapping(tomllib.load(handle), source=str(source))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The product catalogue from `path`, or the shipped one."""
    source = path or data_path("catalogue.csv")
    return Catalogue.from_csv_text(source.read_text(encoding="utf-8"))


def thresholds(ruleset: Ruleset) -> MatchThresholds:
    """Name-matching thresholds from the ruleset."""
    return MatchThresholds(
        strong=ruleset.matching.get("strong", 0.95), weak=ruleset.matching.get("weak", 0.80)
    )


def build_lists(loaded: Sequence[LoadedList], ruleset: Ruleset) -> ScreeningLists:
    """Index loaded list files for screening, with the shipped table of Chinese names of listed entities.

    The table and the word tables change what matches, so their content hashes are part of the lists version.
    """
    entries, version = combine(loaded)
    if not entries:
        # An empty list would screen every party clean: refuse it, so the service holds instead.
        raise ListFormatError(f"lists {version} hold no entries")
    table = data_path(CJK_NAMES).read_bytes()
    return ScreeningLists.build(
        entries,
        screening_version(version),
        thresholds(ruleset),
        extra_aliases=load_cjk_aliases(table.decode("utf-8")),
        as_of=oldest_source_date(loaded),
    )


def screening_version(lists_version: str) -> str:
    """The lists version decisions name: the list files' version plus the hashes of the Chinese-names table
    and of the word tables."""
    digest = hashlib.sha256(data_path(CJK_NAMES).read_bytes()).hexdigest()[:12]
    return f"{lists_version}+cjk:{digest}+words:{name_words_digest(*_name_word_files())}"


def load_lists(files: Sequence[Path], ruleset: Ruleset) -> ScreeningLists:
    """Lists from files, or the shipped CSL snapshot when none are given."""
    paths = list(files) or [data_path(SHIPPED_LIST)]
    return build_lists([load_list_file(p) for p in paths], ruleset)


def lists_from_blobs(
    blobs: Sequence[tuple[str, bytes]], ruleset: Ruleset, as_of: datetime | None = None
) -> ScreeningLists:
    """Lists from (file name, bytes) pairs, as stored in Redis by `screening lists load` and `fetch`;
    `as_of` is their source date when the store recorded one (a download's Last-Modified)."""
    return build_lists([parse_list_bytes(data, name, as_of) for name, data in blobs], ruleset)


@lru_cache(maxsize=1)
def shipped_counts() -> ListCounts:
    """Entries of the shipped CSL snapshot, in all and per list: the floor a list must not fall far under
    when nothing newer is known (a first load, a wiped Redis)."""
    return ListCounts.of(load_list_file(data_path(SHIPPED_LIST)).entries)
