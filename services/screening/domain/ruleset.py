"""The versioned ruleset: country groups with dated changes, rule windows, thresholds and list policy.

A ruleset is data (a TOML file shipped in the package, or another given in settings). This module turns
the parsed mapping into typed values; it never reads files or the environment itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from screening.domain.lists import ListPolicy


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class CountryChange:
    """A dated change of one country's membership of one group."""

    country: str
    group: str
    change: str  # "add" or "remove"
    effective: date
    review_window_from: date | None = None

    def evidence(self) -> dict[str, str]:
        """The change as decision evidence (`country_group_review`)."""
        return {"group": self.group, "change": self.change, "effective": self.effective.isoformat()}


@dataclass(frozen=True, slots=True)
class CountryGroups:
    """Country groups of Supplement No. 1 to Part 740, evaluated as of a date."""

    base: Mapping[str, frozenset[str]]
    changes: tuple[CountryChange, ...]
    hong_kong_as: str = "CN"
    macau: str = "MO"
    # Memberships per (group, date): every event asks the same few questions, so answer each once.
    _members_cache: dict[tuple[str, date], frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def canonical(self, country: str | None) -> str | None:
        """The country the EAR treats `country` as (Hong Kong counts as China)."""
        if country is None:
            return None
        country = country.upper()
        return self.hong_kong_as if country == "HK" else country

    def members(self, group: str, on: date) -> frozenset[str]:
        """Members of `group` on date `on`: the snapshot, with changes before/after their effective dates.

        The snapshot lists the membership as of its date; a change is undone for dates before it took
        effect (a country removed later was still a member before) and applied from its effective date.
        """
        cached = self._members_cache.get((group, on))
        if cached is not None:
            return cached
        members = set(self.base.get(group, frozenset()))
        for change in self.changes:
            if change.group != group:
                continue
            in_effect = on >= change.effective
            if change.change == "remove":
                if in_effect:
                    members.discard(change.country)
                else:
                    members.add(change.country)
            elif change.change == "add":
                if in_effect:
                    members.add(change.country)
                else:
                    members.discard(change.country)
        result = self._members_cache[(group, on)] = frozenset(members)
        return result

    def in_group(self, country: str | None, group: str, on: date) -> bool:
        """Whether `country` (HK as CN) is in `group` on `on`."""
        canonical = self.canonical(country)
        return canonical is not None and canonical in self.members(group, on)

    def is_d5_or_macau(self, country: str | None, on: date) -> bool:
        """D:5 or Macau: the headquarters rule, NAC, GP10 and is-informed destinations."""
        canonical = self.canonical(country)
        return canonical == self.macau or self.in_group(canonical, "D5", on)

    def needs_advanced_computing_licence(self, country: str | None, on: date) -> bool:
        """(D:1 ∪ D:4 ∪ D:5) minus (A:5 ∪ A:6), plus Macau (15 CFR 742.6(a)(6))."""
        canonical = self.canonical(country)
        if canonical is None:
            return False
        if canonical == self.macau:
            return True
        controlled = any(self.in_group(canonical, g, on) for g in ("D1", "D4", "D5"))
        exempt = any(self.in_group(canonical, g, on) for g in ("A5", "A6"))
        return controlled and not exempt

    def in_review_window(self, country: str | None, on: date) -> CountryChange | None:
        """A change whose legal effect is unsettled on `on` (e.g. Cambodia between State's and BIS's acts)."""
        canonical = self.canonical(country)
        for change in self.changes:
            if (
                change.country == canonical
                and change.review_window_from is not None
                and change.review_window_from <= on < change.effective
            ):
                return change
        return None


@dataclass(frozen=True, slots=True)
class RuleWindow:
    """When a rule applies; optional suspension window inside it."""

    name: str
    effective_from: date | None
    effective_to: date | None = None
    suspended_from: date | None = None
    suspended_to: date | None = None
    params: Mapping[str, Any] | None = None

    def in_force(self, on: date) -> bool:
        """In force on `on` and not suspended."""
        return self.applies(on) and not self.suspended(on)

    def applies(self, on: date) -> bool:
        """Within the effective window (ignoring suspension)."""
        if self.effective_from is not None and on < self.effective_from:
            return False
        return not (self.effective_to is not None and on > self.effective_to)

    def suspended(self, on: date) -> bool:
        """Within the suspension window."""
        return (
            self.suspended_from is not None
            and self.suspended_to is not None
            and self.suspended_from <= on <= self.suspended_to
        )

    def param(self, key: str, default: Any = None) -> Any:
        """A rule parameter from the ruleset (models, destinations, thresholds)."""
        return (self.params or {}).get(key, default)


@dataclass(frozen=True, slots=True)
class Ruleset:
    """Everything the rules read as values: versioned, loaded from a file, never from the environment."""

    version: str
    countries: CountryGroups
    rules: Mapping[str, RuleWindow]
    list_policy: ListPolicy
    classification: tuple[Mapping[str, Any], ...]
    ownership: Mapping[str, Any]
    matching: Mapping[str, float]
    red_flags: Mapping[str, tuple[str, ...]]

    def rule(self, name: str) -> RuleWindow:
        """The window of rule `name`; a missing rule is a ruleset error, not a silent pass."""
        try:
            return self.rules[name]
        except KeyError as missing:
            raise KeyError(f"ruleset {self.version} has no rule {name!r}") from missing

    @staticmethod
    def from_mapping(data: Mapping[str, Any]) -> Ruleset:
        """Build a ruleset from the parsed TOML mapping."""
        countries = data["countries"]
        groups = {
            key: frozenset(str(c).upper() for c in value)
            for key, value in countries.items()
            if isinstance(value, list) and key != "changes"
        }
        changes = tuple(
            CountryChange(
                country=str(c["country"]).upper(),
                group=str(c["group"]),
                change=str(c["change"]),
                effective=date.fromisoformat(str(c["effective"])),
                review_window_from=_date(c.get("review_window_from")),
            )
            for c in countries.get("changes", [])
        )
        windows = {}
        for name, spec in data.get("rules", {}).items():
            params = {
                k: v for k, v in spec.items() if k not in ("from", "to", "suspended_from", "suspended_to")
            }
            windows[name] = RuleWindow(
                name=name,
                effective_from=_date(spec.get("from")),
                effective_to=_date(spec.get("to")),
                suspended_from=_date(spec.get("suspended_from")),
                suspended_to=_date(spec.get("suspended_to")),
                params=params,
            )
        lists = data.get("lists", {})
        red_flags = {k: tuple(v) for k, v in data.get("red_flags", {}).items()}
        return Ruleset(
            version=str(data["version"]),
            countries=CountryGroups(
                base=groups,
                changes=changes,
                hong_kong_as=str(countries.get("hong_kong_as", "CN")),
                macau=str(countries.get("macau", "MO")),
            ),
            rules=windows,
            list_policy=ListPolicy(
                deny_lists=frozenset(lists.get("deny", [])), hold_lists=frozenset(lists.get("hold", []))
            ),
            classification=tuple(data.get("classification", {}).get("periods", [])),
            ownership=dict(data.get("ownership", {})),
            matching={k: float(v) for k, v in data.get("matching", {}).items()},
            red_flags=red_flags,
        )
