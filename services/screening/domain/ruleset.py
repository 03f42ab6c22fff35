"""The versioned ruleset: country groups with dated changes, classification periods, every rule's typed
parameters, ownership thresholds and list policy.

A ruleset is data (a TOML file shipped in the package, or another given in settings). `Ruleset.from_mapping`
turns the parsed mapping into typed values once, and refuses a file that does not follow the schema: an
unknown table or key, a missing one, or a value of the wrong type is a `RulesetError` naming the file, the
table, the key and what was expected. This module never reads files or the environment itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from screening.domain.classification import ClassificationRules
from screening.domain.countries import CountryChange, CountryGroups
from screening.domain.lists import ListPolicy
from screening.domain.ownership import OwnershipPolicy
from screening.domain.parameters import Parameters, RuleParams, RulesetError, convert, parse_table
from screening.domain.rules.registry import parameter_classes

__all__ = ["CountryChange", "CountryGroups", "DatedEntry", "MatchingParams", "Ruleset", "RulesetError"]

P = TypeVar("P", bound=Parameters)

_TOP_LEVEL = frozenset(
    {
        "version",
        "published",
        "classification",
        "countries",
        "rules",
        "ownership",
        "lists",
        "matching",
        "red_flags",
    }
)
# Country groups of Supplement No. 1 to Part 740 a ruleset may list; the rules read D:1, D:4, D:5, A:5, A:6.
_GROUPS = frozenset({"A1", "A2", "A3", "A4", "A5", "A6", "B", "D1", "D2", "D3", "D4", "D5", "E1", "E2"})
_REQUIRED_GROUPS = ("D1", "D4", "D5", "A5", "A6")


@dataclass(frozen=True, slots=True)
class MatchingParams:
    """`[matching]`: name-match scores at or above which a hit is strong (a match) or weak (held)."""

    table: ClassVar[str] = "matching"
    strong: float
    weak: float

    def __post_init__(self) -> None:
        if not 0.0 < self.weak <= self.strong <= 1.0:
            raise ValueError(f"need 0 < weak <= strong <= 1, got weak {self.weak}, strong {self.strong}")


@dataclass(frozen=True, slots=True)
class DatedEntry:
    """One date the ruleset names: where (`table`, `key`) and when. A calendar of changes reads these."""

    table: str
    key: str
    on: date


# Tables the engine reads besides the rules' own (the registry supplies those).
_ENGINE_TABLES: tuple[type[Parameters], ...] = (OwnershipPolicy, MatchingParams, ListPolicy)


@dataclass(frozen=True, slots=True)
class Ruleset:
    """Everything the rules read as values: versioned, loaded from a file, never from the environment."""

    version: str
    source: str
    countries: CountryGroups
    classification: ClassificationRules
    tables: Mapping[str, Parameters]
    published: date | None = None

    def params(self, cls: type[P]) -> P:
        """The parsed parameters of class `cls` (its table); a class without a table gets its defaults."""
        if not cls.table:
            return cls()
        found = self.tables.get(cls.table)
        if not isinstance(found, cls):
            raise KeyError(f"ruleset {self.version} ({self.source}) has no [{cls.table}] of {cls.__name__}")
        return found

    @property
    def list_policy(self) -> ListPolicy:
        """The `[lists]` policy: outcome of a hit per list."""
        return self.params(ListPolicy)

    @property
    def ownership_policy(self) -> OwnershipPolicy:
        """The `[ownership]` thresholds."""
        return self.params(OwnershipPolicy)

    @property
    def ownership(self) -> Mapping[str, Any]:
        """The `[ownership]` thresholds as a read-only mapping of key to value (prefer `ownership_policy`)."""
        policy = self.ownership_policy
        return MappingProxyType({name: getattr(policy, name) for name in policy.__dataclass_fields__})

    @property
    def matching(self) -> Mapping[str, float]:
        """The `[matching]` thresholds as a read-only mapping (`strong`, `weak`)."""
        found = self.params(MatchingParams)
        return MappingProxyType({"strong": found.strong, "weak": found.weak})

    def dated_entries(self) -> tuple[DatedEntry, ...]:
        """Every date the ruleset names: rule windows and dated parameters, country-group changes and
        their review windows, classification periods. Sorted by date."""
        entries: list[DatedEntry] = []
        for table, found in self.tables.items():
            if isinstance(found, RuleParams):
                entries.extend(DatedEntry(table, key, on) for key, on in found.dates().items())
        for index, change in enumerate(self.countries.changes):
            where = f"countries.changes[{index}] {change.country} {change.change} {change.group}"
            entries.append(DatedEntry(where, "effective", change.effective))
            if change.review_window_from is not None:
                entries.append(DatedEntry(where, "review_window_from", change.review_window_from))
        for period in self.classification.periods:
            where = f"classification.periods {period.name}"
            for key, on in (
                ("from", period.valid_from),
                ("to", period.valid_to),
                ("hbm_from", period.hbm_from),
            ):
                if on is not None:
                    entries.append(DatedEntry(where, key, on))
        return tuple(sorted(entries, key=lambda entry: (entry.on, entry.table, entry.key)))

    @staticmethod
    def from_mapping(data: Mapping[str, Any], source: str = "ruleset.toml") -> Ruleset:
        """Build a ruleset from the parsed TOML mapping of file `source` (named in every error)."""
        unknown = sorted(set(data) - _TOP_LEVEL)
        if unknown:
            raise RulesetError(
                f"{source}: unknown top-level key {unknown[0]!r}; "
                f"the keys are: {', '.join(sorted(_TOP_LEVEL))}"
            )
        version = convert(_required(data, "version", source, ""), str, f"{source}: version")
        published = convert(data["published"], date, f"{source}: published") if "published" in data else None
        countries = _countries(_required(data, "countries", source, ""), source)
        classification = _required(data, "classification", source, "")
        if not isinstance(classification, Mapping) or set(classification) != {"periods"}:
            raise RulesetError(
                f"{source}: [classification] must hold exactly the list [[classification.periods]]"
            )
        rules = data.get("rules", {})
        if not isinstance(rules, Mapping):
            raise RulesetError(f"{source}: [rules] must be a table of rule tables")
        classes = (*parameter_classes(), *_ENGINE_TABLES)
        known_rules = {cls.table.removeprefix("rules.") for cls in classes if cls.table.startswith("rules.")}
        stray = sorted(set(rules) - known_rules)
        if stray:
            raise RulesetError(
                f"{source}: unknown rule table [rules.{stray[0]}]; the rule tables are: "
                + ", ".join(f"[rules.{name}]" for name in sorted(known_rules))
            )
        tables: dict[str, Parameters] = {}
        for cls in classes:
            head, _, name = cls.table.partition(".")
            table = rules.get(name) if head == "rules" else data.get(head)
            if table is None:
                raise RulesetError(f"{source}: missing table [{cls.table}]")
            tables[cls.table] = parse_table(cls, table, source, cls.table)
        return Ruleset(
            version=version,
            source=source,
            countries=countries,
            classification=ClassificationRules.from_mapping(classification["periods"], source=source),
            tables=MappingProxyType(tables),
            published=published,
        )


def _required(data: Mapping[str, Any], key: str, source: str, table: str) -> Any:
    if key not in data:
        where = f"[{table}] {key}" if table else key
        raise RulesetError(f"{source}: {where} is required")
    return data[key]


@dataclass(frozen=True, slots=True)
class _ChangeParams:
    """One `[[countries.changes]]` table."""

    table: ClassVar[str] = "countries.changes"
    country: str
    group: str
    change: str
    effective: date
    review_window_from: date | None = None


def _countries(data: Any, source: str) -> CountryGroups:
    """`[countries]`: group memberships, the dated changes, and how Hong Kong and Macau are treated."""
    if not isinstance(data, Mapping):
        raise RulesetError(f"{source}: [countries] must be a table")
    groups: dict[str, frozenset[str]] = {}
    changes: list[CountryChange] = []
    hong_kong_as, macau = "CN", "MO"
    for key, value in data.items():
        where = f"{source}: [countries] {key}"
        if key == "hong_kong_as":
            hong_kong_as = convert(value, str, where).upper()
        elif key == "macau":
            macau = convert(value, str, where).upper()
        elif key == "changes":
            items = convert(value, tuple[dict[str, Any], ...], where)
            for index, item in enumerate(items):
                spec = parse_table(_ChangeParams, item, source, f"countries.changes[{index}]")
                if spec.group not in _GROUPS or spec.change not in ("add", "remove"):
                    raise RulesetError(
                        f"{source}: [countries.changes[{index}]] needs a known group (one of "
                        f"{', '.join(sorted(_GROUPS))}) and change 'add' or 'remove', got "
                        f"{spec.group!r} / {spec.change!r}"
                    )
                changes.append(
                    CountryChange(
                        country=spec.country.upper(),
                        group=spec.group,
                        change=spec.change,
                        effective=spec.effective,
                        review_window_from=spec.review_window_from,
                    )
                )
        elif key in _GROUPS:
            groups[key] = frozenset(c.upper() for c in convert(value, tuple[str, ...], where))
        else:
            raise RulesetError(
                f"{where}: unknown key; [countries] holds the groups ({', '.join(sorted(_GROUPS))}), "
                "hong_kong_as, macau and changes"
            )
    missing = [group for group in _REQUIRED_GROUPS if group not in groups]
    if missing:
        raise RulesetError(f"{source}: [countries] {missing[0]} is required (a list of ISO-2 country codes)")
    return CountryGroups(base=groups, changes=tuple(changes), hong_kong_as=hong_kong_as, macau=macau)
