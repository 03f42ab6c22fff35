"""Build `services/screening/data/catalogue.csv`, the product catalogue the screener ships.

Usage (from the repository root):

    python scripts/build_catalogue.py [CHIPS_DIR] [--output PATH]

CHIPS_DIR defaults to `../shared/data/chips` and must hold:
- `chips_tpp_2026.csv`: our chip table, the primary source (TPP, FinFET logic die area, PD, confidence);
- `epoch_ml_hardware_2025-12.csv`: Epoch AI, "Data on Machine Learning Hardware" (CC BY 4.0).

Rows: every row of our table that has a TPP, enriched with curated memory and interconnect figures; then
every datacenter accelerator of the Epoch dataset with a TPP that our table does not cover; then a few HBM
stacks for 3A090.c. The output is deterministic (fixed order, fixed number formatting, "\\n" line ends) and
is checked by loading it with the screener's own `Catalogue`, so alias collisions fail the build.
`CATALOGUE_SOURCES.md` next to the output explains every column and source.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "services"))

from screening.domain.catalogue import (  # noqa: E402  (path set above so the script runs without install)
    BENIGN_WORDS,
    CSV_COLUMNS,
    Catalogue,
    alias_key,
)

OUR_TABLE = "chips_tpp_2026.csv"
EPOCH_TABLE = "epoch_ml_hardware_2025-12.csv"
EPOCH_CREDIT = "Epoch AI, Data on Machine Learning Hardware (CC BY 4.0), snapshot 2025-12-16"

PRC_VENDORS = (
    "Huawei",
    "Biren",
    "Cambricon",
    "Kunlunxin",
    "Baidu",
    "MetaX",
    "Iluvatar",
    "Moore Threads",
    "Hygon",
    "Alibaba",
    "National University of Defense Technology",
    "Enflame",
    "Sunway",
)


@dataclass(frozen=True)
class Curated:
    """Figures our table lacks, from public datasheets (or the matching Epoch row), with their source."""

    aliases: tuple[str, ...]
    datacenter: bool
    memory_bandwidth_gbs: float | None
    interconnect_gbs: float | None
    figures_source: str
    epoch_names: tuple[str, ...] = ()  # Epoch rows this model covers (not added again)


_PCIE4 = "PCIe 4.0 x16 only, 64 GB/s bidirectional (no NVLink)"
CURATED: dict[str, Curated] = {
    "A100": Curated(
        ("A100 PCIe", "A100 SXM4", "GA100"),
        True,
        2039,
        600,
        "bandwidth: Epoch (A100 SXM4 80 GB); interconnect: NVIDIA A100 datasheet, NVLink 3 600 GB/s",
        ("NVIDIA A100", "NVIDIA A100 PCIe", "NVIDIA A100 SXM4 40 GB", "NVIDIA A100 SXM4 80 GB"),
    ),
    "A800": Curated(
        ("A800 PCIe", "A800 SXM4"),
        True,
        2040,
        400,
        "bandwidth: Epoch (A800 SXM); interconnect: NVIDIA A800 datasheet, NVLink 400 GB/s",
        ("NVIDIA A800 SXM", "NVIDIA A800 PCIe 40 GB", "NVIDIA A800 PCIe 80 GB"),
    ),
    "H100 SXM": Curated(
        ("H100", "H100 SXM5", "GH100"),
        True,
        3350,
        900,
        "bandwidth and interconnect: Epoch (H100 SXM5 80GB); NVIDIA H100 datasheet, NVLink 4 900 GB/s",
        ("NVIDIA H100 SXM5 80GB", "NVIDIA GH100"),
    ),
    "H100 PCIe": Curated(
        (),
        True,
        2040,
        600,
        "bandwidth and interconnect: Epoch (H100 PCIe); NVIDIA H100 PCIe datasheet, NVLink bridge 600 GB/s",
        ("NVIDIA H100 PCIe",),
    ),
    "H800 SXM": Curated(
        ("H800", "H800 SXM5"),
        True,
        3360,
        400,
        "bandwidth: Epoch (H800 SXM5); interconnect: NVLink cut to 400 GB/s (theregister.com 2023-11-27)",
        ("NVIDIA H800 SXM5",),
    ),
    "H200": Curated(
        ("H200 SXM",),
        True,
        4800,
        900,
        "bandwidth: Epoch (H200 SXM), NVIDIA H200 datasheet 4.8 TB/s; interconnect: NVLink 4 900 GB/s",
        ("NVIDIA H200 SXM",),
    ),
    "H20": Curated(
        ("H20 SXM",),
        True,
        4000,
        900,
        "bandwidth: Epoch (HGX H20) 4.0 TB/s; interconnect: NVLink 900 GB/s (NVIDIA HGX H20 spec)",
        ("NVIDIA HGX H20",),
    ),
    "L40S": Curated((), True, 864, 64, f"bandwidth: NVIDIA L40S datasheet 864 GB/s; interconnect: {_PCIE4}"),
    "L40": Curated(
        (),
        True,
        864,
        64,
        f"bandwidth: Epoch (L40); interconnect: {_PCIE4}",
        ("NVIDIA L40",),
    ),
    "L20": Curated(
        ("L20 PCIe",),
        True,
        864,
        64,
        f"bandwidth: Epoch (L20 PCIe); interconnect: {_PCIE4}",
        ("NVIDIA L20 PCle",),
    ),
    "L4": Curated(
        (),
        True,
        300,
        64,
        f"bandwidth: Epoch (L4); interconnect: {_PCIE4}",
        ("NVIDIA L4",),
    ),
    "L2": Curated(
        ("L2 PCIe",),
        True,
        300,
        64,
        f"bandwidth: Epoch (L2 PCIe); interconnect: {_PCIE4}",
        ("NVIDIA L2 PCle",),
    ),
    "GeForce RTX 4090": Curated(
        ("RTX 4090",),
        False,
        1008,
        64,
        f"bandwidth: Epoch (GeForce RTX 4090); interconnect: {_PCIE4}",
        ("NVIDIA GeForce RTX 4090",),
    ),
    "GeForce RTX 4090 D": Curated(
        ("RTX 4090 D", "RTX 4090D"),
        False,
        1008,
        64,
        f"bandwidth: NVIDIA RTX 4090 D spec 1008 GB/s (same memory as RTX 4090); interconnect: {_PCIE4}",
    ),
    "GeForce RTX 4080": Curated(
        ("RTX 4080",),
        False,
        716.8,
        64,
        f"bandwidth: Epoch (GeForce RTX 4080); interconnect: {_PCIE4}",
        ("NVIDIA GeForce RTX 4080",),
    ),
    "B200": Curated(
        ("B200 SXM",),
        True,
        7700,
        1800,
        "bandwidth: Epoch (B200); interconnect: NVIDIA Blackwell datasheet, NVLink 5 1.8 TB/s",
        ("NVIDIA B200",),
    ),
    "GB200 (per Blackwell GPU)": Curated(
        ("GB200",),
        True,
        8000,
        1800,
        "bandwidth: Epoch (GB200); interconnect: NVIDIA GB200 datasheet, NVLink 5 1.8 TB/s per GPU",
        ("NVIDIA GB200",),
    ),
    "Instinct MI250X": Curated(
        ("MI250X",),
        True,
        3280,
        800,
        "bandwidth and interconnect: Epoch (Radeon Instinct MI250X), Infinity Fabric 800 GB/s",
        ("AMD Radeon Instinct MI250X",),
    ),
    "Instinct MI300X": Curated(
        ("MI300X",),
        True,
        5300,
        896,
        "bandwidth: Epoch (Instinct MI300X); interconnect: AMD datasheet, 7 x 128 GB/s Infinity Fabric",
        ("AMD Instinct MI300X",),
    ),
    "Instinct MI325X": Curated(
        ("MI325X",),
        True,
        6000,
        896,
        "bandwidth: Epoch (Instinct MI325X); interconnect: AMD datasheet, 7 x 128 GB/s Infinity Fabric",
        ("AMD Instinct MI325X",),
    ),
    "Gaudi 2": Curated(
        ("Gaudi2", "Habana Gaudi 2"),
        True,
        2450,
        600,
        "bandwidth: Epoch (Habana Gaudi2); interconnect: Intel Gaudi 2 datasheet, 24 x 100 GbE RoCE",
        ("Intel Habana Gaudi2",),
    ),
    "Gaudi 3": Curated(
        ("Gaudi3", "Habana Gaudi 3"),
        True,
        3700,
        1200,
        "bandwidth: Epoch (Habana Gaudi3); interconnect: Intel Gaudi 3 white paper, 24 x 200 GbE RoCE",
        ("Intel Habana Gaudi3",),
    ),
    "Ascend 910": Curated(
        ("Ascend 910A",),
        True,
        1288,
        270,
        "bandwidth: Epoch (Ascend 910); interconnect: Epoch (Ascend 910A) HCCS 270 GB/s",
        ("Huawei Ascend 910", "Huawei Ascend 910A"),
    ),
    "Ascend 910B": Curated(
        (),
        True,
        1228,
        392,
        "bandwidth and interconnect: Epoch (Ascend 910B)",
        ("Huawei Ascend 910B",),
    ),
}

# Epoch rows left out, with the reason (listed in CATALOGUE_SOURCES.md).
EPOCH_EXCLUDED = {
    "AMD Radeon Instinct MI300": "TPP equals the MI250X figure; Epoch lists MI300X and MI300A separately",
    "Sunway SW26010-Pro": "a CPU, not an accelerator",
}
_CONSUMER_NAME = re.compile(r"geforce|radeon rx|titan|quadro|rtx a\d|rtx \d+ ada", re.IGNORECASE)
_NOT_ACCELERATOR_TYPES = {"Hybrid CPU"}

# Interconnect for Epoch-only rows where Epoch gives none (aggregate bidirectional, public datasheets).
EPOCH_INTERCONNECT = {
    "NVIDIA H100 NVL": (600, "NVIDIA H100 NVL datasheet, NVLink bridge 600 GB/s"),
    "NVIDIA GH200": (900, "NVIDIA GH200 datasheet, NVLink 4 900 GB/s"),
    "NVIDIA B100": (1800, "NVIDIA Blackwell datasheet, NVLink 5 1.8 TB/s"),
}
EPOCH_VENDOR_FALLBACK = {"GroqChip LPU v1": "Groq"}
_VENDOR_PREFIXES = {
    "nvidia",
    "amd",
    "google",
    "intel",
    "huawei",
    "amazon",
    "aws",
    "baidu",
    "meta",
    "cambricon",
    "biren",
    "metax",
}

# HBM stacks for 3A090.c: bandwidth = pin rate x 1024-bit interface / 8; package area ~11 mm x 10 mm.
HBM_ROWS = (
    {
        "model": "HBM3E stack",
        "vendor": "SK hynix / Samsung / Micron",
        "aliases": ("HBM3E", "HBM3E 8-Hi", "HBM3E 12-Hi", "HBM3E 8H", "HBM3E 12H"),
        "bandwidth": 1177.6,
        "area": 110.0,
        "source": "SK hynix HBM3E announcement (9.2 Gb/s per pin x 1024 bits = 1177.6 GB/s); "
        "package ~11 x 10 mm (estimate); BIS: every HBM stack in production exceeds 2 GB/s/mm2 (89 FR 96790)",
    },
    {
        "model": "HBM3 stack",
        "vendor": "SK hynix / Samsung / Micron",
        "aliases": ("HBM3",),
        "bandwidth": 819.2,
        "area": 110.0,
        "source": "JESD238 HBM3 6.4 Gb/s per pin x 1024 bits = 819.2 GB/s; package ~11 x 10 mm (estimate); "
        "89 FR 96790",
    },
    {
        "model": "HBM2E stack",
        "vendor": "SK hynix / Samsung / Micron",
        "aliases": ("HBM2E",),
        "bandwidth": 460.8,
        "area": 110.0,
        "source": "HBM2E 3.6 Gb/s per pin x 1024 bits = 460.8 GB/s; package ~11 x 10 mm (estimate); "
        "89 FR 96790",
    },
)

# Spellings that must resolve (issue 5); the build fails if one does not.
REQUIRED_SPELLINGS = {
    "NVIDIA H100 SXM 80GB": "H100 SXM",
    "H100-SXM5-80GB": "H100 SXM",
    "HGX H100 8-GPU": "H100 SXM",
    "NVIDIA A100 80GB PCIe": "A100",
    "A100 40GB": "A100",
    "A800": "A800",
    "RTX 4090 D": "GeForce RTX 4090 D",
    "GeForce RTX 4090": "GeForce RTX 4090",
    "L40S": "L40S",
    "Ascend 910B": "Ascend 910B",
    "MI300X": "Instinct MI300X",
    "B200": "B200",
    "H20": "H20",
    "H200": "H200",
    "L20": "L20",
    "L4": "L4",
}


@dataclass
class Row:
    """One output row before formatting; `priority` orders alias ownership (lower wins)."""

    model: str
    vendor: str
    aliases: list[str]
    tpp: float | None
    die_area_mm2: float | None
    datacenter: bool | None
    memory_bandwidth_gbs: float | None
    interconnect_gbs: float | None
    kind: str
    prc_designed: bool
    hbm_density: float | None
    source: str
    confidence: str
    priority: int
    notes: list[str] = field(default_factory=list)

    @property
    def performance_density(self) -> float | None:
        if self.tpp is None or not self.die_area_mm2:
            return None
        return self.tpp / self.die_area_mm2


def number(value: float | None) -> str:
    """Fixed formatting: integers without a decimal point, others rounded to two decimals."""
    if value is None:
        return ""
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0")


def boolean(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def optional_float(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def is_prc(vendor: str) -> bool:
    return any(vendor.casefold().startswith(name.casefold()) for name in PRC_VENDORS)


def our_rows(path: Path, report: list[str]) -> list[Row]:
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            model = record["model"].strip()
            tpp = optional_float(record["tpp"])
            if tpp is None:
                report.append(f"skipped (no TPP in {OUR_TABLE}): {record['vendor']} {model}")
                continue
            curated = CURATED.get(model)
            if curated is None:
                raise SystemExit(f"{OUR_TABLE}: no curated figures for {model!r}; add it to CURATED")
            die = optional_float(record["die_area_mm2"])
            row = Row(
                model=model,
                vendor=record["vendor"].strip(),
                aliases=list(curated.aliases),
                tpp=tpp,
                die_area_mm2=die,
                datacenter=curated.datacenter,
                memory_bandwidth_gbs=curated.memory_bandwidth_gbs,
                interconnect_gbs=curated.interconnect_gbs,
                kind="accelerator",
                prc_designed=is_prc(record["vendor"]),
                hbm_density=None,
                source=f"{record['source'].strip()}; {curated.figures_source}",
                confidence=record["confidence"].strip(),
                priority=0,
            )
            given_pd = optional_float(record["performance_density"])
            computed = row.performance_density
            if given_pd is not None and computed is not None and abs(round(computed, 2) - given_pd) > 0.005:
                report.append(
                    f"{model}: table PD {given_pd} vs TPP/die {computed:.4f} (catalogue uses TPP/die)"
                )
            rows.append(row)
    return rows


def epoch_model_name(name: str) -> str:
    """Epoch's name without a leading vendor word or a memory size ("NVIDIA Tesla V100 PCIe 32 GB")."""
    first, _, rest = name.partition(" ")
    model = rest if first.casefold() in _VENDOR_PREFIXES and rest else name
    return re.sub(r"\s*\b\d+\s*GB\b", "", model).strip()


def epoch_rows(path: Path, covered: set[str], report: list[str]) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    candidates: list[Row] = []
    for record in records:
        name = record["Hardware name"].strip()
        tpp_bits = optional_float(record["Total processing performance (bit-OP/s)"])
        if name in covered or tpp_bits is None:
            continue
        if name in EPOCH_EXCLUDED:
            report.append(f"Epoch row left out: {name} ({EPOCH_EXCLUDED[name]})")
            continue
        if _CONSUMER_NAME.search(name) or record["Type"].strip() in _NOT_ACCELERATOR_TYPES:
            continue  # consumer, workstation or CPU parts: not datacenter accelerators
        vendor = record["Manufacturer"].strip() or EPOCH_VENDOR_FALLBACK.get(name, "")
        bandwidth = optional_float(record["Memory bandwidth (byte/s)"])
        intranode = optional_float(record["Intranode bandwidth (byte/s)"])
        interconnect = intranode / 1e9 if intranode is not None else None
        source = f"{EPOCH_CREDIT}: {name}"
        if interconnect is None and name in EPOCH_INTERCONNECT:
            interconnect, why = EPOCH_INTERCONNECT[name]
            source += f"; interconnect: {why}"
        model = epoch_model_name(name)
        candidates.append(
            Row(
                model=model,
                vendor=vendor,
                aliases=[],
                tpp=tpp_bits / 1e12,
                die_area_mm2=optional_float(record["Die Size (mm^2)"]),
                datacenter=True,
                memory_bandwidth_gbs=bandwidth / 1e9 if bandwidth is not None else None,
                interconnect_gbs=interconnect,
                kind="accelerator",
                prc_designed=is_prc(vendor),
                hbm_density=None,
                source=source,
                confidence="M",
                priority=1,
            )
        )
    # Rows that differ only by memory size or form-factor generation ("V100 SXM2 16 GB" / "SXM3 32 GB")
    # are one model for screening: keep the most capable, name the others in the source.
    merged: dict[tuple[str, ...], Row] = {}
    for row in sorted(candidates, key=lambda r: (-(r.tpp or 0.0), r.model.casefold())):
        key = alias_key(row.model)
        kept = merged.get(key)
        if kept is None:
            merged[key] = row
            continue
        kept.aliases.append(row.model)
        kept.source += f"; also {row.source.removeprefix(EPOCH_CREDIT + ': ')}"
        if row.tpp != kept.tpp:
            report.append(
                f"Epoch rows merged with different TPP: {kept.model} {kept.tpp} / {row.model} {row.tpp}"
            )
    for row in merged.values():
        without_parenthesis = re.sub(r"\s*\([^)]*\)", "", row.model).strip()
        without_benign = " ".join(
            word for word in re.split(r"\s+", without_parenthesis) if word.casefold() not in BENIGN_WORDS
        )
        row.aliases.extend([without_parenthesis, without_benign])
    return sorted(merged.values(), key=lambda r: (r.vendor.casefold(), r.model.casefold()))


def hbm_rows() -> list[Row]:
    return [
        Row(
            model=str(spec["model"]),
            vendor=str(spec["vendor"]),
            aliases=list(spec["aliases"]),
            tpp=None,
            die_area_mm2=None,
            datacenter=None,
            memory_bandwidth_gbs=float(spec["bandwidth"]),  # type: ignore[arg-type]
            interconnect_gbs=None,
            kind="hbm",
            prc_designed=False,
            hbm_density=float(spec["bandwidth"]) / float(spec["area"]),  # type: ignore[arg-type]
            source=str(spec["source"]),
            confidence="L",
            priority=0,
        )
        for spec in HBM_ROWS
    ]


def assign_aliases(rows: list[Row], report: list[str]) -> None:
    """Give every alias key to exactly one row: our table first, then the row it names, then higher TPP."""
    owner: dict[tuple[str, ...], Row] = {}

    def rank(row: Row, key: tuple[str, ...]) -> tuple[int, int, float, str]:
        return (
            row.priority,
            0 if alias_key(row.model) == key else 1,
            -(row.tpp or 0.0),
            row.model.casefold(),
        )

    for row in rows:
        for alias in [row.model, *row.aliases]:
            key = alias_key(alias)
            held = owner.get(key)
            if held is None or rank(row, key) < rank(held, key):
                owner[key] = row
    for row in rows:
        if owner[alias_key(row.model)] is not row:
            raise SystemExit(
                f"model name {row.model!r} is also an alias of {owner[alias_key(row.model)].model!r}"
            )
        kept: list[str] = []
        seen = {alias_key(row.model)}
        for alias in row.aliases:
            key = alias_key(alias)
            if key in seen:
                continue
            seen.add(key)
            if owner[key] is row:
                kept.append(alias)
            elif row.priority > 0 and owner[key].priority == 0:
                pass  # a short Epoch spelling our table already owns ("H100" from "H100 NVL")
            else:
                report.append(f"alias {alias!r} of {row.model} given to {owner[key].model}")
        row.aliases = kept


def render(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.model,
                row.vendor,
                "|".join(row.aliases),
                number(row.tpp),
                number(row.die_area_mm2),
                number(row.performance_density),
                boolean(row.datacenter),
                number(row.memory_bandwidth_gbs),
                number(row.interconnect_gbs),
                row.kind,
                boolean(row.prc_designed),
                number(row.hbm_density),
                row.source,
                row.confidence,
            ]
        )
    return buffer.getvalue()


def compare_with_epoch(ours: list[Row], epoch_path: Path, report: list[str]) -> None:
    """Report where Epoch's TPP or die area for a covered model differs from our table (ours wins)."""
    with epoch_path.open(newline="", encoding="utf-8") as handle:
        epoch = {r["Hardware name"].strip(): r for r in csv.DictReader(handle)}
    for row in ours:
        for name in CURATED[row.model].epoch_names:
            record = epoch.get(name)
            if record is None:
                raise SystemExit(f"{EPOCH_TABLE} has no row {name!r} (CURATED[{row.model!r}])")
            tpp = optional_float(record["Total processing performance (bit-OP/s)"])
            die = optional_float(record["Die Size (mm^2)"])
            if tpp is not None and row.tpp is not None and abs(tpp / 1e12 - row.tpp) > 1:
                report.append(
                    f"{row.model}: TPP {number(row.tpp)} here, {number(tpp / 1e12)} in Epoch ({name})"
                )
            if die is not None and row.die_area_mm2 is not None and abs(die - row.die_area_mm2) > 1:
                report.append(
                    f"{row.model}: die {number(row.die_area_mm2)} mm2 here, {number(die)} in Epoch ({name})"
                )
            if die is not None and row.die_area_mm2 is None:
                report.append(
                    f"{row.model}: no die area here; Epoch gives {number(die)} mm2 ({name}), not used"
                )


def build(chips_dir: Path) -> tuple[str, list[str]]:
    """The catalogue CSV text and the notes worth reading (skipped rows, disagreements)."""
    report: list[str] = []
    ours = our_rows(chips_dir / OUR_TABLE, report)
    covered = {name for row in ours for name in CURATED[row.model].epoch_names}
    compare_with_epoch(ours, chips_dir / EPOCH_TABLE, report)
    rows = ours + epoch_rows(chips_dir / EPOCH_TABLE, covered, report) + hbm_rows()
    assign_aliases(rows, report)
    text = render(rows)
    catalogue = Catalogue.from_csv_text(text)  # fails on alias collisions
    for spelling, model in REQUIRED_SPELLINGS.items():
        match = catalogue.lookup(spelling)
        if match is None or match.chip.model != model:
            found = match.chip.model if match else None
            raise SystemExit(f"{spelling!r} resolves to {found!r}, expected {model!r}")
    return text, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chips_dir", nargs="?", default="../shared/data/chips", type=Path)
    parser.add_argument(
        "--output", type=Path, default=REPO / "services" / "screening" / "data" / "catalogue.csv"
    )
    args = parser.parse_args(argv)
    text, report = build(args.chips_dir)
    args.output.write_text(text, encoding="utf-8")
    rows = text.count("\n") - 1
    print(f"wrote {rows} rows to {args.output}")
    for line in report:
        print(f"  note: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
