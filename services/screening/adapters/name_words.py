"""Read the name matcher's word tables shipped beside the CSL snapshot into the domain's `NameWords` value.

Three files: `name_words.toml` (legal forms, abbreviations, phrases, stopwords, generic business words,
places, traditional characters, Cyrillic letters), `han_words.csv` (Chinese words of company and institution
names with their English renderings) and `common_words.txt` (common words of English, one a line); lines
starting with `#` are comments in the last two. Their content hash joins the lists version of every decision
(see `screening.resources.screening_version`).
"""

from __future__ import annotations

import csv
import hashlib
import tomllib

from screening.domain.names import NameWords

NAME_WORDS = "name_words.toml"
HAN_WORDS = "han_words.csv"
COMMON_WORDS = "common_words.txt"
_HAN_COLUMNS = ("chinese", "english")


class NameWordsError(ValueError):
    """A word-table file is not in the expected shape (permanent: fix the file)."""


def parse_name_words(words_toml: bytes, han_csv: bytes, common_txt: bytes) -> NameWords:
    """The word tables from the bytes of `name_words.toml`, `han_words.csv` and `common_words.txt`."""
    try:
        words = tomllib.loads(words_toml.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise NameWordsError(f"{NAME_WORDS}: {error}") from error
    lines = [line for line in han_csv.decode("utf-8-sig").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not all(column in reader.fieldnames for column in _HAN_COLUMNS):
        raise NameWordsError(f"{HAN_WORDS}: the header lacks `chinese` or `english`")
    try:
        common = [
            line.strip() for line in common_txt.decode("utf-8").splitlines() if not line.startswith("#")
        ]
    except UnicodeDecodeError as error:
        raise NameWordsError(f"{COMMON_WORDS}: {error}") from error
    try:
        return NameWords.from_tables(words, list(reader), [word for word in common if word])
    except ValueError as error:
        raise NameWordsError(str(error)) from error


def name_words_digest(words_toml: bytes, han_csv: bytes, common_txt: bytes) -> str:
    """First 12 hex digits of the SHA-256 of the three files, for the lists version."""
    return hashlib.sha256(words_toml + b"\0" + han_csv + b"\0" + common_txt).hexdigest()[:12]
