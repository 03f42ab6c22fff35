"""List integrity: a new list version that loses much of the last good one, or a required list, is refused.

A Consolidated Screening List file that lost most of its rows (a truncated download, an HTML error page, a
one-entry list written into Redis) would screen almost every party clean. A candidate version is compared
with the last good version (or, when none is known, the shipped snapshot): it is refused when it holds fewer
than `1 - max_entry_loss` of the baseline's entries, in all or on any required list, or lacks a required list
altogether. An operator can force a refused version (recorded, and alerted on).

Pure computation: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from screening.domain.lists import ListEntry


@dataclass(frozen=True, slots=True)
class ListCounts:
    """How many entries a list version holds, in all and per list (source code)."""

    entries: int
    by_source: Mapping[str, int] = field(default_factory=dict)

    @staticmethod
    def of(entries: Iterable[ListEntry]) -> ListCounts:
        """The counts of `entries`."""
        by_source: dict[str, int] = {}
        total = 0
        for entry in entries:
            total += 1
            by_source[entry.source] = by_source.get(entry.source, 0) + 1
        return ListCounts(total, MappingProxyType(dict(sorted(by_source.items()))))

    def as_dict(self) -> dict[str, object]:
        """The counts as plain data (stored beside a version, printed by the loaders)."""
        return {"entries": self.entries, "by_source": dict(self.by_source)}


@dataclass(frozen=True, slots=True)
class IntegrityPolicy:
    """How much a new version may lose against the last good one, and which lists it must hold."""

    max_entry_loss: float = 0.10
    required_sources: tuple[str, ...] = ("EL", "SDN")

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_entry_loss < 1.0:
            raise ValueError(f"max_entry_loss must be in [0, 1), got {self.max_entry_loss}")


def integrity_problems(
    candidate: ListCounts, baseline: ListCounts | None, policy: IntegrityPolicy
) -> list[str]:
    """Why `candidate` must not replace `baseline` (empty when it may).

    Refused: a required list missing; fewer entries than `1 - max_entry_loss` of the baseline's, in all or
    on a required list. Without a baseline only the required lists are checked.
    """
    problems: list[str] = []
    if candidate.entries == 0:
        return ["the version holds no entries"]
    for source in policy.required_sources:
        if candidate.by_source.get(source, 0) == 0:
            problems.append(f"the required list {source} is missing")
    if baseline is None:
        return problems
    floor = 1.0 - policy.max_entry_loss
    if candidate.entries < floor * baseline.entries:
        problems.append(_loss("entries", candidate.entries, baseline.entries, policy))
    for source in policy.required_sources:
        had, has = baseline.by_source.get(source, 0), candidate.by_source.get(source, 0)
        if had and 0 < has < floor * had:
            problems.append(_loss(f"{source} entries", has, had, policy))
    return problems


def _loss(what: str, has: int, had: int, policy: IntegrityPolicy) -> str:
    lost = 1 - has / had
    return (
        f"{what}: {has} against {had} in the last good version, {lost:.0%} lost "
        f"(more than the {policy.max_entry_loss:.0%} allowed)"
    )


def required(sources: Sequence[str]) -> tuple[str, ...]:
    """Required list codes, upper-cased and without repeats."""
    return tuple(dict.fromkeys(source.strip().upper() for source in sources if source.strip()))
