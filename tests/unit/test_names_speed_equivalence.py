"""The matcher's shortcuts give the same answers as the long way round.

Per-character pinyin against pypinyin's own reading, the fast paths of phrase replacement and rejoining
against the plain walks, and the neighbours and weights found at build against those found per query.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from screening.adapters.csl import load_cjk_aliases, load_list_file
from screening.domain import names
from screening.domain.names import MatchThresholds, ScreeningLists

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "services" / "screening" / "data"
EVAL_SET = ROOT / "tests" / "eval" / "name_eval_set.jsonl"


def _pypinyin(text: str) -> list[str]:
    return [names._toneless(syllable) for syllable in lazy_pinyin(text, style=Style.TONE)]


def test_pinyin_reads_every_stretch_as_pypinyin_does() -> None:
    rng = random.Random(20261126)
    common = [chr(code) for code in range(0x4E00, 0x4E00 + 4000)]
    every = [
        chr(code)
        for start, end in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
        for code in range(start, end)
    ]
    stretches = ["商汤", "壁仞", "银行", "重庆", "长江", "科大讯飞", "海康威视", "中科寒武纪", "摩尔线程"]
    for n in range(5000):
        pool = every if n % 2 else common
        stretches.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 14))))
    for text in stretches:
        assert names._pinyin(text) == _pypinyin(text), text


def _replace_phrases_walk(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in names._PHRASE_SIZES.get(tokens[i], ()):
            if i + size > len(tokens):
                continue
            replacement = names._PHRASES.get(tuple(tokens[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _rejoin_walk(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if (
            i + 1 < len(tokens)
            and tokens[i + 1] not in names._CANONICAL
            and tokens[i + 1] not in names._LEXICON
        ):
            joined = tokens[i] + tokens[i + 1]
            if len(joined) >= 6 and (joined in names._LEXICON or joined in names._CANONICAL):
                out.append(joined)
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


def test_phrase_and_rejoin_fast_paths_agree_with_the_walks() -> None:
    rng = random.Random(7)
    words = sorted({*names._LEXICON, *names._CANONICAL, *(w for p in names._PHRASES for w in p)})
    pieces = [*words, "acme", "al", "noor", "s", "a", "b", "zhong", "xing", "polar", "rock"]
    for word in words:
        pieces.extend(word[:cut] for cut in range(1, len(word)))
        pieces.extend(word[cut:] for cut in range(1, len(word)))
    for _ in range(20000):
        tokens = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        assert names._replace_phrases(list(tokens))[0] == _replace_phrases_walk(tokens), tokens
        assert names._rejoin(list(tokens)) == _rejoin_walk(tokens), tokens


@pytest.fixture(scope="module")
def lists() -> ScreeningLists:
    loaded = load_list_file(DATA / "consolidated_2026-07-31.csv")
    aliases = load_cjk_aliases((DATA / "cjk_names.csv").read_text(encoding="utf-8"))
    return ScreeningLists.build(
        loaded.entries, loaded.version, MatchThresholds(strong=0.92, weak=0.80), extra_aliases=aliases
    )


def test_listed_token_data_found_at_build_is_what_a_query_would_find(lists: ScreeningLists) -> None:
    index = lists.index
    rng = random.Random(3)
    for token in rng.sample(sorted(index._postings), 3000):
        found, heaviest, weight = index._listed_infos[token]
        assert found == index._neighbours(token)
        assert list(found) == list(index._neighbours(token))
        assert heaviest == (max(index._weights[match] for match in found) if found else 0.0)
        assert weight == (index._weights.get(token) or heaviest or index._weight(token))


def test_hits_do_not_depend_on_the_build_time_shortcuts(lists: ScreeningLists) -> None:
    index = lists.index
    with EVAL_SET.open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle if line.strip()][::7]

    def answers() -> list[list[tuple[object, ...]]]:
        index._cache.clear()
        return [
            [
                (hit.entry.entry_id, hit.matched_name, hit.score, hit.strong, hit.why)
                for hit in index.match([case["query"]], case.get("country"))
            ]
            for case in cases
        ]

    with_build_data = answers()
    listed = dict(index._listed_infos)
    try:
        index._listed_infos.clear()
        index._token_infos.clear()
        index._resolved.clear()
        assert answers() == with_build_data
    finally:
        index._listed_infos.update(listed)
        index._cache.clear()
