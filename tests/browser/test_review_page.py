"""The whole review loop in a real browser, through the real broker and Redis.

The service holds an order whose buyer may match an Entity List entry (a deny list: four eyes). The review
page reads the hold from the service's Redis queue. In headless Chromium alice signs in, finds the hold in
the queue, opens it and releases it: the page publishes her review to the service's reviews topic, the
service records it and the hold stands. Forged POSTs (no session, no CSRF token, a wrong one) are refused
and publish nothing. Bob signs in, sees alice's release recorded and releases too: the service publishes
the `allow` with `trigger: "review"`, both reviews in its evidence, on the decisions topic, and the queue is
empty. A later review of the released decision is stale and goes to the DLQ with the reason.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.wait import WebDriverWait

from screening.app import create_review_ui
from screening.config import ReviewUiSettings
from screening.domain.names import ScreeningLists
from screening.review_ui.passwords import hash_password
from tests.browser.conftest import serve_page
from tests.integration.conftest import RunningService, wait_until
from tests.integration.test_reviews import LOOK_ALIKE, Reader, held_order, review

pytestmark = pytest.mark.integration

ORDER = "SO-BROWSER-1"
REVIEWERS = {"alice": "alice-browser-pw", "bob": "bob-browser-pw"}


def sign_in(browser: WebDriver, url: str, name: str) -> None:
    browser.get(f"{url}/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(REVIEWERS[name])
    browser.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "reviewer")))


def release_in_browser(browser: WebDriver, url: str, name: str, reason: str) -> dict[str, str]:
    """Sign in as `name`, find the order in the queue, open it, release it, sign out; what the reviewer
    saw: the queue row, the hold page's recorded reviews and the confirmation."""
    sign_in(browser, url, name)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-subject="order/{ORDER}"]')
    seen = {"row": row.text}
    row.find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "review-form")))
    assert f"Order {ORDER}" in browser.find_element(By.ID, "title").text
    seen["reviews"] = browser.find_element(By.ID, "reviews").text
    browser.find_element(By.ID, "reason").send_keys(reason)
    browser.find_element(By.ID, "release").click()
    seen["flash"] = WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "flash"))).text
    browser.find_element(By.CSS_SELECTOR, 'form[action="/logout"] button').click()
    WebDriverWait(browser, 10).until(ready.presence_of_element_located((By.ID, "sign-in-button")))
    return seen


def queue_in_browser(browser: WebDriver, url: str, name: str) -> str:
    """What `name` sees on the queue page after signing in."""
    sign_in(browser, url, name)
    return str(browser.find_element(By.TAG_NAME, "main").text)


async def refused_posts(url: str, decision_id: str) -> list[int]:
    """The status of each forged POST: no session, signed in without the token, with a wrong token."""
    target = f"{url}/holds/order/{ORDER}/review"
    form = {"decision_id": decision_id, "action": "release", "reason": "forged", "reviewer": "bob"}
    statuses = []
    async with httpx.AsyncClient() as anonymous:
        statuses.append((await anonymous.post(target, data=form | {"csrf_token": "x" * 43})).status_code)
    async with httpx.AsyncClient() as http:
        login = await http.get(f"{url}/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token is not None
        signed_in = await http.post(
            f"{url}/login", data={"csrf_token": token.group(1), "name": "bob", "password": REVIEWERS["bob"]}
        )
        assert signed_in.status_code == 303
        statuses.append((await http.post(target, data=form)).status_code)
        # The sign-in page's token: signing in made a new one, so this one is wrong now.
        statuses.append((await http.post(target, data=form | {"csrf_token": token.group(1)})).status_code)
    return statuses


async def test_two_reviewers_release_a_deny_list_match_in_the_browser_and_the_service_publishes_the_allow(
    start_service, browser: WebDriver, shipped_lists: ScreeningLists, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    svc: RunningService = await start_service(lists=shipped_lists)
    k = svc.settings.kafka
    decisions, reviews, dead = (
        Reader(svc, k.decisions_topic),
        Reader(svc, k.reviews_topic),
        Reader(svc, k.dlq_topic),
    )
    hold = await held_order(svc, ORDER, buyer=LOOK_ALIKE)
    (published,) = await decisions.next(1)
    assert published["decision_id"] == hold["decision_id"] and published["outcome"] == "hold"
    assert "POSSIBLE_LIST_MATCH" in {r["code"] for r in hold["reasons"] if r["outcome"] == "hold"}

    passwords = tmp_path / "reviewers"
    passwords.write_text("".join(f"{name}:{hash_password(pw, n=2**14)}\n" for name, pw in REVIEWERS.items()))
    svc.settings.review_ui = ReviewUiSettings(password_file=passwords)
    # The page as `screening review-ui` builds it: holds read from the service's Redis, reviews published
    # to the service's reviews topic.
    page = serve_page(create_review_ui(svc.settings))
    try:
        alice = await asyncio.to_thread(
            release_in_browser, browser, page.url, "alice", "Munich furniture dealer"
        )
        assert "POSSIBLE_LIST_MATCH" in alice["row"] and "Huawei" in alice["row"]
        assert "None yet." in alice["reviews"]
        assert f"release (allow) of order {ORDER} was sent" in alice["flash"]

        async def recorded() -> bool:
            view = await svc.runtime.holds.get("order", ORDER)
            return view is not None and [r["reviewer"] for r in view.reviews] == ["alice"]

        await wait_until(recorded)  # the service recorded alice's release; four eyes: still a hold
        assert await decisions.next(0, timeout=2) == []
        assert await refused_posts(page.url, hold["decision_id"]) == [403, 403, 403]

        bob = await asyncio.to_thread(
            release_in_browser, browser, page.url, "bob", "Registry extract on file"
        )
        assert "1 of 2 reviewers released (alice)" in bob["row"]
        assert "alice — release" in bob["reviews"] and "Munich furniture dealer" in bob["reviews"]
        (released,) = await decisions.next(1)
        queue = await asyncio.to_thread(queue_in_browser, browser, page.url, "alice")
    finally:
        page.stop()

    assert (released["outcome"], released["trigger"]) == ("allow", "review")
    assert (released["event_id"], released["versions"]) == (hold["event_id"], hold["versions"])
    evidence: dict[str, Any] = released["reasons"][0]["evidence"]
    assert released["reasons"][0]["code"] == "REVIEW_RELEASED"
    assert evidence["reviewed_decision_id"] == hold["decision_id"]
    assert [(r["reviewer"], r["reason"]) for r in evidence["reviews"]] == [
        ("alice", "Munich furniture dealer"),
        ("bob", "Registry extract on file"),
    ]
    assert "POSSIBLE_LIST_MATCH" in evidence["four_eyes"]
    assert await svc.runtime.holds.get("order", ORDER) is None
    assert "No open holds" in queue and ORDER not in queue

    # Exactly the two reviews the page sent (the forged POSTs published nothing), by the signed-in reviewers.
    sent = await reviews.next(2)
    assert [(r["subject"]["id"], r["reviewer"], r["decision_id"]) for r in sent] == [
        (ORDER, "alice", hold["decision_id"]),
        (ORDER, "bob", hold["decision_id"]),
    ]
    assert {r["review_id"] for r in sent} == {
        re.search(r"review (rev-[0-9a-f]+)", seen["flash"]).group(1)  # type: ignore[union-attr]
        for seen in (alice, bob)
    }

    # A review of the released decision is stale: dead-lettered with the reason, nothing published.
    await svc.send(k.reviews_topic, ORDER, review(hold, "release", "carol"))
    (letter,) = await dead.next(1)
    assert letter["error_kind"] == "review"
    assert "has no open hold" in letter["error"] and "stale" in letter["error"]
    assert hold["decision_id"] in letter["error"]
    assert await decisions.next(0, timeout=2) == []
