"""Served over TLS (the page's own certificate settings), the session cookie is marked Secure."""

from __future__ import annotations

import os
import re
import ssl
from pathlib import Path

import httpx
import pytest

from screening.config import ReviewUiSettings
from screening.review_ui.memory import InMemoryOpenHolds, InMemoryReviewSink
from screening.review_ui.passwords import PasswordFile, hash_password
from screening.review_ui.web import build_review_app
from tests.browser.conftest import serve_page


def test_over_tls_the_session_cookie_is_secure(tmp_path: Path) -> None:
    home = os.environ.get("SECURE_SERVICES_DIR")
    if not home:
        pytest.fail("needs the test certificates of `scripts/services.sh up --secure` (make test makes them)")
    tls = Path(home) / "tls"
    passwords = tmp_path / "reviewers"
    passwords.write_text(f"alice:{hash_password('alice-pw', n=2**14)}\n")
    settings = ReviewUiSettings(tls_cert_file=tls / "server.pem", tls_key_file=tls / "server.key")
    app = build_review_app(
        settings, InMemoryOpenHolds(), InMemoryReviewSink(), "s" * 48, PasswordFile(passwords)
    )
    page = serve_page(app, ssl_certfile=str(settings.tls_cert_file), ssl_keyfile=str(settings.tls_key_file))
    try:
        assert page.url.startswith("https://")
        with httpx.Client(verify=ssl.create_default_context(cafile=str(tls / "ca.pem"))) as http:
            login = http.get(f"{page.url}/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
            assert token is not None
            assert "; secure" in login.headers["set-cookie"].lower()
            signed_in = http.post(
                f"{page.url}/login",
                data={"csrf_token": token.group(1), "name": "alice", "password": "alice-pw"},
            )
            cookie = signed_in.headers["set-cookie"].lower()
            assert signed_in.status_code == 303
            assert "; secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        page.stop()
