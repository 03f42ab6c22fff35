"""The review page as a Starlette app: sign-in, the queue of open holds, a page per hold, reviews.

Security, in one place:
- Sessions are signed cookies (itsdangerous through Starlette's `SessionMiddleware`): HttpOnly,
  SameSite=Strict, Secure when served over TLS; they end `session_max_age_s` after sign-in.
- Every POST goes through `_guarded`: it refuses a request whose form does not carry the session's CSRF
  token (a random per-session value, compared in constant time), and, but for the sign-in form itself, a
  request without a signed-in reviewer.
- The reviewer's identity comes from the session (or, in header mode, the authenticating proxy's header),
  never from the form.
- Templates are autoescaped; responses carry a strict Content-Security-Policy (no scripts at all).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening.config import ReviewUiSettings
from screening.ports import OpenHolds
from screening.review_ui.kafka import ReviewSink
from screening.review_ui.passwords import MAX_PASSWORD_CHARS, PasswordFile, PasswordFileError
from screening.review_ui.presentation import HoldSummary, summarise
from screening.wire import ReviewV1, SubjectV1

log = logging.getLogger("screening.review_ui")

SESSION_COOKIE = "screening_review"
CSRF_FIELD = "csrf_token"
MAX_BODY_BYTES = 64 * 1024
MAX_REASON_CHARS = 4000
MAX_REVIEWER_CHARS = 200
KINDS = ("order", "lease")
ACTIONS = {
    "release": "release (allow)",
    "confirm": "confirmation of the hold as a denial",
    "request_info": "request for information",
}
NOT_A_REVIEWER = (
    "You are not one of the configured reviewers: the service would reject a review from you. "
    "You can read the holds."
)
AFTER_REVIEW = {
    "release": "The service publishes the allow, or, where two reviewers must release, records yours and "
    "keeps the hold open for the second.",
    "confirm": "The service publishes the deny.",
    "request_info": "The service records it; the hold stays open.",
}
_HERE = Path(__file__).parent
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

Clock = Callable[[], datetime]
Handler = Callable[[Request, FormData, str | None], Awaitable[Response]]


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


class SecurityHeaders:
    """ASGI middleware: strict CSP and the usual hardening headers on every response; bodies over
    `max_body_bytes` are refused (413) before a handler reads them."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await PlainTextResponse("request body too large", status_code=413)(scope, receive, send)
            return
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:  # a chunked body without a length: stop reading it
                    return {"type": "http.disconnect"}
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, bounded_receive, send_with_headers)


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,  # every value is escaped, whatever the template's file name
        undefined=jinja2.ChainableUndefined,  # optional (additive) decision fields may be absent
    )
    environment.filters["share"] = lambda share: "" if share is None else f"{share * 100:.4g} %"
    environment.filters["utc"] = lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Jinja2Templates(env=environment)


class ReviewPage:
    """The handlers of the review page, over the `OpenHolds` port and a review sink."""

    def __init__(
        self,
        settings: ReviewUiSettings,
        holds: OpenHolds,
        reviews: ReviewSink,
        passwords: PasswordFile | None,
        clock: Clock = utc_now,
        reviewers: frozenset[str] = frozenset(),
    ) -> None:
        if settings.auth == "password" and passwords is None:
            raise ValueError("password sign-in needs a password file (review_ui.password_file)")
        self.settings = settings
        self.holds = holds
        self.reviews = reviews
        self.passwords = passwords
        self.clock = clock
        self.reviewers = reviewers
        self.templates = _templates()

    # ----------------------------------------------------------------------------------- session
    def csrf_token(self, request: Request) -> str:
        """The session's CSRF token, made on first use."""
        token = request.session.get("csrf")
        if not isinstance(token, str) or len(token) < 32:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    def reviewer(self, request: Request) -> str | None:
        """Who is signed in: the session's reviewer (password mode, within the session's lifetime) or the
        proxy's header (header mode). Never anything the form says."""
        session = request.session
        if self.settings.auth == "header":
            name = request.headers.get(self.settings.trusted_header, "").strip()
            if not name or len(name) > MAX_REVIEWER_CHARS or not name.isprintable():
                return None
            if session.get("user") != name:  # another reviewer behind the proxy: a fresh session
                session.clear()
                session["user"] = name
                session["since"] = int(time.time())
            return name
        user, since = session.get("user"), session.get("since")
        if not isinstance(user, str) or not isinstance(since, int):
            return None
        if time.time() - since > self.settings.session_max_age_s:
            session.clear()
            return None
        return user

    def may_review(self, reviewer: str) -> bool:
        """Whether the service takes reviews from `reviewer` (everyone signed in, unless a list is set)."""
        return not self.reviewers or reviewer in self.reviewers

    def render(
        self, request: Request, template: str, context: Mapping[str, Any], status_code: int = 200
    ) -> Response:
        """A page, with what every page needs: the reviewer, the CSRF token, a message left for them."""
        flash = request.session.pop("flash", None) if "flash" in request.session else None
        base = {
            "reviewer": self.reviewer(request),
            "csrf_token": self.csrf_token(request),
            "csrf_field": CSRF_FIELD,
            "flash": flash,
            "header_auth": self.settings.auth == "header",
        }
        return self.templates.TemplateResponse(
            request, template, {**base, **context}, status_code=status_code
        )

    def refuse(self, request: Request, status_code: int, message: str) -> Response:
        """An error page with `status_code`."""
        return self.render(request, "error.html", {"message": message}, status_code)

    # ----------------------------------------------------------------------------------- guards
    def guarded(self, handler: Handler, signed_in: bool = True) -> Callable[[Request], Awaitable[Response]]:
        """A POST endpoint: refused (403) without the session's CSRF token in the form, and, when
        `signed_in`, without a signed-in reviewer."""

        async def endpoint(request: Request) -> Response:
            user = self.reviewer(request)
            if signed_in and user is None:
                return self.refuse(request, 403, "Sign in first: this request came without a session.")
            try:
                form = await request.form(max_files=0, max_fields=200)
            except Exception:  # an unreadable or cut-off body
                return PlainTextResponse("unreadable form", status_code=400)
            sent = form.get(CSRF_FIELD)
            expected = request.session.get("csrf")
            if (
                not isinstance(sent, str)
                or not isinstance(expected, str)
                or not hmac.compare_digest(sent.encode(), expected.encode())
            ):
                log.warning("refused a POST to %s without a valid CSRF token", request.url.path)
                return self.refuse(
                    request, 403, "This form has expired or did not come from this page: open it again."
                )
            return await handler(request, form, user)

        return endpoint

    # ----------------------------------------------------------------------------------- sign-in
    async def sign_in_page(self, request: Request) -> Response:
        """GET /login: the sign-in form (header mode: no form, the proxy signs reviewers in)."""
        if self.reviewer(request) is not None or self.settings.auth == "header":
            return RedirectResponse("/", status_code=303)
        return self.render(request, "login.html", {"error": None, "name": ""})

    async def sign_in(self, request: Request, form: FormData, _: str | None) -> Response:
        """POST /login: check the password; on success a fresh session (new CSRF token) for the reviewer."""
        if self.settings.auth != "password" or self.passwords is None:
            return self.refuse(request, 404, "Sign-in is done by the authenticating proxy.")
        name, password = str(form.get("name") or "").strip(), str(form.get("password") or "")
        try:
            good = (
                bool(name)
                and len(password) <= MAX_PASSWORD_CHARS
                and await asyncio.to_thread(self.passwords.check, name, password)
            )
        except PasswordFileError as error:
            log.error("cannot check a sign-in: %s", error)
            return self.refuse(request, 503, "Sign-in is unavailable: the password file cannot be read.")
        if not good:
            log.warning("failed sign-in for %r", name[:64])
            return self.render(
                request, "login.html", {"error": "Unknown reviewer or wrong password.", "name": name}, 401
            )
        request.session.clear()
        request.session.update({"user": name, "since": int(time.time()), "csrf": secrets.token_urlsafe(32)})
        log.info("reviewer %s signed in", name)
        return RedirectResponse("/", status_code=303)

    async def sign_out(self, request: Request, form: FormData, user: str | None) -> Response:
        """POST /logout: forget the session."""
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ----------------------------------------------------------------------------------- pages
    async def _read(self, read: Callable[[], Awaitable[Any]]) -> Any:
        """What `read` returns, or None when the holds cannot be read (logged without the error's text,
        which may name the Redis URL)."""
        try:
            return await read()
        except Exception as error:
            log.error("cannot read the open holds: %s", type(error).__name__)
            return None

    async def queue(self, request: Request) -> Response:
        """GET /: the open holds, oldest first, with age, reasons, matched entries and ownership paths."""
        if self.reviewer(request) is None:
            return RedirectResponse("/login", status_code=303)
        found = await self._read(lambda: self.holds.oldest(self.settings.queue_limit))
        if found is None:
            return self.refuse(request, 503, "The open holds cannot be read right now; try again shortly.")
        now = self.clock()
        holds = [summarise(hold, now) for hold in found]
        return self.render(request, "queue.html", {"holds": holds, "limit": self.settings.queue_limit})

    async def _hold(self, request: Request) -> tuple[str, str, HoldSummary | None, Response | None]:
        kind, subject_id = request.path_params["kind"], request.path_params["subject_id"]
        if kind not in KINDS:
            return kind, subject_id, None, self.refuse(request, 404, "No such kind of subject.")
        hold = await self._read(lambda: self.holds.get(kind, subject_id))
        if hold is None:  # not held, or the holds cannot be read now (logged): the page says both
            return (
                kind,
                subject_id,
                None,
                self.refuse(
                    request,
                    404,
                    f"{kind.capitalize()} {subject_id} is not held (any more): it was released, confirmed "
                    "or decided again, or it cannot be read right now.",
                ),
            )
        return kind, subject_id, summarise(hold, self.clock()), None

    def _hold_page(
        self,
        request: Request,
        hold: HoldSummary,
        reviewer: str,
        errors: list[str] | None = None,
        reason: str = "",
        marked: frozenset[str] = frozenset(),
        status_code: int = 200,
    ) -> Response:
        return self.render(
            request,
            "hold.html",
            {
                "hold": hold,
                "errors": errors or [],
                "reason": reason,
                "marked": marked,
                "already_released": hold.reviewed_by(reviewer),
                "may_review": self.may_review(reviewer),
                "decision_json": orjson.dumps(
                    {
                        "decision_id": hold.decision_id,
                        "event_id": hold.event_id,
                        "subject": {"kind": hold.kind, "id": hold.subject_id},
                        "reasons": list(hold.reasons),
                        "items": list(hold.items),
                        "trigger": hold.trigger,
                        "versions": dict(hold.versions),
                        "decided_at": hold.decided_at,
                    },
                    option=orjson.OPT_INDENT_2,
                ).decode(),
            },
            status_code,
        )

    async def hold_page(self, request: Request) -> Response:
        """GET /holds/{kind}/{subject_id}: the hold's full evidence and the review form."""
        reviewer = self.reviewer(request)
        if reviewer is None:
            return RedirectResponse("/login", status_code=303)
        _, _, hold, refused = await self._hold(request)
        if refused is not None or hold is None:
            return refused or self.refuse(request, 404, "Not held.")
        return self._hold_page(request, hold, reviewer)

    async def review(self, request: Request, form: FormData, user: str | None) -> Response:
        """POST /holds/{kind}/{subject_id}/review: publish the signed-in reviewer's verdict as a ReviewV1."""
        assert user is not None  # guarded(signed_in=True)
        if not self.may_review(user):
            return self.refuse(request, 403, NOT_A_REVIEWER)
        kind, subject_id, hold, refused = await self._hold(request)
        if refused is not None or hold is None:
            return refused or self.refuse(request, 404, "Not held.")
        action = str(form.get("action") or "")
        reason = str(form.get("reason") or "").strip()
        marked = [str(value) for value in form.getlist("false_positive")]
        errors: list[str] = []
        if action not in ACTIONS:
            errors.append("Choose release, confirm or request information.")
        if not reason:
            errors.append("Say why: the reason is kept with the review.")
        elif len(reason) > MAX_REASON_CHARS:
            errors.append(f"The reason is longer than {MAX_REASON_CHARS} characters.")
        listed = {entry.entry_id for entry in hold.entries}
        if any(entry_id not in listed for entry_id in marked):
            errors.append("Only the list entries this hold matched can be marked as false positives.")
        if action == "release" and hold.reviewed_by(user):
            errors.append(
                "You already released this hold: the second release must come from another reviewer."
            )
        if str(form.get("decision_id") or "") != hold.decision_id:
            errors.append(
                f"This {kind} was decided again while you were reading it (decision {hold.decision_id} is "
                "current): read the evidence below and review again."
            )
            return self._hold_page(request, hold, user, errors, reason, frozenset(marked), 409)
        if errors:
            return self._hold_page(request, hold, user, errors, reason, frozenset(marked), 400)
        try:
            review = ReviewV1(
                review_id=f"rev-{uuid.uuid4().hex}",
                subject=SubjectV1(kind=kind, id=subject_id),  # type: ignore[arg-type]  # checked: KINDS
                decision_id=hold.decision_id,
                action=action,  # type: ignore[arg-type]  # checked: ACTIONS
                reviewer=user,
                reason=reason,
                false_positive_entries=list(dict.fromkeys(marked)),
                reviewed_at=self.clock(),
            )
        except ValidationError as error:
            problems = "; ".join(str(e["msg"]) for e in error.errors()[:3])
            return self._hold_page(request, hold, user, [problems], reason, frozenset(marked), 400)
        try:
            await self.reviews.publish(review)
        except Exception as error:
            log.error("review %s of %s %s not sent: %s", review.review_id, kind, subject_id, error)
            return self._hold_page(
                request,
                hold,
                user,
                [
                    "The review could not be sent (the broker did not acknowledge it); nothing was recorded. "
                    "Try again."
                ],
                reason,
                frozenset(marked),
                503,
            )
        log.info("%s sent review %s (%s) of %s %s", user, review.review_id, action, kind, subject_id)
        request.session["flash"] = (
            f"Your {ACTIONS[action]} of {kind} {subject_id} was sent as review {review.review_id}. "
            f"{AFTER_REVIEW[action]}"
        )
        return RedirectResponse("/", status_code=303)

    async def healthz(self, request: Request) -> Response:
        """GET /healthz: the page answers (no sign-in, no data)."""
        return PlainTextResponse("ok")


def build_review_app(
    settings: ReviewUiSettings,
    holds: OpenHolds,
    reviews: ReviewSink,
    session_secret: str,
    passwords: PasswordFile | None = None,
    clock: Clock = utc_now,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    reviewers: frozenset[str] = frozenset(),
) -> Starlette:
    """The review page's ASGI app. `session_secret` signs the session cookie; `lifespan` starts and stops
    the clients behind `holds` and `reviews`; `reviewers`, when not empty, are the only reviewers whose
    reviews the service takes (others may read the holds, the page refuses their reviews)."""
    if len(session_secret) < 32:
        raise ValueError("the session secret must have at least 32 characters")
    page = ReviewPage(settings, holds, reviews, passwords, clock, reviewers)
    secure = settings.secure_cookie
    if secure is None:
        secure = settings.tls_cert_file is not None
    routes = [
        Route("/", page.queue, methods=["GET"]),
        Route("/login", page.sign_in_page, methods=["GET"]),
        Route("/login", page.guarded(page.sign_in, signed_in=False), methods=["POST"]),
        Route("/logout", page.guarded(page.sign_out), methods=["POST"]),
        Route("/holds/{kind}/{subject_id:path}", page.hold_page, methods=["GET"]),
        Route("/holds/{kind}/{subject_id:path}/review", page.guarded(page.review), methods=["POST"]),
        Route("/healthz", page.healthz, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=_HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_secret,
            session_cookie=SESSION_COOKIE,
            max_age=settings.session_max_age_s,
            same_site="strict",
            https_only=secure,
        ),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
