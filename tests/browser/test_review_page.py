"""A reviewer's round trip in a real browser, through the real broker and Redis.

The service holds a lease; a reviewer signs in to the review page in headless Chromium, finds the hold in
the queue, opens it and releases it; the review arrives on the reviews topic with the signed-in reviewer.
A plain HTTP client then shows that a POST without a session, without the CSRF token or with a wrong one
is refused and publishes nothing.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.wait import WebDriverWait

from screening.app import create_review_ui
from screening.config import ReviewUiSettings
from screening.domain.names import ScreeningLists
from screening.review_ui.memory import InMemoryOpenHolds
from screening.review_ui.passwords import hash_password
from tests.browser.conftest import serve_page

pytestmark = pytest.mark.integration

DEMO_EVENTS = Path(__file__).parents[2] / "services/screening/demo/events.jsonl"
REVIEWERS = {"alice": "alice-browser-pw", "bob": "bob-browser-pw"}


def held_lease_event() -> tuple[str, bytes]:
    """The demo's Shanghai GPU-cloud lease (a hold: remote access for a D:5-headquartered lessee, no
    ownership record), under a lease id of its own."""
    for line in DEMO_EVENTS.read_bytes().splitlines():
        event = orjson.loads(line)
        if event.get("lease_id") == "L-GALAXY-7":
            lease_id = f"L-BROWSER-{uuid.uuid4().hex[:8]}"
            event.update(lease_id=lease_id, event_id=f"evt-{lease_id}")
            return lease_id, orjson.dumps(event)
    raise AssertionError("the demo lease L-GALAXY-7 is missing")


def sign_in(browser: WebDriver, url: str, name: str) -> None:
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(REVIEWERS[name])
    browser.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "reviewer")))


def release_in_browser(browser: WebDriver, url: str, lease_id: str, name: str, reason: str) -> str:
    """Sign in, find the lease in the queue, open it, release it; the confirmation the page shows."""
    sign_in(browser, url, name)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-subject="lease/{lease_id}"]')
    assert "LEASE_REMOTE_ACCESS_D5" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "review-form")))
    assert f"Lease {lease_id}" in browser.find_element(By.ID, "title").text
    assert "remote access to advanced compute" in browser.page_source
    browser.find_element(By.ID, "reason").send_keys(reason)
    browser.find_element(By.ID, "release").click()
    return str(WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "flash"))).text)


async def refused_posts(url: str, lease_id: str, decision_id: str) -> list[int]:
    """The status of each forged POST: no session, signed in without the token, with a wrong token."""
    review = f"{url}/holds/lease/{lease_id}/review"
    form = {"decision_id": decision_id, "action": "release", "reason": "forged", "reviewer": "bob"}
    statuses = []
    async with httpx.AsyncClient() as anonymous:
        statuses.append((await anonymous.post(review, data=form | {"csrf_token": "x" * 43})).status_code)
    async with httpx.AsyncClient() as http:
        login = await http.get(f"{url}/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token is not None
        signed_in = await http.post(
            f"{url}/login", data={"csrf_token": token.group(1), "name": "bob", "password": REVIEWERS["bob"]}
        )
        assert signed_in.status_code == 303
        statuses.append((await http.post(review, data=form)).status_code)
        statuses.append((await http.post(review, data=form | {"csrf_token": token.group(1)})).status_code)
    return statuses


async def test_a_reviewer_releases_a_hold_in_the_browser(
    start_service, browser: WebDriver, shipped_lists: ScreeningLists, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    running = await start_service(lists=shipped_lists)
    settings = running.settings
    settings.kafka.reviews_topic = f"{settings.kafka.decisions_topic}.reviews"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(settings.kafka.reviews_topic, 1, 1)])
    finally:
        await admin.close()

    lease_id, event = held_lease_event()
    await running.send(settings.kafka.leases_topic, lease_id, event)
    [(_, value)] = await running.read(settings.kafka.decisions_topic, 1)
    hold = orjson.loads(value or b"{}")
    assert hold["outcome"] == "hold"
    holds = InMemoryOpenHolds()
    holds.hold(hold, datetime.fromisoformat(hold["decided_at"]))

    passwords = tmp_path / "reviewers"
    passwords.write_text("".join(f"{name}:{hash_password(pw, n=2**14)}\n" for name, pw in REVIEWERS.items()))
    settings.review_ui = ReviewUiSettings(password_file=passwords)
    page = serve_page(create_review_ui(settings, holds=holds))
    try:
        flash = await asyncio.to_thread(
            release_in_browser, browser, page.url, lease_id, "alice", "Capacity resold to a US customer"
        )
        assert f"release (allow) of lease {lease_id} was sent" in flash
        assert await refused_posts(page.url, lease_id, hold["decision_id"]) == [403, 403, 403]
    finally:
        page.stop()

    reviews = await running.read(settings.kafka.reviews_topic, 1)
    assert len(reviews) == 1, "a refused POST published a review"
    key, value = reviews[0]
    review = orjson.loads(value or b"{}")
    assert key == lease_id.encode()
    assert review["subject"] == {"kind": "lease", "id": lease_id}
    assert review["decision_id"] == hold["decision_id"]
    assert (review["action"], review["reviewer"]) == ("release", "alice")
    assert review["reason"] == "Capacity resold to a US customer"
    assert review["review_id"] in flash
