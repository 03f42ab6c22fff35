"""Address screening: the addresses control-list entries carry, indexed for matching a given address.

Entity List entries (and some others) carry addresses, and front companies share them: a ship-to or party
address that is a listed address is a red flag whatever name the party gives (RF_ADDRESS_MISMATCH). An
address is written in many ways ("No. 666, Wangjiang Road West" and "666 Wangjiang Rd W."), so both sides
are normalised into the same pieces before they are compared:

- **words**: accents and case off, abbreviations written out (Rd → road, Bldg → building, Str. → street,
  Chinese address characters → their English word and the rest → pinyin), order ignored. Each word weighs
  its rarity among the listed addresses (idf); address words (street, road, floor, district...) weigh a
  fifth, so "Building 2, Floor 1" alone never makes a match while a street name does.
- **numbers**: house, building, floor and room numbers ("5F" is floor 5, "21st" is 21, "15-B" is 15b).
  Every number of the listed address should be in the given one; a given address whose numbers all differ
  is another building on the same street.
- **postcode**: recognised near the end of the address; equal postcodes support the match, different ones
  break it, a missing one is neutral.
- **country**: the last part of a listed address is its ISO-2 country; when both countries are known they
  must agree.

The score is the words' weighted agreement both ways (how much of the listed address the given one
covers, and how much of the given one the listed address explains), scaled by the numbers' agreement and
the postcode's. A listed address too vague to identify a place ("Ghazni City, AF", "Moscow, RU") is not
indexed at all. Candidates are found through an inverted index of the rarer words (and their
one-edit neighbours, for typos) and of postcodes, then scored one by one.

Pure computation: standard library, rapidfuzz and pypinyin only; no I/O.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pypinyin import Style, lazy_pinyin  # type: ignore[import-untyped,unused-ignore]
from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from screening.domain.lists import ListEntry

# ---------------------------------------------------------------------------------------------------------
# Vocabulary. Keys are casefolded, accent-free tokens.

# Spellings and abbreviations of address words → one canonical word (so "Rd" meets "Road", "ul." "street").
_CANONICAL: dict[str, str] = {
    # streets and roads, in the languages the list's addresses use
    "st": "street", "str": "street", "strasse": "street", "street": "street", "ul": "street",
    "ulitsa": "street", "ulica": "street", "ulitza": "street", "jie": "street", "sokak": "street",
    "sok": "street", "cad": "avenue", "caddesi": "avenue", "rd": "road", "lu": "road", "road": "road",
    "ave": "avenue", "av": "avenue", "avda": "avenue", "avenida": "avenue", "prospekt": "avenue",
    "prosp": "avenue", "pr": "avenue", "pr-t": "avenue", "dadao": "avenue", "dajie": "avenue",
    "blvd": "boulevard", "bd": "boulevard", "bulvar": "boulevard", "boul": "boulevard",
    "hwy": "highway", "shosse": "highway", "sh": "highway", "chaussee": "highway", "ln": "lane",
    "pereulok": "lane", "per": "lane", "hutong": "lane", "dr": "drive", "ct": "court", "pl": "place",
    "sq": "square", "ploshchad": "square", "pkwy": "parkway", "nab": "embankment",
    "naberezhnaya": "embankment", "proezd": "passage", "pr-d": "passage", "tupik": "passage",
    # buildings and units
    "bldg": "building", "bld": "building", "blg": "building", "bldgs": "building", "korpus": "building",
    "korp": "building", "stroenie": "building", "str.": "building", "dasha": "building", "lou": "building",
    "twr": "tower", "plz": "plaza", "fl": "floor", "flr": "floor", "floors": "floor", "etazh": "floor",
    "ceng": "floor", "rm": "room", "rooms": "room", "shi": "city", "ste": "suite", "apt": "apartment",
    "apts": "apartment", "kv": "apartment", "flat": "apartment", "blk": "block", "bloc": "block",
    "off": "office", "ofc": "office", "ofis": "office", "pom": "premises", "premise": "premises",
    # areas
    "dist": "district", "distr": "district", "qu": "district", "rayon": "district", "raion": "district",
    "ind": "industrial", "indl": "industrial", "industry": "industrial", "pk": "park", "zn": "zone",
    "dev": "development", "devt": "development", "hi": "high", "hitech": "technology",
    "tech": "technology", "technological": "technology", "sci": "science", "ctr": "center",
    "centre": "center", "cntr": "center", "prov": "province", "sheng": "province", "obl": "oblast",
    "oblast'": "oblast", "reg": "region", "krai": "kray", "zhen": "town", "cun": "village",
    "intl": "international", "natl": "national", "sub-district": "subdistrict", "mt": "mount",
    "f": "floor",
}  # fmt: skip

# Numbers written as words ("Section One", "Third Ring Road").
_NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "first": "1", "second": "2", "third": "3",
    "fourth": "4", "fifth": "5", "sixth": "6", "seventh": "7", "eighth": "8", "ninth": "9", "tenth": "10",
}  # fmt: skip

# Words that mark a number or say nothing about the place ("No. 5", "c/o", "the").
_DROPPED = frozenset(
    {
        "no", "nos", "nr", "num", "number", "hao", "d", "dom", "house", "the", "of", "and", "at", "in", "on",
        "c", "o", "co", "po", "box", "p", "attn", "opp", "opposite", "near", "behind", "front", "de", "del",
        "la", "le", "el", "di", "da", "du", "des", "et", "i", "z", "im", "am", "an", "der",
    }
)  # fmt: skip

# Address words: they say what kind of place, not which one, so they weigh a fifth of a name.
_GENERIC = frozenset(
    {
        "street", "road", "avenue", "boulevard", "highway", "lane", "drive", "court", "place", "square",
        "parkway", "embankment", "passage", "way", "alley", "building", "tower", "plaza", "floor", "room",
        "suite", "apartment", "block", "office", "premises", "unit", "level", "center", "complex",
        "mansion", "estate", "house", "district", "subdistrict", "industrial", "park", "zone", "area",
        "development", "high", "technology", "science", "new", "city", "town", "village", "province",
        "oblast", "region", "kray", "county", "state", "republic", "territory", "prefecture", "east",
        "west", "north", "south", "middle", "central", "upper", "lower", "international", "national",
        "economic", "free", "trade", "port", "business", "commercial", "garden", "gardens", "mount",
        "section", "phase", "stage", "lot", "plot", "ground", "gf", "main", "old",
    }
)  # fmt: skip

# Address words that name an administrative area, beside which a number may be a postcode ("Xi'an City
# 710000", "Moscow Oblast 141070").
_PLACE_LEVEL = frozenset(
    {
        "city", "town", "village", "province", "oblast", "region", "kray", "county", "state", "republic",
        "territory", "prefecture", "district", "subdistrict", "new", "north", "south", "east", "west",
        "central", "upper", "lower", "hong", "kong",
    }
)  # fmt: skip

# Chinese address characters → the English word the list's romanised addresses use.
_HAN_WORDS: dict[str, str] = {
    "路": "road", "街": "street", "大道": "avenue", "大街": "avenue", "道": "road", "巷": "lane",
    "胡同": "lane", "号": "", "號": "", "区": "district", "區": "district", "市": "city", "省": "province",
    "县": "county", "縣": "county", "镇": "town", "鎮": "town", "村": "village", "楼": "building",
    "樓": "building", "层": "floor", "層": "floor", "室": "room", "大厦": "building", "大廈": "building",
    "座": "block", "栋": "building", "棟": "building", "幢": "building", "单元": "unit", "單元": "unit",
    "园区": "park", "園區": "park", "园": "park", "園": "park", "工业区": "industrial zone",
    "开发区": "development zone", "開發區": "development zone", "高新区": "high technology zone",
    "中心": "center", "广场": "plaza", "廣場": "plaza", "香港": "hong kong", "九龙": "kowloon",
    "九龍": "kowloon", "新界": "new territories", "东": "east", "東": "east", "西": "west",
    "南": "south", "北": "north", "中": "middle",
}  # fmt: skip
_HAN_DIRECTIONS = frozenset("东東西南北中")
_HAN_LONGEST = max(len(word) for word in _HAN_WORDS)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Country names a free-text address may end with → ISO-2 (the listed addresses end with the ISO-2 code).
_COUNTRY_NAMES: dict[str, str] = {
    "china": "CN", "prc": "CN", "p r china": "CN", "peoples republic of china": "CN",
    "people s republic of china": "CN", "hong kong": "HK", "hong kong sar": "HK", "hongkong": "HK",
    "macau": "MO", "macao": "MO", "taiwan": "TW", "russia": "RU", "russian federation": "RU",
    "united arab emirates": "AE", "uae": "AE", "u a e": "AE", "iran": "IR", "pakistan": "PK",
    "turkey": "TR", "turkiye": "TR", "malaysia": "MY", "singapore": "SG", "ukraine": "UA",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "afghanistan": "AF",
    "belarus": "BY", "south africa": "ZA", "germany": "DE", "india": "IN", "canada": "CA", "syria": "SY",
    "burma": "MM", "myanmar": "MM", "finland": "FI", "united states": "US", "usa": "US",
    "united states of america": "US", "u s a": "US", "us": "US", "japan": "JP", "korea": "KR",
    "south korea": "KR", "north korea": "KP", "france": "FR", "italy": "IT", "spain": "ES",
    "netherlands": "NL", "the netherlands": "NL", "switzerland": "CH", "austria": "AT", "belgium": "BE",
    "sweden": "SE", "norway": "NO", "denmark": "DK", "poland": "PL", "czech republic": "CZ",
    "czechia": "CZ", "luxembourg": "LU", "ireland": "IE", "australia": "AU", "new zealand": "NZ",
    "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL", "peru": "PE", "colombia": "CO",
    "venezuela": "VE", "uruguay": "UY", "thailand": "TH", "vietnam": "VN", "viet nam": "VN",
    "indonesia": "ID", "philippines": "PH", "lebanon": "LB", "iraq": "IQ", "israel": "IL",
    "saudi arabia": "SA", "qatar": "QA", "kuwait": "KW", "oman": "OM", "bahrain": "BH", "egypt": "EG",
    "jordan": "JO", "armenia": "AM", "georgia": "GE", "kazakhstan": "KZ", "kyrgyzstan": "KG",
    "uzbekistan": "UZ", "tajikistan": "TJ", "azerbaijan": "AZ", "cyprus": "CY", "greece": "GR",
    "bulgaria": "BG", "romania": "RO", "serbia": "RS", "latvia": "LV", "lithuania": "LT",
    "estonia": "EE", "hungary": "HU", "slovakia": "SK", "slovenia": "SI", "croatia": "HR",
    "malta": "MT", "portugal": "PT", "cuba": "CU", "panama": "PA", "nigeria": "NG", "kenya": "KE",
    "sudan": "SD", "yemen": "YE", "libya": "LY", "belize": "BZ", "cayman islands": "KY",
    "british virgin islands": "VG", "bermuda": "BM", "brunei": "BN", "sri lanka": "LK",
    "bangladesh": "BD", "nepal": "NP", "cambodia": "KH", "laos": "LA", "mongolia": "MN",
    "korea north": "KP", "korea south": "KR", "virgin islands british": "VG", "ecuador": "EC",
    "bolivia": "BO", "paraguay": "PY", "guatemala": "GT", "honduras": "HN", "el salvador": "SV",
    "nicaragua": "NI", "costa rica": "CR", "dominican republic": "DO", "haiti": "HT", "jamaica": "JM",
    "zimbabwe": "ZW", "somalia": "SO", "ethiopia": "ET", "eritrea": "ER", "tanzania": "TZ", "uganda": "UG",
    "congo democratic republic of the": "CD", "ghana": "GH", "senegal": "SN", "mali": "ML", "niger": "NE",
    "algeria": "DZ", "morocco": "MA", "tunisia": "TN", "liberia": "LR", "sierra leone": "SL",
    "angola": "AO", "namibia": "NA", "botswana": "BW", "mozambique": "MZ", "seychelles": "SC",
    "mauritius": "MU", "moldova": "MD", "liechtenstein": "LI", "monaco": "MC", "iceland": "IS",
    "albania": "AL", "bosnia and herzegovina": "BA", "north macedonia": "MK", "macedonia": "MK",
    "montenegro": "ME", "kosovo": "XK", "turkmenistan": "TM", "marshall islands": "MH", "samoa": "WS",
    "vanuatu": "VU", "bahamas": "BS", "barbados": "BB", "trinidad and tobago": "TT", "guyana": "GY",
    "suriname": "SR", "aruba": "AW", "curacao": "CW", "gibraltar": "GI", "isle of man": "IM",
    "jersey": "JE", "guernsey": "GG", "maldives": "MV", "fiji": "FJ", "papua new guinea": "PG",
    "afghanistan islamic republic of": "AF", "iran islamic republic of": "IR",
}  # fmt: skip
_ISO2 = re.compile(r"^[a-z]{2}$")

# A postcode standing alone: digits (4-7, also "442 96"), ZIP+4, Canadian, British, Dutch and lettered
# European forms ("L-1470", "CH-8022").
_POSTCODE = re.compile(
    r"^(?:\d{4,7}|\d{3} \d{2}|\d{5}-\d{4}|[a-z]\d[a-z] ?\d[a-z]\d|[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}"
    r"|\d{4} ?[a-z]{2}|[a-z]{1,2}-\d{3,6})$"
)
# Words that say a number is a unit, not a postcode ("Room 2107" is a room).
_UNIT_WORDS = frozenset(
    {"room", "rm", "floor", "fl", "suite", "ste", "building", "bldg", "unit", "flat", "office", "no", "block",
     "apartment", "apt", "house", "plot", "lot", "box", "level", "tower", "korpus", "d", "dom", "kv", "pom"}
)  # fmt: skip

_PARTS = re.compile(r"[,;\n\r]+")
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_SPACES_HYPHENS = re.compile(r"[\s-]+")
_NOT_LETTER = re.compile(r"[^a-z ]+")
_NOT_WORD = re.compile(r"[^\w -]+")
_FIRST_POSTCODE = re.compile(r"\d{5,7}")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th|er|e|eme|ya|yy|iy|oy|y|j)$")
_FLOOR = re.compile(r"^(\d+)f$")
_NUMBER_LETTER = re.compile(r"(\d+)\s*-\s*([a-z])\b")
_GLUED_STREET = ("strasse", "str")
_ATTENTION = re.compile(r"^(?:attn|attention|c/o|care of|for the attention of)\b")
_SAINT = re.compile(r"(?:(?<=^)|(?<=[\s(]))(?:st|ste|sankt|san)\.?\s+(?=[a-z]{3})")

_MIN_FUZZY_LENGTH = 5
_MAX_POSTINGS = 100  # a word in more listed addresses than this (a city) finds no candidates by itself
_MAX_SCORED = 8
_CANDIDATE_SHARE = 0.5
_MAX_CACHED_CHARS = 1000
_NUMBER_SHARE = (
    0.5  # a shared number counts for half a shared word of the same rarity when finding candidates
)
_FUZZY_CREDIT = 0.85  # a word that agrees only through an edit counts for this share of its weight ...
_LONG_FUZZY_CREDIT = 0.92  # ... or this share, for a word of eight letters or more (one edit is less of it)
_WORD_RECALL_SHARE = 0.6  # of the word score: how much of the listed address the given one covers
# Weight of rarer words a given address must share with a listed one to stand for it by itself, in units of
# the weight of a word the list does not hold (its rarest): with a matching number (a street name and its
# number: about half a rare word), or without one (several names).
_IDENTIFYING_NUMBERED = 0.55
_IDENTIFYING_BARE = 1.5


@dataclass(frozen=True, slots=True)
class NormalisedAddress:
    """An address as compared: canonical words, numbers, postcode and country (all casefolded)."""

    words: tuple[str, ...]
    numbers: tuple[str, ...]
    postcode: str | None
    country: str | None

    @property
    def empty(self) -> bool:
        """Whether nothing but a country is left (nothing to compare)."""
        return not self.words and not self.numbers and self.postcode is None


def country_code(name: str) -> str | None:
    """The ISO-2 code of a country named in full or by code ("Hong Kong", "Korea, North", "CN"), if known."""
    folded = _letters_only(_fold(name))
    if _ISO2.match(folded):
        return folded.upper()
    return _COUNTRY_NAMES.get(folded)


def normalise_address(text: str, country: str | None = None) -> NormalisedAddress:
    """The pieces of `text` an address is compared on; `country` (ISO-2) is used when the text names none.

    Parts are split at commas, semicolons and line breaks. The last part is the country when it is an ISO-2
    code or a known country name; a postcode is looked for in the last three parts after the first.
    """
    folded = _fold(text)
    parts = [part.strip() for part in _PARTS.split(folded) if part.strip()]
    parts = [text for part in parts if (text := _without_attention(part))]
    found_country: str | None = None
    if len(parts) > 1 and _ISO2.match(parts[-1].strip(" .")):
        found_country = parts.pop().strip(" .").upper()
    # A part that is a country named in full, wherever it stands ("..., England, GB", "China, Shenzhen").
    places: list[str] = []
    for part in parts:
        named = None if len(part) > 40 or _DIGIT.search(part) else _COUNTRY_NAMES.get(_letters_only(part))
        if named is None:
            places.append(part)
        elif found_country is None:
            found_country = named
    parts = places
    postcode, parts = _take_postcode(parts)
    words: list[str] = []
    numbers: list[str] = []
    for part in parts:
        _read_part(part, words, numbers)
    return NormalisedAddress(
        words=tuple(dict.fromkeys(words)),
        numbers=tuple(numbers),
        postcode=postcode,
        # The country given beside the text (a validated field) wins over a name in the text.
        country=country.upper() if country else found_country,
    )


def _fold(text: str) -> str:
    """NFKC, Chinese address words read, accents off, casefolded; '&' as a space."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if _HAN.search(text):
            text = _read_han(text)
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return text.casefold().replace("ß", "ss").replace("&", " ").replace("#", " ")


def _read_han(text: str) -> str:
    """Chinese characters as the romanised words the list uses: address characters translated (路 road,
    号 a number's mark), a direction before 路/街 kept apart ("望江西路" → "wangjiang west road"), every other
    run of characters as one pinyin word."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(" " + "".join(lazy_pinyin("".join(run), style=Style.NORMAL)) + " ")
            run.clear()

    index = 0
    while index < len(text):
        char = text[index]
        if not _HAN.match(char):
            flush()
            out.append(char)
            index += 1
            continue
        for size in range(min(_HAN_LONGEST, len(text) - index), 0, -1):
            piece = text[index : index + size]
            if piece in _HAN_WORDS and not (
                size == 1 and piece in _HAN_DIRECTIONS and not _before_road(text, index)
            ):
                flush()
                out.append(f" {_HAN_WORDS[piece]} ")
                index += size
                break
        else:
            run.append(char)
            index += 1
    flush()
    return "".join(out)


def _before_road(text: str, index: int) -> bool:
    """Whether the direction character at `index` qualifies a road or street (it comes right before one)."""
    following = text[index + 1 : index + 3]
    return following[:1] in ("路", "街", "道") or following == "大道"


def _letters_only(text: str) -> str:
    """Letters and single spaces only (for comparing with country names)."""
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text)).strip()


def _without_attention(part: str) -> str:
    """A part without an attention or care-of line ("Attn: Receiving Dept.", "c/o X / 5 Main St": what
    follows a slash is kept)."""
    if not _ATTENTION.match(part):
        return part
    _, slash, rest = part.partition(" / ") if " / " in part else part.partition("/ ")
    return rest.strip() if slash else ""


def _take_postcode(parts: list[str]) -> tuple[str | None, list[str]]:
    """The postcode among the last three parts after the first (a whole part, or the first or last word of
    a part whose other words are a place, not a unit), and the parts without it."""
    for index in [*range(len(parts) - 1, max(0, len(parts) - 4), -1), *([0] if len(parts) >= 3 else [])]:
        part = parts[index]
        if not _DIGIT.search(part):
            continue
        compact = _SPACES.sub(" ", _NOT_WORD.sub(" ", part)).strip()
        if index == 0 and not _FIRST_POSTCODE.fullmatch(compact):
            continue  # a first part is a postcode only when it is one of five digits or more (largest first)
        if _POSTCODE.match(compact):
            return _compact_postcode(compact), parts[:index] + parts[index + 1 :]
        if index == 0:
            continue
        words = compact.split()
        if len(words) < 2 or any(word in _UNIT_WORDS or _is_street_word(word) for word in words):
            continue
        for take, rest in ((words[-1:], words[:-1]), (words[-2:], words[:-2]), (words[:1], words[1:])):
            candidate = " ".join(take)
            if (
                rest
                and _POSTCODE.match(candidate)
                and sum(char.isdigit() for char in candidate) >= 3
                and not any(_DIGIT.search(word) for word in rest)
            ):
                return _compact_postcode(candidate), [*parts[:index], " ".join(rest), *parts[index + 1 :]]
    return None, parts


def _is_street_word(word: str) -> bool:
    """A word that names a street, a building or a unit (not a city or region): a number beside it is a
    house or room number, never a postcode."""
    return any(spelled in _GENERIC and spelled not in _PLACE_LEVEL for spelled in _spell(word))


def _compact_postcode(text: str) -> str:
    return _SPACES_HYPHENS.sub("", text).lower()


def _read_part(part: str, words: list[str], numbers: list[str]) -> None:
    """Append the canonical words and the numbers of one part of an address."""
    part = _NUMBER_LETTER.sub(r"\1\2", part)
    # "St." before a name is Saint ("St. Petersburg"), after one a street ("Main St.").
    part = _SAINT.sub("saint ", part)
    tokens = _TOKEN.findall(part.replace("’", "'"))
    for token in tokens:
        token = token.replace("'", "")
        if not token:
            continue
        if not token.isalpha():
            floor = _FLOOR.match(token)
            if floor:
                numbers.append(floor.group(1).lstrip("0") or "0")
                words.append("floor")
                continue
            ordinal = _ORDINAL.match(token)
            if ordinal:
                token = ordinal.group(1)
            numbers.append(token.lstrip("0") or "0" if token.isdigit() else token)
            continue
        spelled = _NUMBER_WORDS.get(token)
        if spelled is not None:
            numbers.append(spelled)
            continue
        for word in _spell(token):
            if word and word not in _DROPPED:
                words.append(word)


def _spell(token: str) -> tuple[str, ...]:
    """A word in canonical spelling; a German street glued to its name ("Zweierstrasse") is split."""
    canonical = _CANONICAL.get(token)
    if canonical is not None:
        return tuple(canonical.split())
    for suffix in _GLUED_STREET:
        if token.endswith(suffix) and len(token) >= len(suffix) + 4:
            return (token[: -len(suffix)], "street")
    return (token,)


# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedAddress:
    """One distinct address of the list, with every entry that carries it (front companies share one)."""

    text: str
    normalised: NormalisedAddress
    entries: tuple[ListEntry, ...]


@dataclass(frozen=True, slots=True)
class AddressHit:
    """A given address matching a listed address: the entries there, the score and its pieces."""

    query: str
    listed: ListedAddress
    score: float
    why: Mapping[str, Any] = field(default_factory=dict)

    def evidence(self, most_entries: int = 10) -> dict[str, Any]:
        """The hit as decision evidence: the listed address, the entries that carry it, the score pieces."""
        entries = self.listed.entries
        return {
            "address": self.query,
            "listed_address": self.listed.text,
            "score": round(self.score, 4),
            "entries": [
                {
                    "list": entry.source,
                    "entry_id": entry.entry_id,
                    "entry_name": entry.name,
                    "federal_register_notice": entry.federal_register_notice,
                }
                for entry in entries[:most_entries]
            ],
            "entries_at_address": len(entries),
            "why": dict(self.why),
        }


@dataclass(frozen=True, slots=True)
class _Side:
    """One side of a comparison, prepared once: words with their weights, numbers, postcode, country."""

    address: NormalisedAddress
    weights: tuple[float, ...]
    present: frozenset[str]
    joined: frozenset[str]  # adjacent words written together ("wang tung" → "wangtung")
    total: float


@dataclass(frozen=True, slots=True)
class _Found:
    """Which words of one side the other side has: their weight (fuzzy ones at a discount), the part of
    it that is not address words, and the words found and found only through an edit."""

    weight: float
    identifying: float
    words: frozenset[str]
    by_edit: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """A hit on one address of an event: the ship-to address (`where="ship_to"`) or a party's (`"party"`,
    with its role)."""

    where: str
    party_role: str | None
    hit: AddressHit


class AddressIndex:
    """The list's addresses, normalised and indexed; `match` scores a given address against them."""

    def __init__(self, addresses: Sequence[ListedAddress], vague: int = 0, cache_size: int = 50_000) -> None:
        """Index `addresses` (use `AddressIndex.build`); `vague` counts listed addresses left out. Results
        are kept for the latest `cache_size` (address, country) pairs: ship-to addresses repeat."""
        self.addresses = tuple(addresses)
        self.vague = vague
        self._cache: OrderedDict[tuple[str, str | None, float, int], list[AddressHit]] = OrderedDict()
        self._cache_size = cache_size
        df: dict[str, int] = {}
        for listed in self.addresses:
            for word in listed.normalised.words:
                df[word] = df.get(word, 0) + 1
        total = max(len(self.addresses), 1)
        self._unknown_weight = math.log(total + 1) + 1.0
        self._weights = {word: _weight(word, count, total) for word, count in df.items()}
        self._sides = [self._side(listed.normalised) for listed in self.addresses]
        postings: dict[str, list[int]] = {}
        postcodes: dict[str, list[int]] = {}
        numbers: dict[str, list[int]] = {}
        for position, listed in enumerate(self.addresses):
            for word in listed.normalised.words:
                if word not in _GENERIC and df[word] <= _MAX_POSTINGS:
                    postings.setdefault(word, []).append(position)
            if listed.normalised.postcode:
                postcodes.setdefault(listed.normalised.postcode, []).append(position)
            for number in set(listed.normalised.numbers):
                numbers.setdefault(number, []).append(position)
        self._postings = {word: tuple(ids) for word, ids in postings.items()}
        self._postcodes = {code: tuple(ids) for code, ids in postcodes.items()}
        # Numbers find candidates too (a house number and a common street name), weighted by their rarity;
        # the commonest ("1", "2") find none by themselves.
        self._numbers = {
            number: (tuple(ids), _NUMBER_SHARE * (math.log((total + 1) / (len(ids) + 1)) + 1.0))
            for number, ids in numbers.items()
            if len(ids) <= _MAX_POSTINGS
        }
        deletion: dict[str, list[str]] = {}
        for word in self._postings:
            if len(word) >= _MIN_FUZZY_LENGTH:
                for key in (word, *_deletes(word)):
                    deletion.setdefault(key, []).append(word)
        self._deletion = {key: tuple(words) for key, words in deletion.items()}

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> AddressIndex:
        """Every distinct address of every entry (`ListEntry.addresses`, "; "-separated), normalised; an
        address too vague to name a place (no street word or number beyond a city) is left out."""
        by_text: dict[str, list[ListEntry]] = {}
        for entry in entries:
            for text in _split_addresses(entry.addresses):
                holders = by_text.setdefault(text, [])
                if entry not in holders:
                    holders.append(entry)
        addresses: list[ListedAddress] = []
        vague = 0
        by_key: dict[NormalisedAddress, int] = {}
        for text, holders in by_text.items():
            normalised = normalise_address(text)
            if not _specific(normalised):
                vague += 1
                continue
            known = by_key.get(normalised)
            if known is not None:
                # The same address written the same way once normalised: one listed address, all its entries.
                merged = addresses[known]
                extra = tuple(entry for entry in holders if entry not in merged.entries)
                addresses[known] = ListedAddress(merged.text, normalised, merged.entries + extra)
                continue
            by_key[normalised] = len(addresses)
            addresses.append(ListedAddress(text, normalised, tuple(holders)))
        return cls(addresses, vague)

    def __len__(self) -> int:
        return len(self.addresses)

    def match(
        self, address: str, country: str | None = None, floor: float = 0.6, limit: int = 3
    ) -> list[AddressHit]:
        """Listed addresses `address` may be, best first, scored at least `floor` (at most `limit`).

        `country` (ISO-2) is the address's country (it wins over a country named in the text); a listed
        address in another country is never a hit."""
        key = (address, country, floor, limit)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        hits = self._match(address, country, floor, limit)
        if len(address) <= _MAX_CACHED_CHARS:
            self._cache[key] = hits
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return hits

    def _match(self, address: str, country: str | None, floor: float, limit: int) -> list[AddressHit]:
        normalised = normalise_address(address, country)
        if normalised.empty:
            return []
        query = self._side(normalised)
        scored: list[tuple[float, float, int]] = []
        for position in self._candidates(normalised):
            listed = self._sides[position]
            if not _same_country(normalised.country, listed.address.country):
                continue
            score, closeness = self._score(query, listed)
            if score >= floor:
                scored.append((score, closeness, position))
        # Among equal scores the listed address closest both ways first (the exact one, not the building's
        # other rooms).
        scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
        # Explanations for the returned hits only.
        return [
            AddressHit(
                query=address,
                listed=self.addresses[position],
                score=score,
                why=self._explain(query, self._sides[position]),
            )
            for score, _, position in scored[:limit]
        ]

    # -- internals -------------------------------------------------------------------------------------

    def _side(self, address: NormalisedAddress) -> _Side:
        weights = tuple(self._weight(word) for word in address.words)
        return _Side(
            address=address,
            weights=weights,
            present=frozenset(address.words),
            joined=frozenset(a + b for a, b in zip(address.words, address.words[1:], strict=False)),
            total=sum(weights) or 1.0,
        )

    def _weight(self, word: str) -> float:
        weight = self._weights.get(word)
        if weight is None:
            return self._unknown_weight * (0.2 if word in _GENERIC else 1.0)
        return weight

    def _candidates(self, query: NormalisedAddress) -> list[int]:
        """Listed addresses sharing a rarer word (or a one-edit neighbour of one) or the postcode, the ones
        sharing the most weight first."""
        bound: dict[int, float] = {}
        for word in query.words:
            if word in _GENERIC:
                continue
            for listed_word, credit in self._neighbours(word):
                weight = self._weights[listed_word] * credit
                for position in self._postings.get(listed_word, ()):
                    bound[position] = bound.get(position, 0.0) + weight
        if query.postcode:
            for position in self._postcodes.get(query.postcode, ()):
                bound[position] = bound.get(position, 0.0) + 1.0
        for number in set(query.numbers):
            ids, weight = self._numbers.get(number, ((), 0.0))
            for position in ids:
                bound[position] = bound.get(position, 0.0) + weight
        if not bound:
            return []
        ranked = heapq.nlargest(_MAX_SCORED, bound, key=bound.__getitem__)
        # A listed address sharing much less rare weight than the best one cannot score near it.
        best = bound[ranked[0]]
        return [position for position in ranked if bound[position] >= _CANDIDATE_SHARE * best]

    def _neighbours(self, word: str) -> list[tuple[str, float]]:
        """Listed words `word` may be: itself, or one edit away (long enough words only)."""
        found: dict[str, float] = {}
        if word in self._postings:
            found[word] = 1.0
        if len(word) >= _MIN_FUZZY_LENGTH:
            for key in (word, *_deletes(word)):
                for listed in self._deletion.get(key, ()):
                    if listed not in found and OSA.distance(word, listed, score_cutoff=1) <= 1:
                        found[listed] = _fuzzy_credit(word)
        return list(found.items())

    def _readings(self, query: _Side, listed: _Side) -> dict[str, Any]:
        """The pieces of the score of `query` against `listed`.

        Three readings, the best counts: the given address holds the listed one (every listed word and
        number is there, and more: a company name, a province); the given address is part of the listed
        one (each of its words and numbers is in the listed address, which adds a building name or a room);
        or both partly. Being part of the listed address needs the given one to identify a place by itself:
        a street name and its number, or several rarer words.
        """
        query, listed = _postcode_read_as_number(query, listed)
        listed_found = _found(listed, query)
        query_found = _found(query, listed)
        recall = listed_found.weight / listed.total
        precision = query_found.weight / query.total
        numbers = _numbers_agreement(listed.address.numbers, query.address.numbers)
        postcode_factor, postcode = _postcode_agreement(listed.address.postcode, query.address.postcode)
        specific = (_IDENTIFYING_NUMBERED if numbers["matched"] else _IDENTIFYING_BARE) * self._unknown_weight
        holds_listed = recall * numbers["listed_in_given"]
        part_of_listed = precision * numbers["given_in_listed"] * min(1.0, query_found.identifying / specific)
        both = (_WORD_RECALL_SHARE * recall + (1 - _WORD_RECALL_SHARE) * precision) * numbers["both"]
        return {
            "score": min(1.0, max(holds_listed, part_of_listed, both) * postcode_factor),
            "recall": recall,
            "precision": precision,
            "listed_found": listed_found,
            "query_found": query_found,
            "numbers": numbers,
            "postcode": postcode,
            "holds_listed": holds_listed,
            "part_of_listed": part_of_listed,
            "both": both,
        }

    def _score(self, query: _Side, listed: _Side) -> tuple[float, float]:
        """The score of `query` against `listed`, and how close the two are both ways (to break ties)."""
        found = self._readings(query, listed)
        return found["score"], found["both"]

    def _explain(self, query: _Side, listed: _Side) -> dict[str, Any]:
        """The score pieces of a hit, as decision evidence."""
        found = self._readings(query, listed)
        listed_found: _Found = found["listed_found"]
        query_found: _Found = found["query_found"]
        return {
            "words": {
                "listed_covered": round(found["recall"], 3),
                "given_explained": round(found["precision"], 3),
                "missing": [word for word in listed.address.words if word not in listed_found.words],
                "extra": [word for word in query.address.words if word not in query_found.words],
                "by_edit": list(listed_found.by_edit),
            },
            "numbers": found["numbers"],
            "postcode": found["postcode"],
            "readings": {
                "given_holds_listed": round(found["holds_listed"], 3),
                "given_part_of_listed": round(found["part_of_listed"], 3),
                "both_ways": round(found["both"], 3),
            },
            "country": listed.address.country,
        }


# Hong Kong and Macau addresses are listed under CN as often as under their own codes (the EAR treats Hong
# Kong as China): for the country gate the three are one.
_COUNTRY_GATE = {"HK": "CN", "MO": "CN"}


def _same_country(given: str | None, listed: str | None) -> bool:
    """Whether two countries may be the same place: equal, one unknown, or both China, Hong Kong or Macau."""
    if given is None or listed is None:
        return True
    return _COUNTRY_GATE.get(given, given) == _COUNTRY_GATE.get(listed, listed)


def _split_addresses(text: str | None) -> list[str]:
    """The addresses of one entry's `addresses` field: "; "-separated, each ending with its country."""
    if not text:
        return []
    return [part.strip() for part in text.split(";") if "," in part and part.strip()]


def _specific(address: NormalisedAddress) -> bool:
    """Whether an address names a place more precisely than a city: a number or postcode and a word that
    is not an address word, or at least three such words (a named square, estate or building)."""
    names = [word for word in address.words if word not in _GENERIC]
    if address.numbers or address.postcode:
        return len(names) >= 1 and len(address.words) >= 2
    return len(names) >= 3


def _weight(word: str, df: int, total: int) -> float:
    idf = math.log((total + 1) / (df + 1)) + 1.0
    return idf * (0.2 if word in _GENERIC else 1.0)


def _fuzzy_credit(word: str) -> float:
    return _LONG_FUZZY_CREDIT if len(word) >= 8 else _FUZZY_CREDIT


def _deletes(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _found(side: _Side, other: _Side) -> _Found:
    """Which words of `side` appear in `other`: as they are, written together with their neighbour or split
    in two there ("wangtung" / "wang tung"), or one edit away (words of five letters or more, at a
    discount)."""
    weight = identifying = 0.0
    found: list[str] = []
    by_edit: list[str] = []
    words = side.address.words
    for index, word in enumerate(words):
        credit = 0.0
        joined_here = (index + 1 < len(words) and word + words[index + 1] in other.present) or (
            index > 0 and words[index - 1] + word in other.present
        )
        if word in other.present or word in other.joined or joined_here:
            credit = 1.0
        elif (
            len(word) >= _MIN_FUZZY_LENGTH
            and word not in _GENERIC
            and extractOne(word, other.address.words, scorer=OSA.distance, score_cutoff=1) is not None
        ):
            credit = _fuzzy_credit(word)
            by_edit.append(word)
        if credit:
            found.append(word)
            weight += side.weights[index] * credit
            if word not in _GENERIC:
                identifying += side.weights[index] * credit
    return _Found(weight, identifying, frozenset(found), tuple(by_edit))


def _numbers_agreement(listed: Sequence[str], given: Sequence[str]) -> dict[str, Any]:
    """How far the house, building and room numbers agree (as multisets), as factors for each reading.

    Numbers on both sides and none shared: another building (0.5 whichever way). A number of one side that
    the other lacks costs 0.3 of its share when the other side has nothing in its place, and a flat 0.25 when
    it has another number instead (another room of the building, another house on the street: a conflict).
    The listed address without numbers though the given one has some: a place inside the listed area, not
    shown to be the listed place (0.7). The given address without numbers: 0.8."""
    matched, missing, extra = _compare_numbers(listed, given)
    conflicts = min(len(missing), len(extra))
    if listed and given and not matched:
        listed_in_given = given_in_listed = both = 0.5
    else:
        if not listed:
            listed_in_given = 0.7 if given else 1.0
        elif not given:
            listed_in_given = 0.8
        else:
            listed_in_given = 1.0 - 0.3 * (len(missing) - conflicts) / len(listed) - 0.25 * conflicts
        if not given:
            given_in_listed = 0.8 if listed else 1.0
        elif not listed:
            given_in_listed = 0.7
        else:
            given_in_listed = 1.0 - 0.3 * (len(extra) - conflicts) / len(given) - 0.25 * conflicts
        both = min(listed_in_given, given_in_listed)
    return {
        "listed": list(listed),
        "matched": matched,
        "missing": missing,
        "extra": extra,
        "conflicting": conflicts,
        "listed_in_given": round(max(listed_in_given, 0.0), 3),
        "given_in_listed": round(max(given_in_listed, 0.0), 3),
        "both": round(max(both, 0.0), 3),
    }


def _compare_numbers(listed: Sequence[str], given: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(matched, missing from the given address, extra in the given address), counting repeats."""
    unmatched = list(given)
    matched: list[str] = []
    missing: list[str] = []
    for number in listed:
        if number in unmatched:
            unmatched.remove(number)
            matched.append(number)
        else:
            missing.append(number)
    return matched, missing, unmatched


def _postcode_read_as_number(query: _Side, listed: _Side) -> tuple[_Side, _Side]:
    """The two sides with a postcode that one side wrote where no postcode was recognised (among the numbers:
    "... Mugla 48200" run together, or the postcode first) taken as the postcode there too."""
    given, held = query.address, listed.address
    if held.postcode and not given.postcode and held.postcode in given.numbers:
        given = replace(given, postcode=held.postcode, numbers=_without_one(given.numbers, held.postcode))
        return replace(query, address=given), listed
    if given.postcode and not held.postcode and given.postcode in held.numbers:
        held = replace(held, postcode=given.postcode, numbers=_without_one(held.numbers, given.postcode))
        return query, replace(listed, address=held)
    return query, listed


def _without_one(numbers: tuple[str, ...], number: str) -> tuple[str, ...]:
    index = numbers.index(number)
    return numbers[:index] + numbers[index + 1 :]


def _postcode_agreement(listed: str | None, given: str | None) -> tuple[float, dict[str, Any]]:
    """Equal postcodes support the match a little; different ones break it; a missing one is neutral."""
    if listed is None or given is None:
        return 1.0, {"listed": listed, "given": given, "agrees": None}
    agrees = listed == given
    return (1.05 if agrees else 0.6), {"listed": listed, "given": given, "agrees": agrees}
