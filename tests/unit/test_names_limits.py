"""Hostile name sizes: the matcher reads at most `MAX_NAME_CHARS` characters and every step on the text is
linear or bounded, so a 40 KB or 900 KB name, or one of 150,000 distinct tokens, completes with a sane answer.
What they cost is measured by `scripts/bench_names_limits.py`, not asserted here."""

from __future__ import annotations

import random
import string

import pytest

from screening.domain import names
from screening.domain.disguise import identifies_no_one, reveal
from screening.domain.names import MAX_NAME_CHARS, ScreeningLists, normalise


def _word(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(size))


RNG = random.Random(7)
HOSTILE = {
    "512 chars, one token": _word(RNG, 512),
    "40 KB, one token": _word(RNG, 40_000),
    "900 KB, words": " ".join(_word(RNG, 8) for _ in range(100_000)),
    "150,000 distinct tokens": " ".join(f"{_word(RNG, 3)}{n}" for n in range(150_000)),
    "300,000 Chinese characters": "".join(chr(RNG.randint(0x4E00, 0x9FA5)) for _ in range(300_000)),
    "40 KB of look-alike letters and zero-width spaces": "".join(
        RNG.choice("аеорсхіHuwtk\u200b ") for _ in range(40_000)
    ),
    "Chinese ordinal of 40 KB": "第" + "九" * 40_000 + "研究所",
}


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_name_completes_with_a_sane_answer(shipped_lists: ScreeningLists, name: str) -> None:
    normalised = normalise(name)
    read = sum(len(token) + 1 for token in normalised.tokens)
    assert normalised.tokens and read <= 4 * MAX_NAME_CHARS
    assert all(len(token) <= names._MAX_TOKEN_CHARS for token in normalised.tokens)
    assert len(normalised.alternatives) < names._MAX_RENDERINGS
    hits = shipped_lists.index.match([name])
    assert len(hits) <= 5 and all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert not any(hit.strong for hit in hits)  # noise is no listed party
    assert isinstance(reveal(name).text, str)
    assert identifies_no_one(name) is False


def test_a_long_run_of_punctuation_identifies_no_one(shipped_lists: ScreeningLists) -> None:
    name = "(" * 40_000
    assert normalise(name).tokens == ()
    assert shipped_lists.index.match([name]) == []
    assert identifies_no_one(name)


def test_a_name_is_read_up_to_the_limit_and_no_further() -> None:
    name = "Sensetime " + "x" * (MAX_NAME_CHARS - 20) + " Beijing" + " Shanghai" * 1000
    assert normalise(name).tokens == normalise(name[:MAX_NAME_CHARS]).tokens
    assert "beijing" in normalise(name).tokens and "shanghai" not in normalise(name).tokens


def test_the_longest_allowed_name_is_read_whole() -> None:
    name = ("Huawei Technologies " * 26)[:512]
    assert normalise(name).tokens == ("huawei", "technology")
