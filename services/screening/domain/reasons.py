"""Every reason code the service can emit, with the rule, legal basis and outcomes beside each.

A code is a stable upper-case identifier (contract: `reasons[].code`): codes are never renamed or reused.
`docs/reason-codes.md` is generated from this table (`make docs`), and a test fails when it drifts.
A new code is one line here, in the same change as the rule that emits it.
"""

from __future__ import annotations

from enum import StrEnum

from screening.domain.outcome import Outcome

ALLOW, HOLD, DENY = Outcome.ALLOW, Outcome.HOLD, Outcome.DENY


class Family(StrEnum):
    """The group a code is listed under in the documentation (one module of rules per family)."""

    CLASSIFICATION = "Classification (R01–R03)"
    DESTINATION = "Destination, headquarters and item rules (R04, R05, R13–R15)"
    PARTIES = "Parties and lists (R06)"
    LICENCES = "Licences on file (R04, R05, R13, R14)"
    OWNERSHIP = "Ownership (R09–R12)"
    LEASES = "Leases (R16, R17, R20)"
    END_USE = "End use and red flags (R18, R19)"
    COMPLETENESS = "Completeness: inputs the rules need (fail closed)"
    LIFECYCLE = "Order lifecycle"
    SERVICE = "Service failures and rejected events"
    REVIEW = "Reviews"


class ReasonCode(StrEnum):
    """A reason code, with the catalogue rule, outcomes, when it fires and its legal basis.

    Each member is declared as (code, family, rule, outcomes, when, citation).
    """

    family: Family
    rule: str
    outcomes: tuple[Outcome, ...]
    when: str
    citation: str

    def __new__(
        cls,
        code: str,
        family: Family,
        rule: str,
        outcomes: tuple[Outcome, ...],
        when: str,
        citation: str,
    ) -> ReasonCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.family = family
        member.rule = rule
        member.outcomes = outcomes
        member.when = when
        member.citation = citation
        return member

    # --- classification --------------------------------------------------------------------------------
    CLASSIFICATION_UNKNOWN = (
        "CLASSIFICATION_UNKNOWN",
        Family.CLASSIFICATION,
        "R01",
        (HOLD,),
        "A line that no ECCN, catalogue row or TPP/die-area/datacenter (or HBM bandwidth/area) classifies; "
        "never a silent allow",
        "Contract; 15 CFR 774 Supp. 1 (3A090)",
    )
    ECCN_MISMATCH = (
        "ECCN_MISMATCH",
        Family.CLASSIFICATION,
        "R01",
        (HOLD,),
        "A given ECCN disagrees with the one computed from the parameters",
        "§1.2; vendor-vs-computed cross-check",
    )

    # --- destination, headquarters, items --------------------------------------------------------------
    DEST_ADV_COMPUTE = (
        "DEST_ADV_COMPUTE",
        Family.DESTINATION,
        "R04 (R03 for 3A090.c)",
        (DENY, HOLD, ALLOW),
        "3A090/4A090/.z item to a licence destination. D:5 or Macau: **deny** unless a licence, or NAC for a "
        "NAC-eligible item, covers ECCN, destination and date. D:1/D:4 outside A:5/A:6: **hold** unless a "
        "licence or ACA is on file. **allow** when one is. Before 17 Nov 2023 only China (and Macau from 17 "
        "Jan 2023), licence only. 3A090.c is neither NAC- nor ACA-eligible. The end user's country counts "
        "as an onward destination (`evidence.route`). A country whose D:5 status is unsettled (Cambodia 7 "
        "Nov 2025 – 2 Feb 2026) is treated as D:1 and flagged (`evidence.country_group_review`)",
        "15 CFR 742.6(a)(6), 740.8, 740.2(a)(9); 87 FR 62186; 88 FR 2821; 88 FR 73458; 89 FR 23876; "
        "89 FR 96790",
    )
    HQ_OR_PARENT_D5 = (
        "HQ_OR_PARENT_D5",
        Family.DESTINATION,
        "R05",
        (DENY, HOLD, ALLOW),
        "3A090/4A090/.z item going anywhere outside the U.S. for a buyer, end user or lessee headquartered "
        "in D:5 or Macau, or whose ultimate parent is. **deny** without a licence (or NAC where eligible); "
        "**hold** when the D:5 status of that country is unsettled on the date; **allow** with the licence",
        "15 CFR 742.6(a)(6)(iii)(A) (formerly 744.23(a)(3)); BIS guidance of 31 May 2026",
    )
    IS_INFORMED_WATCHLIST = (
        "IS_INFORMED_WATCHLIST",
        Family.DESTINATION,
        "R13",
        (DENY, HOLD, ALLOW),
        "From 9 Apr 2025: a model named in the ruleset's is-informed list (H20, MI308, MI309), found by "
        "catalogue row or by name or alias in the product string (no catalogue row needed), or a chip "
        "outside 3A090 at or above the H20's memory (4,000 GB/s) or interconnect (900 GB/s) bandwidth, going "
        "to China/HK/Macau/D:5 or for any party headquartered (or ultimately owned) there. **deny** without "
        "a licence, **allow** with one; **hold** when only a country whose D:5 status is unsettled on the "
        "date (Cambodia 7 Nov 2025 – 2 Feb 2026) brings the line under the notice",
        "BIS is-informed letter of 9 Apr 2025 (NVIDIA 8-K of 15 Apr 2025)",
    )
    H200_CASE_BY_CASE = (
        "H200_CASE_BY_CASE",
        Family.DESTINATION,
        "R14",
        (ALLOW, DENY),
        "From 15 Jan 2026, 3A090.a/4A090.a with TPP < 21,000 and DRAM bandwidth < 6,500 GB/s to China/Macau "
        "with a licence on file. **allow** (explanation) for a direct export from the U.S.; **deny** for a "
        "reexport from a third country or an in-country transfer abroad (presumption of denial: the licence "
        "does not cover it)",
        "91 FR 1684 (15 Jan 2026)",
    )
    PRC_ADV_IC_GP10 = (
        "PRC_ADV_IC_GP10",
        Family.DESTINATION,
        "R15",
        (DENY, HOLD),
        "From 13 May 2025, a PRC-designed IC meeting 3A090 in any transaction, remote leases included. A "
        "model the guidance names (ruleset `models`: Ascend 910B, 910C, 910D and their variants): **deny**, "
        "or **hold** when the declared use is evaluation, teardown or benchmarking (its exception). "
        "Another PRC-designed 3A090 IC (the 2019 Ascend 910, the Hanguang 800): **hold** for review of "
        "whether it was produced in breach of the EAR (`evidence.named_in_guidance` is null)",
        "BIS GP10 guidance of 13 May 2025 (regulation.md §3.5, §5.4, §8 R15); 15 CFR 736.2(b)(10)",
    )

    # --- parties and lists -----------------------------------------------------------------------------
    LISTED_PARTY = (
        "LISTED_PARTY",
        Family.PARTIES,
        "R06",
        (DENY, HOLD),
        "A party (any role) strongly matches a list entry: **deny** for EL, SDN, DPL, MEU; **hold** for UVL, "
        "SSI, NS-MBS, ISN, DTC, PLC, CAP (ruleset `[lists]`); a list the policy does not name takes "
        "`[lists] default` (hold), noted in `evidence.list_policy`",
        "15 CFR 744.11, Supp. 4 to Part 744; 31 CFR 501",
    )
    POSSIBLE_LIST_MATCH = (
        "POSSIBLE_LIST_MATCH",
        Family.PARTIES,
        "R06",
        (HOLD,),
        "A weaker match (score between the ruleset's `weak` and `strong` thresholds) to adjudicate",
        "15 CFR 744.11; Supp. 3 to Part 732",
    )

    NON_EXPORT_LIST_MATCH = (
        "NON_EXPORT_LIST_MATCH",
        Family.PARTIES,
        "R06",
        (ALLOW,),
        "A party matches (strongly or weakly) an entry of a list that restricts something other than exports "
        "(ruleset `[lists] record`: NS-CMIC, a securities-investment restriction). Recorded for the reviewer "
        "with the entry, alias and score; no hold, no deny. The same list is ignored for owners",
        "regulation.md §0: NS-CMIC restricts securities investment and is not an export-screening list "
        "(OFAC, 10 Dec 2021; E.O. 13959)",
    )
    LIST_MATCH_CLEARED = (
        "LIST_MATCH_CLEARED",
        Family.PARTIES,
        "R06",
        (ALLOW,),
        "A possible match a reviewer released as a false positive for this party (same party identity, same "
        "list entry, entry content unchanged since: its SHA-256 matches). `evidence.clearance` says who "
        "cleared it, when and on which review. Never clears a match the list policy denies. When the entry "
        "changes in a new list version the clearance lapses and the match is held again "
        "(`POSSIBLE_LIST_MATCH` with `evidence.clearance_lapsed`)",
        "15 CFR 744.11; Supp. 3 to Part 732 (the exporter's own adjudication, kept on record)",
    )
    NAME_OBFUSCATED = (
        "NAME_OBFUSCATED",
        Family.PARTIES,
        "R06, R19",
        (HOLD,),
        "A party's name or alias changes when read as a reader sees it: HTML/URL escapes, invisible or "
        "default-ignorable characters (zero-width, Hangul fillers, tags, variation selectors), bidi "
        "overrides, look-alike letters of other scripts in a Latin word, mixed full-width letters. Held as "
        "well as screened as read; `evidence.names` shows each name as given, as read and the tricks",
        "15 CFR 744.11; Supp. No. 3 to Part 732; Unicode TR39",
    )
    PARTY_UNIDENTIFIED = (
        "PARTY_UNIDENTIFIED",
        Family.PARTIES,
        "R06",
        (HOLD,),
        "A party's names identify no one: empty once read, punctuation only, a legal form alone, a "
        "placeholder (TBD, N/A, unknown, XXX...). Lists apply to every party, so this holds any event",
        "15 CFR 744.11; Supp. No. 3 to Part 732; contract failure semantics",
    )

    # --- licences on file ------------------------------------------------------------------------------
    LICENCE_VERIFIED = (
        "LICENCE_VERIFIED",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (ALLOW,),
        "A licence or NAC/ACA the event names is in the licence store, active, within its dates, for the "
        "parties it names; `evidence` has the stored record, the balance before this event and the lines "
        "drawn down on `allow` (`draws`)",
        "15 CFR 750.7 (licence terms and conditions), 740.8; 15 CFR 762 (records)",
    )
    LICENCE_UNVERIFIED = (
        "LICENCE_UNVERIFIED",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The event describes a licence (ECCN or destination) the licence store does not hold: written only "
        "in the event. The rules count it as described; held unless `licences.trust_event_licences` is set",
        "15 CFR 750.7; contract failure semantics",
    )
    LICENCE_UNKNOWN = (
        "LICENCE_UNKNOWN",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The event names a licence by number alone and the licence store does not hold it: what it covers "
        "cannot be told. Held (whatever the trust setting)",
        "15 CFR 750.7; contract failure semantics",
    )
    LICENCE_EXPIRED = (
        "LICENCE_EXPIRED",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The stored licence is not valid on the decision date (after `valid_until`, or before `valid_from`)",
        "15 CFR 750.7(g) (validity period)",
    )
    LICENCE_REVOKED = (
        "LICENCE_REVOKED",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The stored licence is revoked or suspended (`evidence.status`)",
        "15 CFR 750.8 (revocation and suspension)",
    )
    LICENCE_MISMATCH = (
        "LICENCE_MISMATCH",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The event's description of a stored licence contradicts the record: another type, an ECCN or a "
        "destination the licence does not name",
        "15 CFR 750.7",
    )
    LICENCE_PARTY_MISMATCH = (
        "LICENCE_PARTY_MISMATCH",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The stored licence names a consignee or end user and the event's buyer / end user (lessee) is "
        "another party (by party id, else by name and country)",
        "15 CFR 750.7 (parties to the licence); 740.8(b) (NAC: one consignee, one end user)",
    )
    LICENCE_EXHAUSTED = (
        "LICENCE_EXHAUSTED",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "Drawing this event's quantities down would exceed the licence's remaining quantity (checked "
        "atomically with the draw-downs of the batch: the event is held instead of published as `allow`)",
        "15 CFR 750.7 (licence quantity)",
    )
    LICENCES_UNAVAILABLE = (
        "LICENCES_UNAVAILABLE",
        Family.LICENCES,
        "R04, R05, R13, R14",
        (HOLD,),
        "The event names a licence and the licence store cannot be read",
        "Contract failure semantics (never allow on failure)",
    )

    # --- ownership -------------------------------------------------------------------------------------
    OFAC_50 = (
        "OFAC_50",
        Family.OWNERSHIP,
        "R09",
        (DENY,),
        "SDN owners hold ≥ 50% directly or indirectly, in aggregate (fixed point)",
        "OFAC FAQ 398, 401 (79 FR 47726)",
    )
    BIS_AFFILIATES_50 = (
        "BIS_AFFILIATES_50",
        Family.OWNERSHIP,
        "R10",
        (DENY, HOLD),
        "EL/MEU/§744.8-SDN owners hold ≥ 50%. **deny** 29 Sep – 9 Nov 2025 and from 10 Nov 2026; **hold** "
        "during the suspension (10 Nov 2025 – 9 Nov 2026) and before 29 Sep 2025 (red flag only)",
        "90 FR 47201; 90 FR 50857",
    )
    SIGNIFICANT_MINORITY = (
        "SIGNIFICANT_MINORITY",
        Family.OWNERSHIP,
        "R12",
        (HOLD,),
        "Listed owners short of control: aggregate ≥ 25%, or multiplicative exposure ≥ 25% (scenario 19) or "
        "≥ 50%",
        "OFAC FAQ 398; BIS Affiliates-rule red flag; Supp. 8 to Part 744",
    )
    OWNER_POSSIBLE_LIST_MATCH = (
        "OWNER_POSSIBLE_LIST_MATCH",
        Family.OWNERSHIP,
        "R09–R12",
        (HOLD,),
        "An owner above the party (at any depth) may be on a control list, but nothing ties it to the entry: "
        "a strong name match without a link on its ownership record and without exact identity, any weak "
        "match, or a link to an entry the loaded lists do not hold. Held with the owner, the entry and the "
        "score; the owner is not treated as listed, so no 50% rule denies on it",
        "OFAC FAQ 398, 401; 90 FR 47201; Supp. 8 to Part 744",
    )
    OWNERSHIP_UNKNOWN = (
        "OWNERSHIP_UNKNOWN",
        Family.OWNERSHIP,
        "R11",
        (HOLD,),
        "A listed owner's share is unknown (Red Flag 29), or no ownership record for a high-risk party of an "
        "advanced-computing transaction (party in D:1/D:4/D:5/Macau, or any lessee)",
        "Supp. 8 to Part 744; Red Flag 29",
    )
    OWNERSHIP_STALE = (
        "OWNERSHIP_STALE",
        Family.OWNERSHIP,
        "R11",
        (HOLD,),
        "The party's ownership record is older than the ruleset's `stale_after_days`",
        "Contract failure semantics",
    )
    OWNERSHIP_UNAVAILABLE = (
        "OWNERSHIP_UNAVAILABLE",
        Family.OWNERSHIP,
        "R11",
        (HOLD,),
        "The ownership registry could not be read",
        "Contract failure semantics (never allow on failure)",
    )
    OWNERSHIP_INVALID = (
        "OWNERSHIP_INVALID",
        Family.OWNERSHIP,
        "R11",
        (HOLD,),
        "A stored ownership record on the party's chain fails validation, so its owners cannot be trusted",
        "Contract failure semantics (never allow on failure)",
    )

    # --- leases ----------------------------------------------------------------------------------------
    LEASE_OFFSHORE_HARDWARE = (
        "LEASE_OFFSHORE_HARDWARE",
        Family.LEASES,
        "R16",
        (ALLOW,),
        "Explanation: a dedicated lease of advanced compute outside the U.S. is screened as a transfer to "
        "the lessee in the hardware's country (R04–R15 then apply)",
        "EAR definitions of export/reexport/transfer; 15 CFR 742.6",
    )
    LEASE_REMOTE_ACCESS_D5 = (
        "LEASE_REMOTE_ACCESS_D5",
        Family.LEASES,
        "R17",
        (DENY, HOLD),
        "Remote access to U.S.-located advanced compute. **deny** when the lessee (or end user) is on a deny "
        "list or blocked/affiliate-restricted by ownership in force: provider policy plus knowledge rules, "
        "not an export licence. **hold** for policy review when it is headquartered, or its ultimate parent "
        "is, in D:5/Macau",
        "May 2025 BIS policy statement; RASA (H.R. 2683) pending",
    )
    LEASE_TERMINATED = (
        "LEASE_TERMINATED",
        Family.LEASES,
        "R20",
        (ALLOW,),
        "A lease `terminate` without title transfer grants no new access. If a party is now listed, the "
        "reason carries an ALERT with the listing date: any access should have stopped then",
        "Design rule (regulation.md §5.5, §8 R20)",
    )
    LEASE_TITLE_TRANSFER = (
        "LEASE_TITLE_TRANSFER",
        Family.LEASES,
        "R20, R16",
        (ALLOW,),
        "Explanation: a termination that passes title to the hardware is re-screened as a transfer in the "
        "hardware's country",
        "Design rule (regulation.md §8 R20)",
    )

    # --- end use and red flags -------------------------------------------------------------------------
    AI_TRAINING_END_USE = (
        "AI_TRAINING_END_USE",
        Family.END_USE,
        "R18",
        (DENY, HOLD),
        "Declared AI training with advanced compute. **deny** when the declared use names a military or WMD "
        "end use; **hold** when the recipient or its ultimate parent is headquartered in D:5/Macau",
        "15 CFR 744.6, 744.22, 744.23; BIS policy statement of 13 May 2025",
    )
    LARGE_TRAINING_RUN = (
        "LARGE_TRAINING_RUN",
        Family.END_USE,
        "R18/R19 (RF28)",
        (ALLOW,),
        "A lease declares a training run of ≥ 10²⁶ operations (the 4E091 threshold). Logged only: Red Flag "
        "28 belongs to the AI Diffusion rule, not enforced since 13 May 2025 (outcome set in the ruleset)",
        "90 FR 4544; BIS announcement of 13 May 2025",
    )
    RF_FREIGHT_FORWARDER_FINAL_DEST = (
        "RF_FREIGHT_FORWARDER_FINAL_DEST",
        Family.END_USE,
        "R19",
        (HOLD,),
        "A freight forwarder is the ship-to or final destination",
        "Supp. 3 to Part 732",
    )
    RF_SHIP_TO_MISMATCH = (
        "RF_SHIP_TO_MISMATCH",
        Family.END_USE,
        "R19",
        (HOLD,),
        "Ship-to country differs from both the buyer's and the end user's without explanation",
        "Supp. 3 to Part 732; BIS diversion guidance of 13 May 2025",
    )
    RF_RESELLER_END_USER = (
        "RF_RESELLER_END_USER",
        Family.END_USE,
        "R19",
        (HOLD,),
        "The named end user is a reseller or distributor: the real end user is not named",
        "Supp. 3 to Part 732",
    )
    RF_AC_D5_HQ_OR_TIES = (
        "RF_AC_D5_HQ_OR_TIES",
        Family.END_USE,
        "R19",
        (HOLD,),
        "An intermediary is headquartered in D:5/Macau",
        "BIS diversion guidance of 13 May 2025",
    )

    ADDRESS_MATCH = (
        "ADDRESS_MATCH",
        Family.END_USE,
        "R19 (RF_ADDRESS_MISMATCH), R06",
        (HOLD,),
        "The ship-to address or a party's address is an address a control-list entry carries (score at or "
        "above `[rules.address_match] hold_at`: same country, the listed street, numbers and postcode). "
        "Front companies share addresses, so it holds whatever name the party gives; `evidence` names the "
        "listed address, every entry at it and the score pieces (words, numbers, postcode)",
        "Supp. No. 3 to Part 732 (red flags); Supp. No. 4 to Part 744 (entries and addresses)",
    )

    # --- completeness ----------------------------------------------------------------------------------
    DESTINATION_UNKNOWN = (
        "DESTINATION_UNKNOWN",
        Family.COMPLETENESS,
        "R04, R05, R13, R14",
        (HOLD,),
        "An order with a controlled line (3A090/4A090/.z, is-informed, GP10) has no `ship_to_country`",
        "15 CFR 742.6(a)(6); contract failure semantics",
    )

    ORIGIN_UNKNOWN = (
        "ORIGIN_UNKNOWN",
        Family.COMPLETENESS,
        "R14",
        (HOLD,),
        "An H200-class order to China/Macau with a licence on file has no `ship_from_country`: the licence "
        "covers only a direct export from the U.S.",
        "91 FR 1684; contract failure semantics",
    )
    PARTY_LOCATION_UNKNOWN = (
        "PARTY_LOCATION_UNKNOWN",
        Family.COMPLETENESS,
        "R04, R05, R06, R13",
        (HOLD,),
        "A party has no `country` (any event: list screening and the onward destination read it); or, with "
        "a controlled line, nobody states its headquarters (`hq_country` on the event or in the registry). "
        "`evidence.missing` names the fields",
        "15 CFR 742.6(a)(6)(iii)(A), 744.11; contract failure semantics",
    )
    ULTIMATE_PARENT_UNKNOWN = (
        "ULTIMATE_PARENT_UNKNOWN",
        Family.COMPLETENESS,
        "R05, R13, R17",
        (HOLD,),
        "With a controlled line, a party's ultimate parent cannot be told: the party is not in the ownership "
        "registry, or its majority chain stops at an owner without a record or at unknown shares",
        "15 CFR 742.6(a)(6)(iii)(A); BIS guidance of 31 May 2026; contract failure semantics",
    )
    HARDWARE_LOCATION_UNKNOWN = (
        "HARDWARE_LOCATION_UNKNOWN",
        Family.COMPLETENESS,
        "R16, R17",
        (HOLD,),
        "A lease with a controlled line has no `hardware_country`",
        "EAR definitions of export, reexport and transfer; contract failure semantics",
    )
    ACCESS_MODE_UNKNOWN = (
        "ACCESS_MODE_UNKNOWN",
        Family.COMPLETENESS,
        "R16, R17",
        (HOLD,),
        "A lease with a controlled line does not say whether `access` is `remote` or `dedicated` (screened "
        "as remote and held)",
        "EAR definitions of export, reexport and transfer; contract failure semantics",
    )
    ITEM_BANDWIDTH_UNKNOWN = (
        "ITEM_BANDWIDTH_UNKNOWN",
        Family.COMPLETENESS,
        "R13",
        (HOLD,),
        "From 9 Apr 2025, an accelerator outside 3A090 with unknown memory bandwidth goes to China/D:5 or a "
        "party headquartered there: whether it reaches the H20's bandwidth cannot be told",
        "BIS is-informed letter of 9 Apr 2025; contract failure semantics",
    )

    # --- lifecycle -------------------------------------------------------------------------------------
    DECISION_DATE = (
        "DECISION_DATE",
        Family.LIFECYCLE,
        "—",
        (ALLOW,),
        "Any decision not made as of its `occurred_at` (without this reason, it was): the date its rules "
        "applied as of and why (`evidence.decided_as_of`, `basis`, `why`). An "
        "order: its `ship_date`, else its own date (`occurred_at`, or `received_at` when that is "
        "implausibly later); a ship date before the event's own date is not believed. A lease: each day of "
        "its access period not passed on which the rules differ (`evidence.dates_considered`, with the "
        "outcome on each); the strictest counts. A rescreen: no earlier than the rescreen's date",
        "regulation.md §8 (rules are date-aware); what is open is screened against the rules of the day "
        "the goods move or the compute is used",
    )
    ORDER_CANCELLED = (
        "ORDER_CANCELLED",
        Family.LIFECYCLE,
        "—",
        (ALLOW,),
        "An order `cancel`: no goods move; the decision is recorded",
        "Contract",
    )

    # --- service failures and rejected events ----------------------------------------------------------
    LISTS_UNAVAILABLE = (
        "LISTS_UNAVAILABLE",
        Family.SERVICE,
        "—",
        (HOLD,),
        "The control lists are not loaded, so parties cannot be screened",
        "Contract failure semantics",
    )
    LISTS_STALE = (
        "LISTS_STALE",
        Family.SERVICE,
        "—",
        (HOLD,),
        "The loaded control lists are older than the service allows (`lists.max_age_hours`), or of unknown "
        "date: a recent listing may be missing. Held whatever the other rules say (a deny stays a deny)",
        "Contract failure semantics",
    )
    INVALID_EVENT = (
        "INVALID_EVENT",
        Family.SERVICE,
        "—",
        (HOLD,),
        "The event failed validation (sent to the DLQ) but names its subject",
        "Contract failure semantics",
    )
    ENGINE_ERROR = (
        "ENGINE_ERROR",
        Family.SERVICE,
        "—",
        (HOLD,),
        "Deciding the event raised an unexpected error; it is held, not dropped or allowed",
        "Contract failure semantics",
    )
    EVENT_ID_REUSED = (
        "EVENT_ID_REUSED",
        Family.SERVICE,
        "—",
        (HOLD,),
        "An event reuses the `event_id` of an earlier event with different content",
        "Contract: at-least-once delivery keyed by event id",
    )
    EVENT_DATE_IMPLAUSIBLE = (
        "EVENT_DATE_IMPLAUSIBLE",
        Family.SERVICE,
        "—",
        (HOLD,),
        "The event's `occurred_at` is far from when the service received it; it is decided as of the later "
        "of the two",
        "Contract failure semantics",
    )

    # --- reviews ---------------------------------------------------------------------------------------
    REVIEW_RELEASED = (
        "REVIEW_RELEASED",
        Family.REVIEW,
        "—",
        (ALLOW,),
        "Reviewers released a hold (`trigger: review`): one reviewer, or two different ones when the hold "
        "carries a possible match against a deny list, an ownership reason or a red flag (four eyes). "
        "`evidence.reviews` holds every review; the released reasons are kept downgraded to `allow` with "
        "`evidence.outcome_before_review`",
        "Supp. 3 to Part 732 (resolving red flags); 15 CFR 762 (records)",
    )
    REVIEW_CONFIRMED = (
        "REVIEW_CONFIRMED",
        Family.REVIEW,
        "—",
        (DENY,),
        "A reviewer confirmed a hold: the transaction is denied (`trigger: review`); `evidence.reviews` "
        "holds the review, the held reasons are kept as they were",
        "Supp. 3 to Part 732; 15 CFR 762 (records)",
    )
