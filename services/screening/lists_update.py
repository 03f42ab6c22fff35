"""Keeping the control lists current and whole: validate a list version, check it against the last good one,
store it for the running services; download it from its publisher.

`screening lists load` and `screening lists fetch` (and `screening serve`'s scheduled fetch) go through
`publish`: the files must parse, a downloaded CSV must have the official columns, the source date must be
known, and the version must pass the integrity checks (`screening.domain.list_integrity`) against the last
good version stored in Redis (or the shipped snapshot when Redis has none). A refused version is not
stored unless forced; a forced one is stored with a record of who forced it, when, why and what was wrong,
and the running services accept it because of that record. A running service checks every version it finds
in Redis the same way (`screening.app.refresh_lists`).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from screening.adapters.csl import (
    REQUIRED_COLUMNS,
    ListFormatError,
    LoadedList,
    combine,
    oldest_source_date,
    parse_list_bytes,
)
from screening.adapters.lists_store import ListsHead, RedisListsStore
from screening.config import ListsSettings
from screening.domain.list_integrity import IntegrityPolicy, ListCounts, integrity_problems, required
from screening.metrics import LISTS_FETCH_RESULTS
from screening.resources import screening_version, shipped_counts

log = logging.getLogger("screening.lists")


class ListsRefused(Exception):
    """A list version that must not be screened against, with every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A list version made of files, parsed, with what the checks read."""

    files: list[tuple[str, bytes]]
    loaded: list[LoadedList]
    version: str
    as_of: datetime | None
    basis: str
    counts: ListCounts


def policy_of(settings: ListsSettings) -> IntegrityPolicy:
    """The integrity policy the settings name."""
    return IntegrityPolicy(settings.max_entry_loss, required(settings.required_sources))


def prepare(
    files: Sequence[tuple[str, bytes]], as_of: datetime | None = None, official_columns: bool = False
) -> Candidate:
    """Parse list files into a candidate version; `official_columns` also requires the official CSV header.

    Raises `ListsRefused` when a file does not parse or lacks a required column."""
    loaded: list[LoadedList] = []
    problems: list[str] = []
    for name, data in files:
        try:
            part = parse_list_bytes(data, name, as_of)
        except (ListFormatError, ValueError) as error:
            problems.append(f"{name}: {error}")
            continue
        missing = [column for column in REQUIRED_COLUMNS if column not in part.columns]
        if official_columns and not part.columns:
            problems.append(f"{name}: not the official CSV layout")
        elif official_columns and missing:
            problems.append(f"{name}: required columns missing: {', '.join(missing)}")
        loaded.append(part)
    if problems:
        raise ListsRefused(problems)
    entries, files_version = combine(loaded)
    found = oldest_source_date(loaded)
    basis = "+".join(dict.fromkeys(part.basis for part in loaded))
    return Candidate(
        list(files), loaded, screening_version(files_version), found, basis, ListCounts.of(entries)
    )


async def baseline(store: RedisListsStore, head: ListsHead | None = None) -> tuple[ListCounts, str]:
    """The last good version's counts and what they are: the stored version's, or the shipped snapshot's when
    Redis holds none (a first load, or lists lost)."""
    head = head if head is not None else await store.head()
    if head is not None and head.counts is not None:
        return head.counts, f"stored version {head.version}"
    if head is not None:
        stored = await store.load()
        if stored is not None:
            try:
                return prepare(stored.files).counts, f"stored version {head.version}"
            except ListsRefused:
                pass  # the stored version does not parse itself: it is no baseline
    return await asyncio.to_thread(shipped_counts), "the shipped snapshot"


@dataclass(frozen=True, slots=True)
class Published:
    """What `publish` stored."""

    version: str
    generation: int
    counts: ListCounts
    as_of: datetime | None
    forced: Mapping[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """For the command's output."""
        return {
            "lists_version": self.version,
            "generation": self.generation,
            "entries": self.counts.entries,
            "by_source": dict(self.counts.by_source),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "forced": dict(self.forced) if self.forced else None,
        }


async def publish(
    store: RedisListsStore,
    candidate: Candidate,
    policy: IntegrityPolicy,
    *,
    force: bool = False,
    reason: str | None = None,
    fetched: Mapping[str, str | None] | None = None,
    now: datetime | None = None,
) -> Published:
    """Check `candidate` against the last good version and store it; `force` stores it despite integrity
    problems, with a force record. A version of unknown source date is refused even when forced (its age could
    never be shown): give the date (`--as-of`)."""
    if candidate.as_of is None:
        raise ListsRefused(
            [
                "the lists' source date is unknown (no date in the file name or content, no "
                "Last-Modified): give it with --as-of"
            ]
        )
    head = await store.head()
    counts, against = await baseline(store, head)
    problems = integrity_problems(candidate.counts, counts, policy)
    if problems and not force:
        raise ListsRefused([*problems, f"(checked against {against}; --force stores it anyway, recorded)"])
    forced = None
    if problems:
        forced = {
            "version": candidate.version,
            "at": (now or datetime.now(UTC)).isoformat(),
            "by": _operator(),
            "reason": reason or "",
            "problems": problems,
        }
        log.warning("lists %s stored past the integrity checks (forced): %s", candidate.version, problems)
    generation = await store.save(
        candidate.files,
        candidate.version,
        as_of=candidate.as_of,
        as_of_basis=candidate.basis,
        counts=candidate.counts,
        forced=forced,
        fetched=fetched,
    )
    return Published(candidate.version, generation, candidate.counts, candidate.as_of, forced)


def _operator() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return f"unknown@{socket.gethostname()}"


# ------------------------------------------------------------------------------------------------ fetch
@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An HTTP answer: status, the headers the fetch reads, the body (empty for a 304)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def http_get(url: str, headers: Mapping[str, str], timeout_s: float, max_bytes: int) -> HttpAnswer:
    """GET `url` with `headers` (blocking; run it in a thread). A 304 or an error status is an answer, not an
    exception; a body longer than `max_bytes` is an error."""
    request = urllib.request.Request(url, headers={"User-Agent": "export-screening lists fetch", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise ValueError(f"the download is larger than {max_bytes} bytes")
            return HttpAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, body)
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, {k.lower(): v for k, v in (error.headers or {}).items()})


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What a fetch did: `updated` (a new version stored), `not_modified` (304), `unchanged` (the same bytes),
    `refused` (the download failed validation or the integrity checks: nothing stored) or `failed` (the
    server or the network)."""

    result: str
    detail: str
    status: int | None = None
    published: Published | None = None

    def summary(self) -> dict[str, Any]:
        """For the command's output and the log."""
        found: dict[str, Any] = {"result": self.result, "detail": self.detail, "status": self.status}
        if self.published is not None:
            found.update(self.published.summary())
        return found


FETCH_RESULTS = LISTS_FETCH_RESULTS
"""Every `FetchOutcome.result` (a metric label)."""


async def fetch_lists(
    store: RedisListsStore,
    url: str,
    policy: IntegrityPolicy,
    *,
    timeout_s: float = 120.0,
    max_bytes: int = 200 * 1024 * 1024,
    force: bool = False,
    reason: str | None = None,
    get: Any = http_get,
) -> FetchOutcome:
    """Download the lists from `url` (a conditional GET with the stored ETag and Last-Modified when the stored
    version came from the same URL), validate and store them (`publish`). Never raises for a bad answer."""
    head = await store.head()
    headers: dict[str, str] = {}
    if head is not None and head.url == url:
        if head.etag:
            headers["If-None-Match"] = head.etag
        if head.last_modified:
            headers["If-Modified-Since"] = head.last_modified
    try:
        answer: HttpAnswer = await asyncio.to_thread(get, url, headers, timeout_s, max_bytes)
    except (OSError, ValueError) as error:
        return FetchOutcome("failed", f"{type(error).__name__}: {error}")
    if answer.status == 304:
        return FetchOutcome("not_modified", "the publisher has no newer file", 304)
    if answer.status != 200:
        return FetchOutcome("failed", f"HTTP {answer.status}", answer.status)
    last_modified = answer.headers.get("last-modified")
    as_of = _http_date(last_modified)
    name = PurePosixPath(urlparse(url).path).name or "consolidated.csv"
    try:
        candidate = prepare([(name, answer.body)], as_of, official_columns=True)
    except ListsRefused as refused:
        return FetchOutcome("refused", "; ".join(refused.problems), 200)
    if head is not None and candidate.version == head.version:
        return FetchOutcome("unchanged", f"the stored version {head.version} has the same bytes", 200)
    fetched = {"url": url, "etag": answer.headers.get("etag"), "last_modified": last_modified}
    try:
        published = await publish(store, candidate, policy, force=force, reason=reason, fetched=fetched)
    except ListsRefused as refused:
        return FetchOutcome("refused", "; ".join(refused.problems), 200)
    return FetchOutcome("updated", f"stored {published.version}", 200, published)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        found = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
