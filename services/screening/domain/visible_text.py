"""The text a reader sees in a name, and the tricks that hid it.

A name can be written so that it looks like a listed name while its characters are not: invisible characters
between its letters (zero-width spaces, Hangul fillers, word joiners, variation selectors, tag characters,
soft hyphens), a run reversed in storage and turned back on screen by a right-to-left override, HTML or URL
escapes that a web form or a careless pipeline left in, or letters of another script that look Latin
(Cyrillic "а", Greek "υ", Armenian "ս") mixed into a Latin word. `reveal` undoes each of these and says which
it undid. The name matcher reads every name through it, so a disguised listed name still matches.

An honest name is left alone and reported as such: a Russian name in Cyrillic, a Chinese or Japanese name
(full-width forms included), a Persian name with its zero-width non-joiners, a Hebrew or Arabic name with its
direction marks, a Japanese name with ideographic variation selectors.

The Unicode data (default-ignorable code points, bidi controls, scripts, TR39 confusable prototypes, mirrored
brackets, transliteration) comes from ICU through PyICU, not from tables kept here. Pure computation, no I/O.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import icu  # type: ignore[import-untyped,import-not-found,unused-ignore]

# Escapes are decoded at most this many rounds (a name encoded twice, "%2526amp%253B", is read; deeper
# nesting is left as it is and still reported, because the first rounds changed the name).
MAX_DECODE_ROUNDS = 2

# What `reveal` reports, in this order.
ESCAPE = "escape"
BIDI = "bidi"
INVISIBLE = "invisible"
MIXED_SCRIPT = "mixed_script"
MIXED_WIDTH = "mixed_width"
TRICKS = (ESCAPE, BIDI, INVISIBLE, MIXED_SCRIPT, MIXED_WIDTH)


@dataclass(frozen=True, slots=True)
class Revealed:
    """A name as a reader sees it, and the tricks that were undone to get there.

    `text`: escapes decoded, right-to-left overrides turned into the order shown on screen, invisible and
    default-ignorable characters removed, look-alike letters mixed into a Latin word replaced by the Latin
    letters they imitate (full-width forms are left to the matcher's NFKC). `tricks`: which of "escape",
    "bidi", "invisible", "mixed_script" changed the name, and "mixed_width" for a word mixing full-width and
    ordinary Latin letters ("Ｈuａwei"); empty for an honest name (a change an honest name also shows, such
    as a Persian zero-width non-joiner, is made but not reported; a name written in full-width forms
    throughout, as Chinese and Japanese text writes Latin letters, is honest).
    """

    text: str
    tricks: tuple[str, ...] = ()

    @property
    def disguised(self) -> bool:
        """Whether any trick was found."""
        return bool(self.tricks)


def _char_class(pattern: str) -> str:
    """The code points of an ICU UnicodeSet pattern as the body of a regular-expression character class."""
    unicode_set = icu.UnicodeSet(pattern)
    parts = []
    for i in range(unicode_set.getRangeCount()):
        start, end = unicode_set.getRangeStart(i), unicode_set.getRangeEnd(i)
        parts.append(re.escape(start) if start == end else f"{re.escape(start)}-{re.escape(end)}")
    return "".join(parts)


def _frozen_set(pattern: str) -> icu.UnicodeSet:
    """An ICU UnicodeSet, frozen: `containsSome` on a name then costs a fraction of a microsecond."""
    unicode_set = icu.UnicodeSet(pattern)
    unicode_set.freeze()
    return unicode_set


# Characters that are never displayed, and the braille pattern blank (shown as a blank, yet neither a space
# character nor ignorable). `[:Bidi_Control:]` (direction marks, embeddings, overrides, isolates) is a part
# of `[:Default_Ignorable_Code_Point:]`; the bidi controls are read before they go.
_INVISIBLE_PATTERN = "[[:Default_Ignorable_Code_Point:]\u2800]"
_INVISIBLE_SET = _frozen_set(_INVISIBLE_PATTERN)
_INVISIBLE = re.compile(f"[{_char_class(_INVISIBLE_PATTERN)}]")
_BIDI_CONTROLS = frozenset(icu.UnicodeSet("[:Bidi_Control:]").codePoints())
_BIDI_SET = _frozen_set("[:Bidi_Control:]")
_RTL_LETTERS = _frozen_set("[[:Bidi_Class=R:][:Bidi_Class=AL:]]")
_EMOJI = _frozen_set("[:Extended_Pictographic:]")
_IDEOGRAPHS = _frozen_set("[:Ideographic:]")
_CONJOINING_JAMO = re.compile("[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]")

_LRE, _RLE, _PDF, _LRO, _RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
_LRI, _RLI, _FSI, _PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_OPENERS = frozenset((_LRE, _RLE, _LRO, _RLO, _LRI, _RLI, _FSI))
_ISOLATES = frozenset((_LRI, _RLI, _FSI))
_OVERRIDES = frozenset((_LRO, _RLO))
_PARAGRAPH_ENDS = frozenset("\n\r\u2029\u001c\u001d\u001e\u0085")

_ZWNJ, _ZWJ = "\u200c", "\u200d"
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_MONGOLIAN_SELECTORS = frozenset("\u180b\u180c\u180d\u180f")
_TAGS = re.compile("[\U000e0020-\U000e007f]")
_BLACK_FLAG = "\U0001f3f4"  # a flag such as Scotland's is the black flag followed by tag characters
_HANGUL_CHOSEONG_FILLER, _HANGUL_JUNGSEONG_FILLER = "\u115f", "\u1160"
_KHMER_INHERENT_VOWELS = frozenset("\u17b4\u17b5")

_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_URL_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")

# Letters of the scripts that may hold look-alikes of Latin letters: all but Latin and the scripts that share
# words with Latin honestly (Japanese "ＮＴＴドコモ", Chinese "TCL科技", Korean "SK하이닉스"). A name without
# one (most names, Chinese ones included) has nothing to fold.
_FOREIGN_LETTERS = _frozen_set(
    "[[:L:]-[:sc=Latn:]-[:sc=Hani:]-[:sc=Hira:]-[:sc=Kana:]-[:sc=Bopo:]-[:sc=Hang:]]"
)
_COMMON_SCRIPTS = frozenset({"Zyyy", "Zinh", "Zzzz"})
_WITH_LATIN = frozenset({"Latn", "Hani", "Hira", "Kana", "Bopo", "Hang"})
# Scripts in which zero-width joiners and non-joiners are part of honest spelling (Arabic, Indic ...): all
# but these.
_NO_JOINERS = frozenset({"Latn", "Cyrl", "Grek", "Armn", "Hani", "Hira", "Kana", "Bopo", "Hang"})

_SPOOF = icu.SpoofChecker()
_TRANSLITERATE = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# TR39 prototype → the Latin letters having it ("l" ← "l" and "I"; "rn" ← "m").
_LATIN_BY_PROTOTYPE: dict[str, tuple[str, ...]] = {}
for _letter in _ASCII_LETTERS:
    _prototype = _SPOOF.getSkeleton(0, _letter)
    _LATIN_BY_PROTOTYPE[_prototype] = (*_LATIN_BY_PROTOTYPE.get(_prototype, ()), _letter)


@lru_cache(maxsize=4096)
def script_of(char: str) -> str:
    """ISO 15924 code of the script of `char` ("Latn", "Cyrl", "Hani"; "Zyyy" common, "Zinh" inherited)."""
    return str(icu.Script.getScript(char).getShortName())


@lru_cache(maxsize=4096)
def latin_lookalike(char: str) -> str | None:
    """The Latin letter a letter of another script is confusable with (TR39 confusables), if any.

    Cyrillic "а" → "a", Greek "Η" → "H", Armenian "ս" → "u", Greek "Ι" → "I" (the prototype "l" is shared
    by "l" and "I"; the letter's case decides). None for a Latin letter and for letters without a Latin
    look-alike (Cyrillic "ж").
    """
    if script_of(char) in ("Latn", *_COMMON_SCRIPTS):
        return None
    choices = _LATIN_BY_PROTOTYPE.get(_SPOOF.getSkeleton(0, char))
    if not choices:
        return None
    if len(choices) == 1:
        return choices[0]
    wanted = [choice for choice in choices if choice.isupper() == char.isupper()]
    return (wanted or list(choices))[0]


def reveal(text: str, invisible_as: str = "") -> Revealed:
    """The name as a reader sees it, and which tricks (see `Revealed`) were undone.

    `invisible_as` replaces each invisible character (removed by default): the name matcher also reads a
    name whose invisible characters were a trick with them as spaces, since they may stand between words
    ("Huawei\u3164Technologies"). Linear in the length of `text`.
    """
    escaped = "&" in text or "%" in text
    if text.isascii() and not escaped:
        # No invisible, bidi or non-Latin character can be in it, nor an escape (most names).
        return Revealed(text)
    tricks: set[str] = set()
    decoded = _decode_escapes(text) if escaped else text
    if decoded != text:
        tricks.add(ESCAPE)
    if decoded.isascii():
        return Revealed(decoded, _ordered(tricks))
    shown, bidi_trick = _display_order(decoded)
    if bidi_trick:
        tricks.add(BIDI)
    visible, invisible_trick = _without_invisible(shown, invisible_as)
    if invisible_trick:
        tricks.add(INVISIBLE)
    folded, mixed = fold_lookalikes(visible)
    if mixed:
        tricks.add(MIXED_SCRIPT)
    if _mixes_widths(folded):
        tricks.add(MIXED_WIDTH)
    return Revealed(folded, _ordered(tricks))


def _ordered(tricks: set[str]) -> tuple[str, ...]:
    return tuple(trick for trick in TRICKS if trick in tricks)


# -- escapes ------------------------------------------------------------------------------------------------


def _decode_escapes(text: str) -> str:
    """HTML character references and URL %-escapes decoded, at most `MAX_DECODE_ROUNDS` rounds."""
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = _URL_ESCAPES.sub(_url_run, _HTML_ENTITY.sub(_html_reference, text))
        if decoded == text:
            break
        text = decoded
    return text


def _html_reference(match: re.Match[str]) -> str:
    # Only complete references (with their ";"): "AT&T" and "Barnes &amp Noble"-like legacy forms stay.
    return html.unescape(match.group(0))


def _url_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return bytes.fromhex(run.replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        # Not UTF-8 ("100%AB" is more likely a name than a Latin-1 byte): left as written.
        return run


# -- bidi ---------------------------------------------------------------------------------------------------


def _display_order(text: str) -> tuple[str, bool]:
    """`text` in the order shown on screen for left-to-right reading, and whether bidi controls disguised it.

    A right-to-left override (RLO … PDF, or to the end of the paragraph) shows its run reversed, brackets
    mirrored: "\u202eiewauH\u202c" is read "Huawei". Embeddings, isolates and marks reorder whole words at
    most (the matcher ignores word order) and are dropped with the other invisible characters. An override
    is a trick wherever it is; the other controls are a trick only in a name without right-to-left letters
    (a Hebrew or Arabic name may carry them honestly).
    """
    if not _BIDI_SET.containsSome(text):
        return text, False
    has_rtl = bool(_RTL_LETTERS.containsSome(text))
    trick = False
    out: list[str] = []
    run: list[str] = []  # characters under a right-to-left override, in storage order
    stack: list[str] = []

    def flush() -> None:
        if run:
            out.extend(_mirrored(run) if not _RTL_LETTERS.containsSome("".join(run)) else run)
            run.clear()

    for char in text:
        if char in _BIDI_CONTROLS:
            if char in _OVERRIDES or not has_rtl:
                trick = True
            if char in _OPENERS:
                flush()
                stack.append(char)
            elif char == _PDF and stack and stack[-1] not in _ISOLATES:
                flush()
                stack.pop()
            elif char == _PDI and any(opener in _ISOLATES for opener in stack):
                # Closes the innermost isolate and every embedding or override opened inside it.
                flush()
                while stack and stack.pop() not in _ISOLATES:
                    pass
            out.append(char)  # removed with the other invisible characters
            continue
        if char in _PARAGRAPH_ENDS:
            flush()
            stack.clear()
            out.append(char)
        elif stack and stack[-1] == _RLO:
            run.append(char)
        else:
            out.append(char)
    flush()
    return "".join(out), trick


def _mirrored(run: list[str]) -> list[str]:
    return [str(icu.Char.charMirror(char)) for char in reversed(run)]


# -- invisible characters -----------------------------------------------------------------------------------


def _without_invisible(text: str, replacement: str = "") -> tuple[str, bool]:
    """`text` without default-ignorable and blank characters, and whether any of them was a trick."""
    if not _INVISIBLE_SET.containsSome(text):
        return text, False
    matches = list(_INVISIBLE.finditer(text))
    trick = any(not _honest_invisible(text, match.start()) for match in matches)
    return _INVISIBLE.sub(replacement, text), trick


def _honest_invisible(text: str, at: int) -> bool:
    """Whether the invisible character at `at` is one an honest name carries in its own script."""
    char = text[at]
    before = _visible_before(text, at)
    if char in _BIDI_CONTROLS:
        return True  # judged by `_display_order`
    if char in (_ZWNJ, _ZWJ):
        if before is None:
            return False
        if char == _ZWJ and _EMOJI.contains(before):
            return True  # an emoji sequence
        # Persian, Arabic and Indic spelling uses them between letters; Latin, Cyrillic, Greek, CJK do not.
        return (before.isalpha() or _is_mark(before)) and script_of(before) not in _NO_JOINERS
    if _VARIATION_SELECTORS.fullmatch(char):
        # Ideographic variants of a Han character, emoji presentation, keycaps.
        return before is not None and (
            _IDEOGRAPHS.contains(before) or _EMOJI.contains(before) or before in "0123456789#*"
        )
    if char in _MONGOLIAN_SELECTORS:
        return before is not None and script_of(before) == "Mong"
    if _TAGS.fullmatch(char):
        return before == _BLACK_FLAG
    if char in (_HANGUL_CHOSEONG_FILLER, _HANGUL_JUNGSEONG_FILLER):
        # Part of a conjoining jamo syllable (old Hangul), not a blank between letters.
        after = text[at + 1] if at + 1 < len(text) else ""
        return bool(_CONJOINING_JAMO.match(after) or (before and _CONJOINING_JAMO.match(before)))
    if char in _KHMER_INHERENT_VOWELS:
        return before is not None and script_of(before) == "Khmr"
    return False


def _visible_before(text: str, at: int) -> str | None:
    """The nearest character before `at` that is not a tag or a zero-width joiner (emoji sequences)."""
    i = at - 1
    while i >= 0 and (_TAGS.fullmatch(text[i]) or text[i] == _ZWJ):
        i -= 1
    return text[i] if i >= 0 else None


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


# -- look-alike letters -------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")


def fold_lookalikes(text: str) -> tuple[str, bool]:
    """Look-alike letters of other scripts in a Latin name replaced by the Latin letters they imitate.

    Two cases are folded, each a TR39 mixed-script confusable:
    - a word whose letters come from more than one script (not counting Chinese, Japanese and Korean mixed
      with Latin): "Нuаwеі" (Cyrillic Н, а, е, і among Latin u, w), "Ηυawei" (Greek Η, υ), "һսаԝеі"
      (Cyrillic and Armenian);
    - in a name that has Latin words, a word wholly in another script whose every letter has a Latin
      look-alike: the Cyrillic "Со" of "Нuаwеі Со., Ltd.".
    Returns the text and whether this disguised it. The second case is not a disguise when the word reads
    the same either way: the Cyrillic legal form "ООО" and the Greek "ΟΤΕ" are transliterated to the same
    Latin letters, so a bilingual name keeps no alert. A name with no Latin word (Russian, Greek) is left
    alone; `whole_script_lookalike` gives its Latin look-alike reading.
    """
    if text.isascii() or not _FOREIGN_LETTERS.containsSome(text):
        return text, False
    words = [
        (word, {script_of(char) for char in word.group(0)} - _COMMON_SCRIPTS) for word in _WORD.finditer(text)
    ]
    # Latin words, and words mixing scripts (read as Latin once folded: "νρ-сѕρ" is "vp-csp").
    has_latin = any("Latn" in scripts or len(scripts) > 1 for _, scripts in words)
    pieces: list[str] = []
    last = 0
    disguised = False
    for word, scripts in words:
        letters = word.group(0)
        if letters.isascii() or not scripts - _WITH_LATIN:
            continue
        if len(scripts) > 1:
            # Letters of two scripts in one word: no language spells so.
            folded = "".join(latin_lookalike(char) or char for char in letters)
            changed = folded != letters
        elif has_latin:
            lookalikes = [latin_lookalike(char) for char in letters]
            if any(lookalike is None for lookalike in lookalikes):
                continue
            folded = "".join(lookalike or "" for lookalike in lookalikes)
            # "ООО" and "ΟΤΕ" read the same in Latin either way; "Со" reads "So", yet looks like "Co".
            changed = folded.casefold() != str(_TRANSLITERATE.transliterate(letters)).casefold()
        else:
            continue
        if folded != letters:
            pieces.append(text[last : word.start()])
            pieces.append(folded)
            last = word.end()
        disguised = disguised or changed
    if last == 0:
        return text, disguised
    pieces.append(text[last:])
    return "".join(pieces), disguised


_FULL_WIDTH_LETTER = re.compile("[\uff21-\uff3a\uff41-\uff5a]")


def _mixes_widths(text: str) -> bool:
    """Whether a word of `text` holds both full-width and ordinary Latin letters ("Ｈuａwei")."""
    if _FULL_WIDTH_LETTER.search(text) is None:
        return False
    return any(
        _FULL_WIDTH_LETTER.search(word) is not None and any("a" <= char.lower() <= "z" for char in word)
        for word in _WORD.findall(text)
    )


def whole_script_lookalike(text: str) -> str | None:
    """A name without Latin letters with each word that can be read as Latin look-alikes so read.

    "АВВ Кронштадт" in Cyrillic letters gives "ABB Кронштадт" ("АВВ" looks like "ABB"; "Кронштадт" has
    letters without a Latin look-alike and stays). A Russian name may be spelt so honestly, so this reading
    is a lead for review beside the transliteration, not a replacement of it. None when no word can be so
    read, or the name has Latin letters (`fold_lookalikes` handles those names).
    """
    if text.isascii() or not _FOREIGN_LETTERS.containsSome(text):
        return None
    pieces: list[str] = []
    last = 0
    for word in _WORD.finditer(text):
        letters = word.group(0)
        scripts = {script_of(char) for char in letters} - _COMMON_SCRIPTS
        if "Latn" in scripts:
            return None
        if not scripts - _WITH_LATIN:
            continue
        lookalikes = [latin_lookalike(char) for char in letters]
        if any(lookalike is None for lookalike in lookalikes):
            continue
        pieces.append(text[last : word.start()])
        pieces.append("".join(lookalike or "" for lookalike in lookalikes))
        last = word.end()
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)
