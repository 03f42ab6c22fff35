"""`screening lists fetch` against a local HTTP server (in this process) and the real Redis.

The server serves the shipped snapshot as the official `consolidated.csv` (with an ETag and Last-Modified, and
a 304 to a conditional GET that names them), a truncated copy, an HTML error page and a 500. Only the whole
file is stored; a running service swaps it in and rescreens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from screening.adapters.lists_store import RedisListsStore
from screening.app import fetch_and_refresh
from screening.domain.list_integrity import IntegrityPolicy
from screening.lists_update import fetch_lists
from screening.resources import SHIPPED_LIST, data_path
from tests.integration.conftest import RunningService, redis_client, unique

pytestmark = pytest.mark.integration

SNAPSHOT = data_path(SHIPPED_LIST).read_bytes()
ETAG = '"csl-2026-11-28"'
LAST_MODIFIED = "Sat, 28 Nov 2026 06:00:00 GMT"
POLICY = IntegrityPolicy(max_entry_loss=0.10, required_sources=("EL", "SDN"))


@dataclass
class Publisher:
    """What the local server answers, and the conditional headers it was sent."""

    url: str = ""
    seen: list[dict[str, str | None]] = field(default_factory=list)


@pytest.fixture
def publisher() -> Iterator[Publisher]:
    state = Publisher()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append(
                {
                    "path": self.path,
                    "etag": self.headers.get("If-None-Match"),
                    "since": self.headers.get("If-Modified-Since"),
                }
            )
            if self.path == "/consolidated.csv":
                if self.headers.get("If-None-Match") == ETAG:
                    self.send_response(304)
                    self.end_headers()
                    return
                self._send(200, SNAPSHOT, "text/csv", {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})
            elif self.path == "/truncated/consolidated.csv":
                self._send(200, SNAPSHOT[: len(SNAPSHOT) // 3], "text/csv", {"Last-Modified": LAST_MODIFIED})
            elif self.path == "/html/consolidated.csv":
                page = b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1>maintenance</body></html>"
                self._send(200, page, "text/html", {})
            else:
                self._send(500, b"internal error", "text/plain", {})

        def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


async def test_fetch_stores_the_official_file_and_then_asks_conditionally(
    start_service, shipped_lists, publisher
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    store = RedisListsStore(svc.runtime.redis, svc.settings.redis.prefix)
    url = f"{publisher.url}/consolidated.csv"

    first = await fetch_lists(store, url, POLICY)
    assert first.result == "updated" and first.published is not None
    head = await store.head()
    assert head is not None and head.etag == ETAG and head.last_modified == LAST_MODIFIED and head.url == url
    assert head.as_of == datetime(2026, 11, 28, 6, tzinfo=UTC) and head.as_of_basis == "given"
    assert (
        head.version.startswith("csl:2026-11-28:")
        and head.counts is not None
        and head.counts.entries == 25921
    )

    again = await fetch_lists(store, url, POLICY)
    assert again.result == "not_modified" and again.status == 304
    assert publisher.seen[-1] == {"path": "/consolidated.csv", "etag": ETAG, "since": LAST_MODIFIED}
    assert (await store.head()) == head  # nothing rewritten


@pytest.mark.parametrize(
    ("path", "result", "why"),
    [
        ("/truncated/consolidated.csv", "refused", "lost"),
        ("/html/consolidated.csv", "refused", "not a CSL CSV"),
        ("/error/consolidated.csv", "failed", "HTTP 500"),
    ],
    ids=["truncated", "html-error-page", "server-error"],
)
async def test_fetch_refuses_what_is_not_the_whole_list_and_keeps_the_stored_one(
    services, publisher, path: str, result: str, why: str
) -> None:
    client = await redis_client(services.redis_url)
    store = RedisListsStore(client, f"{unique('fetch')}:")
    try:
        await fetch_lists(store, f"{publisher.url}/consolidated.csv", POLICY)
        before = await store.head()
        outcome = await fetch_lists(store, f"{publisher.url}{path}", POLICY)
        assert outcome.result == result and why in outcome.detail
        assert await store.head() == before
    finally:
        await client.delete(*[key async for key in client.scan_iter(match=f"{store._key}*")])
        await client.aclose()


async def test_a_running_service_fetches_swaps_the_lists_in_and_rescreens(
    start_service, shipped_lists, publisher
) -> None:
    svc: RunningService = await start_service(lists=shipped_lists)
    svc.runtime.settings.lists.fetch_url = f"{publisher.url}/consolidated.csv"
    requested: list[str] = []
    svc.runtime.rescreens.request = lambda cause, change=None: requested.append(cause)  # type: ignore[method-assign]
    assert await fetch_and_refresh(svc.runtime) == "updated"
    current = svc.runtime.lists.current
    assert current is not None and current.version.startswith("csl:2026-11-28:")
    assert current.as_of == datetime(2026, 11, 28, 6, tzinfo=UTC)
    assert requested == ["lists"] and svc.runtime.lists.fetches == {"updated": 1}
    assert await fetch_and_refresh(svc.runtime) == "not_modified"
