"""Party rules (R06): a party whose names match a control-list entry, in any role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from screening.domain.lists import ListPolicy
from screening.domain.model import Reason
from screening.domain.parameters import Parameters
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import RuleContext, Scope
from screening.domain.rules.inputs import Input


class ListedPartyRule:
    """R06: a strong match takes the list's outcome (`[lists]`); a weaker one is held for adjudication.

    A list the policy does not name takes the policy's default (hold): a new list never fails open.
    """

    rule_id: ClassVar[str] = "R06"
    name: ClassVar[str] = "listed_party"
    title: ClassVar[str] = "A party on a control list (Entity List, SDN, DPL, MEU and the others)"
    citation: ClassVar[str] = "15 CFR 744.11, Supp. 4 to Part 744; 31 CFR 501"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_NAMES, Input.PARTY_COUNTRY, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.LISTED_PARTY, ReasonCode.POSSIBLE_LIST_MATCH)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = ListPolicy

    def __init__(self, params: ListPolicy) -> None:
        self.policy = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """One reason per list hit of every party."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            for hit in profile.hits:
                outcome = self.policy.outcome_for(hit.entry.source, hit.strong)
                strength = "matches" if hit.strong else "may match"
                code = ReasonCode.LISTED_PARTY if hit.strong else ReasonCode.POSSIBLE_LIST_MATCH
                evidence: dict[str, object] = {"list_hit": hit.evidence()}
                unnamed = ""
                if not self.policy.names(hit.entry.source):
                    evidence["list_policy"] = (
                        f"none for {hit.entry.source}: default {self.policy.default.value}"
                    )
                    unnamed = (
                        f"; the ruleset has no policy for {hit.entry.source}: {outcome.value} by default"
                    )
                reasons.append(
                    Reason(
                        code=code,
                        outcome=outcome,
                        party_role=profile.party.role,
                        message=(
                            f"{profile.party.role} {profile.party.name!r} {strength} {hit.entry.source} "
                            f"entry {hit.entry.name!r} (as {hit.matched_name!r}, score {hit.score:.2f})"
                            f"{unnamed}"
                        ),
                        evidence=evidence,
                    )
                )
        return reasons
