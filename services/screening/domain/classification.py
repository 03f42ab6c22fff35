"""Classification of order lines and leased resources: ECCN 3A090 / 4A090 (rules R01-R03), as of a date.

Evidence, in the contract's order: the line's own `eccn`; else the product catalogue (the product string,
or the `accelerators` the line lists, the line following its most capable accelerator); else the line's
own `tpp` / `die_area_mm2` / `datacenter` (or memory bandwidth and package area for HBM). Whenever the
parameters are known they are computed too, so a vendor ECCN that disagrees with them is held
(`ECCN_MISMATCH`). A line nothing classifies is held (`CLASSIFICATION_UNKNOWN`), never allowed.

The thresholds come from the ruleset's `[[classification.periods]]`: nothing before 7 Oct 2022; the
Oct-2022 test (TPP and interconnect) until 16 Nov 2023; TPP and performance density from 17 Nov 2023,
with 3A090.c (HBM) from 2 Dec 2024. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from screening.domain.catalogue import KIND_ACCELERATOR, KIND_HBM, Catalogue, CatalogueMatch, Chip
from screening.domain.model import Item, ItemClassification, Outcome, Reason
from screening.domain.parameters import RulesetError, convert
from screening.domain.reasons import ReasonCode

SCHEME_NONE = "none"
SCHEME_TPP_AND_INTERCONNECT = "tpp_and_interconnect"
SCHEME_TPP_PD = "tpp_pd"

BASIS_ECCN = "eccn"
BASIS_CATALOGUE = "catalogue"
BASIS_PARAMETERS = "parameters"
BASIS_UNKNOWN = "unknown"

ECCN_MISMATCH = ReasonCode.ECCN_MISMATCH
CLASSIFICATION_UNKNOWN = ReasonCode.CLASSIFICATION_UNKNOWN

_ADVANCED_ECCN = re.compile(r"^([34])A090\.([ABC])(?:\..*)?$")
_Z_ECCN = re.compile(r"^\d[A-E]\d{3}\.Z(?:\..*)?$")
_PARAGRAPH_ORDER = {"a": 3, "b": 2, "c": 1}


_COMMON_KEYS = {"name": str, "from": date, "to": date, "scheme": str}
_SCHEME_KEYS: dict[str, dict[str, Any]] = {
    SCHEME_NONE: {},
    SCHEME_TPP_AND_INTERCONNECT: {"tpp_min": float, "interconnect_min_gbs": float},
    SCHEME_TPP_PD: {
        "a1_tpp": float,
        "a2_tpp": float,
        "a2_pd": float,
        "b1_tpp_low": float,
        "b1_pd_low": float,
        "b2_tpp": float,
        "b2_pd_low": float,
        "consumer_note2_tpp": float,
        "hbm_from": date,
        "hbm_density_min": float,
    },
}
_OPTIONAL_KEYS = {"from", "to", "hbm_from", "hbm_density_min"}


def _period_values(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The keys of one period table, typed; unknown, missing or mistyped keys are a `RulesetError`."""
    if not isinstance(spec, Mapping):
        raise RulesetError(f"{where} must be a table, got {spec!r}")
    scheme = convert(spec.get("scheme"), str, f"{where} scheme")
    if scheme not in _SCHEME_KEYS:
        raise RulesetError(f"{where} scheme: unknown scheme {scheme!r}; one of {', '.join(_SCHEME_KEYS)}")
    allowed = {**_COMMON_KEYS, **_SCHEME_KEYS[scheme]}
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise RulesetError(
            f"{where} has unknown key {unknown[0]!r}; the keys of a {scheme!r} period are: "
            + ", ".join(sorted(allowed))
        )
    values: dict[str, Any] = {}
    for key, kind in allowed.items():
        if key in spec:
            values[key] = convert(spec[key], kind, f"{where} {key}")
        elif key not in _OPTIONAL_KEYS:
            raise RulesetError(f"{where} {key}: required for a {scheme!r} period")
    return values


@dataclass(frozen=True, slots=True)
class ClassificationPeriod:
    """One effective period of the 3A090 parameters (inclusive dates; None means open-ended)."""

    name: str
    valid_from: date | None
    valid_to: date | None
    scheme: str
    tpp_min: float = 0.0  # Oct-2022 test: TPP ("bit length x TOPS") at least this ...
    interconnect_min_gbs: float = 0.0  # ... and aggregate bidirectional I/O at least this
    a1_tpp: float = 0.0
    a2_tpp: float = 0.0
    a2_pd: float = 0.0
    b1_tpp_low: float = 0.0
    b1_pd_low: float = 0.0
    b2_tpp: float = 0.0
    b2_pd_low: float = 0.0
    consumer_note2_tpp: float = 0.0
    hbm_from: date | None = None
    hbm_density_min: float | None = None

    def covers(self, on: date) -> bool:
        """Whether `on` falls in this period."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        return not (self.valid_to is not None and on > self.valid_to)

    def hbm_controlled(self, on: date) -> bool:
        """Whether 3A090.c (HBM) is in force on `on`."""
        return self.hbm_from is not None and self.hbm_density_min is not None and on >= self.hbm_from

    @staticmethod
    def from_mapping(
        spec: Mapping[str, Any], where: str = "[[classification.periods]]"
    ) -> ClassificationPeriod:
        """A period from one `[[classification.periods]]` table; `where` names it in errors."""
        values = _period_values(spec, where)
        scheme, name = values.pop("scheme"), values.pop("name")
        valid_from, valid_to = values.pop("from", None), values.pop("to", None)
        return ClassificationPeriod(name, valid_from, valid_to, scheme, **values)


@dataclass(frozen=True, slots=True)
class ClassificationRules:
    """The dated 3A090 periods of a ruleset."""

    periods: tuple[ClassificationPeriod, ...]

    @staticmethod
    def from_mapping(
        periods: Sequence[Mapping[str, Any]], source: str = "ruleset.toml"
    ) -> ClassificationRules:
        """Rules from the ruleset's `[[classification.periods]]` list (of file `source`, named in errors)."""
        if not isinstance(periods, Sequence) or not periods:
            raise RulesetError(f"{source}: the ruleset has no [[classification.periods]]")
        return ClassificationRules(
            tuple(
                ClassificationPeriod.from_mapping(p, f"{source}: [[classification.periods]][{index}]")
                for index, p in enumerate(periods)
            )
        )

    def period_for(self, on: date) -> ClassificationPeriod:
        """The period in force on `on`; a gap in the ruleset is an error, not a silent pass."""
        for period in self.periods:
            if period.covers(on):
                return period
        raise LookupError(f"no classification period covers {on.isoformat()}")


@dataclass(frozen=True, slots=True)
class Parameters:
    """What the thresholds read: from a catalogue chip or from the line's own fields."""

    kind: str
    tpp: float | None = None
    die_area_mm2: float | None = None
    performance_density: float | None = None
    datacenter: bool | None = None
    interconnect_gbs: float | None = None
    memory_bandwidth_gbs: float | None = None
    hbm_density: float | None = None

    @staticmethod
    def of_chip(chip: Chip) -> Parameters:
        """A catalogue chip's parameters; PD is recomputed from TPP and die area when both are known."""
        pd = chip.performance_density
        if chip.tpp is not None and chip.die_area_mm2:
            pd = chip.tpp / chip.die_area_mm2
        return Parameters(
            kind=chip.kind,
            tpp=chip.tpp,
            die_area_mm2=chip.die_area_mm2,
            performance_density=pd,
            datacenter=chip.datacenter,
            interconnect_gbs=chip.interconnect_gbs,
            memory_bandwidth_gbs=chip.memory_bandwidth_gbs,
            hbm_density=chip.hbm_density,
        )

    @staticmethod
    def of_item(item: Item) -> Parameters | None:
        """The line's own parameters, or None when it gives neither a TPP nor HBM bandwidth and area."""
        if item.tpp is not None:
            pd = item.tpp / item.die_area_mm2 if item.die_area_mm2 else None
            return Parameters(
                kind=KIND_ACCELERATOR,
                tpp=item.tpp,
                die_area_mm2=item.die_area_mm2,
                performance_density=pd,
                datacenter=item.datacenter,
                memory_bandwidth_gbs=item.memory_bandwidth_gbs,
            )
        if item.memory_bandwidth_gbs is not None and item.package_area_mm2:
            return Parameters(
                kind=KIND_HBM,
                memory_bandwidth_gbs=item.memory_bandwidth_gbs,
                hbm_density=item.memory_bandwidth_gbs / item.package_area_mm2,
            )
        return None


@dataclass(frozen=True, slots=True)
class Computation:
    """The thresholds applied to parameters: a 3A090 paragraph, or None, or undecidable (`missing`)."""

    paragraph: str | None  # "a", "b", "c" or None (not 3A090)
    prong: str | None  # "a.1", "a.2", "b.1", "b.2", "c", "oct-2022", "note2" ... for the evidence
    consumer_note2: bool = False
    missing: str | None = None  # why the thresholds cannot decide

    @property
    def decided(self) -> bool:
        """Whether the parameters were enough to decide."""
        return self.missing is None


def compute(params: Parameters, period: ClassificationPeriod, on: date) -> Computation:
    """Apply the period's 3A090 tests (R01 accelerators with Note 2 (R02), R03 HBM) to `params`."""
    if period.scheme == SCHEME_NONE:
        return Computation(None, None)
    if params.kind == KIND_HBM:
        return _compute_hbm(params, period, on)
    tpp = params.tpp
    if tpp is None:
        return Computation(None, None, missing="TPP is unknown")
    if period.scheme == SCHEME_TPP_AND_INTERCONNECT:
        if tpp < period.tpp_min:
            return Computation(None, None)
        if params.interconnect_gbs is None:
            return Computation(
                None,
                None,
                missing=f"TPP {tpp:g} >= {period.tpp_min:g} but the interconnect bandwidth is unknown",
            )
        if params.interconnect_gbs >= period.interconnect_min_gbs:
            return Computation("a", "oct-2022")
        return Computation(None, "oct-2022-interconnect")
    return _compute_tpp_pd(params, period)


def _compute_hbm(params: Parameters, period: ClassificationPeriod, on: date) -> Computation:
    if period.scheme != SCHEME_TPP_PD or not period.hbm_controlled(on):
        return Computation(None, None)
    if params.hbm_density is None:
        return Computation(None, None, missing="memory bandwidth density is unknown")
    assert period.hbm_density_min is not None  # hbm_controlled checked it
    if params.hbm_density > period.hbm_density_min:
        return Computation("c", "c")
    return Computation(None, None)


def _compute_tpp_pd(params: Parameters, period: ClassificationPeriod) -> Computation:
    tpp = params.tpp
    assert tpp is not None
    if tpp >= period.a1_tpp:
        return Computation("a", "a.1")  # Note 2 only reaches TPP below 4800
    lowest_tpp = min(period.a2_tpp, period.b1_tpp_low, period.b2_tpp)
    if tpp < lowest_tpp:
        return Computation(None, None)
    pd = params.performance_density
    if pd is None:
        return Computation(
            None,
            None,
            missing=(
                f"TPP {tpp:g} is between {lowest_tpp:g} and {period.a1_tpp:g}: 3A090.a.2/.b depend on "
                "performance density, and the die area is missing"
            ),
        )
    paragraph, prong = None, None
    if pd >= period.a2_pd and tpp >= period.a2_tpp:
        paragraph, prong = "a", "a.2"
    elif period.b1_tpp_low <= tpp < period.a1_tpp and period.b1_pd_low <= pd < period.a2_pd:
        paragraph, prong = "b", "b.1"
    elif tpp >= period.b2_tpp and period.b2_pd_low <= pd < period.a2_pd:
        paragraph, prong = "b", "b.2"
    if paragraph is None:
        return Computation(None, None)
    if tpp < period.consumer_note2_tpp:
        if params.datacenter is False:
            return Computation(None, "note2", consumer_note2=True)
        if params.datacenter is None:
            return Computation(
                None,
                None,
                missing=(
                    f"TPP {tpp:g} and PD {pd:.2f} meet 3A090.{prong} unless the part is not designed or "
                    "marketed for datacenters (Note 2), and the datacenter flag is missing"
                ),
            )
    return Computation(paragraph, prong)


@dataclass(frozen=True, slots=True)
class EccnReading:
    """What a given ECCN says: advanced-computing or not, and which 3A090 paragraph letter."""

    eccn: str
    advanced_computing: bool
    paragraph: str | None  # "a"/"b"/"c" for 3A090/4A090; None otherwise
    z: bool


def normalise_eccn(eccn: str) -> str:
    """ "3a090.A.1" -> "3A090.a.1", "ear99" -> "EAR99"."""
    text = eccn.strip().upper().replace(" ", "")
    head, _, tail = text.partition(".")
    return head if not tail else f"{head}.{tail.lower()}"


def read_eccn(eccn: str) -> EccnReading:
    """Interpret a vendor or caller ECCN."""
    normal = normalise_eccn(eccn)
    upper = normal.upper()
    advanced = _ADVANCED_ECCN.match(upper)
    if advanced is not None:
        return EccnReading(normal, True, advanced.group(2).lower(), z=False)
    if _Z_ECCN.match(upper):
        return EccnReading(normal, True, None, z=True)
    return EccnReading(normal, False, None, z=False)


def _agrees(given: EccnReading, computed: str | None) -> bool:
    if given.z:
        return computed in ("a", "b")
    if given.advanced_computing:
        return given.paragraph == computed
    return computed is None


def _eccn_for(paragraph: str | None, server: bool) -> str | None:
    if paragraph is None:
        return None
    if server and paragraph in ("a", "b"):
        return f"4A090.{paragraph}"
    return f"3A090.{paragraph}"


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One line classified: the record for the decision, the reasons, and the facts later rules read."""

    classification: ItemClassification
    reasons: tuple[Reason, ...]
    period: str
    chip: Chip | None = None
    model: str | None = None
    is_server: bool = False
    accelerator_count: int = 1  # chips per unit of the line (8 for an HGX board)
    paragraph: str | None = None  # 3A090 paragraph letter the line is treated under
    computed_eccn: str | None = None
    advanced_computing: bool = False  # 3A090 / 4A090 / .z, by the given or the computed ECCN
    consumer_note2: bool = False
    datacenter: bool | None = None
    tpp: float | None = None
    performance_density: float | None = None
    memory_bandwidth_gbs: float | None = None
    interconnect_gbs: float | None = None
    prc_designed: bool = False

    @property
    def eccn(self) -> str | None:
        """The ECCN on the decision record."""
        return self.classification.eccn

    @property
    def nac_eligible(self) -> bool:
        """Licence exception NAC (§740.8): 3A090.b/4A090.b, or consumer 3A090.a/4A090.a; never 3A090.c."""
        if not self.advanced_computing:
            return False
        return self.paragraph == "b" or (self.paragraph == "a" and self.datacenter is False)

    @property
    def aca_eligible(self) -> bool:
        """Licence exception ACA (§740.8, D:1/D:4 outside D:5/Macau): advanced computing except 3A090.c."""
        return self.advanced_computing and self.paragraph != "c"

    @property
    def held(self) -> bool:
        """Whether classification alone holds the line."""
        return any(reason.outcome is not Outcome.ALLOW for reason in self.reasons)


@dataclass(frozen=True, slots=True)
class _Resolved:
    """The parameters found for a line and where they came from."""

    params: Parameters | None
    basis: str
    chip: Chip | None = None
    server: bool = False
    count: int = 1
    unresolved: tuple[str, ...] = ()  # accelerator products the catalogue does not know


def _resolve(item: Item, catalogue: Catalogue, period: ClassificationPeriod, on: date) -> _Resolved:
    if item.accelerators:
        return _resolve_accelerators(item, catalogue, period, on)
    match = catalogue.lookup(item.product) if item.product else None
    if match is not None:
        return _from_match(match)
    params = Parameters.of_item(item)
    if params is not None:
        return _Resolved(params, BASIS_PARAMETERS)
    return _Resolved(None, BASIS_UNKNOWN)


def _from_match(match: CatalogueMatch) -> _Resolved:
    return _Resolved(
        Parameters.of_chip(match.chip),
        BASIS_CATALOGUE,
        chip=match.chip,
        server=match.server,
        count=match.count,
    )


def _resolve_accelerators(
    item: Item, catalogue: Catalogue, period: ClassificationPeriod, on: date
) -> _Resolved:
    """A server or board follows its most capable accelerator (paragraph first, then TPP)."""
    best: tuple[tuple[int, float], CatalogueMatch] | None = None
    unresolved: list[str] = []
    total = 0
    for accelerator in item.accelerators:
        match = catalogue.lookup(accelerator.product)
        if match is None:
            unresolved.append(accelerator.product)
            continue
        total += accelerator.count * match.count
        computation = compute(Parameters.of_chip(match.chip), period, on)
        rank = (_PARAGRAPH_ORDER.get(computation.paragraph or "", 0), match.chip.tpp or 0.0)
        if best is None or rank > best[0]:
            best = (rank, match)
    if best is None:
        return _Resolved(None, BASIS_UNKNOWN, server=True, unresolved=tuple(unresolved))
    chip = best[1].chip
    return _Resolved(
        Parameters.of_chip(chip),
        BASIS_CATALOGUE,
        chip=chip,
        server=True,
        count=max(total, 1),
        unresolved=tuple(unresolved),
    )


def classify_item(item: Item, catalogue: Catalogue, rules: ClassificationRules, as_of: date) -> ItemResult:
    """Classify one line as of `as_of` (R01-R03), with `ECCN_MISMATCH` / `CLASSIFICATION_UNKNOWN` holds."""
    period = rules.period_for(as_of)
    resolved = _resolve(item, catalogue, period, as_of)
    params = resolved.params
    computation = compute(params, period, as_of) if params is not None else None
    if computation is not None and resolved.unresolved and computation.paragraph is None:
        # Unknown accelerators could be more capable than the known ones: the line cannot be cleared.
        computation = Computation(
            None, None, missing=f"accelerators not in the catalogue: {', '.join(resolved.unresolved)}"
        )
    if params is None and resolved.unresolved:
        computation = Computation(
            None, None, missing=f"accelerators not in the catalogue: {', '.join(resolved.unresolved)}"
        )
    chip = resolved.chip
    computed_paragraph = computation.paragraph if computation is not None else None
    computed_eccn = _eccn_for(computed_paragraph, resolved.server)
    reasons: list[Reason] = []
    facts = {
        "line_id": item.line_id,
        "product": item.product,
        "model": chip.model if chip else None,
        "period": period.name,
    }

    if item.eccn is not None and item.eccn.strip():
        given = read_eccn(item.eccn)
        paragraph = given.paragraph
        if given.z and computation is not None and computation.paragraph in ("a", "b"):
            paragraph = computation.paragraph
        checkable = computation is not None and computation.decided and period.scheme != SCHEME_NONE
        if checkable and not _agrees(given, computed_paragraph):
            reasons.append(
                Reason(
                    code=ECCN_MISMATCH,
                    outcome=Outcome.HOLD,
                    line_id=item.line_id,
                    message=(
                        f"line {item.line_id} ({item.product}): given ECCN {given.eccn} but the parameters "
                        f"compute {computed_eccn or 'not 3A090/4A090'} ({period.name}): review"
                    ),
                    evidence={
                        **facts,
                        "given_eccn": given.eccn,
                        "computed_eccn": computed_eccn,
                        "computed_basis": resolved.basis,
                        "prong": computation.prong if computation else None,
                        "tpp": params.tpp if params else None,
                        "performance_density": _round(params.performance_density) if params else None,
                    },
                )
            )
            if paragraph is None and computed_paragraph is not None:
                paragraph = computed_paragraph
        record_eccn: str | None = given.eccn
        basis = BASIS_ECCN
        advanced = given.advanced_computing or computed_paragraph is not None
    else:
        paragraph = computed_paragraph
        record_eccn = computed_eccn
        basis = resolved.basis
        advanced = computed_paragraph is not None
        if computation is None or not computation.decided:
            why = (
                computation.missing
                if computation is not None and computation.missing
                else "not in the catalogue and no ECCN, TPP or HBM bandwidth and package area given"
            )
            reasons.append(
                Reason(
                    code=CLASSIFICATION_UNKNOWN,
                    outcome=Outcome.HOLD,
                    line_id=item.line_id,
                    message=f"line {item.line_id} ({item.product}) cannot be classified: {why}",
                    evidence={**facts, "basis": resolved.basis, "missing": why},
                )
            )
            basis = BASIS_UNKNOWN if computation is None else resolved.basis

    tpp = params.tpp if params else None
    pd = params.performance_density if params else None
    classification = ItemClassification(
        line_id=item.line_id,
        eccn=record_eccn,
        tpp=tpp,
        performance_density=_round(pd),
        basis=basis,
        product=item.product,
        catalogue_model=chip.model if chip else None,
    )
    return ItemResult(
        classification=classification,
        reasons=tuple(reasons),
        period=period.name,
        chip=chip,
        model=chip.model if chip else None,
        is_server=resolved.server,
        accelerator_count=resolved.count,
        paragraph=paragraph,
        computed_eccn=computed_eccn,
        advanced_computing=advanced,
        consumer_note2=computation.consumer_note2 if computation else False,
        datacenter=params.datacenter if params else None,
        tpp=tpp,
        performance_density=pd,
        memory_bandwidth_gbs=params.memory_bandwidth_gbs if params else None,
        interconnect_gbs=params.interconnect_gbs if params else None,
        prc_designed=chip.prc_designed if chip else False,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
