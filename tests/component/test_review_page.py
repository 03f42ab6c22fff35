"""The review page's app in process (httpx over ASGI): sign-in, sessions, CSRF, escaping, reviews.

The browser test (`tests/browser`) drives the same pages in Chromium against the real broker and Redis.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from screening.config import ReviewUiSettings
from screening.review_ui.memory import InMemoryOpenHolds, InMemoryReviewSink
from screening.review_ui.passwords import PasswordFile, hash_password
from screening.review_ui.web import CONTENT_SECURITY_POLICY, SESSION_COOKIE, build_review_app
from screening.wire import ReviewV1
from tests.review_page_support import CMIC_ENTRY, held_decision

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = "k" * 48


@dataclass
class Page:
    holds: InMemoryOpenHolds
    sink: InMemoryReviewSink
    passwords: PasswordFile
    settings: ReviewUiSettings

    def client(self, reviewers: frozenset[str] = frozenset(), **settings: object) -> httpx.AsyncClient:
        ui = self.settings.model_copy(update=settings)
        app = build_review_app(
            ui, self.holds, self.sink, SECRET, self.passwords, clock=lambda: NOW, reviewers=reviewers
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://review.test")


@pytest.fixture(scope="module")
def passwords(tmp_path_factory: pytest.TempPathFactory) -> PasswordFile:
    path = tmp_path_factory.mktemp("review") / "reviewers"
    # The cheapest cost the file accepts (N = 2^14), so the many sign-ins here stay quick.
    path.write_text("".join(f"{name}:{hash_password(f'{name}-pw', n=2**14)}\n" for name in ("alice", "bob")))
    return PasswordFile(path)


@pytest.fixture
def page(passwords: PasswordFile) -> Page:
    holds = InMemoryOpenHolds()
    holds.hold(held_decision("SO-NEW", "dec-new"), NOW - timedelta(minutes=5))
    holds.hold(held_decision("SO-OLD", "dec-old"), NOW - timedelta(days=2, hours=1))
    return Page(holds, InMemoryReviewSink(), passwords, ReviewUiSettings())


@pytest.fixture
async def client(page: Page) -> AsyncIterator[httpx.AsyncClient]:
    async with page.client() as http:
        yield http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, name: str = "alice", password: str | None = None) -> str:
    """Sign in through the form; the CSRF token of the new session."""
    form = await http.get("/login")
    answer = await http.post(
        "/login", data={"csrf_token": csrf_of(form.text), "name": name, "password": password or f"{name}-pw"}
    )
    assert answer.status_code == 303, answer.text
    return csrf_of((await http.get("/")).text)


def review_form(csrf: str, decision_id: str = "dec-old", **fields: object) -> dict[str, object]:
    return {
        "csrf_token": csrf,
        "decision_id": decision_id,
        "action": "release",
        "reason": "not them",
    } | fields


async def test_the_queue_needs_a_signed_in_reviewer(client: httpx.AsyncClient) -> None:
    for path in ("/", "/holds/order/SO-OLD"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


async def test_the_queue_lists_open_holds_oldest_first_with_their_evidence(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    html = (await client.get("/")).text
    assert html.index("SO-OLD") < html.index("SO-NEW")
    assert "2 d 1 h" in html and "5 min" in html
    assert "POSSIBLE_LIST_MATCH" in html and "ULTIMATE_PARENT_UNKNOWN" in html
    assert "CMIC: Sensetime Group Limited" in html
    assert "owned 100 % by" in html and "SenseTime Group Limited" in html
    assert 'Signed in as <strong id="reviewer">alice</strong>' in html


async def test_the_hold_page_shows_reasons_items_versions_and_recorded_reviews(
    page: Page, client: httpx.AsyncClient
) -> None:
    first = {"reviewer": "bob", "action": "release", "reason": "verified", "reviewed_at": "2026-11-30T11:00Z"}
    page.holds.hold(held_decision("SO-OLD", "dec-old"), NOW - timedelta(days=2), (first,))
    await sign_in(client)
    html = (await client.get("/holds/order/SO-OLD")).text
    for text in (
        "buyer may match CMIC entry",
        "end_user may match CMIC entry",
        "4A090.a",
        "15832.0",
        "HGX H100 8-GPU",
        "2026.11.1",
        "csl:2026-07-31:abc",
        "2026-06-30:11",
        "1 of 2 reviewers released (bob)",
        f'name="false_positive" value="{CMIC_ENTRY}"',
        "dec-old",
    ):
        assert text in html, text


async def test_a_release_publishes_the_signed_in_reviewer_whatever_the_form_says(
    page: Page, client: httpx.AsyncClient
) -> None:
    csrf = await sign_in(client)
    answer = await client.post(
        "/holds/order/SO-OLD/review",
        data=review_form(csrf, false_positive=[CMIC_ENTRY], reviewer="mallory", reason="  a subsidiary  "),
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    [review] = page.sink.published
    assert isinstance(review, ReviewV1)
    assert review.reviewer == "alice"
    assert (review.subject.kind, review.subject.id, review.decision_id) == ("order", "SO-OLD", "dec-old")
    assert (review.action, review.reason, review.false_positive_entries) == (
        "release",
        "a subsidiary",
        [CMIC_ENTRY],
    )
    assert review.reviewed_at == NOW
    assert f"sent as review {review.review_id}" in (await client.get("/")).text


@pytest.mark.parametrize("action", ["confirm", "request_info"])
async def test_confirm_and_request_info_publish_their_action(
    page: Page, client: httpx.AsyncClient, action: str
) -> None:
    csrf = await sign_in(client)
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf, action=action))
    assert answer.status_code == 303
    assert [review.action for review in page.sink.published] == [action]


async def test_a_post_without_a_session_is_refused(page: Page, client: httpx.AsyncClient) -> None:
    form = await client.get("/login")  # an anonymous session with a CSRF token: still not signed in
    csrf = csrf_of(form.text)
    for path in ("/holds/order/SO-OLD/review", "/logout"):
        answer = await client.post(path, data=review_form(csrf))
        assert answer.status_code == 403, path
    async with page.client() as fresh:  # no cookie at all
        assert (await fresh.post("/holds/order/SO-OLD/review", data=review_form("x" * 43))).status_code == 403
    assert page.sink.published == []


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    page: Page, client: httpx.AsyncClient
) -> None:
    csrf = await sign_in(client)
    without = review_form(csrf)
    del without["csrf_token"]
    assert (await client.post("/holds/order/SO-OLD/review", data=without)).status_code == 403
    wrong = review_form(csrf[:-2] + ("AA" if not csrf.endswith("AA") else "BB"))
    assert (await client.post("/holds/order/SO-OLD/review", data=wrong)).status_code == 403
    async with page.client() as other:  # bob's token is no good in alice's session
        bobs = await sign_in(other, "bob")
    assert (await client.post("/holds/order/SO-OLD/review", data=review_form(bobs))).status_code == 403
    assert (await client.post("/logout", data={})).status_code == 403
    assert page.sink.published == []
    assert (await client.get("/")).status_code == 200  # still signed in: nothing was done


async def test_sign_in_needs_the_csrf_token_and_the_right_password(client: httpx.AsyncClient) -> None:
    csrf = csrf_of((await client.get("/login")).text)
    no_token = await client.post("/login", data={"name": "alice", "password": "alice-pw"})
    assert no_token.status_code == 403
    wrong = await client.post("/login", data={"csrf_token": csrf, "name": "alice", "password": "bob-pw"})
    assert wrong.status_code == 401 and "Unknown reviewer or wrong password" in wrong.text
    unknown = await client.post("/login", data={"csrf_token": csrf, "name": "eve", "password": "x"})
    assert unknown.status_code == 401
    assert (await client.get("/")).status_code == 303


async def test_signing_in_gives_a_new_csrf_token_and_signing_out_ends_the_session(
    page: Page, client: httpx.AsyncClient
) -> None:
    before = csrf_of((await client.get("/login")).text)
    after = await sign_in(client)
    assert after != before
    assert (await client.post("/logout", data={"csrf_token": after})).status_code == 303
    assert (await client.get("/")).status_code == 303
    assert (await client.post("/holds/order/SO-OLD/review", data=review_form(after))).status_code == 403
    assert page.sink.published == []


async def test_the_session_cookie_is_signed_httponly_and_samesite_strict(page: Page) -> None:
    async with page.client() as http:
        await http.get("/login")
        cookie = (await http.get("/login")).headers.get("set-cookie") or ""
        form = await http.get("/login")
        answer = await http.post(
            "/login", data={"csrf_token": csrf_of(form.text), "name": "alice", "password": "alice-pw"}
        )
        cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here
    async with page.client(secure_cookie=True) as https:
        assert "secure" in (await https.get("/login")).headers["set-cookie"].lower()
    async with page.client() as forged:  # a cookie changed by hand is not a session
        forged.cookies.set(SESSION_COOKIE, cookie.split(";")[0].split("=", 1)[1].replace("a", "b", 1))
        assert (await forged.get("/")).status_code == 303


async def test_a_session_ends_after_its_lifetime(page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    async with page.client(session_max_age_s=600) as http:
        await sign_in(http)
        assert (await http.get("/")).status_code == 200
        import screening.review_ui.web as web

        real = web.time.time
        monkeypatch.setattr(web.time, "time", lambda: real() + 601)
        assert (await http.get("/")).status_code == 303


async def test_every_value_is_escaped(page: Page, client: httpx.AsyncClient) -> None:
    page.holds.hold(
        held_decision("SO-<b>X</b>", "dec-x", message="<script>alert('x')</script>"), NOW - timedelta(days=9)
    )
    await sign_in(client)
    queue = (await client.get("/")).text
    assert "SO-<b>X</b>" not in queue and "SO-&lt;b&gt;X&lt;/b&gt;" in queue
    hold = (await client.get("/holds/order/SO-<b>X</b>")).text
    assert "<script>" not in hold
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in hold


async def test_every_response_carries_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    answer = await client.get("/login")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


async def test_a_stale_review_is_not_sent(page: Page, client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client)
    page.holds.hold(held_decision("SO-OLD", "dec-newer"), NOW - timedelta(days=2))  # decided again meanwhile
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf, "dec-old"))
    assert answer.status_code == 409 and "decided again" in answer.text
    assert page.sink.published == []


async def test_a_subject_no_longer_held_cannot_be_reviewed(page: Page, client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client)
    page.holds.release("order", "SO-OLD")
    assert (await client.get("/holds/order/SO-OLD")).status_code == 404
    assert (await client.post("/holds/order/SO-OLD/review", data=review_form(csrf))).status_code == 404
    assert page.sink.published == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "  "}, "Say why"),
        ({"action": "approve"}, "Choose release, confirm or request information"),
        ({"false_positive": ["not-an-entry-of-this-hold"]}, "Only the list entries this hold matched"),
        ({"reason": "x" * 4001}, "longer than 4000"),
    ],
)
async def test_an_incomplete_review_is_sent_back(
    page: Page, client: httpx.AsyncClient, fields: dict[str, object], message: str
) -> None:
    csrf = await sign_in(client)
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf, **fields))
    assert answer.status_code == 400 and message in answer.text
    assert page.sink.published == []


async def test_a_reviewer_cannot_give_the_second_release_of_their_own(
    page: Page, client: httpx.AsyncClient
) -> None:
    first = {"reviewer": "alice", "action": "release", "reason": "ok", "reviewed_at": "2026-11-30T11:00Z"}
    page.holds.hold(held_decision("SO-OLD", "dec-old"), NOW - timedelta(days=2), (first,))
    csrf = await sign_in(client)
    html = (await client.get("/holds/order/SO-OLD")).text
    assert 'id="already-released"' in html
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf))
    assert answer.status_code == 400 and "another reviewer" in answer.text
    async with page.client() as bob:
        bobs = await sign_in(bob, "bob")
        assert (await bob.post("/holds/order/SO-OLD/review", data=review_form(bobs))).status_code == 303
    assert [review.reviewer for review in page.sink.published] == ["bob"]


async def test_a_review_the_broker_did_not_take_is_reported_as_not_recorded(
    page: Page, client: httpx.AsyncClient
) -> None:
    async def refuse(review: ReviewV1) -> None:
        raise TimeoutError("no acknowledgement")

    page.sink.publish = refuse  # type: ignore[method-assign]
    csrf = await sign_in(client)
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf, reason="keep me"))
    assert answer.status_code == 503 and "nothing was recorded" in answer.text
    assert "keep me" in answer.text  # the reason typed is not lost


async def test_a_body_over_the_limit_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    csrf = await sign_in(client)
    answer = await client.post("/holds/order/SO-OLD/review", data=review_form(csrf, reason="x" * 70_000))
    assert answer.status_code == 413


async def test_header_mode_takes_the_reviewer_from_the_proxy_header(page: Page) -> None:
    async with page.client(auth="header") as http:
        assert (await http.get("/")).status_code == 303  # no header: not signed in
        headers = {"X-Authenticated-User": "carol@example.com"}
        html = (await http.get("/holds/order/SO-OLD", headers=headers)).text
        assert "carol@example.com" in html
        answer = await http.post(
            "/holds/order/SO-OLD/review", data=review_form(csrf_of(html)), headers=headers
        )
        assert answer.status_code == 303
        # another identity behind the same cookie gets a fresh session: the old token is refused
        answer = await http.post(
            "/holds/order/SO-OLD/review",
            data=review_form(csrf_of(html)),
            headers={"X-Authenticated-User": "mallory"},
        )
        assert answer.status_code == 403
    assert [review.reviewer for review in page.sink.published] == ["carol@example.com"]


async def test_only_the_configured_reviewers_may_review(page: Page) -> None:
    async with page.client(reviewers=frozenset({"bob"})) as http:
        csrf = await sign_in(http, "alice")
        html = (await http.get("/holds/order/SO-OLD")).text
        assert 'id="not-a-reviewer"' in html and "SO-OLD" in html  # alice may read the hold
        answer = await http.post("/holds/order/SO-OLD/review", data=review_form(csrf))
        assert answer.status_code == 403 and "not one of the configured reviewers" in answer.text
    async with page.client(reviewers=frozenset({"bob"})) as http:
        csrf = await sign_in(http, "bob")
        assert (await http.post("/holds/order/SO-OLD/review", data=review_form(csrf))).status_code == 303
    assert [review.reviewer for review in page.sink.published] == ["bob"]


async def test_unreadable_holds_are_said_so_never_shown_as_an_empty_queue(
    page: Page, client: httpx.AsyncClient
) -> None:
    async def unreachable(limit: int = 100) -> list[object]:
        raise ConnectionError("redis://:secret@127.0.0.1:1/0 refused")

    page.holds.oldest = unreachable  # type: ignore[method-assign,assignment]
    await sign_in(client)
    answer = await client.get("/")
    assert answer.status_code == 503 and "cannot be read right now" in answer.text
    assert "No open holds" not in answer.text and "secret" not in answer.text
