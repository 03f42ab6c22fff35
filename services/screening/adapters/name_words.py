"""Read the name matcher's word tables shipped beside the CSL snapshot into the domain's `NameWords` value.

Two files: `name_words.toml` (legal forms, abbreviations, phrases, stopwords, generic business words, places,
traditional characters, Cyrillic letters) and `han_words.csv` (Chinese words of company and institution names
with their English renderings; lines starting with `#` are comments). Their content hash joins the lists
version of every decision (see `screening.resources.screening_version`).
"""

from __future__ import annotations

import csv
import hashlib
import tomllib

from screening.domain.names import NameWords

NAME_WORDS = "name_words.toml"
HAN_WORDS = "han_words.csv"
_HAN_COLUMNS = ("chinese", "english")


class NameWordsError(ValueError):
    """A word-table file is not in the expected shape (permanent: fix the file)."""


def parse_name_words(words_toml: bytes, han_csv: bytes) -> NameWords:
    """The word tables from the bytes of `name_words.toml` and `han_words.csv`."""
    try:
        words = tomllib.loads(words_toml.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise NameWordsError(f"{NAME_WORDS}: {error}") from error
    lines = [line for line in han_csv.decode("utf-8-sig").splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not all(column in reader.fieldnames for column in _HAN_COLUMNS):
        raise NameWordsError(f"{HAN_WORDS}: the header lacks `chinese` or `english`")
    try:
        return NameWords.from_tables(words, list(reader))
    except ValueError as error:
        raise NameWordsError(str(error)) from error


def name_words_digest(words_toml: bytes, han_csv: bytes) -> str:
    """First 12 hex digits of the SHA-256 of both files, for the lists version."""
    return hashlib.sha256(words_toml + b"\0" + han_csv).hexdigest()[:12]
