"""Shared helpers of the login tests (client, magics, widgets, browser).

``shared_org()`` is one emulated org (no demo data) for the whole test process,
stopped at exit; tests that need other settings change them live with
``changed_settings`` (the identity layer reads them at each use). Users that
tests lock out with wrong passwords are made fresh by ``new_user``, so the
admin never gets locked. ``sign_in`` plays the browser on the emulator's
sign-in and consent pages with requests.
"""

from __future__ import annotations

import atexit
import datetime
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import keyring
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from sfmagic.emulator import start
from sfmagic.emulator.org import RunningOrg

_lock = threading.Lock()
_org: RunningOrg | None = None


def shared_org() -> RunningOrg:
    """One in-memory org for the whole test process."""
    global _org
    with _lock:
        if _org is None:
            _org = start()
            atexit.register(_org.stop)
        return _org


@contextmanager
def changed_settings(org: RunningOrg, **values: Any) -> Iterator[None]:
    """Change org settings for the duration of a block."""
    settings = org.state.settings
    before = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            setattr(settings, name, value)


@dataclass(frozen=True)
class TestUser:
    """A user made for one test, with its secrets."""

    username: str
    password: str
    security_token: str
    user_id: str


def new_user(org: RunningOrg, prefix: str = "user") -> TestUser:
    """A fresh active user with a random password and security token."""
    username = f"{prefix}.{secrets.token_hex(4)}@login.test"
    password = "Pw" + secrets.token_urlsafe(12)
    token = secrets.token_hex(12)
    user = org.state.identity.create_user(
        username,
        last_name="Tester",
        first_name="Tess",
        password=password,
        security_token=token,
        profile="System Administrator",
    )
    return TestUser(username, password, token, user.id)


def admin_connection(org: RunningOrg) -> Any:
    """A ``Connection`` to ``org``, signed in with its admin's access token."""
    from sfmagic.client import Connection
    from sfmagic.client.auth.grants import AccessTokenGrant

    grant = AccessTokenGrant(org.instance_url, org.access_token())
    return Connection.open(grant, ca_file=org.ca_file)


def new_app(org: RunningOrg, **options: Any) -> Any:
    """Register a connected app in the org (``create_connected_app`` options)."""
    options.setdefault("require_secret", False)
    return org.state.identity.create_connected_app(
        f"Test app {secrets.token_hex(3)}", **options
    )


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def callback_app(org: RunningOrg) -> tuple[Any, str, int]:
    """A connected app whose callback is a free loopback port: (app, uri, port)."""
    port = free_port()
    redirect_uri = f"http://localhost:{port}/OauthRedirect"
    app = new_app(org, callback_urls=[redirect_uri])
    return app, redirect_uri, port


class _Forms(HTMLParser):
    """The first form of a page: its action and its named inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")
        elif tag == "button" and values.get("name"):
            self.buttons[values.get("value", "")] = values["name"]


def _form(page: requests.Response) -> _Forms:
    parser = _Forms()
    parser.feed(page.text)
    assert parser.action is not None, page.text[:500]
    return parser


def sign_in(
    org: RunningOrg,
    authorize_url: str,
    username: str,
    password: str,
    *,
    allow: bool = True,
) -> str:
    """Sign in and allow (or deny) on the emulator's pages; the final redirect URL."""
    return sign_in_with(org.session(), authorize_url, username, password, allow=allow)


def sign_in_with(
    browser: requests.Session,
    authorize_url: str,
    username: str,
    password: str,
    *,
    allow: bool = True,
) -> str:
    """``sign_in`` with a session that trusts the org's CA (no ``RunningOrg``)."""
    page = browser.get(authorize_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    login = _form(page)
    fields = {**login.fields, "username": username, "password": password}
    consent = browser.post(
        urljoin(page.url, login.action),
        data=fields,
        allow_redirects=False,
        timeout=30,
    )
    if consent.status_code == 302:
        return consent.headers["Location"]
    assert consent.status_code == 200, consent.text[:500]
    form = _form(consent)
    decision = {**form.fields, "action": "allow" if allow else "deny"}
    answer = browser.post(
        urljoin(consent.url, form.action),
        data=decision,
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def finish_consent_in_kernel(
    ca_file: str, username: str, password: str, *, paste: bool
) -> None:
    """Inside a kernel: finish the newest waiting consent widget like a user would.

    Signs in and allows access on the emulator's pages, then lets the browser
    reach the loopback listener, or (``paste``) puts the final address into the
    widget's box and clicks "Finish sign-in". Used by notebooks that the tests
    execute, where the test process cannot reach the kernel's widgets.
    """
    from ipywidgets.widgets.widget import _instances

    from sfmagic.client.auth import SignInState
    from sfmagic.widgets.oauth import ConsentWidget

    widget = [
        w
        for w in list(_instances.values())
        if isinstance(w, ConsentWidget) and w.login.state is SignInState.WAITING
    ][-1]
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = ca_file
    redirect = sign_in_with(browser, widget.login.authorize_url, username, password)
    if paste:
        widget.redirect.value = redirect
        widget.finish.click()
    else:
        requests.get(redirect, timeout=30)
        widget.login.wait(30)
    assert widget.login.state is SignInState.SIGNED_IN, widget.status.value


def rsa_key_and_certificate() -> tuple[str, str]:
    """A new RSA private key (PEM, unencrypted) and its self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfmagic test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


def jwt_app(org: RunningOrg, key_file: Path) -> tuple[Any, str]:
    """A connected app for the JWT bearer flow and its private key (PEM).

    The key is also written to ``key_file``, where ``%sf_login --jwt-key`` reads it.
    """
    key, certificate = rsa_key_and_certificate()
    app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
    key_file.write_text(key)
    return app, key


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict (no system keyring here)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@contextmanager
def keyring_in_memory() -> Iterator[MemoryKeyring]:
    """Make a ``MemoryKeyring`` the keyring for the duration of a block."""
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


class LockedKeyring(MemoryKeyring):
    """A usable keyring that refuses to store (a locked Secret Service)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")


@contextmanager
def answering(status: int, body: bytes) -> Iterator[str]:
    """A plain-HTTP server on loopback answering every GET alike; its URL."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
