"""The three screening outcomes and their order of severity."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A screening outcome; `deny` is more severe than `hold`, which is more severe than `allow`."""

    ALLOW = "allow"
    HOLD = "hold"
    DENY = "deny"

    @property
    def severity(self) -> int:
        """Rank used to pick the most severe outcome."""
        return _SEVERITY[self]

    @staticmethod
    def most_severe(outcomes: list[Outcome]) -> Outcome:
        """The most severe of `outcomes`, `allow` when there are none."""
        return max(outcomes, key=lambda outcome: outcome.severity, default=Outcome.ALLOW)


_SEVERITY = {Outcome.ALLOW: 0, Outcome.HOLD: 1, Outcome.DENY: 2}
