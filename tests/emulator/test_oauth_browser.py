"""The web-server flow in a real browser: headless Chromium driven by Playwright.

Chromium signs in on the emulator's page, clicks Allow, and is redirected to a
one-shot HTTP listener on 127.0.0.1 that captures the authorization code; the
test then exchanges the code (with its PKCE verifier) for tokens. Chromium is
Debian's package, found on PATH; the emulator's CA is not trusted by it, so the
browser context ignores certificate errors.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from sfmagic.emulator.org import RunningOrg
from tests.browser_support import BROWSER_TEST, chromium

pytestmark = BROWSER_TEST


class OneShotListener:
    """An HTTP server on 127.0.0.1 that captures one callback's query string."""

    def __init__(self) -> None:
        self.query: dict[str, list[str]] = {}
        self.received = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.query = parse_qs(urlsplit(self.path).query)
                body = (
                    b"<html><body>Signed in. You can close this window.</body></html>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                listener.received.set()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}/OauthRedirect"
        self.thread = threading.Thread(target=self.server.handle_request, daemon=True)

    def __enter__(self) -> OneShotListener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.received.set()
        self.server.server_close()


def test_authorization_code_flow_in_chromium(live: RunningOrg) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    with OneShotListener() as listener:
        app = live.state.identity.create_connected_app(
            "Browser test", callback_urls=[listener.redirect_uri], require_secret=False
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": listener.redirect_uri,
                "scope": "api refresh_token",
                "state": "browser-state",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "login_hint": live.username,
            }
        )
        with chromium() as browser:
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            page.goto(f"{live.instance_url}/services/oauth2/authorize?{query}")
            assert page.input_value("#username") == live.username
            page.fill("#password", live.password)
            page.click("#Login")
            page.wait_for_selector("#oaapprove")
            assert "Allow access?" in page.content()
            page.click("#oaapprove")
            assert listener.received.wait(timeout=30)
            page.wait_for_load_state()
            assert "You can close this window" in page.content()

    assert listener.query["state"] == ["browser-state"]
    code = listener.query["code"][0]
    http = live.session()
    response = http.post(
        f"{live.instance_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "redirect_uri": listener.redirect_uri,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["refresh_token"].startswith("5Aep861")
    userinfo = http.get(
        f"{live.instance_url}/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=30,
    )
    assert userinfo.json()["preferred_username"] == live.username
