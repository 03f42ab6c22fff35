"""Name matching for list screening: normalisation that knows company names, and a blocked name index.

A party name is normalised into tokens (legal forms dropped, abbreviations expanded, Chinese characters
translated or transliterated to pinyin), then compared with the names of list entries found through a
token index. The score is a weighted token agreement: distinctive tokens (rare on the list) weigh much,
generic business words and place names weigh little, so "Beijing ... Technology Co., Ltd." alone never
makes a strong match while "SENSETIME TECH DEV CO LTD" scores 0.93 against "Beijing Sensetime Technology
Development Co., Ltd." (only the city is missing).

Pure computation: standard library, pypinyin and rapidfuzz only; no I/O. The word tables (legal forms,
abbreviations, business words, places, Chinese words) are data handed in as a `NameWords` value.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import unicodedata
from array import array
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin  # type: ignore[import-untyped,unused-ignore]
from pypinyin.constants import PHRASES_DICT  # type: ignore[import-untyped,unused-ignore]
from rapidfuzz import fuzz

from screening.domain.addresses import AddressIndex
from screening.domain.lists import ListEntry, ListHit
from screening.domain.visible_text import INVISIBLE, reveal, whole_script_lookalike

# ---------------------------------------------------------------------------------------------------------
# Word tables. They are data (`data/name_words.toml`, `data/han_words.csv` beside the CSL snapshot), read by
# `screening.resources` and handed to this module as a `NameWords` value (`install_words`), which sets the
# module's tables and what is derived from them. Keys are casefolded, accent-free tokens as produced by the
# tokeniser. Until tables are installed, the matcher refuses to work (it would read every legal form as a
# name).


@dataclass(frozen=True, slots=True)
class NameWords:
    """The name matcher's word tables: legal forms, abbreviations, phrases, stopwords, generic business words,
    places, Chinese words (with city qualifiers), traditional characters and Cyrillic letters.

    Built from the parsed data files by `NameWords.from_tables`; `install_words` puts them to use.
    """

    legal_words: frozenset[str]
    edge_legal_words: frozenset[str]
    legal_phrases: tuple[tuple[str, ...], ...]
    glued_suffixes: tuple[str, ...]
    glued_prefixes: tuple[str, ...]
    glued_tails: frozenset[str]
    glued_long_tails: frozenset[str]
    abbreviations: Mapping[str, str]
    phrases: Mapping[tuple[str, ...], tuple[str, ...]]
    stopwords: frozenset[str]
    number_words: frozenset[str]
    generic: frozenset[str]
    places: frozenset[str]
    # Chinese word -> its renderings ("|"-separated, the primary first; empty: a legal form, dropped).
    han_words: Mapping[str, str]
    han_place_suffixes: frozenset[str]
    traditional: Mapping[str, str]
    cyrillic: Mapping[str, str]
    # Common words of the language ("target", "palm", "golden"): a name's only distinctive word agreeing
    # with a listed one is thin evidence when it is one of them.
    common_words: frozenset[str]

    @classmethod
    def from_tables(
        cls,
        words: Mapping[str, Any],
        han_rows: Iterable[Mapping[str, str]],
        common_words: Iterable[str],
    ) -> NameWords:
        """The tables from the parsed `name_words.toml` (`words`), the rows of `han_words.csv` and the words
        of `common_words.txt`.

        Raises `ValueError` naming the table and key when one is missing or of the wrong shape.
        """

        def table(name: str) -> Mapping[str, Any]:
            found = words.get(name)
            if not isinstance(found, Mapping):
                raise ValueError(f"name words: [{name}] is missing or not a table")
            return found

        def word_list(section: str, key: str) -> list[str]:
            found = table(section).get(key)
            if not isinstance(found, list) or not all(isinstance(word, str) and word for word in found):
                raise ValueError(f"name words: [{section}] {key} must be a list of words")
            return found

        def word_map(section: str) -> dict[str, str]:
            found = dict(table(section))
            if not all(isinstance(key, str) and isinstance(value, str) for key, value in found.items()):
                raise ValueError(f"name words: [{section}] must map words to words")
            return found

        han = table("han")
        traditional = "".join(word_list("han", "traditional"))
        simplified = "".join(word_list("han", "simplified"))
        if len(traditional) != len(simplified):
            raise ValueError("name words: [han] traditional and simplified differ in length")
        suffixes = han.get("place_suffixes")
        if not isinstance(suffixes, str):
            raise ValueError("name words: [han] place_suffixes must be a string of characters")
        han_words: dict[str, str] = {}
        han_places: set[str] = set()
        for row in han_rows:
            chinese = (row.get("chinese") or "").strip()
            if not chinese:
                raise ValueError(f"han words: a row without a Chinese word: {dict(row)}")
            han_words[chinese] = (row.get("english") or "").strip()
            if (row.get("group") or "").strip() == "place":
                # A place the Chinese table names ("华中" huazhong, "洛阳" luoyang) is a place in a name
                # written in letters too, not a distinctive word.
                han_places.update(han_words[chinese].replace("|", " ").split())
        if not han_words:
            raise ValueError("han words: no rows")
        common = frozenset(common_words)
        if not common or not all(word.isalpha() and word.islower() for word in common):
            raise ValueError("common words: empty, or a word that is not lowercase letters")
        return cls(
            legal_words=frozenset(word_list("legal_forms", "words")),
            edge_legal_words=frozenset(word_list("legal_forms", "edge_words")),
            legal_phrases=tuple(tuple(phrase.split()) for phrase in word_list("legal_forms", "phrases")),
            glued_suffixes=tuple(word_list("legal_forms", "glued_suffixes")),
            glued_prefixes=tuple(word_list("legal_forms", "glued_prefixes")),
            glued_tails=frozenset(word_list("legal_forms", "glued_tails")),
            glued_long_tails=frozenset(word_list("legal_forms", "glued_long_tails")),
            abbreviations=word_map("abbreviations"),
            phrases={tuple(key.split()): tuple(value.split()) for key, value in word_map("phrases").items()},
            stopwords=frozenset(word_list("words", "stopwords")),
            number_words=frozenset(word_list("words", "number_words")),
            generic=frozenset(word_list("words", "generic")),
            places=frozenset(word_list("words", "places")) | han_places,
            han_words=han_words,
            han_place_suffixes=frozenset(suffixes),
            traditional=dict(zip(traditional, simplified, strict=True)),
            cyrillic=word_map("cyrillic"),
            common_words=common,
        )


# The installed tables (see `install_words`); empty until then.
_INSTALLED = False
_CANONICAL: dict[str, str] = {}
_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {}
# Phrase lengths by first word, longest first, so a token that starts no phrase costs one lookup.
_PHRASE_SIZES: dict[str, tuple[int, ...]] = {}
_LEGAL_TOKENS: frozenset[str] = frozenset()
_EDGE_LEGAL_TOKENS: frozenset[str] = frozenset()
_STOPWORDS: frozenset[str] = frozenset()
# Words of legal forms ("joint", "stock" of "joint stock company"): a spacing repair that makes one of them
# has not made a word of the name.
_LEGAL_FORM_WORDS: frozenset[str] = frozenset()
_GENERIC: frozenset[str] = frozenset()
_PLACES: frozenset[str] = frozenset()
_HAN_WORDS: dict[str, str] = {}
# Renderings of each word: the first is the name's primary normal form, the others are searched too.
_HAN_RENDERINGS: dict[str, tuple[str, ...]] = {}
_HAN_MAX_WORD = 0
_TRADITIONAL: dict[int, int] = {}
_HAN_PLACE_SUFFIXES: frozenset[str] = frozenset()
_CYRILLIC: dict[int, str] = {}
# Legal-form and generic words recognised through one typo ("COMPNY", "LIMIED") or glued to a neighbour
# ("TRADINGLIMITED", "LLCCITYIMPEX"): a mangled legal form must not pass for a distinctive word.
_LEXICON: frozenset[str] = frozenset()
_LEXICON_DELETES: dict[str, str] = {}
# A token longer than this by two or more is no one-typo spelling of a lexicon word (see `_lexicon_word`).
_LONGEST_LEXICON = 0
# Proper beginnings of the words `_rejoin` can restore, so a name with none of them skips the pair walk.
_REJOIN_HEADS: frozenset[str] = frozenset()
_GLUED_SUFFIXES: tuple[str, ...] = ()
_GLUED_PREFIXES: tuple[str, ...] = ()
_GLUED_TAILS: frozenset[str] = frozenset()
_GLUED_LONG_TAILS: frozenset[str] = frozenset()
# The longest spelling `_best_split` reads a glued half as (besides listed tokens).
_LONGEST_SPELLING = 0
_NUMBER_WORDS: frozenset[str] = frozenset()
_COMMON_WORDS: frozenset[str] = frozenset()


def install_words(words: NameWords) -> None:
    """Use `words` for every name normalised and matched from now on (and forget what the old tables made)."""
    global _INSTALLED, _CANONICAL, _PHRASES, _PHRASE_SIZES, _LEGAL_TOKENS, _EDGE_LEGAL_TOKENS, _STOPWORDS
    global _LEGAL_FORM_WORDS, _GENERIC, _PLACES, _HAN_WORDS, _HAN_RENDERINGS, _HAN_MAX_WORD, _TRADITIONAL
    global _HAN_PLACE_SUFFIXES, _CYRILLIC, _LEXICON, _LEXICON_DELETES, _LONGEST_LEXICON, _REJOIN_HEADS
    global _GLUED_SUFFIXES, _GLUED_PREFIXES, _GLUED_TAILS, _GLUED_LONG_TAILS, _LONGEST_SPELLING, _NUMBER_WORDS
    global _COMMON_WORDS
    _CANONICAL = dict(words.abbreviations)
    _PHRASES = {**dict.fromkeys(words.legal_phrases, ()), **words.phrases}
    sizes: dict[str, set[int]] = {}
    for phrase in _PHRASES:
        sizes.setdefault(phrase[0], set()).add(len(phrase))
    _PHRASE_SIZES = {first: tuple(sorted(found, reverse=True)) for first, found in sizes.items()}
    _LEGAL_TOKENS = words.legal_words
    _EDGE_LEGAL_TOKENS = words.edge_legal_words
    _STOPWORDS = words.stopwords
    _LEGAL_FORM_WORDS = frozenset(
        {*_LEGAL_TOKENS, *_EDGE_LEGAL_TOKENS, *_STOPWORDS}
        | {word for phrase, replacement in _PHRASES.items() if not replacement for word in phrase}
    )
    _GENERIC = words.generic
    _PLACES = words.places
    _HAN_WORDS = dict(words.han_words)
    _HAN_RENDERINGS = {word: tuple(english.split("|")) for word, english in _HAN_WORDS.items()}
    _HAN_MAX_WORD = max((len(word) for word in _HAN_WORDS), default=0)
    _TRADITIONAL = {ord(old): ord(new) for old, new in words.traditional.items()}
    _HAN_PLACE_SUFFIXES = words.han_place_suffixes
    _CYRILLIC = {ord(letter): latin for letter, latin in words.cyrillic.items()}
    _LEXICON = frozenset(
        word
        for word in (*_LEGAL_TOKENS, *_GENERIC, *_CANONICAL.values(), *(w for p in _PHRASES for w in p))
        if len(word) >= 5
    )
    deletes: dict[str, str] = {}
    for word in sorted(_LEXICON | {spelling for spelling in _CANONICAL if len(spelling) >= 5}):
        for key in (word, *(word[:i] + word[i + 1 :] for i in range(len(word)))):
            deletes.setdefault(key, word)
    _LEXICON_DELETES = deletes
    _LONGEST_LEXICON = max((len(word) for word in (*_LEXICON, *_CANONICAL)), default=0)
    _REJOIN_HEADS = frozenset(
        word[:cut] for word in (*_LEXICON, *_CANONICAL) if len(word) >= 6 for cut in range(1, len(word))
    )
    _GLUED_SUFFIXES = words.glued_suffixes
    _GLUED_PREFIXES = words.glued_prefixes
    _GLUED_TAILS = words.glued_tails
    _GLUED_LONG_TAILS = words.glued_long_tails
    _LONGEST_SPELLING = max(
        (
            len(word)
            for word in (*_CANONICAL, *_STOPWORDS, *_GLUED_TAILS, *_LEGAL_TOKENS, *_EDGE_LEGAL_TOKENS)
        ),
        default=0,
    )
    _NUMBER_WORDS = words.number_words
    _COMMON_WORDS = words.common_words
    for cached in (_han_to_words, _canonical, _unglue):
        cached.cache_clear()
    _INSTALLED = True


def _require_words() -> None:
    if not _INSTALLED:
        raise RuntimeError(
            "the name matcher's word tables are not installed: load them with screening.resources "
            "(or call screening.domain.names.install_words)"
        )


# Longest stretch of unknown characters checked for phrases of pypinyin's dictionary before reading it
# character by character (see `_pinyin`); longer stretches go through pypinyin's segmentation.
_PINYIN_PHRASE_CHECK = 12
# Renderings searched per name at most (each costs a search; most names have one).
_MAX_RENDERINGS = 6
# Longest run of Chinese characters translated as one (longer runs are read in pieces of this size).
_MAX_HAN_RUN = 64
# Longest token kept: longer ones are cut. No listed token is longer than 30 characters, nor a listed name
# without its spaces longer than 220, so a cut token could not have matched; the cut keeps the per-token
# caches small.
_MAX_TOKEN_CHARS = 256
# Characters of a name that are read: four times the longest name or alias an event may carry (512), so any
# accepted name is read whole, while a longer one (a file loaded by hand, an unchecked path) costs no more
# than this many characters do.
MAX_NAME_CHARS = 2048
# Chinese numerals, for numbered units ("第十四研究所" is the "14th Research Institute").
_HAN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000}
_HAN_ORDINAL = re.compile(r"第\s{0,3}([〇零一二三四五六七八九十百千两]{1,12}|[0-9]{1,12})")

# Ordinals are their numbers: "14th" and "No. 14" read "14", "Second" reads "2".
_ORDINAL_SUFFIX = re.compile(r"([0-9]+)(?:st|nd|rd|th)")
# A bracketed acronym: capitals, digits, spaces and dashes only, at least two capitals.
# Linear: the lookahead reads at most the 14 characters a bracket may hold, and a run of spaces is entered at
# its start only.
_ACRONYM_BRACKETS = re.compile(r"(?<!\s)\s*\((?=[^A-Z)]{0,13}[A-Z][^A-Z)]{0,13}[A-Z])[A-Z0-9 .&-]{2,14}\)")
# Pinyin ü, toned or not, is written "v" (as pypinyin's NORMAL style writes it).
_UMLAUT_V = str.maketrans(dict.fromkeys("üǖǘǚǜ", "v"))
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN_RUN_SPLIT = re.compile(f"({_HAN_RUN.pattern})")
_APOSTROPHES = re.compile(r"['’‘`ʼ´]")
_SPLIT = re.compile(r"[\W_]+")
# The same split for ASCII text, without the regular expression: every non-alphanumeric becomes a space.
_ASCII_SEPARATORS = str.maketrans({chr(code): " " for code in range(128) if not chr(code).isalnum()})


# ---------------------------------------------------------------------------------------------------------
# Normalisation


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name as comparable tokens: legal forms dropped, abbreviations expanded, Han transliterated."""

    original: str
    tokens: tuple[str, ...]
    # Further renderings of a Chinese name ("理工大学": "institute technology" beside the primary
    # "university science technology"), or the Latin look-alike reading of a name in Cyrillic or Greek
    # letters; searched beside `tokens`, the best score counts, held for review at most.
    alternatives: tuple[tuple[str, ...], ...] = ()
    # Other spellings of the same reading, searched like `tokens`: the name with the invisible characters
    # hidden in it read as spaces.
    spellings: tuple[tuple[str, ...], ...] = ()
    # The name carried a legal form ("Ltd", "GmbH", "OOO"): the party is a company.
    legal_form: bool = False
    # The words of the name as written (casefolded, split at spaces and punctuation), when they read other
    # than `tokens`: a word broken by a stray space is joined from these ("CloudW alk", "Prod uction").
    words: tuple[str, ...] = ()
    # The name is written (in part) in Chinese characters: its transliterated letters hold no typos.
    han: bool = False

    @property
    def compact(self) -> str:
        """The tokens without spaces, for spacing-insensitive comparison ("Sense Time" ~ "SenseTime")."""
        return "".join(self.tokens)

    @property
    def key(self) -> str:
        """A cache key: the tokens in order, space-joined, then other readings, legal form, script, words."""
        form = (
            (" | legal form" if self.legal_form else "")
            + (" | han" if self.han else "")
            + (" | " + " ".join(self.words) if self.words else "")
        )
        if not self.alternatives and not self.spellings:
            return " ".join(self.tokens) + form
        spellings = " / ".join(" ".join(tokens) for tokens in (self.tokens, *self.spellings))
        return " | ".join((spellings, *(" ".join(tokens) for tokens in self.alternatives))) + form


def _han_number(numeral: str) -> int:
    """The value of a Chinese numeral: positional ("三十八" = 38) or digit by digit ("七〇一" = 701)."""
    if numeral.isdigit() and numeral.isascii():
        return int(numeral)
    if not any(char in _HAN_UNITS for char in numeral):
        return int("".join(str(_HAN_DIGITS[char]) for char in numeral))
    total = 0
    digit = 0
    for char in numeral:
        if char in _HAN_UNITS:
            total += (digit or 1) * _HAN_UNITS[char]
            digit = 0
        else:
            digit = _HAN_DIGITS[char]
    return total + digit


def _han_ordinal(match: re.Match[str]) -> str:
    return f" {_han_number(match.group(1))} "


@lru_cache(maxsize=1 << 14)
def _han_to_words(run: str) -> tuple[str, ...]:
    """Translate known business words and places in a run of Han characters, transliterate the rest.

    The run is segmented by backward maximum matching (Chinese names end in business words and legal
    forms, so reading from the end splits "龙芯中科技术" as "龙芯中科 | 技术", not "龙芯中 | 科技 | 术").
    The unknown stretches between known words are one name ("商汤", "壁仞"), so their pinyin syllables are
    joined into one token, as the list writes them ("Shangtang", "Biren").

    Returns the renderings of the run, the primary first: one per combination of the renderings of its
    words when there are few, else the primary and each word's other renderings one at a time.
    """
    run = run.translate(_TRADITIONAL)
    words: list[tuple[str, ...]] = []  # from the end of the run backwards
    pending: list[str] = []  # unknown characters, reversed

    def flush() -> None:
        if pending:
            words.append(("".join(_pinyin("".join(reversed(pending)))),))
            pending.clear()

    def known_word_ending_at(end: int) -> str | None:
        for size in range(min(_HAN_MAX_WORD, end), 1, -1):
            word = run[end - size : end]
            if word in _HAN_WORDS:
                return word
        return None

    i = len(run)
    while i > 0:
        word = known_word_ending_at(i)
        if word is not None:
            flush()
            if _HAN_WORDS[word]:
                words.append(_HAN_RENDERINGS[word])
            i -= len(word)
            continue
        if run[i - 1] in _HAN_PLACE_SUFFIXES:
            place = known_word_ending_at(i - 1)
            if place is not None and _HAN_WORDS[place] in _PLACES:
                # "北京市", "广东省": the administrative suffix carries nothing.
                i -= 1
                continue
        pending.append(run[i - 1])
        i -= 1
    flush()
    words.reverse()
    return tuple(" " + " ".join(choice) + " " for choice in _combinations(words))


def _pinyin(text: str) -> list[str]:
    """Toneless pinyin syllables of `text` (pypinyin's NORMAL style: "绿" is "lv").

    Asks pypinyin for tone marks and strips them here, per syllable and cached: the same syllables as the
    NORMAL style for every character of its dictionary, at two thirds of the cost.

    pypinyin reads a phrase of its phrase dictionary as one (polyphones: "银行" is "yin hang") and every
    other character on its own, from its character dictionary. So text holding no phrase (no stretch of
    it, a single character included, is a key of the phrase dictionary) reads as its characters one by
    one, whose readings are cached: the same syllables without segmenting and converting the text again.
    """
    size = len(text)
    if size <= _PINYIN_PHRASE_CHECK and not any(
        text[start:end] in PHRASES_DICT for start in range(size) for end in range(start + 1, size + 1)
    ):
        return [syllable for char in text for syllable in _char_pinyin(char)]
    return [_toneless(syllable) for syllable in lazy_pinyin(text, style=Style.TONE)]


@lru_cache(maxsize=1 << 14)
def _char_pinyin(char: str) -> tuple[str, ...]:
    """Toneless pinyin of one character, as `_pinyin` reads it."""
    return tuple(_toneless(syllable) for syllable in lazy_pinyin(char, style=Style.TONE))


@lru_cache(maxsize=4096)
def _toneless(syllable: str) -> str:
    return _strip_accents(syllable.translate(_UMLAUT_V))


def _combinations(options: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Combinations of per-position options, the all-first one first, at most `_MAX_RENDERINGS`."""
    primary = tuple(choices[0] for choices in options)
    count = 1
    for choices in options:
        count *= len(choices)
        if count > _MAX_RENDERINGS:
            break
    else:
        return list(itertools.product(*options))
    combined = [primary]
    for position, choices in enumerate(options):
        if len(choices) == 1:
            continue
        for choice in choices[1:]:
            combined.append((*primary[:position], choice, *primary[position + 1 :]))
            if len(combined) == _MAX_RENDERINGS:
                # Each combination copies the whole name: stop at the number searched.
                return combined
    return combined


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _replace_phrases(tokens: list[str]) -> tuple[list[str], bool]:
    """`tokens` with multi-word phrases replaced, and whether one of them was a legal form (dropped)."""
    if _PHRASE_SIZES.keys().isdisjoint(tokens):
        # No token starts a phrase (most names).
        return tokens, False
    legal = False
    out: list[str] = []
    i = 0
    while i < len(tokens):
        sizes = _PHRASE_SIZES.get(tokens[i])
        if sizes is None:
            out.append(tokens[i])
            i += 1
            continue
        for size in sizes:
            if i + size > len(tokens):
                continue
            replacement = _PHRASES.get(tuple(tokens[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                legal = legal or not replacement
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, legal


def _is_legal_form(word: str) -> bool:
    """A legal-form word, as written or abbreviated ("ltd", "llc", "gmbh", "pte", "ooo")."""
    return word in _LEGAL_TOKENS or word in _EDGE_LEGAL_TOKENS or _CANONICAL.get(word) in _LEGAL_TOKENS


def _lexicon_word(token: str) -> str | None:
    """The legal-form or generic word `token` is a one-typo spelling of, if any."""
    if len(token) < 6 or len(token) > _LONGEST_LEXICON + 1 or token.isdigit():
        # Shorter words are too often names in their own right ("Pars" is not "Parts").
        return None
    for key in (token, *(token[:i] + token[i + 1 :] for i in range(len(token)))):
        word = _LEXICON_DELETES.get(key)
        if word is None:
            continue
        if fuzz.ratio(token, word) >= 88.0 or (len(word) == len(token) and sorted(word) == sorted(token)):
            return word
    return None


@lru_cache(maxsize=1 << 16)
def _unglue(token: str) -> tuple[str, ...]:
    """Split a legal form glued to a word ("tradinglimited" → "trading limited")."""
    if len(token) >= 5:
        if token.endswith(_GLUED_SUFFIXES):
            for suffix in _GLUED_SUFFIXES:
                if token.endswith(suffix) and len(token) - len(suffix) >= 2:
                    return (token[: -len(suffix)], suffix)
        if token.startswith(_GLUED_PREFIXES):
            for prefix in _GLUED_PREFIXES:
                if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                    return (prefix, token[len(prefix) :])
    if 10 <= len(token) <= 2 * _LONGEST_LEXICON and token not in _LEXICON:
        # Two business or legal-form words glued ("ogranichennoiotvetstvennostyu"); both halves are
        # lexicon words, so only cuts leaving each no longer than the longest are tried.
        for cut in range(max(5, len(token) - _LONGEST_LEXICON), min(len(token) - 4, _LONGEST_LEXICON + 1)):
            if token[:cut] in _LEXICON and token[cut:] in _LEXICON:
                return (token[:cut], token[cut:])
    return (token,)


def _split_glued_initials(words: list[str]) -> list[str]:
    """Give back the first letter of a legal form written in initials and glued to the word before it.

    "ANTEXS.A." reads "antexs a": the "s" of "S.A." belongs to the legal form, as the "sp" of "sp. z o.o."
    does in "LAKE FORESTSP Z O O".
    """
    if "a" not in words and "z" not in words:
        return words
    out: list[str] = []
    for k, word in enumerate(words):
        after = words[k + 1 : k + 4]
        if after[:1] == ["a"] and len(word) >= 4 and word.endswith("s") and after[1:2] in ([], ["de"], ["s"]):
            out += [word[:-1], "s"]
        elif after == ["z", "o", "o"] and len(word) >= 5 and word.endswith("sp"):
            out += [word[:-2], "sp"]
        else:
            out.append(word)
    return out


def _rejoin(tokens: list[str]) -> list[str]:
    """Join a business word broken by a stray space ("INVEST MENTS", "INTERNATI ONAL")."""
    if _REJOIN_HEADS.isdisjoint(tokens[:-1]):
        # No token but the last begins a word it could be joined into (most names).
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i + 1] not in _CANONICAL and tokens[i + 1] not in _LEXICON:
            joined = tokens[i] + tokens[i + 1]
            if len(joined) >= 6 and (joined in _LEXICON or joined in _CANONICAL):
                out.append(joined)
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


@lru_cache(maxsize=1 << 16)
def _canonical(token: str) -> str:
    known = _CANONICAL.get(token)
    if known is not None:
        return known
    if token[0].isdigit():
        ordinal = _ORDINAL_SUFFIX.fullmatch(token)
        # "14th", "701st": the number (Chinese writes "第十四", and lists also write "CETC 14").
        return ordinal.group(1) if ordinal else token
    if token in _LEXICON or token in _LEGAL_TOKENS or token in _GENERIC or token in _PLACES:
        return token
    corrected = _lexicon_word(token)
    if corrected is None and len(token) >= 7 and token.endswith("s"):
        # A plural with a typo ("isntruments"): the singular is one edit from the lexicon word.
        corrected = _lexicon_word(token[:-1])
    return _CANONICAL.get(corrected, corrected) if corrected else token


def _join_initials(tokens: list[str]) -> list[str]:
    """Join a run of single letters into one token: "D.E.S." and "DES" are the same acronym."""
    if sum(len(token) == 1 for token in tokens) < 2:
        return tokens
    out: list[str] = []
    run: list[str] = []
    for token in (*tokens, ""):
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) > 1:
            out.append("".join(run))
        else:
            out.extend(run)
        run.clear()
        if token:
            out.append(token)
    return out


def normalise(name: str) -> NormalisedName:
    """Normalise a person or company name into comparable tokens.

    Read as `visible_text.reveal` shows it (the first `MAX_NAME_CHARS` characters); NFKC and casefolding;
    accents stripped; Cyrillic transliterated; Han characters translated (business
    words, places, legal forms, numbered units) or transliterated to pinyin; punctuation removed;
    abbreviations, ordinals and pinyin business words canonicalised; legal forms (English, European,
    Russian, Chinese) and stopwords dropped. A name made only of legal forms or stopwords keeps them, so it
    is never empty when the input is not. A Chinese name whose words the lists render in more than one way
    has those renderings as `alternatives`.
    """
    _require_words()
    read = name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS]
    if read.isascii() and "&" not in read and "%" not in read:
        # Most names: nothing for `reveal` to undo.
        return _normalise_shown(name, read)
    # What a reader sees: escapes decoded, invisible characters and bidi overrides undone, look-alike
    # letters of other scripts in a Latin word read as the Latin letters they imitate.
    revealed = reveal(read)
    normalised = _normalise_shown(name, revealed.text)
    if INVISIBLE not in revealed.tricks:
        return normalised
    # Invisible characters put in to hide the name may stand between its words as well as inside them
    # ("Huawei\u3164Technologies"): the name is also read with them as spaces.
    spaced = _normalise_shown(name, reveal(read, invisible_as=" ").text)
    if spaced.tokens == normalised.tokens:
        return normalised
    return NormalisedName(
        original=name,
        tokens=normalised.tokens,
        alternatives=normalised.alternatives,
        spellings=(spaced.tokens,),
        legal_form=normalised.legal_form,
        words=normalised.words,
        han=normalised.han,
    )


def identifying_tokens(name: str) -> tuple[str, ...]:
    """The tokens of `name` that can tell a party apart: `normalise`'s, without any legal form or stopword.

    Empty for a name made only of legal forms, stopwords, punctuation and invisible characters ("Co., Ltd.",
    "GmbH", "有限公司", "The", "-", a lone zero-width space).
    """
    _require_words()
    shown = reveal(name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS]).text
    return _normalise_shown(name, shown, bare=True).tokens


def _normalise_shown(name: str, shown: str, bare: bool = False) -> NormalisedName:
    text = shown.casefold() if shown.isascii() else unicodedata.normalize("NFKC", shown).casefold()
    if text.isascii():
        # Most names: no Han, Cyrillic or accents to handle, and a split without the regular expression.
        words = (
            text.replace("'", "").replace("`", "").replace("&", " and ").translate(_ASCII_SEPARATORS).split()
        )
        tokens, legal_form = _tokens(words, bare)
        written = tuple(words) if tuple(words) != tokens else ()
        return NormalisedName(original=name, tokens=tokens, legal_form=legal_form, words=written)
    text = _APOSTROPHES.sub("", text)
    han = _HAN_RUN.search(text) is not None
    texts = _han_texts(text) if han else [text]
    lookalike = whole_script_lookalike(shown)
    if lookalike is not None:
        # "АВВ" in Cyrillic letters: transliterated first ("avv"), its Latin look-alike ("abb") beside it.
        texts.append(unicodedata.normalize("NFKC", lookalike).casefold())
    renderings: list[tuple[str, ...]] = []
    legal_form = False
    for rendered in texts:
        if not rendered.isascii():
            rendered = _strip_accents(rendered.translate(_CYRILLIC))
        tokens, legal = _tokens(_SPLIT.split(rendered.replace("&", " and ")), bare)
        legal_form = legal_form or legal
        if tokens not in renderings:
            renderings.append(tokens)
    return NormalisedName(
        original=name,
        tokens=renderings[0],
        alternatives=tuple(renderings[1:]),
        legal_form=legal_form,
        han=han,
    )


def _han_texts(text: str) -> list[str]:
    """`text` with its Han runs translated: the primary rendering first, then the alternatives."""
    parts = _HAN_RUN_SPLIT.split(_HAN_ORDINAL.sub(_han_ordinal, text))
    # `split` with a capturing group: the Han runs are at the odd positions.
    options = [_han_run_words(part) if i % 2 else (part,) for i, part in enumerate(parts)]
    return ["".join(choice) for choice in _combinations(options)]


def _han_run_words(run: str) -> tuple[str, ...]:
    """`_han_to_words` of a run, read in pieces of `_MAX_HAN_RUN` characters when it is longer.

    Registered names are far shorter; the pieces keep the translation cache small whatever comes in.
    """
    if len(run) <= _MAX_HAN_RUN:
        return _han_to_words(run)
    pieces = [_han_to_words(run[start : start + _MAX_HAN_RUN]) for start in range(0, len(run), _MAX_HAN_RUN)]
    return tuple("".join(choice) for choice in _combinations(pieces))


def _tokens(words: Iterable[str], bare: bool = False) -> tuple[tuple[str, ...], bool]:
    """Comparable tokens of a name's words, and whether a legal form was among them.

    `bare`: without the legal forms of a name made only of them.
    """
    raw = _rejoin(
        _split_glued_initials(
            [part for token in words if token for part in _unglue(token[:_MAX_TOKEN_CHARS])]
        )
    )
    canonical = [_canonical(token) for token in raw]
    if not _NUMBER_WORDS.isdisjoint(canonical) and any(token.isdigit() for token in canonical):
        # "No. 28 Institute" is the "28th Institute" (in any word order; without a number, "No" is a name).
        canonical = [token for token in canonical if token not in _NUMBER_WORDS]
    replaced, legal_form = _replace_phrases(canonical)
    phrased = _join_initials(replaced)
    kept = [token for token in phrased if token not in _LEGAL_TOKENS and token not in _STOPWORDS]
    legal_form = legal_form or any(token in _LEGAL_TOKENS for token in phrased)
    while kept and kept[-1] in _EDGE_LEGAL_TOKENS and len(kept) > 1:
        kept.pop()
        legal_form = True
    while kept and kept[0] in _EDGE_LEGAL_TOKENS and len(kept) > 1:
        kept.pop(0)
        legal_form = True
    if bare:
        kept = [token for token in kept if token not in _EDGE_LEGAL_TOKENS]
    elif not kept:
        kept = [token for token in canonical if token not in _STOPWORDS] or canonical
    # A repeated token ("Huawei Technologies Co., Ltd. (Huawei)") is one piece of evidence, not two.
    return tuple(dict.fromkeys(kept)), legal_form


def token_kind(token: str) -> str:
    """`generic` (business word, lone letter), `place` (city, province, country) or `distinctive`."""
    if token in _GENERIC or len(token) == 1:
        return "generic"
    if token in _PLACES:
        return "place"
    return "distinctive"


# ---------------------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True, slots=True)
class MatchThresholds:
    """Score thresholds: at or above `strong` a hit is a match, at or above `weak` it is held for review."""

    strong: float = 0.95
    weak: float = 0.80


# Weight multipliers by token kind: IDF over the list says how rare a token is on the list; these say how
# much a token identifies a company in the world ("Technology" is rare among SDN individuals, yet generic).
_KIND_FACTOR = {"generic": 0.2, "place": 0.3, "distinctive": 1.0}
# Per-token similarity below which two different tokens count as unrelated (rapidfuzz ratio, 0..1).
_TOKEN_SIMILARITY_CUTOFF = 0.8
# Shortest token compared fuzzily; shorter tokens must be equal ("ZTE" is not "ZTA").
_MIN_FUZZY_LENGTH = 4
# A listed token is also compared with its listed neighbours: at full similarity when it is this long and
# this rare (a typo that happens to spell another listed word lands on a rare one); discounted when it is a
# short distinctive word in a few names (one slip in a short name often spells another name: "Sear" for
# "Spear", "Fawaz" for "Fawwaz"; the word as written still ranks first); otherwise not at all (common and
# generic words are not typos).
_MIN_LISTED_FUZZY_LENGTH = 5
_MAX_LISTED_FUZZY_NAMES = 5
_LISTED_NEIGHBOUR_DISCOUNT = 0.9
_MAX_DISCOUNTED_LENGTH = 5
_MAX_NEIGHBOURED_NAMES = 40
# Spellings of a query searched: as written plus spacing repairs (see `_variants`).
# Written words looked at for a stray space (no registered name has more; a longer one costs no more).
_MAX_JOINED_WORDS = 32
_MAX_VARIANTS = 4
# Result-cache keys longer than this are not cached (no name an event may carry comes near it).
_MAX_CACHED_KEY = 2048
# Tokens in more names than this do not generate candidates (they still count in the score).
_MAX_POSTINGS = 300
# Share of the query weight after which blocking stops opening new candidates (see `_search_variant`).
_OPEN_SHARE = 0.3
# Candidates fully scored per query, chosen by an optimistic bound from the blocking stage.
_MAX_SCORED = 25
# Candidates for a query made only of common tokens: the shortest names holding all of them.
_MAX_COMMON_ONLY = 12
# How far below the weak threshold (less the country bonus) the upper bound of a name's score may be and the
# name still be scored: the bound is exact arithmetic, this only absorbs rounding.
_BOUND_SLACK = 0.005
# Query tokens whose vocabulary neighbours are remembered (tokens repeat far more than names do).
_RESOLVED_CACHE = 200_000
_COUNTRY_BONUS = 0.03
# The kind of party an entry's type says it is (types the lists leave out say nothing).
_ENTRY_KINDS = {"Individual": "person", "Entity": "company", "Vessel": "craft", "Aircraft": "craft"}
# A business word ("technology", "group") makes a query a company's name when at most this many listed
# persons bear it; a word makes it a person's when at least this many listed persons bear it and nearly
# only persons (this share of the typed entries bearing it).
_MAX_PERSONS_WITH_BUSINESS_WORD = 1
_MIN_PERSONS_WITH_PERSON_WORD = 3
_PERSON_WORD_SHARE = 0.9
# Longest query word that, agreeing with a listed word only through an edit and with nothing else agreeing,
# makes no hit (see `_score`).
_LONE_FUZZY_MAX_LENGTH = 7
# Longest word read as an acronym when it is the only word agreeing (see `_score`).
_MAX_ACRONYM_LENGTH = 3
_COUNTRY_PENALTY = 0.03


@dataclass(slots=True)
class _Scored:
    name_id: int
    score: float
    pairs: list[tuple[int, int, float]]
    tokens: tuple[str, ...]
    # The query and the listed name differ only in spacing ("SD-MBANK" and "SDM-BANK").
    compact: bool = False
    # Reached through an alternative rendering of a Chinese name only (see `NormalisedName`).
    alternative: bool = False
    # Thin evidence (one short word agreeing through an edit, or one shared word between different words):
    # a hit only with the country's support.
    thin: bool = False
    # Thin because the distinctive words agree only through edits (see `_search`).
    edited: bool = False


@dataclass(frozen=True, slots=True)
class _Variant:
    """A spelling of the query searched: as written, or with its spacing repaired (see `_variants`)."""

    tokens: tuple[str, ...]
    # The words the repair made (a glued word's halves, two words joined); empty as written.
    repaired: frozenset[str] = frozenset()
    # Whether the repair split one word.
    split: bool = False


# A scored name, its final score (country included) and what the country said.
_Result = tuple[_Scored, float, str]


def _without_acronyms(name: str) -> str | None:
    """A mixed-case name without its bracketed acronyms ("... (CETC 14)", "... (SMIC)"), if it has any.

    All-capitals names are left alone: their brackets may hold a word of the name ("AL-NOOR (SHIPPING)").
    """
    if "(" not in name:
        return None
    short = _ACRONYM_BRACKETS.sub("", name)
    if short == name or not any(char.islower() for char in short):
        return None
    return short


def _deletes(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


class NameIndex:
    """List-entry names indexed for fast, explainable fuzzy matching.

    Blocking: an inverted index from tokens to names, reached through each query token itself, its
    edit-distance-1 deletion neighbourhood (typos), joined or split adjacent tokens (spacing), and a
    space-free form of the whole name. Only tokens in fewer than a few hundred names generate candidates,
    the rarest first; candidates are ranked by an optimistic bound and only the best few are fully scored.
    Results are cached per (normalised name, country) in a bounded LRU cache.
    """

    def __init__(
        self,
        entries: Sequence[ListEntry],
        thresholds: MatchThresholds,
        names: list[tuple[int, str, tuple[str, ...]]],
        cache_size: int,
        supplemental: frozenset[int] = frozenset(),
    ) -> None:
        """Index `names` (entry position, raw name, tokens); use `NameIndex.build` instead.

        `supplemental` holds the positions in `names` of names that are not on the list itself but come
        from a supplemental alias table (Chinese registered names); a hit through one says so.
        """
        _require_words()
        self.entries = tuple(entries)
        self.thresholds = thresholds
        self._name_entry = [entry_pos for entry_pos, _, _ in names]
        self._name_raw = [raw for _, raw, _ in names]
        self._name_tokens = [tokens for _, _, tokens in names]
        self._supplemental = supplemental
        entry_df: dict[str, int] = {}
        seen_per_entry: dict[int, set[str]] = {}
        postings: dict[str, list[int]] = {}
        compact: dict[str, list[int]] = {}
        for name_id, (entry_pos, _, tokens) in enumerate(names):
            seen = seen_per_entry.setdefault(entry_pos, set())
            for token in set(tokens):
                postings.setdefault(token, []).append(name_id)
                if token not in seen:
                    seen.add(token)
                    entry_df[token] = entry_df.get(token, 0) + 1
            compact.setdefault("".join(tokens), []).append(name_id)
        total = max(len(entries), 1)
        self._unknown_idf = math.log(total + 1) + 1.0
        self._weights = {
            token: (math.log((total + 1) / (df + 1)) + 1.0) * _KIND_FACTOR[token_kind(token)]
            for token, df in entry_df.items()
        }
        # Compact arrays: the cold path is bound by memory latency, and an array of machine integers is one
        # block where a tuple of int objects is a pointer chase per name.
        self._postings = {token: array("i", ids) for token, ids in postings.items()}
        self._compact = {key: tuple(ids) for key, ids in compact.items()}
        # Adjacent words of listed names, so a glued word is cut where a listed name has its space.
        self._bigrams = frozenset(
            f"{first} {second}" for _, _, tokens in names for first, second in itertools.pairwise(tokens)
        )
        self._name_token_weights = [
            tuple(self._weights[token] for token in tokens) for tokens in self._name_tokens
        ]
        self._name_weight = array("d", (sum(weights) for weights in self._name_token_weights))
        self._kinds = {token: token_kind(token) for token in self._weights}
        # What kind of party each entry is (the list's type column: SDN-family lists carry it), and which
        # words tell a query's kind: business words no listed person bears, and words borne almost only by
        # listed persons.
        self._entry_kind = [_ENTRY_KINDS.get(entry.entry_type or "") for entry in self.entries]
        person_df: dict[str, int] = {}
        other_df: dict[str, int] = {}
        for entry_pos, seen in seen_per_entry.items():
            kind = self._entry_kind[entry_pos]
            if kind is not None:
                counts = person_df if kind == "person" else other_df
                for token in seen:
                    counts[token] = counts.get(token, 0) + 1
        self._business_words = frozenset(
            token for token in _GENERIC if person_df.get(token, 0) <= _MAX_PERSONS_WITH_BUSINESS_WORD
        )
        self._person_words = frozenset(
            token
            for token, persons in person_df.items()
            if persons >= _MIN_PERSONS_WITH_PERSON_WORD
            and persons >= _PERSON_WORD_SHARE * (persons + other_df.get(token, 0))
            and token not in _GENERIC
        )
        self._distinctive = frozenset(token for token, kind in self._kinds.items() if kind == "distinctive")
        self._common = self._distinctive & _COMMON_WORDS
        # Listed token weights as explanations show them.
        self._rounded_weights = {token: round(weight, 2) for token, weight in self._weights.items()}
        deletion: dict[str, list[str]] = {}
        for token in self._postings:
            if len(token) >= _MIN_FUZZY_LENGTH:
                for key in (token, *_deletes(token)):
                    deletion.setdefault(key, []).append(token)
        self._deletion = {key: tuple(tokens) for key, tokens in deletion.items()}
        # The longest listed token, and the longest word `_best_split` can read a half as: no search for
        # neighbours, splits or lexicon words looks past these lengths (see `_cuts`, `_neighbours`).
        self._longest_listed = max((len(token) for token in self._postings), default=0)
        self._longest_known = max(self._longest_listed, _LONGEST_SPELLING)
        self._cache: OrderedDict[tuple[str, str | None], list[_Result]] = OrderedDict()
        self._cache_size = cache_size
        self._resolved: dict[str, dict[str, float]] = {}
        self._token_infos: dict[str, tuple[dict[str, float], float, float]] = {}
        # Most query tokens are listed tokens: their neighbours (the deletion-index walk, the costliest step
        # of a name not seen before) and weights are found once here, and never forgotten.
        self._listed_infos: dict[str, tuple[dict[str, float], float, float]] = {}
        for token in self._postings:
            self._listed_infos[token] = self._token_info(token)
        self._token_infos.clear()
        self._resolved.clear()
        # Name sets of the common tokens (those that enumerate nothing), asked for the names found.
        self._posting_sets: dict[str, frozenset[int]] = {
            token: frozenset(ids) for token, ids in self._postings.items() if len(ids) > _MAX_POSTINGS
        }

    @classmethod
    def build(
        cls,
        entries: Sequence[ListEntry],
        thresholds: MatchThresholds | None = None,
        cache_size: int = 100_000,
        extra_aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> NameIndex:
        """Normalise every name of every entry and build the index.

        `extra_aliases` maps a listed name (exactly as on the list, primary or alternative) to further
        names of the same party that the list does not carry, such as Chinese registered names and short
        forms ("科大讯飞股份有限公司" for "IFLYTEK"). They are indexed as names of every entry that bears
        the listed name, and a hit through one is marked as a supplemental name in its explanation.
        """
        names: list[tuple[int, str, tuple[str, ...]]] = []
        supplemental: list[int] = []
        extra = extra_aliases or {}
        # Listed names repeat across lists and entries (CMIC and the Entity List name the same companies).
        known: dict[str, tuple[str, ...]] = {}

        def tokens_of(raw: str) -> tuple[str, ...]:
            found = known.get(raw)
            if found is None:
                # Interned, so a listed token compares by identity wherever the index holds it.
                found = known[raw] = tuple(sys.intern(token) for token in normalise(raw).tokens)
            return found

        for entry_pos, entry in enumerate(entries):
            seen: set[tuple[str, ...]] = set()
            for raw in entry.names:
                if not raw.strip():
                    continue
                tokens = tokens_of(raw)
                if tokens and tokens not in seen:
                    seen.add(tokens)
                    names.append((entry_pos, raw, tokens))
                short = _without_acronyms(raw)
                if short is not None:
                    # Also the name without its bracketed acronym: a party writes "Beijing University of
                    # Posts and Telecommunications" without "(BUPT)". Still explained as the listed name.
                    tokens = tokens_of(short)
                    if len(tokens) >= 2 and tokens not in seen:
                        seen.add(tokens)
                        names.append((entry_pos, raw, tokens))
            if not extra:
                continue
            for listed in entry.names:
                for alias in extra.get(listed, ()):
                    tokens = tokens_of(alias)
                    if tokens and tokens not in seen:
                        seen.add(tokens)
                        supplemental.append(len(names))
                        names.append((entry_pos, alias, tokens))
        return cls(entries, thresholds or MatchThresholds(), names, cache_size, frozenset(supplemental))

    # -- public API ------------------------------------------------------------------------------------

    def supplemental_aliases(self, entry_ids: Collection[str]) -> dict[str, tuple[str, ...]]:
        """The supplemental names (`build`'s `extra_aliases`) indexed for the entries `entry_ids`, under
        each listed name of their entry, so another index of those entries matches them alike."""
        found: dict[str, dict[str, None]] = {}
        for name_id in self._supplemental:
            entry = self.entries[self._name_entry[name_id]]
            if entry.entry_id in entry_ids:
                for listed in entry.names:
                    found.setdefault(listed, {})[self._name_raw[name_id]] = None
        return {listed: tuple(aliases) for listed, aliases in found.items()}

    def match(self, names: Sequence[str], country: str | None = None, limit: int = 5) -> list[ListHit]:
        """Hits for a party known by `names`, best first, at most one per entry, only scores >= weak.

        `country` (ISO-2) is supporting evidence: a small bonus when it is among the entry's countries, a
        small penalty when both are known and differ, never enough to drop a strong name match.
        """
        best: dict[int, tuple[float, str, _Scored, str]] = {}
        country_code = country.upper() if country else None
        for query in names:
            if not query or not query.strip():
                continue
            for scored, score, country_why in self._match_one(query, country_code):
                entry_pos = self._name_entry[scored.name_id]
                if entry_pos not in best or score > best[entry_pos][0]:
                    best[entry_pos] = (score, query, scored, country_why)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        # Explanations are built for the returned hits only: most scored names are never shown.
        return [
            ListHit(
                entry=self.entries[entry_pos],
                query=query,
                matched_name=self._name_raw[scored.name_id],
                score=score,
                strong=score >= self.thresholds.strong,
                why=self._explain(scored, score, country_why),
            )
            for entry_pos, (score, query, scored, country_why) in ranked
        ]

    def cache_info(self) -> dict[str, int]:
        """Size and capacity of the result cache."""
        return {"size": len(self._cache), "capacity": self._cache_size}

    # -- internals -------------------------------------------------------------------------------------

    def _match_one(self, query: str, country: str | None) -> list[_Result]:
        normalised = normalise(query)
        key = (normalised.key, country)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = self._search(
            (normalised.tokens, *normalised.spellings, *normalised.alternatives),
            country,
            spellings=1 + len(normalised.spellings),
            kind=self._party_kind(normalised),
            words=normalised.words,
            han=normalised.han,
        )
        if len(normalised.key) > _MAX_CACHED_KEY:
            return result
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def _party_kind(self, normalised: NormalisedName) -> str | None:
        """`company` (a legal form or a business word), `person` (only words listed persons bear), or None."""
        tokens = normalised.tokens
        if normalised.legal_form or not self._business_words.isdisjoint(tokens):
            return "company"
        if len(tokens) >= 2 and self._person_words.issuperset(tokens):
            return "person"
        return None

    def _weight(self, token: str) -> float:
        weight = self._weights.get(token)
        if weight is None:
            return self._unknown_idf * _KIND_FACTOR[token_kind(token)]
        return weight

    def _token_info(self, token: str) -> tuple[dict[str, float], float, float]:
        """A query token's listed neighbours (see `_resolve`), the heaviest one's weight and its own weight.

        A query token weighs what it weighs on the list, or (unlisted) what its heaviest neighbour weighs.
        Remembered per token, like the neighbours.
        """
        info = self._listed_infos.get(token) or self._token_infos.get(token)
        if info is None:
            found = self._resolve(token)
            listed_weights = self._weights
            heaviest = max([listed_weights[match] for match in found]) if found else 0.0
            weight = listed_weights.get(token) or heaviest or self._weight(token)
            if len(self._token_infos) >= _RESOLVED_CACHE:
                self._token_infos.clear()
            info = self._token_infos[token] = (found, heaviest, weight)
        return info

    def _resolve(self, token: str) -> dict[str, float]:
        """Vocabulary tokens similar to `token`: itself when listed, else its typo neighbours."""
        listed = self._listed_infos.get(token)
        if listed is not None:
            return listed[0]
        found = self._resolved.get(token)
        if found is None:
            if len(self._resolved) >= _RESOLVED_CACHE:
                self._resolved.clear()
            found = self._resolved[token] = self._neighbours(token)
        return found

    def _neighbours(self, token: str) -> dict[str, float]:
        # A listed token stands first for itself; its neighbours count less unless it is long and rare (a
        # typo of another listed word, "Khlil" for "Khalil"), and not at all when it is common or generic.
        found: dict[str, float] = {}
        discount = 1.0
        if token in self._postings:
            found[token] = 1.0
            rare = (
                len(token) >= _MIN_LISTED_FUZZY_LENGTH
                and len(self._postings[token]) <= _MAX_LISTED_FUZZY_NAMES
            )
            if not rare:
                if (
                    not _MIN_FUZZY_LENGTH <= len(token) <= _MAX_DISCOUNTED_LENGTH
                    or len(self._postings[token]) > _MAX_NEIGHBOURED_NAMES
                    or token not in self._distinctive
                ):
                    return found
                discount = _LISTED_NEIGHBOUR_DISCOUNT
        if _MIN_FUZZY_LENGTH <= len(token) <= self._longest_listed + 1:
            # (A longer token is no deletion away from any listed one.) Each listed token once, in the
            # order its first key reaches it (a token missing the cutoff through one key misses it through
            # every other).
            tried = set(found)
            ratio = fuzz.ratio
            for candidates in filter(None, map(self._deletion.get, (token, *_deletes(token)))):
                for candidate in candidates:
                    if candidate not in tried:
                        tried.add(candidate)
                        similarity = ratio(token, candidate) / 100.0
                        if similarity >= _TOKEN_SIMILARITY_CUTOFF:
                            found[candidate] = similarity * discount
        return found

    def _variants(self, tokens: tuple[str, ...], words: tuple[str, ...] = ()) -> list[_Variant]:
        """The query tokens plus spacing repairs: one token split in two, or adjacent tokens joined.

        `words` are the name's words as written, when they read other than `tokens`: two of them that
        join into a listed word are joined before either is read as an abbreviation ("prod uction" is
        "production", not "product uction").
        """
        variants = [_Variant(tokens)]
        postings = self._postings
        for k in range(min(len(words), _MAX_JOINED_WORDS) - 1):
            joined = words[k] + words[k + 1]
            if len(variants) < _MAX_VARIANTS and self._joinable(
                joined, words[k] in postings and words[k + 1] in postings
            ):
                rejoined, _ = _tokens([*words[:k], joined, *words[k + 2 :]])
                if rejoined != tokens:
                    variants.append(_Variant(rejoined, frozenset({_canonical(joined)})))
        # Splits first: a glued token not on the list is a strong sign; joins of short tokens are common.
        # At most `_MAX_VARIANTS` in all (each copies the name, each costs a search).
        for i, token in enumerate(tokens):
            if len(token) >= 6 and token not in self._postings:
                split = self._best_split(token)
                if split is not None:
                    made = frozenset(split) - _LEGAL_FORM_WORDS
                    variants.append(_Variant((*tokens[:i], *split, *tokens[i + 1 :]), made, True))
                    if len(variants) == _MAX_VARIANTS:
                        break
        for i in range(len(tokens) - 1):
            if len(variants) >= _MAX_VARIANTS:
                break
            joined = tokens[i] + tokens[i + 1]
            joined = _CANONICAL.get(joined, joined)
            if joined in self._postings or joined in _LEGAL_TOKENS:
                merged = () if joined in _LEGAL_TOKENS else (joined,)
                variants.append(_Variant((*tokens[:i], *merged, *tokens[i + 2 :]), frozenset(merged)))
        # A repeated token is one piece of evidence ("aguilaraguilar" splits into the same word twice).
        return [
            _Variant(tuple(dict.fromkeys(variant.tokens)), variant.repaired, variant.split)
            for variant in variants
            if variant.tokens
        ]

    def _joinable(self, joined: str, both_listed: bool) -> bool:
        """Whether two written words joined make a listed word: as spelt, as abbreviated, or (eight letters or
        more, one of the two words not listed) through one typo ("organisation" is listed as "organization").
        """
        if len(joined) > self._longest_listed:
            return False
        if _CANONICAL.get(joined, joined) in self._postings:
            return True
        return len(joined) >= 8 and not both_listed and _canonical(joined) in self._postings

    def _confirms(self, scored: _Scored, variant: _Variant, han: bool = False) -> bool:
        """Whether a hit through a spacing repair is the repaired name's, not a weaker, independent match.

        Each word the repair made (legal-form words aside) must agree with a listed word: "transamerica"
        read as "trans america" is no evidence for "Trans Scientific Corp." through "trans" alone. And the
        repair must make the listed name itself, every word of both agreeing: a guessed space and a different
        name at once are two departures ("Groupama" read as "group ama" is not "AMA United Group", nor
        "Japan Post Bank" read as "japan postbank" the listed "POSTBANK"). Not so for a name written in
        Chinese characters (`han`): the spaces between its pinyin syllables are the transliteration's, not
        the writer's, so splitting them as the list does ("yuncong" as "yun cong") is no guess.
        """
        if scored.compact or not variant.repaired:
            return True
        if not han and not self._agree_but_for_filler(scored):
            return False
        return variant.repaired <= {scored.tokens[i] for i, _, _ in scored.pairs}

    def _agree_but_for_filler(self, scored: _Scored) -> bool:
        """Whether every word of the query and of the listed name agrees, lone letters and words of legal
        forms aside (what is left of a mangled "S.A. de C.V." or "Joint Stock Company")."""
        listed = self._name_tokens[scored.name_id]
        if len(scored.pairs) == len(scored.tokens) == len(listed):
            return True
        matched_query = {i for i, _, _ in scored.pairs}
        matched_listed = {j for _, j, _ in scored.pairs}
        return all(
            len(token) == 1 or token in _LEGAL_FORM_WORDS
            for side, matched in ((scored.tokens, matched_query), (listed, matched_listed))
            for k, token in enumerate(side)
            if k not in matched
        )

    def _best_split(self, token: str) -> tuple[str, ...] | None:
        """The most plausible cut of a glued token into listed words ("polarrock" → "polar rock").

        A glued stopword or short legal form on either side is dropped ("resortand", "integrationco"); a
        misspelt or abbreviated half is read as the word it stands for ("institut" + "molekulyarnoi"), and
        as a last resort a half may be a typo of a listed word.
        """
        postings = self._postings
        best: tuple[int, tuple[str, ...]] | None = None
        near: list[tuple[str, str, str | None, str | None]] = []
        for cut in self._cuts(len(token)):
            left, right = token[:cut], token[cut:]
            left_form, right_form = self._listed_form(left), self._listed_form(right)
            rank: int
            parts: tuple[str, ...]
            if right_form and (
                left in _STOPWORDS
                or (len(left) >= 3 and left in _LEGAL_TOKENS)
                or (left in _EDGE_LEGAL_TOKENS and len(right) >= 3)
            ):
                # A legal form glued to the start ("llcnk", "aokumapp"): the word alone.
                rank, parts = len(right), (right_form,)
            elif left_form and (
                (cut >= 4 and right in _GLUED_TAILS)
                or (cut >= 3 and len(right) >= 3 and _is_legal_form(right))
                or (cut >= 5 and (right in _EDGE_LEGAL_TOKENS or right in _GLUED_LONG_TAILS))
            ):
                # A legal form glued to the end ("tradingltd", "luminoroy"): the word alone.
                rank, parts = len(left), (left_form,)
            elif left_form and right_form:
                rank, parts = min(cut, len(right)), (left_form, right_form)
                if f"{left_form} {right_form}" in self._bigrams:
                    # Two words a listed name writes side by side ("jamiat al", not "jamia tal").
                    rank += _MAX_TOKEN_CHARS
            else:
                if (left_form or right_form) and min(cut, len(right)) >= 4:
                    near.append((left, right, left_form, right_form))
                continue
            if best is None or rank > best[0]:
                best = (rank, parts)
        if best is not None:
            return best[1]
        for left, right, left_form, right_form in near:
            if left_form:
                right = _canonical(right) if len(right) >= 5 else right
                if right in postings or (len(right) >= 5 and self._resolve(right)):
                    return (left_form, right)
            elif right_form and len(left) >= 5 and _canonical(left) in postings:
                return (_canonical(left), right_form)
        return None

    def _listed_form(self, word: str) -> str | None:
        """`word` as a listed token: itself, or its canonical spelling ("technologies"), if listed.

        Abbreviations of fewer than five letters ("comm", "hk") are not expanded: a glued word's tail
        spells too many of them by chance ("commuteair" is no "communication").
        """
        if len(word) >= 5:
            canonical = _CANONICAL.get(word, word)
            if canonical in self._postings:
                return canonical
        return word if word in self._postings else None

    def _cuts(self, size: int) -> Iterable[int]:
        """The cuts of a token of `size` characters that `_best_split` tries, in order.

        Every rule there needs one half to be a listed word or a spelling of one, so a cut leaving both
        halves longer than any such word is never tried: a long token costs its length, not its square.
        """
        longest = self._longest_known
        if size - 1 <= 2 * longest + 2:
            return range(2, size - 1)
        return itertools.chain(range(2, longest + 1), range(size - longest, size - 1))

    def _search(
        self,
        renderings: Sequence[tuple[str, ...]],
        country: str | None,
        spellings: int = 1,
        kind: str | None = None,
        words: tuple[str, ...] = (),
        han: bool = False,
    ) -> list[_Result]:
        """Names scoring at least the weak threshold for any rendering of the query, best score each.

        The first `spellings` renderings are the query's own spellings; the others are alternative
        readings, held for review at most. `kind` is the kind of party the query names (`_party_kind`);
        `words` are the first rendering's words as written (see `_variants`); `han`: the query is written
        (in part) in Chinese characters.
        """
        best: dict[int, _Scored] = {}
        below_strong = self.thresholds.strong - 0.02
        for rendering, tokens in enumerate(renderings):
            if not tokens:
                continue
            alternative = rendering >= spellings
            if alternative and any(scored.score >= below_strong for scored in best.values()):
                # The primary rendering already holds a hit no alternative (capped below) can outrank.
                break
            # Spacing repairs for the query's spellings only: the alternatives differ from them in
            # dictionary words, which are spelt and spaced as the dictionary says.
            repairs = self._variants(tokens, words if rendering == 0 else ()) if not alternative else None
            for variant in repairs or (_Variant(tokens),):
                for scored in self._search_variant(variant.tokens, kind, han):
                    if not self._confirms(scored, variant, han):
                        continue
                    if alternative:
                        # An alternative translation is a lead for review, never a denial on its own
                        # ("工业大学" is "University of Technology" in Beijing, "Institute of Technology" in
                        # Harbin).
                        scored.alternative = True
                        scored.score = min(scored.score, below_strong)
                    previous = best.get(scored.name_id)
                    # On a tie, the primary rendering explains better than an alternative, and token pairs
                    # better than "same letters, spaced differently".
                    if (
                        previous is None
                        or scored.score > previous.score
                        or (
                            scored.score == previous.score
                            and (previous.alternative, previous.compact)
                            > (scored.alternative, scored.compact)
                        )
                    ):
                        best[scored.name_id] = scored
        results: list[_Result] = []
        for scored in best.values():
            if scored.score + _COUNTRY_BONUS < self.thresholds.weak:
                continue
            score, country_why = self._country_adjust(scored.score, scored.name_id, country)
            if scored.thin:
                if country_why != "supports" or (han and scored.edited):
                    # A name written in Chinese characters has no typos in its letters: its transliteration
                    # one letter from a listed word is another character, another name ("清华" qinghua and
                    # "Xinghua"), whatever the country.
                    continue
                # Thin evidence the country supports is a lead for review, never a denial.
                score = min(score, below_strong)
            if scored.alternative:
                score = min(score, below_strong)
            if score >= self.thresholds.weak:
                results.append((scored, score, country_why))
        results.sort(key=lambda item: -item[1])
        return results

    def _search_variant(
        self, tokens: tuple[str, ...], kind: str | None = None, han: bool = False
    ) -> list[_Scored]:
        infos = [self._token_info(token) for token in tokens]
        resolved = [found for found, _, _ in infos]
        weights = [weight for _, _, weight in infos]
        # `ratio` bounds how much more a listed token reached through a typo can weigh than the query token.
        ratio = 1.0
        for _, heaviest, weight in infos:
            if heaviest > ratio * weight:
                ratio = heaviest / weight
        query_weight = sum(weights)
        # The same letters without spaces as a listed name: a spacing variant, whatever its tokens say.
        spaced = [
            self._score_compact(tokens, name_id, kind)
            for name_id in self._compact.get("".join(tokens), ())
            if self._name_tokens[name_id] != tokens
        ]
        unreachable = sum(weight for weight, found in zip(weights, resolved, strict=True) if not found)
        if unreachable > _OPEN_SHARE * query_weight:
            # Tokens no listed name holds carry too much of the query: nothing can reach the weak threshold.
            return spaced
        # Blocking, rarest (heaviest) tokens first: accumulate per candidate name the weight of query tokens
        # that reach it. Once the tokens already enumerated carry more than a share of the query weight, a
        # name holding none of them cannot reach the weak threshold, so later (common) tokens only add to
        # names already found. A token in too many names enumerates nothing but counts in the bound.
        reached: dict[int, float] = {}
        skipped_tokens: list[int] = []
        enumerated = 0.0
        open_limit = _OPEN_SHARE * query_weight
        postings = self._postings
        for i in sorted(range(len(tokens)), key=lambda i: -weights[i]):
            weight = weights[i]
            opening = enumerated <= open_limit
            too_common = False
            for match, similarity in resolved[i].items():
                ids = postings[match]
                if len(ids) > _MAX_POSTINGS:
                    too_common = True
                    continue
                gain = weight * similarity
                if opening and not reached:
                    reached = dict.fromkeys(ids, gain)
                elif opening:
                    # New names in posting order after the ones found; found names gain (set operations
                    # in C, not a loop over the posting list).
                    fresh = dict.fromkeys(ids, gain)
                    for name_id in fresh.keys() & reached.keys():
                        fresh[name_id] = reached[name_id] + gain
                    reached.update(fresh)
                else:
                    # Only names already found gain.
                    for name_id in reached.keys() & ids:
                        reached[name_id] += gain
            if too_common:
                skipped_tokens.append(i)
            elif resolved[i]:
                enumerated += weight
        if not reached and skipped_tokens:
            # Only common tokens ("Electronics Institute"): names holding all of them, shortest first.
            for name_id in self._common_only(resolved):
                reached[name_id] = query_weight
        elif skipped_tokens:
            # Common tokens enumerated nothing; credit them to the names found (the found names that the
            # token's name set holds: a walk over the few names found, not over thousands of postings).
            for i in skipped_tokens:
                for match, similarity in resolved[i].items():
                    if len(postings[match]) > _MAX_POSTINGS:
                        gain = weights[i] * similarity
                        for name_id in self._posting_set(match).intersection(reached):
                            reached[name_id] += gain
        if not reached:
            return spaced
        # Upper bound of the Dice score from the blocking weights; only names that can reach the weak
        # threshold (less the country bonus) are scored, the most promising first. The listed side of a
        # pair weighs at most `ratio` times the query side (a typo may land on a rarer listed word).
        floor = self.thresholds.weak - _COUNTRY_BONUS - _BOUND_SLACK
        name_weight = self._name_weight
        bounded = []
        for name_id, weight in reached.items():
            matched = weight if weight < query_weight else query_weight
            listed = name_weight[name_id]
            total = query_weight + listed
            listed_matched = ratio * matched
            if matched + (listed_matched if listed_matched < listed else listed) >= floor * total:
                bounded.append((2 * matched / total, name_id))
        if len(bounded) > _MAX_SCORED:
            bounded.sort(reverse=True)
            del bounded[_MAX_SCORED:]
        # Query tokens by the listed tokens they reach, so scoring a name is one lookup per listed token.
        reverse: dict[str, list[tuple[int, float]]] = {}
        for i, found in enumerate(resolved):
            for match, similarity in found.items():
                reverse.setdefault(match, []).append((i, similarity))
        scored = [
            self._score(tokens, reverse, weights, query_weight, name_id, kind, han) for _, name_id in bounded
        ]
        return [*spaced, *scored] if spaced else scored

    def _posting_set(self, token: str) -> frozenset[int]:
        found = self._posting_sets.get(token)
        if found is None:
            found = self._posting_sets[token] = frozenset(self._postings[token])
        return found

    def _common_only(self, resolved: list[dict[str, float]]) -> list[int]:
        """Names holding every query token (exact or typo), for queries made only of common tokens."""
        sets: list[frozenset[int] | set[int]] = []
        for found in resolved:
            if len(found) == 1:
                sets.append(self._posting_set(next(iter(found))))
            elif found:
                names: set[int] = set()
                for match in found:
                    names.update(self._postings[match])
                sets.append(names)
        if not sets:
            return []
        sets.sort(key=len)
        common = sets[0].intersection(*sets[1:])
        ranked = sorted(common, key=lambda name_id: len(self._name_tokens[name_id]))
        return ranked[:_MAX_COMMON_ONLY]

    def _score(
        self,
        tokens: tuple[str, ...],
        reverse: dict[str, list[tuple[int, float]]],
        weights: list[float],
        query_weight: float,
        name_id: int,
        kind: str | None = None,
        han: bool = False,
    ) -> _Scored:
        """Weighted Dice agreement: matched weight of both sides over the total weight of both sides.

        `kind` is the kind of party the query names; against an entry of another kind (a company's name
        against a listed person, a person's against a listed company, any name against a listed vessel or
        aircraft) only a name that agrees word for word, every word on both sides, is a hit, and a hold at
        most unless the entry is a vessel or an aircraft. `han`: the query is written in Chinese characters.
        """
        listed = self._name_tokens[name_id]
        listed_weights = self._name_token_weights[name_id]
        options = []
        for j, token in enumerate(listed):
            reaching = reverse.get(token)
            if reaching:
                listed_weight = listed_weights[j]
                for i, similarity in reaching:
                    options.append((similarity * (weights[i] + listed_weight), similarity, i, j))
        pairs: list[tuple[int, int, float]] = []
        agreed = 0.0
        if len(options) > 1:
            # Greedy one-to-one assignment, best agreement first.
            options.sort(reverse=True)
            used_query: set[int] = set()
            used_listed: set[int] = set()
            for gain, similarity, i, j in options:
                if i in used_query or j in used_listed:
                    continue
                used_query.add(i)
                used_listed.add(j)
                pairs.append((i, j, similarity))
                agreed += gain
        elif options:
            gain, similarity, i, j = options[0]
            pairs.append((i, j, similarity))
            agreed = gain
        score = agreed / (query_weight + self._name_weight[name_id])
        if len(pairs) == 1 and pairs[0][2] < 1.0 and len(tokens[pairs[0][0]]) <= _LONE_FUZZY_MAX_LENGTH:
            # One short word that differs by an edit, and nothing else agreeing ("Billa" and "Bilal",
            # "Seiko" and "Eiko"): no hit unless the country agrees (see `_search`).
            return _Scored(name_id=name_id, score=score, pairs=pairs, tokens=tokens, thin=True, edited=True)
        complete = len(pairs) == len(tokens) == len(listed)
        below_strong = self.thresholds.strong - 0.02
        if not complete:
            distinctive_set = self._distinctive
            agreeing = [(listed[j], similarity) for _, j, similarity in pairs if listed[j] in distinctive_set]
            if agreeing and all(similarity < 1.0 for _, similarity in agreeing):
                # The distinctive words agree only through edits, and other words stand beside them
                # ("Swisscom" and "Swissco Management Group", "Micron Technology" and "Micro Electronics
                # Technologies"): a typo and a different name at once is two departures, not a lead. No hit
                # unless the country agrees (see `_search`).
                return _Scored(
                    name_id=name_id,
                    score=min(score, below_strong),
                    pairs=pairs,
                    tokens=tokens,
                    thin=True,
                    edited=True,
                )
            if len(agreeing) == 1 and agreeing[0][0] in self._common and not han:
                # One common word of the language is the only distinctive word agreeing, and other words
                # stand beside it ("Target Corporation" and "Target Electronics", "Palm, Inc." and "Palm
                # Service Limited"): countless companies are named with it. No hit unless the country
                # agrees (see `_search`); a coined word ("Huawei") is evidence on its own. A name written in
                # Chinese characters was not named with an English word: its English words are the
                # translation's ("核" is "nuclear").
                return _Scored(
                    name_id=name_id, score=min(score, below_strong), pairs=pairs, tokens=tokens, thin=True
                )
        if self._kinds_differ(kind, name_id):
            if not complete or any(similarity < 1.0 for _, _, similarity in pairs):
                return _Scored(name_id=name_id, score=0.0, pairs=pairs, tokens=tokens)
            if self._entry_kind[self._name_entry[name_id]] != "craft":
                # A company bearing a listed person's name (or the reverse) is a lead, not the party.
                score = min(score, below_strong)
        distinctive = [listed[j] for _, j, _ in pairs if listed[j] in self._distinctive]
        if not distinctive and not complete:
            # Shared generic words and places are not an identity, and with other words beside them not
            # even a lead ("United Group" and "United Electronics Group"): no hit unless the country agrees.
            # A listed name made of such words is told apart by each of them: when the query lacks one
            # that is not a place, it names another body ("Nanjing University" and "Nanjing University of
            # Science and Technology", "China Southern Aviation Group" and "China South Industries Group"),
            # whatever the country. The query may say more ("... Group", "... Research Institute"), and a
            # place may be missing ("University of Electronic Science and Technology" and "... of China").
            matched_listed = {j for _, j, _ in pairs}
            if any(token not in _PLACES for j, token in enumerate(listed) if j not in matched_listed):
                return _Scored(name_id=name_id, score=0.0, pairs=pairs, tokens=tokens)
            return _Scored(
                name_id=name_id, score=min(score, below_strong), pairs=pairs, tokens=tokens, thin=True
            )
        elif len(pairs) == 1 and len(tokens) > 1 and len(listed) > 1:
            # One shared word, and different words beside it on both sides ("Spring Airlines" and "Spring
            # Electronics", "Delta Air Lines" and "Delta Electronic"): two names that share a word.
            return _Scored(name_id=name_id, score=0.0, pairs=pairs, tokens=tokens)
        elif len(pairs) == 1 and not complete and len(tokens[pairs[0][0]]) <= _MAX_ACRONYM_LENGTH:
            # One shared acronym with more words on one side ("GSK" and "GSK Advance Company", "ANA
            # Holdings" and "ANA"): thousands of companies share each three-letter acronym. No hit unless
            # the country agrees (see `_search`).
            return _Scored(
                name_id=name_id, score=min(score, below_strong), pairs=pairs, tokens=tokens, thin=True
            )
        elif len(pairs) == 1 and not complete:
            # One shared word, with more words on either side ("Target" vs "Target Electronics").
            score = min(score, below_strong)
        elif len(distinctive) == 1 and len(distinctive[0]) <= 4 and len(pairs) == len(distinctive):
            # A lone short word or acronym ("IFC", "MTV") names too many companies to deny on.
            score = min(score, below_strong)
        return _Scored(name_id=name_id, score=min(score, 1.0), pairs=pairs, tokens=tokens)

    def _kinds_differ(self, kind: str | None, name_id: int) -> bool:
        """Whether a query naming a party of `kind` and the entry of `name_id` are parties of two kinds."""
        listed = self._entry_kind[self._name_entry[name_id]]
        if listed == "craft":
            # A party is a company or a person, never a ship or an aircraft: a listed vessel's name is
            # evidence only when the party bears it word for word.
            return True
        return kind is not None and listed is not None and kind != listed

    def _score_compact(self, tokens: tuple[str, ...], name_id: int, kind: str | None = None) -> _Scored:
        """A listed name with the query's letters, spaced differently: full agreement, within the caps."""
        listed = self._name_tokens[name_id]
        score = 1.0
        if (
            len("".join(listed)) <= 4
            or not any(token in self._distinctive for token in listed)
            or self._kinds_differ(kind, name_id)
        ):
            # A short or generic name is not an identity on spelling alone (see `_score`).
            score = self.thresholds.strong - 0.02
        return _Scored(name_id=name_id, score=score, pairs=[], tokens=tokens, compact=True)

    def _country_adjust(self, score: float, name_id: int, country: str | None) -> tuple[float, str]:
        listed = self.entries[self._name_entry[name_id]].countries
        if not country or not listed:
            return score, "unknown"
        if country in listed:
            return min(score + _COUNTRY_BONUS, 1.0), "supports"
        if score >= self.thresholds.strong:
            # A different address country never undoes a strong name match (entries move, lists lag).
            return max(score - _COUNTRY_PENALTY, self.thresholds.strong), "differs"
        return score - _COUNTRY_PENALTY, "differs"

    def _explain(self, scored: _Scored, score: float, country: str) -> dict[str, Any]:
        listed = self._name_tokens[scored.name_id]
        supplemental = (
            {"name_source": "supplemental", "note": "matched supplemental Chinese name"}
            if scored.name_id in self._supplemental
            else {}
        )
        if scored.compact:
            # The whole name matched, letters for letters; only the spaces differ.
            return {
                "name_score": round(scored.score, 4),
                "matched": [
                    {
                        "query": " ".join(scored.tokens),
                        "listed": " ".join(listed),
                        "similarity": 1.0,
                        "weight": round(self._name_weight[scored.name_id], 2),
                        "kind": "spacing",
                    }
                ],
                "unmatched_query": [],
                "unmatched_listed": [],
                "country": country,
                "score": round(score, 4),
                "spacing": "same letters as the listed name, spaced differently",
                **supplemental,
            }
        matched_query = {i for i, _, _ in scored.pairs}
        matched_listed = {j for _, j, _ in scored.pairs}
        rounded = self._rounded_weights
        kinds = self._kinds
        return {
            "name_score": round(scored.score, 4),
            "matched": [
                {
                    "query": scored.tokens[i],
                    "listed": listed[j],
                    "similarity": round(similarity, 3),
                    "weight": rounded[listed[j]],
                    "kind": kinds[listed[j]],
                }
                for i, j, similarity in scored.pairs
            ],
            "unmatched_query": [
                {"token": token, "weight": rounded.get(token) or round(self._weight(token), 2)}
                for i, token in enumerate(scored.tokens)
                if i not in matched_query
            ],
            "unmatched_listed": [
                {"token": token, "weight": rounded[token]}
                for j, token in enumerate(listed)
                if j not in matched_listed
            ],
            "country": country,
            "score": round(score, 4),
            **supplemental,
            **(
                {"rendering": "alternative translation of the Chinese name; held for review, never denied"}
                if scored.alternative
                else {}
            ),
        }


@dataclass(frozen=True, slots=True)
class ScreeningLists:
    """The loaded control lists: their entries, their version (source date and content hash), the name
    index, the address index, and when their source published them (`as_of`, for their age)."""

    entries: tuple[ListEntry, ...]
    version: str
    index: NameIndex = field(repr=False)
    addresses: AddressIndex | None = field(default=None, repr=False)
    as_of: datetime | None = None

    @classmethod
    def build(
        cls,
        entries: Iterable[ListEntry],
        version: str,
        thresholds: MatchThresholds | None = None,
        extra_aliases: Mapping[str, Sequence[str]] | None = None,
        as_of: datetime | None = None,
    ) -> ScreeningLists:
        """Index `entries` for matching names and addresses; `version` is recorded in every decision.

        `extra_aliases` (listed name → further names, see `NameIndex.build`) adds supplemental names;
        `as_of` is when the lists' source published them.
        """
        frozen = tuple(entries)
        index = NameIndex.build(frozen, thresholds, extra_aliases=extra_aliases)
        return cls(
            entries=frozen, version=version, index=index, addresses=AddressIndex.build(frozen), as_of=as_of
        )
