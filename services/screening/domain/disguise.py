"""Disguised and forged party names: what a reader sees in a name, and names that identify no one.

`reveal` undoes the tricks that make a listed name look different to a computer while a reader sees the same
name (HTML and URL escapes, invisible characters, right-to-left overrides, look-alike letters of other
scripts mixed into Latin words) and says which it found; the name matcher reads every name the same way, so
a disguised listed name still matches. `identifies_no_one` tells a name that names nobody ("TBD", "N/A",
"Co., Ltd.", ".", a lone zero-width space) from a name. Both are pure functions of the text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from screening.domain.names import identifying_tokens
from screening.domain.visible_text import (
    BIDI,
    ESCAPE,
    INVISIBLE,
    MAX_DECODE_ROUNDS,
    MIXED_SCRIPT,
    MIXED_WIDTH,
    TRICKS,
    Revealed,
    reveal,
)

__all__ = [
    "BIDI",
    "ESCAPE",
    "INVISIBLE",
    "MAX_DECODE_ROUNDS",
    "MIXED_SCRIPT",
    "MIXED_WIDTH",
    "PLACEHOLDERS",
    "TRICKS",
    "Revealed",
    "identifies_no_one",
    "reveal",
]

# Names that stand in for a name, as the matcher's tokens (legal forms and stopwords already dropped,
# abbreviations canonical, single letters joined: "N/A" and "N.A." are "na", "TBD Ltd." is "tbd").
PLACEHOLDERS = frozenset(
    {
        "tbd",
        "tba",
        "tbc",
        "tbn",
        "na",
        "nil",
        "null",
        "none",
        "unknown",
        "unk",
        "test",
        "testing",
        "dummy",
        "sample",
        "placeholder",
        "undefined",
        "unspecified",
        "anonymous",
        "unnamed",
        "noname",
        "no name",
        "name",
        "company name",
        "not applicable",
        "not available",
        "not known",
        "not provided",
        "not specified",
        "to be determined",
        "to be advised",
        "to be announced",
        "to be confirmed",
        "pending",
        "various",
        "same",
        "same as above",
        "see above",
        "customer",
        "client",
        "buyer",
        "purchaser",
        "consignee",
        "end user",
        "enduser",
        "party",
        "individual",
        "person",
        "private individual",
        "private person",
    }
)
# "xx", "XXX", "x x x x": a run of x's (a lone "X" is a name: X Corp.).
_CROSSES = re.compile(r"x{2,}")


@lru_cache(maxsize=1 << 16)  # every party of every event asks; the names repeat
def identifies_no_one(name: str) -> bool:
    """Whether `name` names no party: nothing left once read as the matcher reads it, or a placeholder.

    True for an empty or blank name, punctuation only ("-", "?", "."), invisible characters only, a legal
    form alone ("Co., Ltd.", "GmbH", "有限公司"), stopwords alone ("The"), and placeholders ("TBD", "N/A",
    "unknown", "none", "test", "Customer", "XXX", with or without a legal form: "TBD Ltd."). A name of
    digits only is kept as a name (a registration or customer number still points at someone).
    """
    tokens = identifying_tokens(name)
    if not tokens:
        return True
    phrase = " ".join(tokens)
    return phrase in PLACEHOLDERS or _CROSSES.fullmatch(phrase.replace(" ", "")) is not None
