"""Ownership arithmetic: who is restricted through its owners, exposure short of control, ultimate parent.

Implements regulation.md §4: OFAC's 50 Percent Rule (FAQ 401), the BIS Affiliates rule, the secondary
multiplicative exposure used only for holds, and the majority-owner chain that yields the ultimate parent's
headquarters. Pure: standard library only. Whether an owner is listed is decided elsewhere (by screening its
names) and arrives here as `listed`; thresholds arrive as an `OwnershipPolicy` built from the ruleset.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

# Shares are stored as binary floats: 0.3 + 0.2 must reach a 0.50 threshold, so comparisons allow this slack.
SHARE_TOLERANCE = 1e-9

# The EAR treats Hong Kong as part of China (regulation.md §3.1), and so does the headquarters rule.
_HEADQUARTERS_ALIASES = {"HK": "CN"}

# Path enumeration is exponential in the worst case; these bound the work per party and the evidence size.
_MAX_EVIDENCE_PATHS = 32
_MAX_PATH_EXPANSIONS = 100_000

# Registries publish percentages that do not quite add up (33.34 + 33.33 + 33.34); more than this is garbage.
_OWNER_SUM_SLACK = 0.01


class OwnershipRecordError(ValueError):
    """An ownership record that does not follow the contract (permanent: retrying will not fix it)."""


# ----------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class OwnerLink:
    """One owner of an entity: the owner's registry id and its share (a fraction), or None when unknown."""

    entity_id: str
    share: float | None = None

    def __post_init__(self) -> None:
        if self.share is not None and not (0.0 <= self.share <= 1.0):
            raise OwnershipRecordError(f"share of owner {self.entity_id!r} is {self.share}, not in [0, 1]")


@dataclass(frozen=True, slots=True)
class OwnershipRecord:
    """An entity of the ownership registry and its direct owners (contract: ownership record)."""

    entity_id: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    hq_country: str | None = None
    owners: tuple[OwnerLink, ...] = ()
    as_of: date | None = None
    source: str | None = None
    list_entry_ids: tuple[str, ...] = ()
    """Control-list entries (their `entry_id`) the registry has tied this entity to: the evidence that it
    is listed (`screening.domain.list_links`)."""

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the aliases, for screening the entity against the lists."""
        return (self.name, *self.aliases)

    @property
    def headquarters_country(self) -> str | None:
        """Where the entity is headquartered: `hq_country`, else `country`; Hong Kong counts as China."""
        country = self.hq_country or self.country
        if country is None:
            return None
        return _HEADQUARTERS_ALIASES.get(country, country)


@dataclass(frozen=True, slots=True)
class RecordLimits:
    """How large an ownership record may be (the service's input limits; the defaults are the contract's)."""

    max_id_chars: int = 200
    max_name_chars: int = 512
    max_aliases: int = 20
    max_owners: int = 100
    max_text_chars: int = 4000


DEFAULT_RECORD_LIMITS = RecordLimits()


def validate_record(record: OwnershipRecord, limits: RecordLimits = DEFAULT_RECORD_LIMITS) -> OwnershipRecord:
    """Return `record` when it follows the contract, else raise `OwnershipRecordError` saying what is wrong.

    The one check every way into the registry applies (the feed, files, and records read back from Redis):
    ids (the entity's, its owners', its list entry links) are non-empty, printable and bounded; names,
    aliases and links are bounded in number and length; an owner appears once, is not
    the entity itself, and known shares do not add up to more than 1 (with a little slack for rounded
    percentages).
    """
    entity_id = _checked_id(record.entity_id, "entity_id", limits)
    where = repr(entity_id)
    _checked_name(record.name, f"{where}: name", limits)
    if len(record.aliases) > limits.max_aliases:
        raise OwnershipRecordError(f"{where}: {len(record.aliases)} aliases, more than {limits.max_aliases}")
    for index, alias in enumerate(record.aliases):
        if len(alias) > limits.max_name_chars:
            raise OwnershipRecordError(
                f"{where}: aliases[{index}] is {len(alias)} characters, more than {limits.max_name_chars}"
            )
    if len(record.list_entry_ids) > limits.max_aliases:
        raise OwnershipRecordError(
            f"{where}: {len(record.list_entry_ids)} list_entry_ids, more than {limits.max_aliases}"
        )
    for index, link in enumerate(record.list_entry_ids):
        _checked_id(link, f"{where}: list_entry_ids[{index}]", limits)
    if record.source is not None and len(record.source) > limits.max_text_chars:
        raise OwnershipRecordError(f"{where}: source is longer than {limits.max_text_chars} characters")
    if len(record.owners) > limits.max_owners:
        raise OwnershipRecordError(f"{where}: {len(record.owners)} owners, more than {limits.max_owners}")
    seen: set[str] = set()
    for index, owner in enumerate(record.owners):
        owner_id = _checked_id(owner.entity_id, f"{where}: owners[{index}].entity_id", limits)
        if owner_id == entity_id:
            raise OwnershipRecordError(f"{where}: the entity is listed as its own owner")
        if owner_id in seen:
            raise OwnershipRecordError(f"{where}: owner {owner_id!r} is listed twice")
        seen.add(owner_id)
        share = owner.share
        if share is not None and (not math.isfinite(share) or not 0.0 <= share <= 1.0):
            raise OwnershipRecordError(f"{where}: owners[{index}].share is {share}, not in [0, 1]")
    known_total = math.fsum(owner.share for owner in record.owners if owner.share is not None)
    if known_total > 1.0 + _OWNER_SUM_SLACK:
        raise OwnershipRecordError(f"{where}: owners' known shares add up to {known_total:.4f} > 1")
    return record


def _checked_id(value: str, what: str, limits: RecordLimits) -> str:
    if not value.strip():
        raise OwnershipRecordError(f"{what} is empty")
    if len(value) > limits.max_id_chars:
        raise OwnershipRecordError(f"{what} is {len(value)} characters, more than {limits.max_id_chars}")
    if not value.isprintable():
        raise OwnershipRecordError(f"{what} {value[:40]!r} contains control or non-printable characters")
    return value


def _checked_name(value: str, what: str, limits: RecordLimits) -> None:
    if len(value) > limits.max_name_chars:
        raise OwnershipRecordError(f"{what} is {len(value)} characters, more than {limits.max_name_chars}")


def record_from_mapping(
    data: Mapping[str, Any], limits: RecordLimits = DEFAULT_RECORD_LIMITS
) -> OwnershipRecord:
    """Build a record from the contract's JSON object, or raise `OwnershipRecordError` saying what is wrong.

    Unknown fields are ignored (v1 allows additive changes). Shares must be numbers in [0, 1] or null; an
    owner without a `share` key has an unknown share. The built record must pass `validate_record`.
    """
    if not isinstance(data, Mapping):
        raise OwnershipRecordError(f"an ownership record must be a JSON object, not {type(data).__name__}")
    entity_id = _required_text(data, "entity_id")
    name = _required_text(data, "name")
    where = repr(entity_id[:80])
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise OwnershipRecordError(f"{where}: aliases must be a list of strings")
    owners_data = data.get("owners") or []
    if not isinstance(owners_data, list):
        raise OwnershipRecordError(f"{where}: owners must be a list")
    if len(owners_data) > limits.max_owners:  # before building them: a huge list is refused cheaply
        raise OwnershipRecordError(f"{where}: {len(owners_data)} owners, more than {limits.max_owners}")
    owners = tuple(_owner_from_mapping(where, index, item) for index, item in enumerate(owners_data))
    links = data.get("list_entry_ids") or []
    if not isinstance(links, list) or not all(isinstance(link, str) and link.strip() for link in links):
        raise OwnershipRecordError(f"{where}: list_entry_ids must be a list of non-empty strings")
    record = OwnershipRecord(
        entity_id=entity_id,
        name=name,
        aliases=tuple(aliases),
        list_entry_ids=tuple(links),
        country=_optional_country(data, "country", where),
        hq_country=_optional_country(data, "hq_country", where),
        owners=owners,
        as_of=_optional_date(data, "as_of", where),
        source=_optional_text(data, "source", where),
    )
    return validate_record(record, limits)


def record_to_mapping(record: OwnershipRecord) -> dict[str, Any]:
    """The record as the contract's JSON object (the inverse of `record_from_mapping`)."""
    return {
        "entity_id": record.entity_id,
        "name": record.name,
        "aliases": list(record.aliases),
        "country": record.country,
        "hq_country": record.hq_country,
        "owners": [{"entity_id": owner.entity_id, "share": owner.share} for owner in record.owners],
        "as_of": record.as_of.isoformat() if record.as_of else None,
        "source": record.source,
        **({"list_entry_ids": list(record.list_entry_ids)} if record.list_entry_ids else {}),
    }


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OwnershipRecordError(f"{key} is required and must be a non-empty string, got {value!r}")
    return value


def _optional_text(data: Mapping[str, Any], key: str, entity_id: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OwnershipRecordError(f"{entity_id}: {key} must be a string or null, got {value!r}")
    return value


def _optional_country(data: Mapping[str, Any], key: str, entity_id: str) -> str | None:
    value = _optional_text(data, key, entity_id)
    if value is None or value == "":
        return None
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise OwnershipRecordError(f"{entity_id}: {key} must be an ISO 3166-1 alpha-2 code, got {value!r}")
    return value.upper()


def _optional_date(data: Mapping[str, Any], key: str, entity_id: str) -> date | None:
    value = data.get(key)
    if value is None:
        return None
    # Only the extended form: fromisoformat would also take "20260630", which no feed is documented to send.
    if not isinstance(value, str) or len(value) != 10:
        raise OwnershipRecordError(
            f"{entity_id}: {key} must be an ISO date (YYYY-MM-DD) or null, got {value!r}"
        )
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise OwnershipRecordError(f"{entity_id}: {key} is not a valid ISO date: {value!r}") from error


def _owner_from_mapping(entity_id: str, index: int, item: object) -> OwnerLink:
    where = f"{entity_id}: owners[{index}]"
    if not isinstance(item, Mapping):
        raise OwnershipRecordError(f"{where} must be an object with entity_id and share")
    owner_id = item.get("entity_id")
    if not isinstance(owner_id, str) or not owner_id.strip():
        raise OwnershipRecordError(f"{where}.entity_id is required and must be a non-empty string")
    share = item.get("share")
    if share is None:
        return OwnerLink(owner_id, None)
    # bool is an int in Python; `true` as a share is a producer bug, not 100%.
    if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share):
        raise OwnershipRecordError(f"{where}.share must be a number in [0, 1] or null, got {share!r}")
    if not 0.0 <= share <= 1.0:
        raise OwnershipRecordError(f"{where}.share is {share}, outside [0, 1] (a fraction, not a percentage)")
    return OwnerLink(owner_id, float(share))


def stale_records(
    records: Iterable[OwnershipRecord], as_of: date, max_age_days: int, *, include_undated: bool = False
) -> tuple[str, ...]:
    """Ids of records whose `as_of` is more than `max_age_days` before `as_of` (exactly that old is fresh).

    Records without a date are stale only when `include_undated` is set: whether an undated record may be
    trusted is the caller's policy, not arithmetic.
    """
    stale: list[str] = []
    for record in records:
        if record.as_of is None:
            if include_undated:
                stale.append(record.entity_id)
        elif (as_of - record.as_of).days > max_age_days:
            stale.append(record.entity_id)
    return tuple(stale)


# ----------------------------------------------------------------------------------------------------
# Policy


@dataclass(frozen=True, slots=True)
class OwnershipPolicy:
    """Thresholds of the ownership rules (the ruleset's `[ownership]` table)."""

    table: ClassVar[str] = "ownership"

    control_threshold: float = 0.50
    significant_minority: float = 0.25
    multiplicative_hold: float = 0.50
    max_depth: int = 12
    stale_after_days: int = 400

    def __post_init__(self) -> None:
        if not 0.0 < self.control_threshold <= 1.0:
            raise ValueError(f"control_threshold must be in (0, 1], got {self.control_threshold}")
        if not 0.0 <= self.significant_minority <= self.control_threshold:
            raise ValueError("significant_minority must be in [0, control_threshold]")
        if not 0.0 < self.multiplicative_hold <= 1.0:
            raise ValueError(f"multiplicative_hold must be in (0, 1], got {self.multiplicative_hold}")
        if self.max_depth < 1:
            raise ValueError(f"max_depth must be at least 1, got {self.max_depth}")
        if self.stale_after_days < 0:
            raise ValueError(f"stale_after_days must not be negative, got {self.stale_after_days}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OwnershipPolicy:
        """Build the policy from the ruleset table; absent keys keep defaults, other keys are ignored."""
        defaults = cls()
        return cls(
            control_threshold=_number(data, "control_threshold", defaults.control_threshold),
            significant_minority=_number(data, "significant_minority", defaults.significant_minority),
            multiplicative_hold=_number(data, "multiplicative_hold", defaults.multiplicative_hold),
            max_depth=_integer(data, "max_depth", defaults.max_depth),
            stale_after_days=_integer(data, "stale_after_days", defaults.stale_after_days),
        )


def _number(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"ownership.{key} must be a number, got {value!r}")
    return float(value)


def _integer(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"ownership.{key} must be an integer, got {value!r}")
    return value


# ----------------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True, slots=True)
class PathStep:
    """One entity on an ownership path; `share` is the fraction of it held by the next step up."""

    entity_id: str
    name: str | None
    share: float | None

    def evidence(self, *, top: bool = False) -> dict[str, Any]:
        """The step as JSON; the top of a path has no share (contract: decision evidence)."""
        step: dict[str, Any] = {"entity_id": self.entity_id, "name": self.name}
        if not top:
            step["share"] = _rounded(self.share)
        return step


@dataclass(frozen=True, slots=True)
class RestrictedOwner:
    """A restricted entity above the root, the lists its restriction comes from, its share if direct.

    `lists` are seed list codes: the lists it is on itself plus, when it is restricted through its own
    owners, theirs. The caller applies the most restrictive of them (regulation.md §4.2).
    """

    entity_id: str
    name: str | None
    lists: tuple[str, ...]
    directly_listed: bool
    share: float | None = None

    def evidence(self) -> dict[str, Any]:
        """The owner as JSON."""
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "share": _rounded(self.share),
            "lists": list(self.lists),
            "directly_listed": self.directly_listed,
        }


@dataclass(frozen=True, slots=True)
class RegimeFinding:
    """The 50% rule under one regime (OFAC: SDN seeds; BIS Affiliates rule: EL, MEU, SDN seeds).

    `restricted` is the ownership rule alone: the root's own listing is the list-screening rule's business.
    `aggregate_share` is the fixed-point sum of the shares held by the root's restricted direct owners.
    `multiplicative_exposure` sums, over paths from a listed entity down to the root, the product of the
    shares (for holds only). `exposure_incomplete` says some such path could not be multiplied (an unknown
    share, or too many paths), so the exposure may be understated. `paths` run from the root up through
    restricted owners to a listed entity; `exposure_paths` are the multiplied paths.
    """

    regime: str
    seed_lists: tuple[str, ...]
    restricted: bool
    aggregate_share: float
    multiplicative_exposure: float
    exposure_incomplete: bool
    significant_minority: bool
    minority_basis: tuple[str, ...]
    restricted_owners: tuple[RestrictedOwner, ...]
    restricted_ancestors: tuple[RestrictedOwner, ...]
    paths: tuple[tuple[PathStep, ...], ...]
    exposure_paths: tuple[tuple[PathStep, ...], ...] = ()

    @property
    def lists(self) -> tuple[str, ...]:
        """Seed lists behind the root's restricted direct owners, for picking the most restrictive."""
        return tuple(sorted({code for owner in self.restricted_owners for code in owner.lists}))

    def evidence(self) -> dict[str, Any]:
        """The finding as JSON: the decision, the numbers behind it and the ownership paths."""
        return {
            "regime": self.regime,
            "seed_lists": list(self.seed_lists),
            "restricted": self.restricted,
            "aggregate_share": _rounded(self.aggregate_share),
            "multiplicative_exposure": _rounded(self.multiplicative_exposure),
            "exposure_incomplete": self.exposure_incomplete,
            "significant_minority": self.significant_minority,
            "minority_basis": list(self.minority_basis),
            "owner_lists": list(self.lists),
            "restricted_owners": [owner.evidence() for owner in self.restricted_owners],
            "ownership_paths": [_path_evidence(path) for path in self.paths],
            "exposure_paths": [_path_evidence(path) for path in self.exposure_paths],
        }


@dataclass(frozen=True, slots=True)
class UnknownShare:
    """A restricted (listed, or owned by listed parties) owner whose share of `owned_id` is unknown."""

    owner_id: str
    owner_name: str | None
    owned_id: str
    regimes: tuple[str, ...]
    lists: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        """The unknown share as JSON (Red Flag 29)."""
        return {
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "owned_id": self.owned_id,
            "regimes": list(self.regimes),
            "lists": list(self.lists),
        }


@dataclass(frozen=True, slots=True)
class UltimateParent:
    """The top of the majority-owner chain above the root, and why the climb stopped there.

    `stop_reason`: `top` (no owners), `no_majority` (no controlling owner), `unknown_share` (a controlling
    owner cannot be told because shares are unknown), `missing_record` (the next owner has no record: its
    headquarters are unknown), `cycle`, or `depth`.
    """

    entity_id: str
    name: str | None
    headquarters_country: str | None
    path: tuple[PathStep, ...]
    stop_reason: str

    def evidence(self) -> dict[str, Any]:
        """The parent as JSON, with the majority-ownership path from the root up."""
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "headquarters_country": self.headquarters_country,
            "ownership_path": _path_evidence(self.path),
            "stop_reason": self.stop_reason,
        }


@dataclass(frozen=True, slots=True)
class ListedEntity:
    """An entity above the root that is directly on a list, with every list code it is on."""

    entity_id: str
    name: str | None
    lists: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OwnershipFinding:
    """Everything the ownership rules (R09-R12, R05's parent) need about one root entity.

    `missing_records` are ids (the root's or owners') with no registry record; `truncated` are entities
    whose owners were not followed because of the depth cap; `stale_records`/`undated_records` cover the
    root and every ancestor reached. `parent_unresolved` says the majority chain stopped on an unknown share
    or a missing record, so the real ultimate parent's headquarters cannot be told.
    """

    root_id: str
    root_name: str | None
    root_listed: tuple[str, ...]
    regimes: tuple[RegimeFinding, ...]
    unknown_share_owners: tuple[UnknownShare, ...]
    listed_ancestors: tuple[ListedEntity, ...]
    ultimate_parent: UltimateParent | None
    parent_unresolved: bool
    missing_records: tuple[str, ...]
    truncated: tuple[str, ...]
    stale_records: tuple[str, ...] = ()
    undated_records: tuple[str, ...] = ()
    reached: int = field(default=0, compare=False)
    reached_ids: tuple[str, ...] = field(default=(), compare=False)
    """The root and every ancestor the analysis reached, root first."""

    @property
    def root_known(self) -> bool:
        """Whether the registry has a record for the root itself."""
        return self.root_id not in self.missing_records

    @property
    def multiplicative_exposure(self) -> float:
        """The largest multiplicative exposure over the regimes."""
        return max((regime.multiplicative_exposure for regime in self.regimes), default=0.0)

    @property
    def listed_aggregate(self) -> float:
        """The largest fixed-point aggregate of restricted direct owners over the regimes."""
        return max((regime.aggregate_share for regime in self.regimes), default=0.0)

    @property
    def significant_minority(self) -> bool:
        """Whether any regime sees listed exposure short of control that warrants a hold (R12)."""
        return any(regime.significant_minority for regime in self.regimes)

    @property
    def restricted(self) -> bool:
        """Whether any regime restricts the root through its owners."""
        return any(regime.restricted for regime in self.regimes)

    def regime(self, name: str) -> RegimeFinding:
        """The finding for regime `name` (KeyError when the regime was not evaluated)."""
        for regime in self.regimes:
            if regime.regime == name:
                return regime
        raise KeyError(name)

    def evidence(self) -> dict[str, Any]:
        """JSON-able evidence: per-regime numbers and paths, listed owners and their lists, data gaps."""
        return {
            "entity_id": self.root_id,
            "name": self.root_name,
            "root_listed": list(self.root_listed),
            "regimes": {regime.regime: regime.evidence() for regime in self.regimes},
            "listed_owners": [
                {"entity_id": entity.entity_id, "name": entity.name, "lists": list(entity.lists)}
                for entity in self.listed_ancestors
            ],
            "unknown_share_owners": [unknown.evidence() for unknown in self.unknown_share_owners],
            "ultimate_parent": self.ultimate_parent.evidence() if self.ultimate_parent else None,
            "parent_unresolved": self.parent_unresolved,
            "missing_records": list(self.missing_records),
            "truncated": list(self.truncated),
            "stale_records": list(self.stale_records),
            "undated_records": list(self.undated_records),
        }


def _rounded(share: float | None) -> float | None:
    # Evidence is read by people and kept in golden files; float noise (0.30000000000000004) helps neither.
    return None if share is None else round(share, 6)


def _path_evidence(path: tuple[PathStep, ...]) -> list[dict[str, Any]]:
    return [step.evidence(top=index == len(path) - 1) for index, step in enumerate(path)]


# ----------------------------------------------------------------------------------------------------
# Analysis


@dataclass(slots=True)
class _Graph:
    """The root and its ancestors up to the depth cap, with edges in both directions."""

    root: str
    nodes: list[str]
    owners: dict[str, tuple[OwnerLink, ...]]
    children: dict[str, list[str]]
    names: dict[str, str]
    missing: list[str]
    truncated: list[str]

    def owned_share(self, entity_id: str, holders: set[str]) -> float:
        """Known shares of `entity_id` held by `holders`, summed exactly (fsum: 0.1 + 0.2 + 0.2 is 0.5)."""
        return math.fsum(
            link.share
            for link in self.owners.get(entity_id, ())
            if link.entity_id in holders and link.share is not None
        )


def _collect(root_id: str, records: Mapping[str, OwnershipRecord], max_depth: int) -> _Graph:
    # Breadth-first upward so that every entity gets its shortest depth: the cap then cuts the same
    # entities whatever order the owners are listed in.
    graph = _Graph(root_id, [], {}, {}, {}, [], [])
    depth = {root_id: 0}
    queue = deque([root_id])
    while queue:
        entity_id = queue.popleft()
        graph.nodes.append(entity_id)
        record = records.get(entity_id)
        if record is None:
            graph.missing.append(entity_id)
            continue
        graph.names[entity_id] = record.name
        if depth[entity_id] >= max_depth:
            if record.owners:
                graph.truncated.append(entity_id)
            continue
        graph.owners[entity_id] = record.owners
        for link in record.owners:
            graph.children.setdefault(link.entity_id, []).append(entity_id)
            if link.entity_id not in depth:
                depth[link.entity_id] = depth[entity_id] + 1
                queue.append(link.entity_id)
    return graph


def analyse(
    root_id: str,
    records: Mapping[str, OwnershipRecord],
    listed: Mapping[str, frozenset[str]],
    policy: OwnershipPolicy,
    seed_lists: Mapping[str, frozenset[str]],
    *,
    as_of_date: date | None = None,
) -> OwnershipFinding:
    """Analyse who owns `root_id` (regulation.md §4.3).

    `records` is the registry (any mapping from entity id; only the root's ancestors are read). `listed`
    maps an entity id to the list codes it is directly on. `seed_lists` maps a regime name to the codes
    that seed it, e.g. {"OFAC": {"SDN"}, "BIS": {"EL", "MEU", "SDN"}}. With `as_of_date`, records older than
    `policy.stale_after_days` on that date are reported as stale.
    """
    graph = _collect(root_id, records, policy.max_depth)
    regimes: list[RegimeFinding] = []
    restricted_by_regime: dict[str, tuple[set[str], dict[str, frozenset[str]]]] = {}
    for regime, seeds in seed_lists.items():
        finding, restricted, lists = _analyse_regime(graph, listed, policy, regime, seeds)
        regimes.append(finding)
        restricted_by_regime[regime] = (restricted, lists)

    unknown_shares = _unknown_shares(graph, restricted_by_regime)
    ultimate = _ultimate_parent(graph, records, policy)
    parent_unresolved = ultimate is not None and ultimate.stop_reason in ("unknown_share", "missing_record")
    parent = ultimate if ultimate is not None and len(ultimate.path) > 1 else None

    reached = [records[n] for n in graph.nodes if n not in graph.missing]
    stale: tuple[str, ...] = ()
    undated: tuple[str, ...] = ()
    if as_of_date is not None:
        stale = stale_records(reached, as_of_date, policy.stale_after_days)
        undated = tuple(record.entity_id for record in reached if record.as_of is None)

    return OwnershipFinding(
        root_id=root_id,
        root_name=graph.names.get(root_id),
        root_listed=tuple(sorted(listed.get(root_id, frozenset()))),
        regimes=tuple(regimes),
        unknown_share_owners=unknown_shares,
        listed_ancestors=tuple(
            ListedEntity(n, graph.names.get(n), tuple(sorted(listed[n])))
            for n in graph.nodes
            if n != root_id and listed.get(n)
        ),
        ultimate_parent=parent,
        parent_unresolved=parent_unresolved,
        missing_records=tuple(graph.missing),
        truncated=tuple(graph.truncated),
        stale_records=stale,
        undated_records=undated,
        reached=len(graph.nodes),
        reached_ids=tuple(graph.nodes),
    )


def _analyse_regime(
    graph: _Graph,
    listed: Mapping[str, frozenset[str]],
    policy: OwnershipPolicy,
    regime: str,
    seeds: frozenset[str],
) -> tuple[RegimeFinding, set[str], dict[str, frozenset[str]]]:
    threshold = policy.control_threshold - SHARE_TOLERANCE
    direct = {n: frozenset(listed.get(n, frozenset()) & seeds) for n in graph.nodes}
    seeded = {n for n, codes in direct.items() if codes}

    # Fixed point (FAQ 401): an entity joins when its restricted direct owners hold >= the threshold.
    # The set only grows, so a worklist that re-examines the children of each newcomer ends, cycles or not.
    restricted = set(seeded)
    work = deque(graph.nodes)
    while work:
        entity_id = work.popleft()
        if entity_id in restricted or graph.owned_share(entity_id, restricted) < threshold:
            continue
        restricted.add(entity_id)
        work.extend(graph.children.get(entity_id, ()))

    # Which seed lists each restricted entity answers to: its own, plus its restricted owners' when it is
    # restricted through them. An owner of unknown share may be part of the controlling block, so it counts.
    through_owners = {n for n in graph.nodes if graph.owned_share(n, restricted) >= threshold}
    lists: dict[str, frozenset[str]] = dict(direct)
    changed = True
    while changed:
        changed = False
        for entity_id in through_owners:
            inherited = set(lists[entity_id])
            for link in graph.owners.get(entity_id, ()):
                if link.entity_id in restricted and (link.share is None or link.share > 0):
                    inherited |= lists.get(link.entity_id, frozenset())
            if len(inherited) > len(lists[entity_id]):
                lists[entity_id] = frozenset(inherited)
                changed = True

    root = graph.root
    aggregate = graph.owned_share(root, restricted)
    is_restricted = root in through_owners
    exposure = _multiplicative_exposure(graph, seeded, policy.max_depth)

    basis: list[str] = []
    if not is_restricted:
        # Scenario 19 asks for a hold on a 25% look-through stake that the fixed point ignores, so the
        # significant-minority threshold applies to the multiplicative exposure as well as to the aggregate.
        minority = policy.significant_minority - SHARE_TOLERANCE
        if aggregate >= minority and aggregate > 0:
            basis.append("aggregate")
        if exposure.total >= minority and exposure.total > 0:
            basis.append("multiplicative")
        if exposure.total >= policy.multiplicative_hold - SHARE_TOLERANCE:
            basis.append("multiplicative_hold")

    def owner_of(entity_id: str, share: float | None) -> RestrictedOwner:
        return RestrictedOwner(
            entity_id=entity_id,
            name=graph.names.get(entity_id),
            lists=tuple(sorted(lists.get(entity_id, frozenset()))),
            directly_listed=entity_id in seeded,
            share=share,
        )

    direct_owners = tuple(
        owner_of(link.entity_id, link.share)
        for link in graph.owners.get(root, ())
        if link.entity_id in restricted
    )
    ancestors = tuple(owner_of(n, None) for n in graph.nodes if n != root and n in restricted)
    finding = RegimeFinding(
        regime=regime,
        seed_lists=tuple(sorted(seeds)),
        restricted=is_restricted,
        aggregate_share=aggregate,
        multiplicative_exposure=exposure.total,
        exposure_incomplete=exposure.incomplete,
        significant_minority=bool(basis),
        minority_basis=tuple(basis),
        restricted_owners=direct_owners,
        restricted_ancestors=ancestors,
        paths=_restriction_paths(graph, restricted, seeded),
        exposure_paths=exposure.paths,
    )
    return finding, restricted, lists


def _reaching(graph: _Graph, sources: set[str]) -> set[str]:
    """Entities that have one of `sources` among themselves or their ancestors."""
    found = set(sources)
    queue = deque(sources)
    while queue:
        for child in graph.children.get(queue.popleft(), ()):
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def _path(graph: _Graph, nodes: tuple[str, ...], shares: tuple[float | None, ...]) -> tuple[PathStep, ...]:
    """Evidence steps from the root up; `shares[i]` is the share of `nodes[i]` held by `nodes[i + 1]`."""
    return tuple(
        PathStep(entity_id, graph.names.get(entity_id), shares[index] if index < len(shares) else None)
        for index, entity_id in enumerate(nodes)
    )


@dataclass(frozen=True, slots=True)
class _Exposure:
    total: float
    incomplete: bool
    paths: tuple[tuple[PathStep, ...], ...]


def _multiplicative_exposure(graph: _Graph, seeded: set[str], max_depth: int) -> _Exposure:
    """Sum over simple paths from a seed down to the root of the products of shares (§4.3 step 4).

    A path ends at the first seed met going up: a listed entity's stake already counts in full, and going
    beyond it would count its owners' stake in the same shares a second time. A path through an unknown
    share is not multiplied but makes the result incomplete.
    """
    relevant = _reaching(graph, seeded)
    terms: list[float] = []
    paths: list[tuple[PathStep, ...]] = []
    incomplete = False
    expansions = 0
    # Iterative depth-first search over simple paths; each frame carries its path, which keeps the search
    # cycle-safe and becomes the evidence.
    stack: list[tuple[tuple[str, ...], tuple[float, ...], float]] = [((graph.root,), (), 1.0)]
    while stack:
        nodes, shares, product = stack.pop()
        for link in graph.owners.get(nodes[-1], ()):
            owner = link.entity_id
            if owner in nodes or owner not in relevant:
                continue
            if link.share is None:
                incomplete = True
                continue
            if owner in seeded:
                terms.append(product * link.share)
                if len(paths) < _MAX_EVIDENCE_PATHS:
                    paths.append(_path(graph, (*nodes, owner), (*shares, link.share)))
                continue
            if len(nodes) > max_depth:
                continue
            expansions += 1
            if expansions > _MAX_PATH_EXPANSIONS:
                return _Exposure(math.fsum(terms), True, tuple(paths))
            stack.append(((*nodes, owner), (*shares, link.share), product * link.share))
    return _Exposure(math.fsum(terms), incomplete, tuple(paths))


def _restriction_paths(
    graph: _Graph, restricted: set[str], seeded: set[str]
) -> tuple[tuple[PathStep, ...], ...]:
    """Paths from the root up through restricted owners, each ending at a directly listed entity."""
    paths: list[tuple[PathStep, ...]] = []
    stack: list[tuple[tuple[str, ...], tuple[float | None, ...]]] = [((graph.root,), ())]
    while stack and len(paths) < _MAX_EVIDENCE_PATHS:
        nodes, shares = stack.pop()
        # Reversed so that the depth-first pops follow the owners in the record's order.
        for link in reversed(graph.owners.get(nodes[-1], ())):
            owner = link.entity_id
            if owner not in restricted or owner in nodes:
                continue
            if owner in seeded:
                paths.append(_path(graph, (*nodes, owner), (*shares, link.share)))
            else:
                stack.append(((*nodes, owner), (*shares, link.share)))
    return tuple(paths)


def _unknown_shares(
    graph: _Graph, restricted_by_regime: Mapping[str, tuple[set[str], dict[str, frozenset[str]]]]
) -> tuple[UnknownShare, ...]:
    """Links of unknown share held by a restricted owner anywhere above the root (Red Flag 29)."""
    found: list[UnknownShare] = []
    for owned_id in graph.nodes:
        for link in graph.owners.get(owned_id, ()):
            if link.share is not None:
                continue
            regimes = tuple(
                name for name, (restricted, _) in restricted_by_regime.items() if link.entity_id in restricted
            )
            if not regimes:
                continue
            codes = sorted(
                {
                    code
                    for name in regimes
                    for code in restricted_by_regime[name][1].get(link.entity_id, frozenset())
                }
            )
            found.append(
                UnknownShare(link.entity_id, graph.names.get(link.entity_id), owned_id, regimes, tuple(codes))
            )
    return tuple(found)


def _controlling_owner(owners: tuple[OwnerLink, ...]) -> tuple[OwnerLink | None, str]:
    """The owner that controls by shares, or None with the reason none does."""
    if not owners:
        return None, "top"
    known = [link for link in owners if link.share is not None]
    has_unknown = len(known) < len(owners)
    largest = max(known, key=lambda link: link.share or 0.0, default=None)
    if largest is not None and largest.share is not None:
        if largest.share > 0.5 + SHARE_TOLERANCE:
            return largest, ""
        # Exactly half controls only when nobody else can hold as much: with unknown shares anyone might.
        ties = [link for link in known if abs((link.share or 0.0) - largest.share) <= SHARE_TOLERANCE]
        if largest.share >= 0.5 - SHARE_TOLERANCE and len(ties) == 1 and not has_unknown:
            return largest, ""
    return None, "unknown_share" if has_unknown else "no_majority"


def _ultimate_parent(
    graph: _Graph, records: Mapping[str, OwnershipRecord], policy: OwnershipPolicy
) -> UltimateParent | None:
    """Climb majority owners from the root to the top (regulation.md §4.3 step 7)."""
    root = records.get(graph.root)
    if root is None:
        return None
    trail: list[tuple[OwnershipRecord | None, str, float | None]] = [(root, root.entity_id, None)]
    visited = {root.entity_id}
    reason = "top"
    while True:
        record = trail[-1][0]
        if record is None:
            reason = "missing_record"
            break
        owner, reason = _controlling_owner(record.owners)
        if owner is None:
            break
        if owner.entity_id in visited:
            reason = "cycle"
            break
        if len(trail) - 1 >= policy.max_depth:
            reason = "depth"
            break
        trail[-1] = (record, record.entity_id, owner.share)
        trail.append((records.get(owner.entity_id), owner.entity_id, None))
        visited.add(owner.entity_id)
    top_record, top_id, _ = trail[-1]
    path = tuple(
        PathStep(entity_id, found.name if found else None, share) for found, entity_id, share in trail
    )
    return UltimateParent(
        entity_id=top_id,
        name=top_record.name if top_record else None,
        headquarters_country=top_record.headquarters_country if top_record else None,
        path=path,
        stop_reason=reason,
    )
