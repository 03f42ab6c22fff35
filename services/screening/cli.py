"""The `screening` command: serve, check, match, verify, lists / ownership / licences load, topics create,
history, archive, review-ui, bench."""

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
    max_list_age_hours: float | None = None,
    out: BinaryIO | None = None,
    batch_size: int = 500,
    licence_files: Sequence[Path] = (),
) -> int:
    """Screen JSONL events with in-memory adapters; print one decision per event, in input order.

    Licences on file come from `licence_files` (none: every licence an event names is held as not on
    file). Every line that is not a valid event (or licence) is reported on stderr with its number (and
    held, when it names its subject); the exit status is then 1. Lists older than `max_list_age_hours`
    (default: the serve setting `lists.max_age_hours`, as `screening serve` decides; 0 for no limit) hold
    every event.
    """
    from screening.adapters.licences import InMemoryLicenceStore, load_licence_file
    from screening.adapters.memory import InMemoryDecisionLedger, InMemoryOwnershipRegistry
    from screening.adapters.ownership_files import load_ownership_file
    from screening.codec import EventDecoder, encode_decision
    from screening.config import Settings
    from screening.domain.engine import ScreeningEngine
    from screening.ports import Received, Rejected
    from screening.resources import load_catalogue, load_lists, load_ruleset
    from screening.service import ScreeningService

    stream = out or sys.stdout.buffer
    ruleset = load_ruleset()
    lists = load_lists(list_files, ruleset)
    records = [record for path in ownership_files for record in load_ownership_file(path)]
    registry = InMemoryOwnershipRegistry(records, max_depth=int(ruleset.ownership.get("max_depth", 12)))
    max_age = Settings().lists.max_age_hours if max_list_age_hours is None else max_list_age_hours
    failures = 0
    licences = InMemoryLicenceStore()
    for licence_file in licence_files:
        for number, found in load_licence_file(licence_file):
            if isinstance(found, Rejected):
                failures += 1
                print(
                    f"{licence_file}:{number}: invalid licence ({found.error_kind}): {found.error}",
                    file=sys.stderr,
                )
            else:
                await licences.upsert([found])
    service = ScreeningService(
        ScreeningEngine(ruleset, load_catalogue()),
        lambda: lists,
        registry,
        InMemoryDecisionLedger(),
        lists_max_age_hours=max_age or None,
        licences=licences,
    )
    decoder = EventDecoder()
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


async def run_licences_load(paths: Sequence[Path]) -> int:
    """Load licences and NAC/ACA notifications (JSONL of `wire.LicenceRecordV1`) into Redis; every line
    is checked first, and nothing is loaded when any line is invalid (each is reported with its number)."""
    from screening.adapters.licences import RedisLicenceStore, load_licence_file
    from screening.adapters.security import create_redis_client
    from screening.config import Settings
    from screening.domain.licensing import LicenceRecord
    from screening.ports import Rejected

    records: list[LicenceRecord] = []
    invalid = 0
    for path in paths:
        for number, found in load_licence_file(path):
            if isinstance(found, Rejected):
                invalid += 1
                print(
                    f"{path}:{number}: invalid licence ({found.error_kind}): {found.error}", file=sys.stderr
                )
            else:
                records.append(found)
    if invalid:
        print(f"licences load: {invalid} invalid line(s); nothing loaded", file=sys.stderr)
        return 1
    settings = Settings()
    client = create_redis_client(settings.redis, 5.0)
    try:
        store = RedisLicenceStore(client, settings.redis.prefix)
        for start in range(0, len(records), 1000):
            await store.upsert(records[start : start + 1000])
    finally:
        await client.aclose()
    print(orjson.dumps({"licences": len(records)}).decode())
    return 0


async def run_topics_create(partitions: int, replication: int) -> int:
    """Create the contract's topics (records kept five years, feeds compacted); print what was done."""
    from screening.config import Settings
    from screening.topics import ensure_topics

    report = await ensure_topics(Settings().kafka, partitions, replication)
    print(orjson.dumps(report.as_dict()).decode())
    return 0


async def run_history(args: argparse.Namespace) -> int:
    """Print the story of one order or lease from the topics (and the licence store's draw-downs)."""
    from screening.adapters.licences import RedisLicenceStore
    from screening.adapters.security import create_redis_client
    from screening.config import Settings
    from screening.records import draws_in, history, render_history

    settings = Settings()
    story = await history(settings.kafka, args.subject, args.kind, args.timeout, args.all_partitions)
    numbers = {number for _, number, _, _ in draws_in(story.records, settings.kafka.decisions_topic)}
    if numbers and not args.no_redis:
        client = create_redis_client(settings.redis, 5.0)
        try:
            store = RedisLicenceStore(client, settings.redis.prefix)
            for number in numbers:
                for field, units in (await store.draws_of(number)).items():
                    event_id, _, line = field.rpartition("|")
                    story.drawn[(number, event_id, line)] = units
        except Exception as error:  # the topics are the record; the store only confirms
            print(f"history: the licence store could not be read: {error}", file=sys.stderr)
        finally:
            await client.aclose()
    if args.json:
        for record in story.records:
            print(orjson.dumps(record.as_line()).decode())
    else:
        print("\n".join(render_history(story, settings.kafka)))
    return 0 if story.records else 1


async def run_archive(args: argparse.Namespace) -> int:
    """`screening archive --day D --out DIR` and `screening archive verify DIR`."""
    from datetime import date

    from screening.config import Settings
    from screening.records import archive, verify_archive

    if args.archive_command == "verify":
        problems = verify_archive(args.folder)
        for problem in problems:
            print(f"archive verify: {problem}", file=sys.stderr)
        if not problems:
            print(f"archive verify: {args.folder} is intact")
        return 1 if problems else 0
    if not args.day or not args.out:
        print("archive: give --day YYYY-MM-DD and --out DIR (or: archive verify DIR)", file=sys.stderr)
        return 2
    manifest = await archive(Settings().kafka, date.fromisoformat(args.day), args.out, args.timeout)
    print(orjson.dumps({name: f["records"] for name, f in manifest["files"].items()}).decode())
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


def run_review_ui(host: str | None, port: int | None) -> int:
    """Serve the review page until interrupted."""
    from screening.app import create_review_ui
    from screening.config import Settings
    from screening.review_ui.server import serve

    settings = Settings()
    _configure_logging(settings.log_level)
    ui = settings.review_ui
    if host is not None:
        ui.host = host
    if port is not None:
        ui.port = port
    if ui.auth == "password" and ui.password_file is None:
        print(
            "screening review-ui: set SCREENING_REVIEW_UI__PASSWORD_FILE (reviewers are added with "
            "`screening review-ui add-user NAME`), or SCREENING_REVIEW_UI__AUTH=header behind a proxy",
            file=sys.stderr,
        )
        return 2
    serve(create_review_ui(settings), ui, settings.log_level)
    return 0


def run_add_user(name: str, password_file: Path | None, password_stdin: bool) -> int:
    """Add a reviewer to the password file (or change their password); the password is asked twice, or
    read from the first line of stdin with `--password-stdin`."""
    import getpass

    from screening.config import Settings
    from screening.review_ui.passwords import PasswordFile, PasswordFileError

    path = password_file or Settings().review_ui.password_file
    if path is None:
        print(
            "screening review-ui add-user: give --password-file or set SCREENING_REVIEW_UI__PASSWORD_FILE",
            file=sys.stderr,
        )
        return 2
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            print("screening review-ui add-user: the passwords differ", file=sys.stderr)
            return 1
    try:
        PasswordFile(path).set(name, password)
    except PasswordFileError as error:
        print(f"screening review-ui add-user: {error}", file=sys.stderr)
        return 1
    print(f"reviewer {name} set in {path}")
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
    check.add_argument(
        "--max-list-age-hours",
        type=float,
        default=None,
        help="hold every event when the lists are older than this (default: the serve setting "
        "lists.max_age_hours; 0: no limit)",
    )
    check.add_argument(
        "--licences",
        action="append",
        type=Path,
        default=[],
        help="licences on file, JSONL of licence records (repeatable; none: event licences are held)",
    )
    from screening import match_command

    match_command.register(commands)
    from screening import verify_command

    verify_command.register(commands)
    from screening import calendar_command, lists_command

    calendar_command.register(commands)
    lists_command.register(commands)
    ownership = commands.add_parser("ownership", help="ownership registry")
    ownership_sub = ownership.add_subparsers(dest="ownership_command", required=True)
    ownership_load = ownership_sub.add_parser("load", help="load ownership records into Redis")
    ownership_load.add_argument("files", nargs="+", type=Path)
    licences = commands.add_parser("licences", help="licences and NAC/ACA notifications on file")
    licences_sub = licences.add_subparsers(dest="licences_command", required=True)
    licences_load = licences_sub.add_parser("load", help="load licence records (JSONL) into Redis")
    licences_load.add_argument("files", nargs="+", type=Path)
    topics = commands.add_parser("topics", help="the contract's topics")
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    topics_create = topics_sub.add_parser(
        "create", help="create them (records kept five years, feeds compacted); raise a shorter retention"
    )
    topics_create.add_argument("--partitions", type=int, default=3)
    topics_create.add_argument("--replication", type=int, default=1)
    history = commands.add_parser("history", help="the story of an order or lease, from the topics")
    history.add_argument("subject", help="the order_id or lease_id")
    history.add_argument("--kind", choices=["order", "lease"], default=None)
    history.add_argument("--timeout", type=float, default=60.0, help="seconds to read the topics")
    history.add_argument("--all-partitions", action="store_true", help="read every partition, not the key's")
    history.add_argument("--json", action="store_true", help="one JSON record per line")
    history.add_argument("--no-redis", action="store_true", help="do not confirm draw-downs in the store")
    archive = commands.add_parser(
        "archive", help="a day's decisions and reviews as compressed JSONL with a manifest of SHA-256 hashes"
    )
    archive.add_argument("--day", help="the UTC day, YYYY-MM-DD")
    archive.add_argument("--out", type=Path, help="the folder to write")
    archive.add_argument("--timeout", type=float, default=300.0)
    archive_sub = archive.add_subparsers(dest="archive_command")
    archive_verify = archive_sub.add_parser("verify", help="check an archive's hashes, sizes and records")
    archive_verify.add_argument("folder", type=Path)
    review_ui = commands.add_parser(
        "review-ui", help="serve the reviewers' web page (settings SCREENING_REVIEW_UI__*)"
    )
    review_ui.add_argument("--host", help="bind address (default: review_ui.host, loopback)")
    review_ui.add_argument("--port", type=int, help="port (default: review_ui.port, 8470)")
    review_ui_sub = review_ui.add_subparsers(dest="review_ui_command")
    add_user = review_ui_sub.add_parser("add-user", help="add a reviewer to the password file, or reset one")
    add_user.add_argument("name")
    add_user.add_argument("--password-file", type=Path, help="default: review_ui.password_file")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin instead of asking"
    )
    bench = commands.add_parser("bench", help="measure throughput and latency through the real broker")
    bench.add_argument("--events", type=int, default=20000)
    bench.add_argument(
        "--rate", type=float, default=0.0, help="events/s for the latency run (0 = as fast as possible)"
    )
    bench.add_argument("--no-metrics", action="store_true", help="run the service with metrics off")
    bench.add_argument(
        "--mix",
        choices=("realistic", "all-new"),
        default="realistic",
        help="realistic: repeat customers; all-new: every party name unseen, every owner chain cold",
    )
    bench.add_argument(
        "--profile", metavar="FILE", help="sample the service with py-spy during the measured run"
    )
    bench.add_argument(
        "--no-transactions", action="store_true", help="run the service without Kafka transactions"
    )
    bench.add_argument(
        "--instances",
        type=int,
        choices=(1, 2),
        default=1,
        help="`screening serve` processes in the one consumer group (CPU and RSS summed over them)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `screening` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return run_serve()
    if args.command == "review-ui" and args.review_ui_command is None:
        return run_review_ui(args.host, args.port)
    _configure_logging("WARNING")
    if args.command == "check":
        return asyncio.run(
            run_check(
                args.files, args.lists, args.ownership, args.max_list_age_hours, licence_files=args.licences
            )
        )
    if args.command == "match":
        from screening import match_command

        return match_command.run(args)
    if args.command == "verify":
        from screening import verify_command

        return verify_command.run(args)
    if args.command == "calendar":
        from screening import calendar_command

        return calendar_command.run(args)
    if args.command == "lists":
        from screening import lists_command

        return lists_command.run(args)
    if args.command == "ownership":
        return asyncio.run(run_ownership_load(args.files))
    if args.command == "licences":
        return asyncio.run(run_licences_load(args.files))
    if args.command == "topics":
        return asyncio.run(run_topics_create(args.partitions, args.replication))
    if args.command == "history":
        return asyncio.run(run_history(args))
    if args.command == "archive":
        return asyncio.run(run_archive(args))
    if args.command == "review-ui":
        return run_add_user(args.name, args.password_file, args.password_stdin)
    if args.command == "bench":
        from screening.bench import run_bench

        return asyncio.run(run_bench(args))
    return 2


if __name__ == "__main__":
    sys.exit(main())
