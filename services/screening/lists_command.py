"""`screening lists load` and `screening lists fetch`: store a checked list version for the running services.

`lists load FILE...` stores list files (trade.gov CSL CSV or JSON); `lists fetch` downloads the Consolidated
Screening List from `lists.fetch_url` (a conditional GET with the stored ETag and Last-Modified). Both check
the version first (`screening.lists_update`): it must parse, a download must have the official columns, its
source date must be known (file name, content, Last-Modified, or `--as-of`), and it must not lose more than
`lists.max_entry_loss` of the last good version's entries or lack a list of `lists.required_sources`.
`--force` stores a version that fails the integrity checks, with a record the services act on and alert on.

Each prints one JSON line. Exit status: 0 stored (or nothing new to fetch), 1 refused or the download failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `lists` command (`load`, `fetch`) to an argparse subparsers object; returns its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser("lists", help="control lists")
    commands = parser.add_subparsers(dest="lists_command", required=True)
    load = commands.add_parser(
        "load", help="check list files and store them in Redis for the running services"
    )
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument(
        "--as-of",
        type=_date,
        help="the lists' source date (YYYY-MM-DD or ISO time) when neither file name nor content gives it",
    )
    fetch = commands.add_parser(
        "fetch", help="download the Consolidated Screening List, check it and store it in Redis"
    )
    fetch.add_argument("--url", help="download from here instead of `lists.fetch_url`")
    for command in (load, fetch):
        command.add_argument(
            "--force",
            action="store_true",
            help="store it though it fails the integrity checks (recorded; the services accept it and alert)",
        )
        command.add_argument("--reason", help="why it is forced (kept in the force record)")
    return parser


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `lists load` or `lists fetch`; one JSON line on `out` (stdout)."""
    stream = out or sys.stdout
    if args.lists_command == "load":
        found = asyncio.run(_load(args.files, args.as_of, args.force, args.reason))
    else:
        found = asyncio.run(_fetch(args.url, args.force, args.reason))
    code, summary = found
    stream.write(orjson.dumps(summary).decode() + "\n")
    return code


def _date(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def _load(
    paths: list[Path], as_of: datetime | None, force: bool, reason: str | None
) -> tuple[int, dict[str, Any]]:
    from screening.adapters.lists_store import RedisListsStore
    from screening.adapters.security import create_redis_client
    from screening.config import Settings
    from screening.lists_update import ListsRefused, policy_of, prepare, publish

    settings = Settings()
    try:
        candidate = prepare([(path.name, path.read_bytes()) for path in paths], as_of)
    except ListsRefused as refused:
        return 1, {"refused": refused.problems}
    client = create_redis_client(settings.redis, 5.0)
    try:
        store = RedisListsStore(client, settings.redis.prefix)
        published = await publish(store, candidate, policy_of(settings.lists), force=force, reason=reason)
    except ListsRefused as refused:
        return 1, {"lists_version": candidate.version, "refused": refused.problems}
    finally:
        await client.aclose()
    return 0, published.summary()


async def _fetch(url: str | None, force: bool, reason: str | None) -> tuple[int, dict[str, Any]]:
    from screening.adapters.lists_store import RedisListsStore
    from screening.adapters.security import create_redis_client
    from screening.config import Settings
    from screening.lists_update import fetch_lists, policy_of

    settings = Settings()
    lists = settings.lists
    client = create_redis_client(settings.redis, 5.0)
    try:
        outcome = await fetch_lists(
            RedisListsStore(client, settings.redis.prefix),
            url or lists.fetch_url,
            policy_of(lists),
            timeout_s=lists.fetch_timeout_s,
            max_bytes=lists.fetch_max_bytes,
            force=force,
            reason=reason,
        )
    finally:
        await client.aclose()
    return (1 if outcome.result in ("refused", "failed") else 0), outcome.summary()
