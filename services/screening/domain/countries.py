"""Country groups of Supplement No. 1 to Part 740 with their dated changes, evaluated as of a date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


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
