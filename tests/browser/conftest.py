"""The browser tier: the review page served by uvicorn on a free loopback port, driven by Debian's
headless Chromium through its chromedriver (Selenium), against the real broker and Redis."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from starlette.applications import Starlette

from tests.integration.conftest import services, start_service  # noqa: F401  (fixtures shared here)

CHROMIUM = os.environ.get("SCREENING_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SCREENING_CHROMEDRIVER", "/usr/bin/chromedriver")


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServedPage:
    """The review page answering at `url`, in a thread of its own (with its own event loop)."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def serve_page(app: Starlette, **options: Any) -> ServedPage:
    """Serve `app` on a free loopback port until `stop()`; its lifespan (Kafka producer) runs too.
    `options` go to uvicorn (e.g. `ssl_certfile`, `ssl_keyfile`: then the URL is https)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="review-page", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the review page did not start")
        time.sleep(0.05)
    scheme = "https" if options.get("ssl_certfile") else "http"
    return ServedPage(f"{scheme}://127.0.0.1:{port}", server, thread)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium from Debian's packages (never a downloaded browser), a fresh profile each test."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(binary) is None:
            pytest.fail(f"{binary} is missing: `make test` installs Debian's chromium and chromium-driver")
    profile = tempfile.mkdtemp(prefix="screening-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
