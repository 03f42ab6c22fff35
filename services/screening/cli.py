"""The `screening` command: serve, check, match, verify, lists load, ownership load, bench."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import orjson


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )


def read_lines(paths: Sequence[str]) -> Iterator[tuple[str, int, bytes]]:
    """(source, line number, line) of every non-blank line of `paths` (`-` is stdin), in order.

    Any line ending is one (LF, CRLF, or CR alone) and a UTF-8 byte-order mark at the start of a line is
    dropped, so a file saved by any editor reads the same. Bytes are kept as they are otherwise: a line
    that is not UTF-8 is reported by the decoder, with its number.
    """
    for path in paths:
        handle = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115 - closed below
        source = "<stdin>" if path == "-" else path
        try:
            number = 0
            pending = b""
            while chunk := handle.read(1 << 20):
                data = pending + chunk
                # A chunk may end inside a line, or between a CR and its LF: that part waits for the next.
                held = b"\r" if data.endswith(b"\r") else b""
                lines = (
                    data[: len(data) - len(held)].replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
                )
                pending = lines.pop() + held
                for line in lines:
                    number += 1
                    if line.strip():
                        yield source, number, line.removeprefix(b"\xef\xbb\xbf").strip()
            last = pending.removesuffix(b"\r")
            if last.strip():
                yield source, number + 1, last.removeprefix(b"\xef\xbb\xbf").strip()
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()


# ----------------------------------------------------------------------------------------------- check
async def run_check(
    paths: Sequence[str],
    list_files: Sequence[Path],
    ownership_files: Sequence[Path],
    out: BinaryIO | None = None,
    batch_size: int = 500,
) -> int:
    """Screen JSONL events with in-memory adapters; print one decision per event, in input order.

    Every line that is not a valid event is reported on stderr with its number (and held, when it names
    its subject); the exit status is then 1.
    """
    from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
    from screening.adapters.ownership_files import load_ownership_file
    from screening.codec import EventDecoder, encode_decision
    from screening.domain.engine import ScreeningEngine
    from screening.ports import Received
    from screening.resources import load_catalogue, load_lists, load_ruleset
    from screening.service import ScreeningService

    stream = out or sys.stdout.buffer
    ruleset = load_ruleset()
    lists = load_lists(list_files, ruleset)
    records = [record for path in ownership_files for record in load_ownership_file(path)]
    registry = InMemoryOwnershipRegistry(records, max_depth=int(ruleset.ownership.get("max_depth", 12)))
    service = ScreeningService(
        ScreeningEngine(ruleset, load_catalogue()), lambda: lists, registry, InMemoryDecisionLedger()
    )
    decoder = EventDecoder()
    failures = 0
    batch: list[tuple[str, int, Received]] = []

    async def flush() -> None:
        nonlocal failures
        verdicts = await service.decide([received for _, _, received in batch])
        published = []
        for (source, number, received), verdict in zip(batch, verdicts, strict=True):
            if verdict.dead_letter is not None:
                failures += 1
                kind = verdict.dead_letter.error_kind
                print(
                    f"{source}:{number}: invalid event ({kind}): {verdict.dead_letter.error}", file=sys.stderr
                )
            if verdict.decision is not None:
                stream.write(encode_decision(verdict.decision) + b"\n")
                published.append((received, verdict.decision))
        await service.confirm(published)
        batch.clear()

    for source, number, line in read_lines(paths):
        batch.append((source, number, decoder.decode_line(line)))
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    stream.flush()
    return 1 if failures else 0


# -------------------------------------------------------------------------------------------- loading
async def run_lists_load(paths: Sequence[Path]) -> int:
    """Store list files in Redis; the running service picks them up on its next refresh."""
    from screening.adapters.csl import combine, load_list_file
    from screening.adapters.redis_store import RedisListsStore
    from screening.adapters.security import create_redis_client
    from screening.config import Settings
    from screening.resources import screening_version

    settings = Settings()
    loaded = [load_list_file(p) for p in paths]
    entries, files_version = combine(loaded)
    version = screening_version(files_version)
    client = create_redis_client(settings.redis, 5.0)
    try:
        await RedisListsStore(client, settings.redis.prefix).save(
            [(p.name, p.read_bytes()) for p in paths], version
        )
    finally:
        await client.aclose()
    print(orjson.dumps({"lists_version": version, "entries": len(entries)}).decode())
    return 0


async def run_ownership_load(paths: Sequence[Path]) -> int:
    """Load ownership records (contract JSONL or FollowTheMoney JSONL) into Redis."""
    from screening.adapters.ownership_files import load_ownership_file
    from screening.adapters.redis_store import RedisOwnershipRegistry
    from screening.adapters.security import create_redis_client
    from screening.config import Settings

    settings = Settings()
    records = [r for p in paths for r in load_ownership_file(p)]
    client = create_redis_client(settings.redis, 5.0)
    try:
        registry = RedisOwnershipRegistry(client, settings.redis.prefix)
        for start in range(0, len(records), 1000):
            await registry.upsert(records[start : start + 1000])
    finally:
        await client.aclose()
    print(orjson.dumps({"ownership_records": len(records)}).decode())
    return 0


def run_serve() -> int:
    """Run the Kafka service until interrupted."""
    from screening.app import create_app
    from screening.config import Settings

    settings = Settings()
    _configure_logging(settings.log_level)
    app, _ = create_app(settings)
    try:
        import uvloop

        uvloop.run(app.run())
    except ImportError:
        asyncio.run(app.run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `screening` command."""
    parser = argparse.ArgumentParser(prog="screening", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the Kafka service (settings from SCREENING_* / .env)")
    check = commands.add_parser("check", help="screen JSONL events with no Kafka and no Redis")
    check.add_argument("files", nargs="+", help="JSONL files of order/lease events, or - for stdin")
    check.add_argument("--lists", action="append", type=Path, default=[], help="CSL CSV or JSON (repeatable)")
    check.add_argument("--ownership", action="append", type=Path, default=[], help="ownership records JSONL")
    from screening import match_command

    match_command.register(commands)
    from screening import verify_command

    verify_command.register(commands)
    lists = commands.add_parser("lists", help="control lists")
    lists_sub = lists.add_subparsers(dest="lists_command", required=True)
    lists_load = lists_sub.add_parser("load", help="load list files into Redis for the running service")
    lists_load.add_argument("files", nargs="+", type=Path)
    ownership = commands.add_parser("ownership", help="ownership registry")
    ownership_sub = ownership.add_subparsers(dest="ownership_command", required=True)
    ownership_load = ownership_sub.add_parser("load", help="load ownership records into Redis")
    ownership_load.add_argument("files", nargs="+", type=Path)
    bench = commands.add_parser("bench", help="measure throughput and latency through the real broker")
    bench.add_argument("--events", type=int, default=20000)
    bench.add_argument(
        "--rate", type=float, default=0.0, help="events/s for the latency run (0 = as fast as possible)"
    )
    bench.add_argument("--no-metrics", action="store_true", help="run the service with metrics off")
    bench.add_argument(
        "--no-transactions", action="store_true", help="run the service without Kafka transactions"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `screening` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return run_serve()
    _configure_logging("WARNING")
    if args.command == "check":
        return asyncio.run(run_check(args.files, args.lists, args.ownership))
    if args.command == "match":
        from screening import match_command

        return match_command.run(args)
    if args.command == "verify":
        from screening import verify_command

        return verify_command.run(args)
    if args.command == "lists":
        return asyncio.run(run_lists_load(args.files))
    if args.command == "ownership":
        return asyncio.run(run_ownership_load(args.files))
    if args.command == "bench":
        from screening.bench import run_bench

        return asyncio.run(run_bench(args))
    return 2


if __name__ == "__main__":
    sys.exit(main())
