"""Records kept five years (15 CFR 762): the story of one subject, and a day's archive with its manifest.

`history` reads what the topics hold about one order or lease: its events (orders or leases topic),
every decision with its reasons and versions (decisions), every review (reviews), every rejected message
(DLQ), and the licence draw-downs its `allow`s made (from their `LICENCE_VERIFIED` reasons, confirmed
against the licence store when Redis answers). Every topic is keyed by the subject id, so only the
partition the key maps to is read (Kafka's default partitioner, murmur2), from its start to the end it had
when reading began, within a time bound; `all_partitions` reads every partition instead (for producers that
partition otherwise).

`archive` writes one UTC day of the decisions and reviews topics (by record timestamp) as gzip-compressed
JSONL, one record per line (`topic`, `partition`, `offset`, `timestamp`, `key`, `value` as published), in
partition and offset order, with a `manifest.json` naming each file's SHA-256, size, record count and
offset ranges, and `manifest.sha256` (the manifest's own hash). The gzip header carries no time, so the
same day archived twice gives the same bytes. `verify_archive` checks every hash, size and count and that
every line reads: one changed byte fails it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2

from screening.adapters.security import kafka_client_options
from screening.config import KafkaSettings

ARCHIVE_FORMAT = "screening-archive/1"
MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """One record as read from a topic."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None

    @property
    def at(self) -> datetime:
        """The record's timestamp as a UTC time."""
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    def as_line(self) -> dict[str, Any]:
        """The record as an archive line: its value parsed when it is JSON, else as text."""
        value: Any = None
        if self.value is not None:
            try:
                value = orjson.loads(self.value)
            except orjson.JSONDecodeError:
                value = self.value.decode("utf-8", "replace")
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "key": self.key.decode("utf-8", "replace") if self.key is not None else None,
            "value": value,
        }


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as the Java and aiokafka producers) gives `key`."""
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


class TopicReader:
    """Reads partitions of topics between offsets, with one consumer, within a time bound."""

    def __init__(self, kafka: KafkaSettings, timeout_s: float = 60.0) -> None:
        self._kafka = kafka
        self._deadline = time.monotonic() + timeout_s
        self._timeout_s = timeout_s
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            **kafka_client_options(kafka.security),
        )

    async def __aenter__(self) -> TopicReader:
        await asyncio.wait_for(self.consumer.start(), self._timeout_s)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def partitions(self, topic: str) -> list[int]:
        """The partitions of `topic` (none when it does not exist or may not be described)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._kafka.bootstrap_servers, **kafka_client_options(self._kafka.security)
        )
        await admin.start()
        try:
            described = await admin.describe_topics([topic])
        finally:
            await admin.close()
        return sorted(
            p["partition"]
            for t in described
            if t.get("topic") == topic and not t.get("error_code")
            for p in t.get("partitions", [])
        )

    async def read(
        self,
        ranges: Mapping[TopicPartition, tuple[int, int]],
        keep: Any = None,
    ) -> list[TopicRecord]:
        """Every record of each partition from its start offset up to (not including) its end offset, in
        partition and offset order; `keep(record)` filters. Raises `TimeoutError` past the time bound."""
        wanted = {tp: span for tp, span in ranges.items() if span[1] > span[0]}
        if not wanted:
            return []
        self.consumer.assign(list(wanted))
        for tp, (start, _) in wanted.items():
            self.consumer.seek(tp, start)
        found: list[TopicRecord] = []
        remaining = dict(wanted)
        while remaining:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"topics not read to their end within {self._timeout_s:.0f}s")
            batch = await self.consumer.getmany(*remaining, timeout_ms=int(min(500, left * 1000)))
            for tp, records in batch.items():
                end = wanted[tp][1]
                for record in records:
                    if record.offset >= end:
                        break
                    item = TopicRecord(
                        tp.topic, tp.partition, record.offset, record.timestamp, record.key, record.value
                    )
                    if keep is None or keep(item):
                        found.append(item)
                if records and records[-1].offset + 1 >= end:
                    remaining.pop(tp, None)
        found.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return found

    async def whole(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, tuple[int, int]]:
        """(beginning, end) offsets of each partition now."""
        parts = list(partitions)
        if not parts:
            return {}
        begins = await self.consumer.beginning_offsets(parts)
        ends = await self.consumer.end_offsets(parts)
        return {tp: (begins[tp], ends[tp]) for tp in parts}

    async def day(
        self, partitions: Iterable[TopicPartition], day: date
    ) -> dict[TopicPartition, tuple[int, int]]:
        """(first offset at or after the day's start, first offset at or after the next day's start) of
        each partition, by record timestamp."""
        parts = list(partitions)
        if not parts:
            return {}
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        after = start + timedelta(days=1)
        ends = await self.consumer.end_offsets(parts)
        first = await self.consumer.offsets_for_times({tp: int(start.timestamp() * 1000) for tp in parts})
        last = await self.consumer.offsets_for_times({tp: int(after.timestamp() * 1000) for tp in parts})
        spans: dict[TopicPartition, tuple[int, int]] = {}
        for tp in parts:
            begin = first[tp].offset if first[tp] is not None else ends[tp]
            end = last[tp].offset if last[tp] is not None else ends[tp]
            spans[tp] = (begin, end)
        return spans


# ------------------------------------------------------------------------------------------------ history
@dataclass
class History:
    """Everything the topics hold about one subject, in time order."""

    subject: str
    kind: str | None
    records: list[TopicRecord] = field(default_factory=list)
    read: dict[str, list[int]] = field(default_factory=dict)
    """The partitions read, by topic."""
    drawn: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """(licence, event id, line) → units the licence store shows drawn (when it could be read)."""


async def history(
    kafka: KafkaSettings,
    subject: str,
    kind: str | None = None,
    timeout_s: float = 60.0,
    all_partitions: bool = False,
) -> History:
    """The story of `subject` (an order or lease id) from the topics (see the module docstring)."""
    topics = [kafka.decisions_topic, kafka.reviews_topic, kafka.dlq_topic]
    events = {"order": kafka.orders_topic, "lease": kafka.leases_topic}
    topics = [events[kind], *topics] if kind in events else [*events.values(), *topics]
    key = subject.encode()
    found = History(subject, kind)
    async with TopicReader(kafka, timeout_s) as reader:
        ranges: dict[TopicPartition, tuple[int, int]] = {}
        for topic in topics:
            partitions = await reader.partitions(topic)
            if not partitions:
                continue
            chosen = partitions if all_partitions else [partition_of(key, len(partitions))]
            found.read[topic] = chosen
            ranges.update(await reader.whole(TopicPartition(topic, p) for p in chosen))
        found.records = await reader.read(ranges, keep=lambda record: record.key == key)
    order = {topic: index for index, topic in enumerate(topics)}
    found.records.sort(key=lambda r: (r.timestamp, order.get(r.topic, 99), r.offset))
    return found


def draws_in(records: Iterable[TopicRecord], decisions_topic: str) -> list[tuple[TopicRecord, str, str, int]]:
    """(the allow decision, licence number, line id, units) of every draw-down the decisions made."""
    found = []
    for record in records:
        if record.topic != decisions_topic or record.value is None:
            continue
        decision = _json(record.value)
        if not isinstance(decision, dict) or decision.get("outcome") != "allow":
            continue
        for reason in decision.get("reasons", []):
            evidence = reason.get("evidence", {})
            if reason.get("outcome") != "allow" or "draw_on_allow" not in evidence:
                continue
            number = evidence.get("licence_on_file", {}).get("number")
            for line, units in (evidence.get("draw_on_allow") or {}).items():
                found.append((record, str(number), str(line), int(units)))
    return found


def render_history(story: History, kafka: KafkaSettings) -> list[str]:
    """The story as text lines, one block per record."""
    read = ", ".join(f"{topic} p{','.join(map(str, parts))}" for topic, parts in story.read.items())
    lines = [
        f"{story.kind or 'subject'} {story.subject}: {len(story.records)} records (read {read or 'nothing'})"
    ]
    draws = {
        (id(record), number, line): units
        for record, number, line, units in draws_in(story.records, kafka.decisions_topic)
    }
    for record in story.records:
        when = record.at.isoformat(timespec="seconds").replace("+00:00", "Z")
        where = f"{record.topic}/{record.partition}@{record.offset}"
        value = _json(record.value) if record.value is not None else None
        if record.topic in (kafka.orders_topic, kafka.leases_topic):
            lines += _event_lines(when, where, value)
        elif record.topic == kafka.decisions_topic:
            lines += _decision_lines(when, where, value)
            for (ident, number, line), units in draws.items():
                if ident == id(record):
                    event_id = value.get("event_id") if isinstance(value, dict) else None
                    confirmed = story.drawn.get((number, str(event_id), line))
                    state = (
                        f"drawn ({confirmed} units in the licence store)"
                        if confirmed is not None
                        else "not confirmed by the licence store"
                        if story.drawn
                        else "licence store not read"
                    )
                    lines.append(f"{when}  DRAW      licence {number} line {line}: {units} units, {state}")
        elif record.topic == kafka.reviews_topic:
            lines += _review_lines(when, where, value)
        else:
            error = value.get("error") if isinstance(value, dict) else value
            lines.append(f"{when}  REJECTED  {where}: {str(error)[:300]}")
    return lines


def _event_lines(when: str, where: str, event: Any) -> list[str]:
    if not isinstance(event, dict):
        return [f"{when}  EVENT     {where}: (not JSON)"]
    party = event.get("buyer") or event.get("lessee") or {}
    items = event.get("items") or event.get("resources") or []
    goods = "; ".join(f"{i.get('quantity')} x {i.get('product')}" for i in items if isinstance(i, dict))
    licences = ", ".join(
        str(lic.get("number")) for lic in event.get("licenses") or [] if isinstance(lic, dict)
    )
    return [
        f"{when}  EVENT     {event.get('event_id')} {event.get('action', '')} ({where})",
        f"                      {party.get('name')} ({party.get('country')}); {goods}"
        + (f"; licences {licences}" if licences else ""),
    ]


def _decision_lines(when: str, where: str, decision: Any) -> list[str]:
    if not isinstance(decision, dict):
        return [f"{when}  DECISION  {where}: (not JSON)"]
    versions = decision.get("versions", {})
    found = [
        f"{when}  DECISION  {str(decision.get('outcome')).upper():5} {decision.get('decision_id')} "
        f"trigger {decision.get('trigger')} event {decision.get('event_id')} ({where})",
        f"                      versions ruleset={versions.get('ruleset')} lists={versions.get('lists')} "
        f"ownership={versions.get('ownership')}",
    ]
    for reason in decision.get("reasons", []):
        found.append(
            f"                      {reason.get('outcome'):5} {reason.get('code')}: {reason.get('message')}"[
                :400
            ]
        )
    return found


def _review_lines(when: str, where: str, review: Any) -> list[str]:
    if not isinstance(review, dict):
        return [f"{when}  REVIEW    {where}: (not JSON)"]
    extra = review.get("false_positive_entries") or []
    return [
        f"{when}  REVIEW    {review.get('action')} by {review.get('reviewer')} of "
        f"{review.get('decision_id')} ({review.get('review_id')}, {where})",
        f"                      \u201c{review.get('reason')}\u201d"
        + (f"; false positives: {', '.join(map(str, extra))}" if extra else ""),
    ]


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------------ archive
@dataclass(frozen=True, slots=True)
class ArchivedFile:
    """One archived topic: file name and what the manifest says of it."""

    name: str
    topic: str
    records: int
    sha256: str
    size: int
    offsets: dict[str, list[int]]


async def archive(kafka: KafkaSettings, day: date, out: Path, timeout_s: float = 300.0) -> dict[str, Any]:
    """Write `day`'s decisions and reviews into `out` with the manifest; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[ArchivedFile] = []
    async with TopicReader(kafka, timeout_s) as reader:
        for name, topic in (
            ("decisions.jsonl.gz", kafka.decisions_topic),
            ("reviews.jsonl.gz", kafka.reviews_topic),
        ):
            partitions = [TopicPartition(topic, p) for p in await reader.partitions(topic)]
            spans = await reader.day(partitions, day)
            records = await reader.read(spans)
            files.append(_write(out / name, topic, records))
    manifest: dict[str, Any] = {
        "format": ARCHIVE_FORMAT,
        "day": day.isoformat(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "retention": "15 CFR 762.6: kept five years from the export, reexport or last transaction",
        "files": {
            f.name: {
                "topic": f.topic,
                "records": f.records,
                "sha256": f.sha256,
                "bytes": f.size,
                "offsets": f.offsets,
            }
            for f in files
        },
    }
    text = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    (out / MANIFEST).write_bytes(text)
    (out / MANIFEST_HASH).write_text(f"{hashlib.sha256(text).hexdigest()}  {MANIFEST}\n", encoding="utf-8")
    return manifest


def _write(path: Path, topic: str, records: Sequence[TopicRecord]) -> ArchivedFile:
    buffer = io.BytesIO()
    # mtime 0 and no file name in the header: the same records always give the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        for record in records:
            gz.write(orjson.dumps(record.as_line()) + b"\n")
    data = buffer.getvalue()
    path.write_bytes(data)
    offsets: dict[str, list[int]] = {}
    for record in records:
        span = offsets.setdefault(str(record.partition), [record.offset, record.offset])
        span[1] = record.offset
    return ArchivedFile(path.name, topic, len(records), hashlib.sha256(data).hexdigest(), len(data), offsets)


def verify_archive(folder: Path) -> list[str]:
    """What is wrong with the archive in `folder` (empty: every hash, size, count and line checks out)."""
    problems: list[str] = []
    manifest_path, hash_path = folder / MANIFEST, folder / MANIFEST_HASH
    if not manifest_path.is_file():
        return [f"{MANIFEST} is missing"]
    text = manifest_path.read_bytes()
    if not hash_path.is_file():
        problems.append(f"{MANIFEST_HASH} is missing")
    elif hash_path.read_text(encoding="utf-8").split()[:1] != [hashlib.sha256(text).hexdigest()]:
        problems.append(f"{MANIFEST} does not match {MANIFEST_HASH}: the manifest was changed")
    try:
        manifest = orjson.loads(text)
        files = dict(manifest["files"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        return [*problems, f"{MANIFEST} cannot be read: {error}"]
    if manifest.get("format") != ARCHIVE_FORMAT:
        problems.append(f"{MANIFEST} is not a {ARCHIVE_FORMAT} manifest")
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        data = path.read_bytes()
        if len(data) != expected.get("bytes") or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            problems.append(f"{name}: SHA-256 or size differs from the manifest: the file was changed")
            continue
        try:
            lines = gzip.decompress(data).splitlines()
            for line in lines:
                orjson.loads(line)
        except (OSError, EOFError, orjson.JSONDecodeError) as error:
            problems.append(f"{name}: cannot be read ({error})")
            continue
        if len(lines) != expected.get("records"):
            problems.append(f"{name}: {len(lines)} records, the manifest says {expected.get('records')}")
    return problems
