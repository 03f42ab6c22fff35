"""Golden tests: every acceptance scenario of regulation.md §9, event in, decision out.

Each folder under `scenarios/` holds the event, the ownership records it needs and the expected decision
(as `screening check` prints it, minus `decided_at`, `decision_id` and `versions.ownership`). The decision
must match `expected.json` exactly. Independently of the golden files, the outcome, the rule codes that
carry it and the line's ECCN must agree with the table below, which restates §9 in words: regenerating a
golden file (`python -m tests.golden.regenerate`) cannot silently change an outcome. Where we depart from
§9 the entry says so and `NOTES.md` gives the reason. The test never regenerates anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.golden.harness import decide, scenario_dirs


@dataclass(frozen=True)
class Expected:
    """What §9 says a scenario decides, with the reasons (CODE:outcome) that must carry it."""

    outcome: str
    section9: str
    reasons: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # codes that must not appear
    eccn: str | None = "-"  # ECCN of line 1 ("-": not checked)
    # (code, dotted evidence path, value): some reason with that code carries that evidence.
    evidence: tuple[tuple[str, str, Any], ...] = ()


EXPECTED: dict[str, Expected] = {
    "01-h100-shanghai-unlisted": Expected(
        "deny",
        "#1 8x H100 to an unlisted Shanghai company: deny (R01, R04)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="3A090.a",
    ),
    "02-a800-beijing-2023-10-01": Expected(
        "allow",
        "#2 A800 to Beijing on 1 Oct 2023: allow, outside the Oct-2022 interconnect test (R01)",
        absent=("DEST_ADV_COMPUTE",),
        eccn=None,
    ),
    "03-a800-beijing-2023-12-01": Expected(
        "deny",
        "#3 A800 to Beijing on 1 Dec 2023: deny, TPP 4,992 >= 4,800 (R01, R04)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="3A090.a",
    ),
    "04-h20-china-cloud-2025-03-01": Expected(
        "allow",
        "#4 H20 to a Chinese cloud on 1 Mar 2025: allow, not 3A090, before the is-informed notice",
        absent=("IS_INFORMED_WATCHLIST",),
        eccn=None,
    ),
    "05-h20-china-cloud-2025-05-01": Expected(
        "deny",
        "#5 H20 to a Chinese cloud on 1 May 2025: deny (R13 is-informed)",
        ("IS_INFORMED_WATCHLIST:deny",),
        eccn=None,
    ),
    "06-l20-china-enterprise": Expected(
        "allow",
        "#6 L20 (PD 3.14) to a Chinese enterprise: allow, below the 3.2 PD limit of b.2 (R01)",
        eccn=None,
    ),
    "07-consumer-gpu-tpp-4790-vietnam": Expected(
        "allow", "#7 consumer GPU TPP 4,790 PD 7.7 to Vietnam: allow under Note 2 (R01, R02)", eccn=None
    ),
    "08a-consumer-gpu-tpp-4810-vietnam": Expected(
        "hold",
        "#8 same GPU at TPP 4,810 to D:1 (Vietnam): hold, ACA route (R01, R04)",
        ("DEST_ADV_COMPUTE:hold",),
        eccn="3A090.a",
    ),
    "08b-consumer-gpu-tpp-4810-china-no-nac": Expected(
        "deny",
        "#8 same GPU at TPP 4,810 to China without NAC: deny (R04)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="3A090.a",
    ),
    "08c-consumer-gpu-tpp-4810-china-nac": Expected(
        "allow",
        "#8 same GPU at TPP 4,810 to China with NAC: allow (R04, NAC)",
        ("DEST_ADV_COMPUTE:allow", "LICENCE_VERIFIED:allow"),
        eccn="3A090.a",
    ),
    "09-l4-saudi-arabia": Expected(
        "hold",
        "#9 L4 (PD 6.59) to Saudi Arabia (D:4): hold, 3A090.a via density (R01, R04)",
        ("DEST_ADV_COMPUTE:hold",),
        eccn="3A090.a",
    ),
    "10-h100-singapore-beijing-parent": Expected(
        "deny",
        "#10 8x H100 to a Singapore company whose ultimate parent is in Beijing: deny (R05)",
        ("HQ_OR_PARENT_D5:deny",),
        absent=("DEST_ADV_COMPUTE",),
    ),
    "11-h100-server-shangtang-singapore": Expected(
        "deny",
        "#11 H100 server to Shangtang Technology (Singapore): deny, parent SenseTime Group in D:5 (R05); the "
        "group itself is not on the Entity List (§3.4): its look-alike match is held for review, not counted",
        ("HQ_OR_PARENT_D5:deny", "OWNER_POSSIBLE_LIST_MATCH:hold", "NON_EXPORT_LIST_MATCH:allow"),
        absent=("BIS_AFFILIATES_50", "OFAC_50", "LISTED_PARTY"),
        eccn="4A090.a",
        evidence=(
            ("HQ_OR_PARENT_D5", "ultimate_parent.entity_id", "ky-sensetime-group"),
            ("HQ_OR_PARENT_D5", "ultimate_parent.headquarters_country", "CN"),  # HK counts as CN (§3.1)
            ("HQ_OR_PARENT_D5", "ultimate_parent.ownership_path.0.share", 1.0),
            ("NON_EXPORT_LIST_MATCH", "list_hit.list", "CMIC"),  # NS-CMIC: recorded, not an alert (§0)
            ("OWNER_POSSIBLE_LIST_MATCH", "owner.entity_id", "ky-sensetime-group"),
            ("OWNER_POSSIBLE_LIST_MATCH", "matches.0.list_hit.list", "EL"),
        ),
    ),
    "12-laptop-beijing-sense-time-spacing": Expected(
        "deny",
        "#12 EAR99 laptop to 'Beijing Sense Time ...': deny, Entity List match (R06)",
        ("LISTED_PARTY:deny",),
        eccn="EAR99",
    ),
    "13-h100-iflytek-spelling": Expected("deny", "#13 H100 to 'iFlyTek': deny (R06)", ("LISTED_PARTY:deny",)),
    "14-exactly-50-percent-2026-12-01": Expected(
        "deny",
        "#14 EL owners 30% + 20% = 50%, 1 Dec 2026: deny (R10, rule back in force)",
        ("BIS_AFFILIATES_50:deny",),
    ),
    "15-exactly-50-percent-2026-08-01": Expected(
        "hold",
        "#15 same as #14 on 1 Aug 2026 (suspension): hold (R10, R12)",
        ("BIS_AFFILIATES_50:hold",),
    ),
    "16-49-9-percent-2026-12-01": Expected(
        "hold",
        "#16 EL owners 29.9% + 20%, 1 Dec 2026: hold (significant minority), not deny (R10, R12)",
        ("SIGNIFICANT_MINORITY:hold",),
        absent=("BIS_AFFILIATES_50",),
    ),
    "17-chain-60-x-90-sdn": Expected(
        "deny", "#17 SDN 60% of A, A 90% of B: deny under OFAC (R09)", ("OFAC_50:deny",), eccn="5A992.c"
    ),
    "18-chain-50-x-50-sdn": Expected(
        "deny", "#18 SDN 50% of A, A 50% of B: deny (R09, OFAC example 1)", ("OFAC_50:deny",), eccn="5A992.c"
    ),
    "19-ignored-intermediates-sdn": Expected(
        "hold",
        "#19 SDN 25% of A and of B, each 50% of C: not blocked; hold (R09, R12)",
        ("SIGNIFICANT_MINORITY:hold",),
        absent=("OFAC_50",),
        eccn="5A992.c",
    ),
    "20-multiplicative-above-fixed-point-below": Expected(
        "hold",
        "#20 fixed point 26%, multiplicative above 50%, 1 Dec 2026: hold (R10, R12) [shares: NOTES.md]",
        ("SIGNIFICANT_MINORITY:hold",),
        absent=("BIS_AFFILIATES_50",),
    ),
    "21-hk-trader-h200-ownership-unavailable": Expected(
        "deny",
        "#21 HK trader, 64x H200, registry unavailable: hold (R11) and overall deny from R04",
        ("DEST_ADV_COMPUTE:deny", "OWNERSHIP_UNAVAILABLE:hold"),
    ),
    "22-dubai-reseller-huawei-unknown-share": Expected(
        "hold",
        "#22 Dubai reseller, Huawei a shareholder of unknown %, 1 Dec 2026: hold (R11, RF29)",
        ("OWNERSHIP_UNKNOWN:hold", "ULTIMATE_PARENT_UNKNOWN:hold"),
        evidence=(("OWNERSHIP_UNKNOWN", "unknown_share_owners.0.owner_id", "cn-huawei"),),
    ),
    "23-lease-virginia-hangzhou-parent": Expected(
        "hold",
        "#23 remote lease in Virginia, parent in Hangzhou: hold (R17, R18)",
        ("LEASE_REMOTE_ACCESS_D5:hold", "AI_TRAINING_END_USE:hold"),
    ),
    "24-lease-us-cloud-iflytek": Expected(
        "deny",
        "#24 iFlytek (EL) rents A100 capacity in a U.S. cloud: deny (R17, R06)",
        ("LISTED_PARTY:deny", "LEASE_REMOTE_ACCESS_D5:deny"),
    ),
    "25-lease-malaysia-bare-metal-shenzhen-parent": Expected(
        "deny",
        "#25 dedicated H100 racks in Malaysia, lessee's parent in Shenzhen: deny (R16, R05)",
        ("HQ_OR_PARENT_D5:deny", "LEASE_OFFSHORE_HARDWARE:allow"),
    ),
    "26-private-chinese-cloud-via-singapore": Expected(
        "deny",
        "#26 Shanghai GPU cloud via a Singapore distributor and forwarder: deny (R04, R05), red flags (R19)",
        ("HQ_OR_PARENT_D5:deny", "DEST_ADV_COMPUTE:deny", "RF_FREIGHT_FORWARDER_FINAL_DEST:hold"),
    ),
    "27-lease-terminated-lessee-listed-after-signing": Expected(
        "allow",
        "#27 terminated lease, lessee listed after signing: allow, with an alert (R20, R06)",
        ("LEASE_TERMINATED:allow", "LISTED_PARTY:allow"),
    ),
    "28-lease-buyout-title-transfer-johor": Expected(
        "allow",
        "#28 buy-out: H100 servers in Johor pass to a Malaysian lessee, no D:5 ties: allow (R20, R16)",
        ("LEASE_TITLE_TRANSFER:allow",),
        absent=("DEST_ADV_COMPUTE", "HQ_OR_PARENT_D5"),
    ),
    "29a-rtx4090-china-retail-nac": Expected(
        "allow",
        "#29 RTX 4090 to a Chinese retail distributor with NAC: allow (R01, R04)",
        ("DEST_ADV_COMPUTE:allow", "LICENCE_VERIFIED:allow"),
        eccn="3A090.a",
    ),
    "29b-rtx4090-china-retail-no-nac": Expected(
        "deny",
        "#29 RTX 4090 to a Chinese retail distributor without NAC: deny (R04)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="3A090.a",
    ),
    "30-ascend-910b-germany-inference": Expected(
        "deny",
        "#30 Ascend 910B boards to a German lab for production inference: deny (R15, GP10)",
        ("PRC_ADV_IC_GP10:deny",),
    ),
    "31-ascend-910b-germany-evaluation": Expected(
        "hold",
        "#31 same, declared teardown and benchmark evaluation only: hold (R15)",
        ("PRC_ADV_IC_GP10:hold",),
    ),
    "32-h200-texas-china-licensed": Expected(
        "allow",
        "#32 H200 from Texas to a Chinese end user with licence and certifications, 20 Feb 2026: allow (R14)",
        ("H200_CASE_BY_CASE:allow", "LICENCE_VERIFIED:allow"),
    ),
    "33-h200-singapore-stock-resold-china": Expected(
        "deny",
        "#33 same H200 via Singapore stock resold to China: deny, reexport presumption of denial (R14)",
        ("H200_CASE_BY_CASE:deny",),
    ),
    "34-b200-hgx-uae-operator-2026-08-15": Expected(
        "allow",
        "#34 B200 HGX to a UAE operator listed in the new UAE supplement (Core42), 15 Aug 2026: allow, AE "
        "in A:5 from 10 Jul 2026 for the supplement's entities (R04, §3.5)",
        ("DEST_ADV_COMPUTE:allow",),
        absent=("HQ_OR_PARENT_D5",),
        eccn="4A090.a",
        evidence=(
            ("DEST_ADV_COMPUTE", "named_recipients_only.since", "2026-07-10"),
            ("DEST_ADV_COMPUTE", "named_recipients_only.matched.0.entry_name", "Core42"),
        ),
    ),
    "34b-b200-hgx-uae-operator-not-in-supplement-2026-08-15": Expected(
        "hold",
        "#34 variant: the same servers to a UAE operator NOT in the supplement: §3.5 relieves only the UAE "
        "government and the supplement's entities, so AE stays D:4 for it: licence or ACA (R04)",
        ("DEST_ADV_COMPUTE:hold",),
        eccn="4A090.a",
        evidence=(("DEST_ADV_COMPUTE", "named_recipients_only.not_named", ["buyer"]),),
    ),
    "35-h100-cambodia-2026-03-01": Expected(
        "hold",
        "#35 H100 to Cambodia, 1 Mar 2026: hold, KH in D:1 and no longer D:5 (R04)",
        ("DEST_ADV_COMPUTE:hold",),
        absent=("HQ_OR_PARENT_D5",),
    ),
    "36-hbm3e-china-packaging-house": Expected(
        "deny",
        "#36 HBM3E stacks to a Chinese packaging house: deny, 3A090.c not NAC/ACA-eligible (R03)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="3A090.c",
    ),
    "37-lease-japan-frontier-training": Expected(
        "allow",
        "#37 JP customer, 3e26-FLOP closed-weight training: allow, training-size flag logged (R18/R19)",
        ("LARGE_TRAINING_RUN:allow",),
    ),
    "38a-l40-server-china-hospital-nac": Expected(
        "allow",
        "#38 server with 8x L40 (3A090.b) to a Chinese hospital group with NAC: allow (R01, R04)",
        ("DEST_ADV_COMPUTE:allow", "LICENCE_VERIFIED:allow"),
        eccn="4A090.b",
    ),
    "38b-l40-server-china-hospital-no-nac": Expected(
        "deny",
        "#38 same without NAC: deny (R04)",
        ("DEST_ADV_COMPUTE:deny",),
        eccn="4A090.b",
    ),
    # ---- fail closed: inputs the pipelines really send (beyond §9; NOTES.md) ----
    "39-mi308-china-no-catalogue-row": Expected(
        "deny",
        "MI308X to China, no catalogue row: deny, named in the is-informed notice (R13 by name)",
        ("IS_INFORMED_WATCHLIST:deny", "CLASSIFICATION_UNKNOWN:hold"),
        evidence=(
            ("IS_INFORMED_WATCHLIST", "model", "MI308"),
            ("IS_INFORMED_WATCHLIST", "destination", "CN"),
        ),
    ),
    "40-h100-china-hq-buyer-no-ship-to": Expected(
        "hold",
        "16x H100 to a buyer headquartered in China, no ship-to country: hold (was allow, no reason)",
        ("DESTINATION_UNKNOWN:hold",),
        evidence=(("DESTINATION_UNKNOWN", "missing", "ship_to_country"),),
    ),
    "41-h100-buyer-without-country": Expected(
        "hold",
        "16x H100 for a buyer with no country and no registry record: hold (was allow)",
        ("PARTY_LOCATION_UNKNOWN:hold", "ULTIMATE_PARENT_UNKNOWN:hold"),
        evidence=(
            ("PARTY_LOCATION_UNKNOWN", "missing", ["country", "hq_country"]),
            ("ULTIMATE_PARENT_UNKNOWN", "missing", "ownership_record"),
        ),
    ),
    "42-lease-dedicated-no-hardware-country": Expected(
        "hold",
        "dedicated H100 lease that does not say where the hardware is: hold (was allow)",
        ("HARDWARE_LOCATION_UNKNOWN:hold",),
        absent=("LEASE_OFFSHORE_HARDWARE",),
        evidence=(("HARDWARE_LOCATION_UNKNOWN", "missing", "hardware_country"),),
    ),
    "43-h100-malaysia-via-singapore-reseller-china-parent": Expected(
        "deny",
        "H100 to a Malaysian lab through a Singapore reseller whose parent is in China: deny, R05 for every "
        "party (was allow)",
        ("HQ_OR_PARENT_D5:deny",),
        evidence=(
            ("HQ_OR_PARENT_D5", "ultimate_parent.entity_id", "cn-shenzhen-example-holdings"),
            ("HQ_OR_PARENT_D5", "ultimate_parent.headquarters_country", "CN"),
        ),
    ),
    "44-laptop-buyer-75-percent-owned-by-weak-sdn-match": Expected(
        "hold",
        "laptop to a buyer 75% owned by 'Banco Nacional Cuba Panama' (weak match to the SDN BANCO NACIONAL "
        "DE CUBA): hold for review with owner, entry and score (was allow)",
        ("OWNER_POSSIBLE_LIST_MATCH:hold",),
        absent=("OFAC_50",),
        evidence=(
            ("OWNER_POSSIBLE_LIST_MATCH", "owner.entity_id", "pa-banco-nacional-cuba-panama"),
            ("OWNER_POSSIBLE_LIST_MATCH", "matches.0.basis", "weak name match"),
            ("OWNER_POSSIBLE_LIST_MATCH", "matches.0.list_hit.entry_name", "BANCO NACIONAL DE CUBA"),
        ),
    ),
    "45-laptop-buyer-75-percent-owned-by-linked-sdn": Expected(
        "deny",
        "the same owner tied by the registry to the SDN entry (list_entry_ids): listed by evidence, OFAC 50%",
        ("OFAC_50:deny",),
        absent=("OWNER_POSSIBLE_LIST_MATCH",),
        evidence=(("OFAC_50", "listed_owners.0.lists", ["SDN"]),),
    ),
    "46-h100-china-back-dated-2022": Expected(
        "deny",
        "H100 to a Shanghai company dated 1 Jan 2022, received 1 Aug 2026: decided as of the later date and "
        "held for the date (was allow under the rules of 2022)",
        ("DEST_ADV_COMPUTE:deny", "EVENT_DATE_IMPLAUSIBLE:hold"),
        eccn="3A090.a",
        evidence=(("EVENT_DATE_IMPLAUSIBLE", "decided_as_of", "2026-08-01"),),
    ),
    "47-laptop-huawei-in-cyrillic-look-alikes": Expected(
        "deny",
        "laptop to 'Huawei Technologies Co., Ltd.' spelled with Cyrillic look-alike letters: deny, the name "
        "read as shown matches the Entity List, and held for the disguise (was allow)",
        ("LISTED_PARTY:deny", "NAME_OBFUSCATED:hold"),
        evidence=(
            ("NAME_OBFUSCATED", "names.0.read_as", "Huawei Technologies Co., Ltd."),
            ("NAME_OBFUSCATED", "names.0.tricks", ["mixed_script"]),
        ),
    ),
    "48-h100-buyer-named-tbd": Expected(
        "hold",
        "16x H100 to Singapore for a buyer named 'TBD': hold, the party identifies no one (was allow)",
        ("PARTY_UNIDENTIFIED:hold",),
        evidence=(("PARTY_UNIDENTIFIED", "names", ["'TBD'"]),),
    ),
}


@dataclass(frozen=True)
class Facts:
    """The evidence §9 implies for a scenario, restated from its words (and the scenario's own inputs: the
    registry ids of the parties it describes), never read from the golden file.

    `basis` and `model`: how line 1 is classified (a catalogue row and which one, the line's own
    parameters, a given ECCN, or nothing). `listed`: the export-list entries (list, entry name) the parties
    strongly match: every one must be found, and no strong match on another list may appear (an empty
    tuple: no party is on an export list). `owners`: (code, the listed owners' registry ids) the ownership
    reason with that code names. `path`: (code, the ownership path from the party to its ultimate parent).
    """

    basis: str
    model: str | None = None
    listed: tuple[tuple[str, str], ...] = ()
    owners: tuple[str, frozenset[str]] | None = None
    path: tuple[str, tuple[str, ...]] | None = None


def _catalogue(model: str, **facts: Any) -> Facts:
    return Facts("catalogue", model, **facts)


SENSETIME_BEIJING = ("EL", "Beijing Sensetime Technology Development Co., Ltd.")
IFLYTEK = ("EL", "IFLYTEK")
FACTS: dict[str, Facts] = {
    "01-h100-shanghai-unlisted": _catalogue("H100 SXM"),  # "not listed"
    "02-a800-beijing-2023-10-01": _catalogue("A800"),
    "03-a800-beijing-2023-12-01": _catalogue("A800"),
    "04-h20-china-cloud-2025-03-01": _catalogue("H20"),
    "05-h20-china-cloud-2025-05-01": _catalogue("H20"),
    "06-l20-china-enterprise": _catalogue("L20"),
    # "a consumer GPU ... with TPP 4,790 and PD 7.7": classified from the line's own parameters
    "07-consumer-gpu-tpp-4790-vietnam": Facts("parameters"),
    "08a-consumer-gpu-tpp-4810-vietnam": Facts("parameters"),
    "08b-consumer-gpu-tpp-4810-china-no-nac": Facts("parameters"),
    "08c-consumer-gpu-tpp-4810-china-nac": Facts("parameters"),
    "09-l4-saudi-arabia": _catalogue("L4"),
    # "100% owned by a Hong Kong holding, itself 100% owned by a Beijing parent"
    "10-h100-singapore-beijing-parent": _catalogue(
        "H100 SXM",
        path=("HQ_OR_PARENT_D5", ("sg-example-compute", "hk-example-holdings", "cn-example-beijing-parent")),
    ),
    # "SenseTime's Singapore arm; not itself on the EL" -> parent SenseTime Group; no export-list match
    # (the group's NS-CMIC listing is recorded, not counted; its Entity List look-alike is held)
    "11-h100-server-shangtang-singapore": _catalogue(
        "H100 SXM", path=("HQ_OR_PARENT_D5", ("sg-shangtang", "ky-sensetime-group"))
    ),
    "12-laptop-beijing-sense-time-spacing": Facts("eccn", listed=(SENSETIME_BEIJING,)),  # "EAR99 laptop"
    "13-h100-iflytek-spelling": _catalogue("H100 SXM", listed=(IFLYTEK,)),
    # "30% owned by EL-listed A and 20% by EL-listed B"
    "14-exactly-50-percent-2026-12-01": _catalogue(
        "H100 SXM", owners=("BIS_AFFILIATES_50", frozenset({"cn-huawei", "cn-iflytek"}))
    ),
    "15-exactly-50-percent-2026-08-01": _catalogue(
        "H100 SXM", owners=("BIS_AFFILIATES_50", frozenset({"cn-huawei", "cn-iflytek"}))
    ),
    "16-49-9-percent-2026-12-01": _catalogue(
        "H100 SXM", owners=("SIGNIFICANT_MINORITY", frozenset({"cn-huawei", "cn-iflytek"}))
    ),
    # "SDN X owns 60% of A; A owns 90% of B": X is the one listed owner
    "17-chain-60-x-90-sdn": Facts("eccn", owners=("OFAC_50", frozenset({"cn-limmt"}))),
    "18-chain-50-x-50-sdn": Facts("eccn", owners=("OFAC_50", frozenset({"cn-limmt"}))),
    "19-ignored-intermediates-sdn": Facts("eccn", owners=("SIGNIFICANT_MINORITY", frozenset({"cn-limmt"}))),
    "20-multiplicative-above-fixed-point-below": _catalogue(
        "H100 SXM", owners=("SIGNIFICANT_MINORITY", frozenset({"cn-huawei"}))
    ),
    "21-hk-trader-h200-ownership-unavailable": _catalogue("H200"),
    # "discloses Huawei as 'a shareholder' but not the %"
    "22-dubai-reseller-huawei-unknown-share": _catalogue(
        "H100 SXM", owners=("OWNERSHIP_UNKNOWN", frozenset({"cn-huawei"}))
    ),
    # "a Delaware subsidiary of a Hangzhou AI company"
    "23-lease-virginia-hangzhou-parent": _catalogue(
        "H100 SXM", path=("LEASE_REMOTE_ACCESS_D5", ("us-de-example-ai", "cn-hangzhou-example-ai"))
    ),
    "24-lease-us-cloud-iflytek": _catalogue("A100", listed=(IFLYTEK,)),
    # "a lessee whose ultimate parent is in Shenzhen"
    "25-lease-malaysia-bare-metal-shenzhen-parent": _catalogue(
        "H100 SXM", path=("HQ_OR_PARENT_D5", ("my-example-johor-ai", "cn-example-shenzhen"))
    ),
    "26-private-chinese-cloud-via-singapore": _catalogue("A100"),
    # "a company that was added to the EL after signing"
    "27-lease-terminated-lessee-listed-after-signing": _catalogue(
        "A100", listed=(("EL", "Shanghai Langqing Electronic Technology Co."),)
    ),
    "28-lease-buyout-title-transfer-johor": _catalogue("H100 SXM"),  # "no D:5 ties"
    "29a-rtx4090-china-retail-nac": _catalogue("GeForce RTX 4090"),
    "29b-rtx4090-china-retail-no-nac": _catalogue("GeForce RTX 4090"),
    "30-ascend-910b-germany-inference": _catalogue("Ascend 910B"),
    "31-ascend-910b-germany-evaluation": _catalogue("Ascend 910B"),
    "32-h200-texas-china-licensed": _catalogue("H200"),
    "33-h200-singapore-stock-resold-china": _catalogue("H200"),
    "34-b200-hgx-uae-operator-2026-08-15": _catalogue("B200"),
    "34b-b200-hgx-uae-operator-not-in-supplement-2026-08-15": _catalogue("B200"),
    "35-h100-cambodia-2026-03-01": _catalogue("H100 SXM"),
    "36-hbm3e-china-packaging-house": _catalogue("HBM3E stack"),
    "37-lease-japan-frontier-training": _catalogue("H100 SXM"),
    "38a-l40-server-china-hospital-nac": _catalogue("L40"),
    "38b-l40-server-china-hospital-no-nac": _catalogue("L40"),
    "39-mi308-china-no-catalogue-row": Facts("unknown"),
    "40-h100-china-hq-buyer-no-ship-to": _catalogue("H100 SXM"),
    "41-h100-buyer-without-country": _catalogue("H100 SXM"),
    "42-lease-dedicated-no-hardware-country": _catalogue("H100 SXM"),
    "43-h100-malaysia-via-singapore-reseller-china-parent": _catalogue(
        "H100 SXM", path=("HQ_OR_PARENT_D5", ("sg-lion-city-resellers", "cn-shenzhen-example-holdings"))
    ),
    "44-laptop-buyer-75-percent-owned-by-weak-sdn-match": Facts("eccn"),  # a look-alike is not a listing
    "45-laptop-buyer-75-percent-owned-by-linked-sdn": Facts(
        "eccn", owners=("OFAC_50", frozenset({"pa-banco-nacional-cuba-panama"}))
    ),
    "46-h100-china-back-dated-2022": _catalogue("H100 SXM"),
    "47-laptop-huawei-in-cyrillic-look-alikes": Facts(
        "eccn", listed=(("EL", "Huawei Technologies Co., Ltd."),)
    ),
    "48-h100-buyer-named-tbd": _catalogue("H100 SXM"),
}

SCENARIOS = scenario_dirs()


def test_every_scenario_folder_has_an_outcome_and_the_reverse() -> None:
    assert sorted(EXPECTED) == [folder.name for folder in SCENARIOS]
    assert sorted(FACTS) == [folder.name for folder in SCENARIOS]


@pytest.mark.parametrize("folder", SCENARIOS, ids=[folder.name for folder in SCENARIOS])
def test_evidence_matches_regulation_section_9(folder: Path) -> None:
    """The matched entries, the ownership path and the classification basis §9 implies."""
    want, words = FACTS[folder.name], EXPECTED[folder.name].section9
    decision = decide(folder)
    line = decision["items"][0]
    assert (line["basis"], line.get("catalogue_model")) == (want.basis, want.model), words
    strong = {
        (reason["evidence"]["list_hit"]["list"], reason["evidence"]["list_hit"]["entry_name"])
        for reason in decision["reasons"]
        if reason["code"] == "LISTED_PARTY"
    }
    assert set(want.listed) <= strong, f"{words}: strong matches {sorted(strong)}"
    assert {source for source, _ in strong} <= {source for source, _ in want.listed}, (
        f"{words}: a party strongly matches a list §9 does not name: {sorted(strong)}"
    )
    if want.owners is not None:
        code, owners = want.owners
        named = [
            {owner["entity_id"] for owner in reason["evidence"].get("listed_owners", [])}
            for reason in decision["reasons"]
            if reason["code"] == code
        ]
        assert owners in named, f"{words}: {code} names listed owners {named}"
    if want.path is not None:
        code, path = want.path
        paths = [
            tuple(step["entity_id"] for step in reason["evidence"]["ultimate_parent"]["ownership_path"])
            for reason in decision["reasons"]
            if reason["code"] == code and "ultimate_parent" in reason["evidence"]
        ]
        assert path in paths, f"{words}: {code} ownership paths {paths}"


@pytest.mark.parametrize("folder", SCENARIOS, ids=[folder.name for folder in SCENARIOS])
def test_decision_matches_golden_file(folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert decide(folder) == expected


@pytest.mark.parametrize("folder", SCENARIOS, ids=[folder.name for folder in SCENARIOS])
def test_outcome_matches_regulation_section_9(folder: Path) -> None:
    want = EXPECTED[folder.name]
    decision = decide(folder)
    found = {f"{reason['code']}:{reason['outcome']}" for reason in decision["reasons"]}
    codes = {reason["code"] for reason in decision["reasons"]}
    assert decision["outcome"] == want.outcome, want.section9
    assert set(want.reasons) <= found, f"{want.section9}: reasons {sorted(found)}"
    assert not set(want.absent) & codes, f"{want.section9}: reasons {sorted(found)}"
    if want.eccn != "-":
        assert decision["items"][0]["eccn"] == want.eccn, want.section9
    for code, path, value in want.evidence:
        found = [_at(reason["evidence"], path) for reason in decision["reasons"] if reason["code"] == code]
        assert value in found, f"{want.section9}: {code} evidence {path} is {found}, expected {value!r}"


def _at(evidence: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of a reason's evidence (None when absent)."""
    value: Any = evidence
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit():
            value = value[int(key)] if int(key) < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value
