"""`screening verify`: check the signatures of decisions, from JSONL files or from a topic.

`screening verify --public-key KEY.pem FILE...` checks one decision per line (`-` reads stdin);
`screening verify --public-key KEY.pem --topic screening.decisions.v1` reads the topic from the
beginning up to its current end (Kafka connection and security from the `SCREENING_KAFKA__*`
settings). Every decision that is unsigned, signed by an unknown key, or whose bytes or signature were
changed is printed as one JSON line on stdout; the exit code is 1 when there is any, 2 when the
decisions could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import orjson

from screening.signing import DecisionVerifier, SigningKeyError, Verdict


@dataclass
class Tally:
    """What a verification run found."""

    checked: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)

    def add(self, where: str, encoded: bytes | None, verdict: Verdict, out: TextIO) -> None:
        """Count one decision; print it when it failed."""
        self.checked += 1
        if verdict.ok:
            return
        ids: dict[str, Any] = {}
        try:
            decoded = orjson.loads(encoded) if encoded is not None else None
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            ids = {"decision_id": decoded.get("decision_id"), "event_id": decoded.get("event_id")}
        report = {"where": where, **ids, "problem": verdict.problem}
        self.bad.append(report)
        out.write(orjson.dumps(report).decode() + "\n")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `verify` subcommand to an argparse subparsers object; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="check decision signatures (JSONL files or a topic)",
        description="Check the Ed25519 signatures of decisions; report each unsigned or bad one.",
    )
    parser.add_argument("files", nargs="*", help="JSONL files of decisions, or - for stdin")
    parser.add_argument(
        "--public-key",
        action="append",
        type=Path,
        required=True,
        metavar="PEM",
        help="a trusted Ed25519 public key (PEM); repeat to trust several (key rotation)",
    )
    parser.add_argument("--topic", help="read this decisions topic from the beginning to its current end")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed to read the topic")
    return parser


def _lines(paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        handle = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115 - closed below
        try:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield f"{path}:{number}", line.strip()
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()


async def _partitions(kafka: Any, topic: str) -> list[int]:
    """The partition numbers of `topic` (none when it does not exist or may not be described)."""
    from aiokafka.admin import AIOKafkaAdminClient

    from screening.adapters.security import kafka_client_options

    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.bootstrap_servers, **kafka_client_options(kafka.security)
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


async def read_topic(topic: str, timeout: float) -> list[tuple[str, bytes | None]]:
    """Every record of `topic`, from the beginning to the end it had when reading started."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from screening.adapters.security import kafka_client_options
    from screening.config import Settings

    kafka = Settings().kafka
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",  # a decision of an aborted transaction was never published
        **kafka_client_options(kafka.security),
    )
    deadline = time.monotonic() + timeout
    await asyncio.wait_for(consumer.start(), timeout)
    found: list[tuple[str, bytes | None]] = []
    try:
        partitions = await asyncio.wait_for(_partitions(kafka, topic), timeout)
        if not partitions:
            raise LookupError(f"topic {topic} does not exist or is not visible to this user")
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        end = await consumer.end_offsets(assigned)
        remaining = {tp: offset for tp, offset in end.items() if offset > 0}
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} not read to its end within {timeout:.0f}s")
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < end[tp]:
                        found.append((f"{topic}/{tp.partition}@{record.offset}", record.value))
            for tp in list(remaining):
                # The position, not the last record: transaction markers take offsets no record has.
                if await consumer.position(tp) >= end[tp]:
                    remaining.pop(tp, None)
    finally:
        await consumer.stop()
    return found


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Verify and report; the exit code of `screening verify`."""
    out = out or sys.stdout
    try:
        verifier = DecisionVerifier.from_files(args.public_key)
    except SigningKeyError as error:
        print(f"verify: {error}", file=sys.stderr)
        return 2
    if bool(args.files) == bool(args.topic):
        print("verify: give decision files or --topic, not both and not neither", file=sys.stderr)
        return 2
    tally = Tally()
    try:
        if args.topic:
            records = asyncio.run(read_topic(args.topic, args.timeout))
        else:
            records = [(where, line) for where, line in _lines(args.files)]
    except (OSError, LookupError, TimeoutError) as error:
        print(f"verify: cannot read the decisions: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a Kafka error (authentication, authorisation): say which and stop
        print(f"verify: cannot read the decisions: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for where, encoded in records:
        tally.add(where, encoded, verifier.verify_encoded(encoded), out)
    print(
        f"verify: {tally.checked} decisions checked, {tally.checked - len(tally.bad)} good, "
        f"{len(tally.bad)} bad (trusted keys: {', '.join(verifier.key_ids)})",
        file=sys.stderr,
    )
    return 1 if tally.bad else 0
