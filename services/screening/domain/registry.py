"""Tying event parties to ownership-registry entities by id or by name and country."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from screening.domain.model import Party

# Legal-form words dropped from registry keys, so "Acme Co., Ltd." and "ACME LIMITED" resolve alike.
_LEGAL_FORMS = frozenset(
    (
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "pte",
        "pty",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "kk",
        "oy",
        "ab",
        "as",
        "spa",
        "srl",
        "lp",
        "llp",
        "jsc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ao",
        "holdings",
        "holding",
        "the",
    )
)
_CJK_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "株式会社")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def name_key(name: str) -> str:
    """A strict key for a company name: NFKC, case-folded, punctuation and legal forms dropped, sorted.

    Registry resolution by name uses only this exact key (a strong match by construction); fuzzy
    matching is kept for the control lists, where a weak match is held for a reviewer.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    for form in _CJK_LEGAL_FORMS:
        text = text.replace(form, " ")
    tokens = [t for t in _NON_WORD.split(text) if t and t not in _LEGAL_FORMS]
    return " ".join(sorted(tokens))


def registry_keys(names: Iterable[str], country: str | None) -> list[str]:
    """Keys under which a registry entity is indexed: each name with its country, and without."""
    keys: list[str] = []
    for name in names:
        key = name_key(name)
        if not key:
            continue
        keys.append(f"{key}|{(country or '').upper()}")
        keys.append(f"{key}|")
    return list(dict.fromkeys(keys))


def party_lookup_keys(party: Party) -> list[str]:
    """Keys to try for a party without `party_id`: its names with its country (or with no country when the
    party has none). A same-named entity of another country is not the party."""
    country = (party.country or "").upper()
    keys = [f"{key}|{country}" for name in party.names if (key := name_key(name))]
    return list(dict.fromkeys(keys))
