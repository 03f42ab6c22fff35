"""Party rules (R06): a party whose names match a control-list entry, in any role."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import ClassVar

from screening.domain.clearances import entry_fingerprint
from screening.domain.disguise import identifies_no_one, reveal
from screening.domain.lists import ListPolicy
from screening.domain.model import Outcome, Reason
from screening.domain.parameters import Parameters
from screening.domain.reasons import ReasonCode
from screening.domain.rules.base import NoParameters, RuleContext, Scope
from screening.domain.rules.inputs import Input


class ListedPartyRule:
    """R06: a strong match takes the list's outcome (`[lists]`); a weaker one is held for adjudication.

    A list the policy does not name takes the policy's default (hold): a new list never fails open. A
    match on a record-only list (NS-CMIC, an investment restriction) is recorded with an `allow` outcome
    (`NON_EXPORT_LIST_MATCH`): the reviewer sees it, nothing is held for it. A held match a reviewer
    cleared for this party, against the entry as it still is, is recorded as cleared (allow); once the
    entry changed, it is held again with the lapsed clearance in its evidence.
    """

    rule_id: ClassVar[str] = "R06"
    name: ClassVar[str] = "listed_party"
    title: ClassVar[str] = "A party on a control list (Entity List, SDN, DPL, MEU and the others)"
    citation: ClassVar[str] = "15 CFR 744.11, Supp. 4 to Part 744; 31 CFR 501"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_NAMES, Input.PARTY_COUNTRY, Input.LIST_MATCHES)
    codes: ClassVar[tuple[ReasonCode, ...]] = (
        ReasonCode.LISTED_PARTY,
        ReasonCode.POSSIBLE_LIST_MATCH,
        ReasonCode.NON_EXPORT_LIST_MATCH,
        ReasonCode.LIST_MATCH_CLEARED,
    )
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
                if self.policy.record_only(hit.entry.source):
                    code = ReasonCode.NON_EXPORT_LIST_MATCH
                    unnamed = (
                        f"; {hit.entry.source} restricts investment, not exports: recorded for review, "
                        "no export consequence"
                    )
                if not self.policy.names(hit.entry.source):
                    evidence["list_policy"] = (
                        f"none for {hit.entry.source}: default {self.policy.default.value}"
                    )
                    unnamed = (
                        f"; the ruleset has no policy for {hit.entry.source}: {outcome.value} by default"
                    )
                message = (
                    f"{profile.party.role} {profile.party.name!r} {strength} {hit.entry.source} "
                    f"entry {hit.entry.name!r} (as {hit.matched_name!r}, score {hit.score:.2f}){unnamed}"
                )
                clearance = profile.clearances.get(hit.entry.entry_id) if outcome is Outcome.HOLD else None
                if clearance is not None:
                    now_hash = entry_fingerprint(hit.entry)
                    if now_hash == clearance.entry_hash:
                        evidence["clearance"] = clearance.evidence()
                        reasons.append(
                            Reason(
                                code=ReasonCode.LIST_MATCH_CLEARED,
                                outcome=Outcome.ALLOW,
                                party_role=profile.party.role,
                                message=(
                                    f"{message}: cleared as a false positive by "
                                    f"{' and '.join(clearance.reviewers)} on {clearance.cleared_at.date()} "
                                    f"(review {clearance.review_id}); the entry is unchanged since"
                                ),
                                evidence=evidence,
                            )
                        )
                        continue
                    evidence["clearance_lapsed"] = {**clearance.evidence(), "entry_sha256_now": now_hash}
                    message += (
                        f"; cleared by {' and '.join(clearance.reviewers)} on {clearance.cleared_at.date()}, "
                        "but the entry has changed since: held again"
                    )
                reasons.append(
                    Reason(
                        code=code,
                        outcome=outcome,
                        party_role=profile.party.role,
                        message=message,
                        evidence=evidence,
                    )
                )
        return reasons


class NameObfuscatedRule:
    """A party name that changes when read as a reader sees it (escapes, invisible characters, bidi
    overrides, look-alike letters of other scripts): a red flag in itself, held as well as matched."""

    rule_id: ClassVar[str] = "R06, R19"
    name: ClassVar[str] = "name_obfuscated"
    title: ClassVar[str] = "A party name written to look different to a computer than to a reader"
    citation: ClassVar[str] = "15 CFR 744.11; Supp. No. 3 to Part 732 (evasive customers); Unicode TR39"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_NAMES,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.NAME_OBFUSCATED,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`NAME_OBFUSCATED` (hold) per party with a disguised name or alias."""
        reasons: list[Reason] = []
        for profile in context.profiles:
            party = profile.party
            found = [(name, reveal(name)) for name in party.names]
            disguised = [(name, shown) for name, shown in found if shown.disguised]
            if not disguised:
                continue
            tricks = sorted({trick for _, shown in disguised for trick in shown.tricks})
            reasons.append(
                Reason(
                    code=ReasonCode.NAME_OBFUSCATED,
                    outcome=Outcome.HOLD,
                    party_role=party.role,
                    message=(
                        f"{party.role} name {_visible(disguised[0][0])} reads as {disguised[0][1].text!r} "
                        f"once {', '.join(tricks)} are undone: screened as read, and held"
                    ),
                    evidence={
                        "names": [
                            {"given": _visible(name), "read_as": shown.text, "tricks": list(shown.tricks)}
                            for name, shown in disguised
                        ]
                    },
                )
            )
        return reasons


class PartyUnidentifiedRule:
    """A party whose name names no one (empty once read, punctuation, a legal form alone, a placeholder
    such as TBD, N/A or unknown): it cannot be screened against any list, so the event is held."""

    rule_id: ClassVar[str] = "R06 (input)"
    name: ClassVar[str] = "party_unidentified"
    title: ClassVar[str] = "Every party must be named"
    citation: ClassVar[str] = "15 CFR 744.11; Supp. No. 3 to Part 732; contract failure semantics"
    inputs: ClassVar[tuple[Input, ...]] = (Input.PARTY_NAMES,)
    guards: ClassVar[tuple[Input, ...]] = (Input.PARTY_NAMES,)
    codes: ClassVar[tuple[ReasonCode, ...]] = (ReasonCode.PARTY_UNIDENTIFIED,)
    scope: ClassVar[Scope] = Scope.PARTIES
    Params: ClassVar[type[Parameters]] = NoParameters

    def __init__(self, params: NoParameters) -> None:
        self.params = params

    def evaluate(self, context: RuleContext) -> Sequence[Reason]:
        """`PARTY_UNIDENTIFIED` (hold) per party none of whose names identifies anyone."""
        return [
            Reason(
                code=ReasonCode.PARTY_UNIDENTIFIED,
                outcome=Outcome.HOLD,
                party_role=profile.party.role,
                message=(
                    f"{profile.party.role} is named {_visible(profile.party.name)}, which identifies no one: "
                    "it cannot be screened against the lists; held until the party is named"
                ),
                evidence={"names": [_visible(name) for name in profile.party.names]},
            )
            for profile in context.profiles
            if all(identifies_no_one(name) for name in profile.party.names)
        ]


# Letters that show nothing (Hangul fillers): written as escapes in evidence, like format characters.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")


def _visible(name: str) -> str:
    """`name` quoted, with invisible, format and control characters written as \\u escapes, so that the
    evidence shows what was sent."""
    return "'" + "".join(char if _shows(char) else f"\\u{ord(char):04x}" for char in name) + "'"


def _shows(char: str) -> bool:
    if char == " ":
        return True
    return char.isprintable() and unicodedata.category(char) not in ("Cf", "Zs") and char not in _FILLERS
