"""The fixed world the property tests generate events in: an ownership registry, names, products, dates.

Events are generated as contract JSON (what a producer sends) from small pools, so the name matcher's
cache keeps the runs fast while every rule still gets its inputs: listed and look-alike names, registry
entities with D:5 parents, listed owners (linked, exact, unknown share), controlled and uncontrolled items,
licences, every date the ruleset changes on.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# An SDN entry of the shipped CSL snapshot (BANCO NACIONAL DE CUBA): the registry links an owner to it.
SDN_ENTRY_ID = "4b7265c205c33fcf2bfc48c3a62547344aa88ccdfaac89fbfd1a719a"

RECORDS: list[dict[str, Any]] = [
    {
        "entity_id": "sg-holding",
        "name": "Example Singapore Holdings Pte. Ltd.",
        "aliases": ["ESH"],
        "country": "SG",
        "hq_country": "SG",
        "owners": [{"entity_id": "cn-parent", "share": 1.0}],
    },
    {
        "entity_id": "cn-parent",
        "name": "Shenzhen Example Parent Co., Ltd.",
        "country": "CN",
        "hq_country": "CN",
    },
    {"entity_id": "de-lab", "name": "Example Berlin Research GmbH", "country": "DE", "hq_country": "DE"},
    {"entity_id": "jp-lab", "name": "Example Tokyo Systems K.K.", "country": "JP", "hq_country": "JP"},
    {
        "entity_id": "my-trading",
        "name": "Example Malaysia Trading Sdn. Bhd.",
        "country": "MY",
        "hq_country": "MY",
        "owners": [{"entity_id": "pa-bank", "share": 0.6}],
    },
    {
        "entity_id": "pa-bank",
        "name": "Banco Nacional Cuba Panama",
        "country": "PA",
        "hq_country": "PA",
        "list_entry_ids": [SDN_ENTRY_ID],
    },
    {
        "entity_id": "pa-lookalike",
        "name": "Example Panama Imports S.A.",
        "country": "PA",
        "hq_country": "PA",
        "owners": [{"entity_id": "pa-weak", "share": 0.75}],
    },
    {
        "entity_id": "pa-weak",
        "name": "Banco Nacional Cuba Panama Holdings",
        "country": "PA",
        "hq_country": "PA",
    },
    {
        "entity_id": "ae-reseller",
        "name": "Example Gulf Reseller FZE",
        "country": "AE",
        "hq_country": "AE",
        "owners": [{"entity_id": "cn-huawei", "share": None}],
    },
    {"entity_id": "cn-huawei", "name": "Huawei Technologies Co., Ltd.", "country": "CN", "hq_country": "CN"},
    {
        "entity_id": "us-subsidiary",
        "name": "Delaware Example AI Inc.",
        "country": "US",
        "hq_country": "US",
        "owners": [{"entity_id": "cn-hangzhou", "share": 0.9}],
    },
    {
        "entity_id": "cn-hangzhou",
        "name": "Hangzhou Example AI Co., Ltd.",
        "country": "CN",
        "hq_country": "CN",
    },
    {
        "entity_id": "vn-dangling",
        "name": "Saigon Example Labs JSC",
        "country": "VN",
        "hq_country": "VN",
        "owners": [{"entity_id": "no-record", "share": 0.8}],
    },
]

LISTED_NAMES = [
    "Huawei Technologies Co., Ltd.", "IFLYTEK CO., LTD.", "Beijing Sense Time Technology Development",
    "BANCO NACIONAL DE CUBA", "Moore Threads Technology Co., Ltd.",
    "Shanghai Langqing Electronic Technology Co.", "Нuаwеі Technologies Co., Ltd.", "IFLY\u200bTEK",
]  # fmt: skip
OTHER_NAMES = [
    "Example Research Institute GmbH", "Acme Compute Pte. Ltd.", "Northwind Cloud Sdn. Bhd.",
    "Shanghai Example GPU Cloud Co., Ltd.", "Example Hospital Group", "Moscow Example Research LLC",
    "Example University", "TBD", "Co., Ltd.",
]  # fmt: skip
COUNTRIES = ["US", "CN", "HK", "MO", "SG", "MY", "DE", "JP", "VN", "SA", "AE", "KH", "RU", "TW", "PA", "IN"]
PRODUCTS = [
    "NVIDIA H100 SXM", "H200", "NVIDIA H20", "A100", "A800", "L20", "L40", "L4", "RTX 4090", "RTX 4090 D",
    "B200", "Instinct MI300X", "AMD Instinct MI308X", "Ascend 910B", "HGX H100 8-GPU server", "Office chairs",
    "Laptop", "Mystery accelerator X9",
]  # fmt: skip
ECCNS = ["3A090.a", "3A090.b", "4A090.a", "5A992.z", "EAR99", "3A090.c"]
DAYS = [
    "2022-06-01", "2022-10-07", "2023-10-01", "2023-11-17", "2024-04-03", "2024-12-02", "2025-03-01",
    "2025-04-09", "2025-05-13", "2025-10-01", "2025-12-01", "2026-01-20", "2026-02-03", "2026-07-10",
    "2026-08-01", "2026-11-10", "2026-12-01",
]  # fmt: skip
USES = [None, "production inference", "teardown evaluation only", "training a language model",
        "train a model for military targeting", "3e26 FLOP training run"]  # fmt: skip

countries = st.sampled_from(COUNTRIES)
maybe_country = st.one_of(st.none(), countries)


@st.composite
def parties(draw: st.DrawFn, role: str) -> dict[str, Any]:
    """A party: a registry entity (by id, name or alias), a listed name, or another name."""
    kind = draw(st.sampled_from(["registry", "listed", "other"]))
    party: dict[str, Any]
    if kind == "registry":
        record = draw(st.sampled_from(RECORDS))
        party = {"name": draw(st.sampled_from([record["name"], *record.get("aliases", [])]))}
        if draw(st.booleans()):
            # An id comes with the name and country the registry knows the entity by (a producer that
            # knows the id knows them): without the id, the name still finds the entity.
            party["party_id"] = record["entity_id"]
            party["country"] = draw(st.sampled_from([record["country"], None]))
        else:
            party["country"] = draw(st.sampled_from([record["country"], record["country"], None, "SG"]))
        # Headquarters the event states agree with the registry's (contradicting claims: see the test).
        party["hq_country"] = draw(st.sampled_from([record.get("hq_country"), None]))
    else:
        party = {"name": draw(st.sampled_from(LISTED_NAMES if kind == "listed" else OTHER_NAMES))}
        party["country"] = draw(maybe_country)
        party["hq_country"] = draw(maybe_country)
    if role in ("intermediary", "end_user"):
        party["role"] = draw(st.sampled_from([None, "freight_forwarder", "reseller", "bank"]))
    return {key: value for key, value in party.items() if value is not None}


@st.composite
def lines_items(draw: st.DrawFn, lease: bool) -> dict[str, Any]:
    """An order line or leased resource, named, or described by parameters, or by a given ECCN."""
    item: dict[str, Any] = {
        "product": draw(st.sampled_from(PRODUCTS)),
        "quantity": draw(st.sampled_from([1, 8, 64])),
    }
    if draw(st.booleans()):
        item["eccn"] = draw(st.sampled_from(ECCNS))
    if draw(st.integers(0, 3)) == 0:
        item["product"] = "Custom accelerator"
        item["tpp"] = draw(st.sampled_from([1500.0, 2368.0, 2896.0, 4799.0, 4810.0, 15832.0]))
        if draw(st.booleans()):
            item["die_area_mm2"] = draw(st.sampled_from([294.5, 609.0, 814.0]))
        if draw(st.booleans()):
            item["datacenter"] = draw(st.booleans())
        if not lease and draw(st.booleans()):
            item["memory_bandwidth_gbs"] = draw(st.sampled_from([864.0, 4000.0, 4800.0]))
    if not lease and draw(st.integers(0, 9)) == 0:
        item = {
            "product": "HBM stack",
            "quantity": 4,
            "memory_bandwidth_gbs": 1200.0,
            "package_area_mm2": 110.0,
        }
    if not lease and draw(st.integers(0, 9)) == 0:
        # A server line names its chips, or gives its own parameters; never both (they would contradict).
        item = {
            "product": "Server",
            "quantity": item["quantity"],
            **({"eccn": item["eccn"]} if "eccn" in item else {}),
        }
        item["accelerators"] = [{"product": draw(st.sampled_from(PRODUCTS)), "count": 8}]
    return item


@st.composite
def licences(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Zero to two licences or licence exceptions."""
    found = []
    for index in range(draw(st.integers(0, 2))):
        licence: dict[str, Any] = {
            "number": f"L{index}",
            "type": draw(st.sampled_from(["license", "NAC", "ACA"])),
        }
        licence["eccn"] = draw(st.sampled_from(["3A090", "3A090.a", "4A090", "3A090.b"]))
        licence["destination"] = draw(countries)
        found.append(licence)
    return found


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    """A valid contract order event."""
    event: dict[str, Any] = {
        "event_id": "p",
        "occurred_at": f"{draw(st.sampled_from(DAYS))}T09:00:00Z",
        "order_id": "SO-P",
        "action": draw(st.sampled_from(["create", "create", "amend", "cancel"])),
        "seller": {"name": "Example Distribution Inc.", "country": "US"},
        "buyer": draw(parties("buyer")),
        "items": [
            {"line_id": str(i + 1), **draw(lines_items(False))} for i in range(draw(st.integers(1, 2)))
        ],
        "ship_from_country": draw(st.sampled_from(["US", "US", "SG"])),
        "ship_to_country": draw(countries),
        "licenses": draw(licences()),
    }
    if draw(st.booleans()):
        event["end_user"] = draw(parties("end_user"))
    if draw(st.integers(0, 3)) == 0:
        event["intermediaries"] = [draw(parties("intermediary"))]
    use = draw(st.sampled_from(USES))
    if use:
        event["end_use"] = use
    return event


@st.composite
def leases(draw: st.DrawFn) -> dict[str, Any]:
    """A valid contract lease event."""
    day = draw(st.sampled_from(DAYS))
    event: dict[str, Any] = {
        "event_id": "p",
        "occurred_at": f"{day}T09:00:00Z",
        "lease_id": "L-P",
        "action": draw(st.sampled_from(["start", "start", "extend", "terminate"])),
        "lessor": {"name": "Example GPU Cloud LLC", "country": "US"},
        "lessee": draw(parties("lessee")),
        "resources": [draw(lines_items(True)) for _ in range(draw(st.integers(1, 2)))],
        "hardware_country": draw(st.sampled_from(["US", "US", "MY", "CN", "DE"])),
        "access": draw(st.sampled_from(["remote", "dedicated"])),
        "start": day,
        "licenses": draw(licences()),
    }
    if draw(st.integers(0, 3)) == 0:
        event["end_user"] = draw(parties("end_user"))
    if event["action"] == "terminate" and draw(st.booleans()):
        event["title_transfer"] = True
    use = draw(st.sampled_from(USES))
    if use:
        event["purpose"] = use
    return event


events = st.one_of(orders(), leases())
