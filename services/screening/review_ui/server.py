"""Running the review page: the session key, and uvicorn serving the app (HTTP, or HTTPS with TLS files)."""

from __future__ import annotations

import logging
import secrets

import uvicorn
from starlette.applications import Starlette

from screening.adapters.security import read_secret
from screening.config import ReviewUiSettings

log = logging.getLogger("screening.review_ui")


def session_secret(settings: ReviewUiSettings) -> str:
    """The key that signs session cookies: from the settings or their file; else a random one for this
    run (sessions then end when the page restarts, and two instances would not share them)."""
    secret = read_secret(settings.session_secret, settings.session_secret_file, "review page session key")
    if secret is None:
        log.warning("no review_ui.session_secret set: a random key is used, sessions end at restart")
        return secrets.token_urlsafe(48)
    return secret


def page_url(settings: ReviewUiSettings) -> str:
    """Where the page answers."""
    scheme = "https" if settings.tls_cert_file is not None else "http"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{scheme}://{host}:{settings.port}/"


def serve(app: Starlette, settings: ReviewUiSettings, log_level: str = "info") -> None:
    """Serve `app` until interrupted."""
    log.info("review page on %s", page_url(settings))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(settings.tls_cert_file) if settings.tls_cert_file else None,
        ssl_keyfile=str(settings.tls_key_file) if settings.tls_key_file else None,
        log_level=log_level.lower(),
        server_header=False,
    )
