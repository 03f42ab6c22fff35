"""Tying parties to registry entities: by id, or by the exact normalised name and country."""

from __future__ import annotations

from datetime import date

import pytest

from screening.adapters.memory import InMemoryOwnershipRegistry
from screening.domain.model import Party
from screening.domain.ownership import OwnershipRecord
from screening.domain.profiles import party_key

SG_ARM = OwnershipRecord(
    "sg-201912345K",
    "Shangtang Technology (Singapore) Pte. Ltd.",
    aliases=("SenseTime Singapore",),
    country="SG",
    as_of=date(2026, 6, 30),
)
BEIJING = OwnershipRecord(
    "cn-sensetime-beijing",
    "Beijing SenseTime Technology Development Co., Ltd.",
    aliases=("北京市商汤科技开发有限公司",),
    country="CN",
)


async def resolve(party: Party) -> str | None:
    snapshot = await InMemoryOwnershipRegistry([SG_ARM, BEIJING]).snapshot([party])
    return snapshot.resolved.get(party_key(party))


@pytest.mark.parametrize(
    "name",
    [
        "SHANGTANG TECH (SINGAPORE) PTE LTD",
        "Shangtang Technology Singapore Private Limited",
        "SenseTime Singapore",
    ],
)
async def test_resolves_spelling_and_legal_form_variants_in_the_same_country(name: str) -> None:
    assert await resolve(Party(name=name, role="buyer", country="SG")) == "sg-201912345K"


async def test_resolves_chinese_characters_to_the_romanised_registry_name() -> None:
    party = Party(name="北京市商汤科技开发有限公司", role="buyer", country="CN")
    assert await resolve(party) == "cn-sensetime-beijing"


async def test_does_not_resolve_a_same_named_party_of_another_country() -> None:
    assert (
        await resolve(Party(name="Shangtang Technology (Singapore) Pte. Ltd.", role="buyer", country="MY"))
        is None
    )


async def test_does_not_resolve_a_merely_similar_name() -> None:
    party = Party(name="Shangtang Technology Singapore Holdings Trading", role="buyer", country="SG")
    assert await resolve(party) is None


async def test_party_id_wins_over_the_name() -> None:
    party = Party(name="Some Other Name", role="buyer", country="SG", party_id="cn-sensetime-beijing")
    assert await resolve(party) == "cn-sensetime-beijing"
