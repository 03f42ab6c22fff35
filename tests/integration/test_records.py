"""Five-year records through the real broker and Redis: topics created with a five-year retention (raised
where shorter), the whole story of an order (`history`), and a day's archive that `archive verify` checks
(and refuses once a byte changed)."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screening.cli import main
from screening.domain.licensing import LicenceParty, LicenceRecord
from screening.domain.ownership import OwnershipRecord
from screening.records import archive, draws_in, history, render_history, verify_archive
from screening.topics import DAY_MS, FIVE_YEARS_DAYS, ensure_topics, record_topics
from tests.integration.conftest import RunningService, Services, make_settings
from tests.integration.test_reviews import Reader, held_order, review

pytestmark = pytest.mark.integration

BUYER = "Example Retail Electronics (Shenzhen) Co., Ltd."


async def test_record_topics_keep_five_years_and_a_shorter_retention_is_raised(services: Services) -> None:
    kafka = make_settings(services).kafka
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:  # an existing decisions topic that keeps a day, as the development broker's default does
        await admin.create_topics(
            [NewTopic(kafka.decisions_topic, 3, 1, topic_configs={"retention.ms": str(DAY_MS)})]
        )
    finally:
        await admin.close()
    report = await ensure_topics(kafka)
    assert report.retention_raised == [kafka.decisions_topic]
    assert set(report.created) == {*record_topics(kafka), kafka.ownership_topic, kafka.licences_topic} - {
        kafka.decisions_topic
    }
    assert set(report.retention_ms) == set(record_topics(kafka))
    assert all(ms >= FIVE_YEARS_DAYS * DAY_MS for ms in report.retention_ms.values())
    again = await ensure_topics(kafka)  # nothing left to do
    assert (again.created, again.retention_raised) == ([], [])


async def test_history_tells_the_whole_story_and_the_day_archives_and_verifies(
    start_service, shipped_lists, tmp_path: Path
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    today = datetime.now(UTC).date()
    await svc.runtime.registry.upsert(
        [OwnershipRecord("cn-retail", BUYER, country="CN", hq_country="CN", as_of=today)]
    )
    assert svc.runtime.licences is not None
    nac = LicenceRecord(
        "A654321", "NAC", ("3A090.a",), ("CN",), LicenceParty("Another Retailer Ltd", "CN"), None, 500
    )
    await svc.runtime.licences.upsert([nac])
    decisions = Reader(svc, k.decisions_topic)
    # The NAC names another consignee: held; a reviewer releases it (the consignee was renamed), and the
    # release draws the NAC down.
    hold = await held_order(
        svc,
        "SO-H1",
        buyer=BUYER,
        country="CN",
        product="NVIDIA GeForce RTX 4090",
        eccn=None,
        quantity=20,
        licenses=[{"number": "A654321", "type": "NAC", "eccn": "3A090.a", "destination": "CN"}],
    )
    assert {r["code"] for r in hold["reasons"] if r["outcome"] == "hold"} == {"LICENCE_PARTY_MISMATCH"}
    await decisions.next(1)
    await svc.send(k.reviews_topic, "SO-H1", review(hold, "release", "alice"))
    (released,) = await decisions.next(1)
    assert released["outcome"] == "allow"
    assert await svc.runtime.licences.balances() == {"A654321": (500, 20)}

    story = await history(k, "SO-H1", "order", timeout_s=30)
    kinds = [record.topic for record in story.records]
    assert kinds == [k.orders_topic, k.decisions_topic, k.reviews_topic, k.decisions_topic]
    assert [
        (number, line, units) for _, number, line, units in draws_in(story.records, k.decisions_topic)
    ] == [("A654321", "1", 20)]
    story.drawn = {("A654321", "e-SO-H1", "1"): 20}
    text = "\n".join(render_history(story, k))
    for expected in (
        "order SO-H1: 4 records",
        "EVENT     e-SO-H1",
        "DECISION  HOLD",
        "LICENCE_PARTY_MISMATCH",
        "REVIEW    release by alice",
        "DECISION  ALLOW",
        "trigger review",
        "versions ruleset=",
        "DRAW      licence A654321 line 1: 20 units, drawn (20 units in the licence store)",
    ):
        assert expected in text, text

    manifest = await archive(k, today, tmp_path, timeout_s=60)
    assert {name: f["records"] for name, f in manifest["files"].items()} == {
        "decisions.jsonl.gz": 2,
        "reviews.jsonl.gz": 1,
    }
    lines = [
        orjson.loads(line)
        for line in gzip.decompress((tmp_path / "decisions.jsonl.gz").read_bytes()).splitlines()
    ]
    assert {line["value"]["decision_id"] for line in lines} == {hold["decision_id"], released["decision_id"]}
    assert verify_archive(tmp_path) == []
    assert await asyncio.to_thread(main, ["archive", "verify", str(tmp_path)]) == 0

    again = tmp_path / "again"
    await archive(k, today, again, timeout_s=60)  # the same day archived again: the same bytes
    for name in ("decisions.jsonl.gz", "reviews.jsonl.gz"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes()

    data = bytearray((tmp_path / "reviews.jsonl.gz").read_bytes())
    data[len(data) // 2] ^= 0x01  # one changed byte
    (tmp_path / "reviews.jsonl.gz").write_bytes(bytes(data))
    assert verify_archive(tmp_path) == [
        "reviews.jsonl.gz: SHA-256 or size differs from the manifest: the file was changed"
    ]
    assert await asyncio.to_thread(main, ["archive", "verify", str(tmp_path)]) == 1
    manifest_text = (again / "manifest.json").read_text().replace('"records": 1', '"records": 9')
    (again / "manifest.json").write_text(manifest_text)
    assert any("the manifest was changed" in problem for problem in verify_archive(again))
