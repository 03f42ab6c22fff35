"""The product catalogue: accelerator and HBM models with the parameters that classify them.

Product strings on events ("H100-SXM5-80GB", "NVIDIA A100 80GB PCIe", "HGX H100 8-GPU") resolve to one
catalogue row. Pure: the catalogue is built from rows (or CSV text) handed in by an adapter.

Resolution works on tokens. Text is lower-cased and split into letter runs and digit runs, so "RTX4090D",
"RTX 4090 D" and "rtx-4090-d" give the same tokens; memory sizes ("80GB") and generation digits of form
factors ("SXM5") are dropped first; vendor and family words ("NVIDIA", "GeForce") are ignored. An alias
matches where its tokens appear contiguously in the product string; the longest matching alias wins, so
"H100 PCIe" beats "H100". A match is refused when the string glues more letters or digits onto it
("RTX 4090D" is not "RTX 4090", "Ascend 910C" is not "Ascend 910"), and when words that are neither
benign (form factor, server, packaging) nor a vendor name are left over, so "Office chair T4" stays unknown.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

KIND_ACCELERATOR = "accelerator"
KIND_HBM = "hbm"

CSV_COLUMNS = (
    "model",
    "vendor",
    "aliases",
    "tpp",
    "die_area_mm2",
    "performance_density",
    "datacenter",
    "memory_bandwidth_gbs",
    "interconnect_gbs",
    "kind",
    "prc_designed",
    "hbm_density",
    "source",
    "confidence",
)

# Words that name a vendor or a product family: ignored for matching, and they vouch for a product string
# that carries extra words ("NVIDIA H100 NVL 94GB" still resolves through "H100").
VENDOR_WORDS = frozenset(
    {
        "nvidia",
        "amd",
        "intel",
        "habana",
        "huawei",
        "hisilicon",
        "google",
        "amazon",
        "aws",
        "microsoft",
        "meta",
        "baidu",
        "kunlunxin",
        "cambricon",
        "biren",
        "metax",
        "iluvatar",
        "corex",
        "moore",
        "threads",
        "hygon",
        "alibaba",
        "geforce",
        "tesla",
        "instinct",
        "radeon",
        "sk",
        "hynix",
        "samsung",
        "micron",
    }
)

# Words that may surround a model name without changing the model.
BENIGN_WORDS = frozenset(
    {
        "pcie",
        "sxm",
        "nvl",
        "oam",
        "mezzanine",
        "gpu",
        "gpus",
        "card",
        "cards",
        "board",
        "boards",
        "baseboard",
        "module",
        "modules",
        "accelerator",
        "accelerators",
        "chip",
        "chips",
        "stack",
        "stacks",
        "tensor",
        "core",
        "datacenter",
        "data",
        "center",
        "centre",
        "edition",
        "graphics",
        "hbm",
        "memory",
        "x",
        "way",
        "with",
        "and",
        "of",
        "for",
        "pcs",
        "units",
        "unit",
        "new",
        "oem",
        "retail",
        "bulk",
        "passive",
        "active",
        "cooling",
        "fan",
    }
)

# Words that make a product string a server or system (ECCN 4A090 family); HGX/DGX carry 8 GPUs by default.
SERVER_WORDS = frozenset(
    {"hgx", "dgx", "server", "servers", "system", "systems", "node", "nodes", "rack", "superpod", "chassis"}
)
EIGHT_GPU_PLATFORMS = frozenset({"hgx", "dgx"})

_MEMORY_SIZE = re.compile(r"(?<![a-z0-9.])\d+(?:\.\d+)?\s*(?:gb|gib|tb|g)(?![a-z0-9])")
_FORM_FACTOR_GENERATION = re.compile(r"\b(sxm|oam)\d\b")
_GLUED_MULTIPLIER = re.compile(r"(?<![a-z0-9.])(\d+)x(?=[a-z])")  # "8xh100" -> "8 x h100"
_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Token:
    """One letter run or digit run of a product string; `glued` when no separator precedes it."""

    text: str
    glued: bool


def _clean(text: str) -> str:
    lowered = text.casefold().replace("×", "x")
    lowered = _MEMORY_SIZE.sub(" ", lowered)
    lowered = _GLUED_MULTIPLIER.sub(r"\1 x ", lowered)
    return _FORM_FACTOR_GENERATION.sub(r"\1", lowered)


def tokenize(text: str) -> tuple[Token, ...]:
    """Tokens of `text` after dropping memory sizes and form-factor generations; vendor words kept."""
    cleaned = _clean(text)
    tokens: list[Token] = []
    previous_end = -1
    for found in _TOKEN.finditer(cleaned):
        tokens.append(Token(found.group(), glued=found.start() == previous_end))
        previous_end = found.end()
    return tuple(tokens)


@lru_cache(maxsize=1 << 14)
def alias_key(alias: str) -> tuple[str, ...]:
    """The token sequence an alias is indexed under (vendor and family words dropped).

    Cached: the rules read the same product names and model aliases for every line of every event."""
    return tuple(token.text for token in tokenize(alias) if token.text not in VENDOR_WORDS)


def _optional_float(value: str | float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, float):
        return value
    text = value.strip()
    return float(text) if text else None


def _optional_bool(value: str | bool | None) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = value.strip().casefold()
    if not text:
        return None
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True, slots=True)
class Chip:
    """One catalogue row: an accelerator model (or an HBM stack) and its classification parameters.

    `tpp` is Total Processing Performance (dense, highest-TPP precision); `performance_density` is TPP per
    mm² of FinFET logic die; `interconnect_gbs` is aggregate bidirectional I/O (the Oct-2022 test);
    `hbm_density` is memory bandwidth per mm² of package (3A090.c).
    """

    model: str
    vendor: str
    aliases: tuple[str, ...]
    tpp: float | None
    die_area_mm2: float | None
    performance_density: float | None
    datacenter: bool | None
    memory_bandwidth_gbs: float | None
    interconnect_gbs: float | None
    kind: str
    prc_designed: bool
    hbm_density: float | None
    source: str
    confidence: str

    @property
    def is_hbm(self) -> bool:
        """Whether the row is a high-bandwidth-memory stack rather than a processor."""
        return self.kind == KIND_HBM

    @staticmethod
    def from_row(row: Mapping[str, str]) -> Chip:
        """A chip from one CSV row (all values as text, empty meaning unknown)."""
        aliases = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
        kind = row.get("kind", "").strip() or KIND_ACCELERATOR
        if kind not in (KIND_ACCELERATOR, KIND_HBM):
            raise ValueError(f"catalogue row {row.get('model')!r}: unknown kind {kind!r}")
        return Chip(
            model=row["model"].strip(),
            vendor=row.get("vendor", "").strip(),
            aliases=aliases,
            tpp=_optional_float(row.get("tpp")),
            die_area_mm2=_optional_float(row.get("die_area_mm2")),
            performance_density=_optional_float(row.get("performance_density")),
            datacenter=_optional_bool(row.get("datacenter")),
            memory_bandwidth_gbs=_optional_float(row.get("memory_bandwidth_gbs")),
            interconnect_gbs=_optional_float(row.get("interconnect_gbs")),
            kind=kind,
            prc_designed=bool(_optional_bool(row.get("prc_designed"))),
            hbm_density=_optional_float(row.get("hbm_density")),
            source=row.get("source", "").strip(),
            confidence=row.get("confidence", "").strip(),
        )


@dataclass(frozen=True, slots=True)
class CatalogueMatch:
    """A product string resolved to a chip: which alias matched, how many chips, whether it is a system."""

    chip: Chip
    alias: str
    count: int = 1
    server: bool = False


@dataclass(frozen=True, slots=True)
class _Candidate:
    chip: Chip
    alias: str
    start: int
    length: int


def _rank(candidate: _Candidate) -> tuple[int, float]:
    """Longest alias first; between equally long matches, the more capable chip (the conservative one)."""
    return (candidate.length, candidate.chip.tpp or 0.0)


class Catalogue:
    """The shipped product catalogue, indexed by normalised alias token sequences."""

    def __init__(self, chips: Sequence[Chip]) -> None:
        index: dict[tuple[str, ...], tuple[Chip, str]] = {}
        models: set[str] = set()
        for chip in chips:
            if chip.model in models:
                raise ValueError(f"catalogue lists model {chip.model!r} twice")
            models.add(chip.model)
            for alias in (chip.model, *chip.aliases):
                key = alias_key(alias)
                if not key:
                    raise ValueError(f"catalogue alias {alias!r} of {chip.model!r} has no model tokens")
                held = index.get(key)
                if held is not None and held[0].model != chip.model:
                    raise ValueError(
                        f"catalogue alias {alias!r} of {chip.model!r} collides with "
                        f"{held[1]!r} of {held[0].model!r}"
                    )
                if held is None:
                    index[key] = (chip, alias)
        self._chips = tuple(chips)
        self._index = index
        self._longest = max((len(key) for key in index), default=0)

    @property
    def chips(self) -> tuple[Chip, ...]:
        """Every row, in catalogue order."""
        return self._chips

    def __len__(self) -> int:
        return len(self._chips)

    def model(self, name: str) -> Chip | None:
        """The row whose model name is exactly `name`."""
        return next((chip for chip in self._chips if chip.model == name), None)

    @staticmethod
    def from_rows(rows: Iterable[Mapping[str, str]]) -> Catalogue:
        """A catalogue from CSV-like rows (see `CSV_COLUMNS`)."""
        return Catalogue([Chip.from_row(row) for row in rows])

    @staticmethod
    def from_csv_text(text: str) -> Catalogue:
        """A catalogue from the text of `catalogue.csv`."""
        return Catalogue.from_rows(csv.DictReader(io.StringIO(text)))

    def lookup(self, product: str) -> CatalogueMatch | None:
        """Resolve a product string to its most specific catalogue row, or None when nothing fits."""
        tokens = tokenize(product)
        words = [token.text for token in tokens]
        best: _Candidate | None = None
        for start in range(len(tokens)):
            if words[start] in VENDOR_WORDS:
                continue
            if start > 0 and tokens[start].glued:
                continue  # "gh100" must not match "h100"
            candidate = self._longest_at(tokens, start)
            if candidate is None:
                continue
            if best is None or _rank(candidate) > _rank(best):
                best = candidate
        if best is None:
            return None
        return self._accept(best, tokens)

    def _longest_at(self, tokens: Sequence[Token], start: int) -> _Candidate | None:
        """The longest alias whose tokens (vendor words skipped) begin at `start` and end on a boundary."""
        found: _Candidate | None = None
        key: list[str] = []
        position = start
        while position < len(tokens) and len(key) < self._longest:
            word = tokens[position].text
            position += 1
            if word in VENDOR_WORDS:
                continue
            key.append(word)
            held = self._index.get(tuple(key))
            if held is None:
                continue
            ends_cleanly = position == len(tokens) or not tokens[position].glued
            if ends_cleanly:
                found = _Candidate(chip=held[0], alias=held[1], start=start, length=position - start)
        return found

    def _accept(self, candidate: _Candidate, tokens: Sequence[Token]) -> CatalogueMatch | None:
        """Read count and server words around the match; refuse matches amid unexplained words."""
        words = [token.text for token in tokens]
        end = candidate.start + candidate.length
        consumed = set(range(candidate.start, end))
        count: int | None = None
        explicit_system = False
        # "8x H100", "8 × H100"
        before = candidate.start
        if before >= 2 and words[before - 1] == "x" and words[before - 2].isdigit():
            count = int(words[before - 2])
            consumed.update({before - 1, before - 2})
        # "H100 x8"
        if end + 1 < len(words) and words[end] == "x" and words[end + 1].isdigit():
            count = int(words[end + 1])
            consumed.update({end, end + 1})
        for position, word in enumerate(words):
            following = words[position + 1] if position + 1 < len(words) else ""
            # "8-GPU", "8 GPUs", "8-way"
            if word.isdigit() and following in ("gpu", "gpus", "way"):
                count = int(word)
                explicit_system = True
                consumed.update({position, position + 1})
            # "NVL72"
            if word == "nvl" and following.isdigit():
                count = int(following)
                explicit_system = True
                consumed.update({position, position + 1})
        server_words = {word for word in words if word in SERVER_WORDS}
        leftover = [
            word
            for position, word in enumerate(words)
            if position not in consumed
            and word not in VENDOR_WORDS
            and word not in BENIGN_WORDS
            and word not in SERVER_WORDS
        ]
        if leftover and not any(word in VENDOR_WORDS for word in words):
            return None
        server = bool(server_words) or explicit_system
        if candidate.chip.is_hbm:
            server = False
        if count is None:
            count = 8 if server_words & EIGHT_GPU_PLATFORMS else 1
        return CatalogueMatch(chip=candidate.chip, alias=candidate.alias, count=max(count, 1), server=server)
