"""What the longest and the hostile names cost the name matcher: time and peak memory per name.

The contract lets a party name or alias be at most 512 characters (checked when an event is decoded). The
matcher does not rely on that: it reads the first `names.MAX_NAME_CHARS` characters of any name, and every
step on the text is linear or bounded (see the limits in `screening/domain/names.py`). This script builds
the shipped lists once, then matches, for each kind of input, a few names never seen before (the result
cache cannot help) and reports the mean and worst time and the peak memory allocated while matching, beside
the cost of `disguise.reveal` and `disguise.identifies_no_one` on the same text (`reveal` reads the whole
text, linearly: about a microsecond per character of hostile text, so a name of the 512 characters an event
may carry costs well under a millisecond).

Inputs: ordinary names (for scale), names of exactly 512 characters (one long token; many short distinct
tokens; Chinese characters; look-alike letters mixed into Latin words; invisible characters between letters),
a 40 KB and a 900 KB name (one token, and words), and a name of 150,000 distinct tokens.

Run: `.venv/bin/python scripts/bench_names_limits.py [--repeat N]` (a benchmark, not a test: the machine
it runs on decides the figures).
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from screening.adapters.csl import load_cjk_aliases, load_list_file  # noqa: E402
from screening.domain.disguise import identifies_no_one, reveal  # noqa: E402
from screening.domain.names import MAX_NAME_CHARS, MatchThresholds, ScreeningLists  # noqa: E402
from screening.resources import load_name_words  # noqa: E402,F401  (importing it installs the word tables)

DATA = ROOT / "services" / "screening" / "data"
LONGEST_ALLOWED = 512


def _word(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(size))


def _words(rng: random.Random, total: int, low: int = 3, high: int = 9) -> str:
    parts: list[str] = []
    length = 0
    while length < total:
        word = _word(rng, rng.randint(low, high))
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:total]


def _han(rng: random.Random, total: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(total))


def _lookalikes(rng: random.Random, total: int) -> str:
    swap = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "i": "і"}
    return "".join(swap.get(char, char) if rng.random() < 0.5 else char for char in _words(rng, total))


def _invisible(rng: random.Random, total: int) -> str:
    text = _words(rng, total // 2)
    return "".join(char + ("\u200b" if rng.random() < 0.5 else "\u3164") for char in text)[:total]


def inputs(seed: int, repeat: int) -> dict[str, list[str]]:
    """Per kind of input, `repeat` different names of that kind."""
    rng = random.Random(seed)
    kinds: dict[str, Callable[[], str]] = {
        "ordinary name (~30 chars)": lambda: f"{_word(rng, 7).title()} {_word(rng, 9).title()} Co., Ltd.",
        "512 chars, one token": lambda: _word(rng, LONGEST_ALLOWED),
        "512 chars, short distinct tokens": lambda: _words(rng, LONGEST_ALLOWED, 2, 4),
        "512 chars, Chinese characters": lambda: _han(rng, LONGEST_ALLOWED),
        "512 chars, look-alike letters in words": lambda: _lookalikes(rng, LONGEST_ALLOWED),
        "512 chars, invisible characters between letters": lambda: _invisible(rng, LONGEST_ALLOWED),
        "40 KB, one token": lambda: _word(rng, 40_000),
        "40 KB, words": lambda: _words(rng, 40_000),
        "900 KB, one token": lambda: _word(rng, 900_000),
        "900 KB, words": lambda: _words(rng, 900_000),
        "900 KB, Chinese characters": lambda: _han(rng, 300_000),
        "900 KB, look-alikes, overrides, zero-width": lambda: "".join(
            rng.choice("аеорсхіHuwtk\u200b\u202e\u202c ") for _ in range(900_000)
        ),
        "150,000 distinct tokens": lambda: " ".join(f"{_word(rng, 3)}{n}" for n in range(150_000)),
    }
    return {kind: [make() for _ in range(repeat + 1)] for kind, make in kinds.items()}


def measure(function: Callable[[str], object], names: list[str]) -> tuple[float, float, float]:
    """Mean and worst milliseconds per name over all names but the last, and the peak memory in MB
    allocated while the last one is processed (traced apart: tracing slows the timed calls)."""
    times = []
    for name in names[:-1]:
        started = time.perf_counter()
        function(name)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    function(names[-1])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.fmean(times), max(times), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="different names per kind (default 3)")
    args = parser.parse_args()
    started = time.perf_counter()
    loaded = load_list_file(DATA / "consolidated_2026-07-31.csv")
    aliases = load_cjk_aliases((DATA / "cjk_names.csv").read_text(encoding="utf-8"))
    lists = ScreeningLists.build(loaded.entries, loaded.version, MatchThresholds(), extra_aliases=aliases)
    print(f"index built in {time.perf_counter() - started:.2f} s; names read up to {MAX_NAME_CHARS} chars")
    for name in ("Huawei Technologies", "北京市商汤科技开发有限公司", "Sense Time"):  # warm the code paths
        lists.index.match([name])
    print()
    print(
        "| input | chars | match ms mean | match ms max | match peak MB | hits | reveal ms"
        " | identifies_no_one ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind, names in inputs(20261130, args.repeat).items():
        mean, worst, peak = measure(lambda name: lists.index.match([name]), names)
        hits = max(len(lists.index.match([name])) for name in names)  # answered from the cache
        reveal_ms, _, _ = measure(reveal, names)
        nobody_ms, _, _ = measure(identifies_no_one, names)
        print(
            f"| {kind} | {len(names[0]):,} | {mean:.2f} | {worst:.2f} | {peak:.1f} | {hits} "
            f"| {reveal_ms:.2f} | {nobody_ms:.2f} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
