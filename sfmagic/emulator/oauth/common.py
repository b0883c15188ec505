"""What every OAuth endpoint shares: forms, client authentication, answers."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sfmagic.emulator.identity import ConnectedApp, Grant, Identity, OAuthError
from sfmagic.emulator.settings import OrgSettings

logger = logging.getLogger("sfmagic.emulator.oauth")

MAX_FORM_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"


class OrgLike(Protocol):
    """The parts of ``OrgState`` (``request.app.state.org``) OAuth uses."""

    identity: Identity
    settings: OrgSettings
    instance_url: str


def org_of(request: Request) -> OrgLike:
    """The org served by the app handling ``request``."""
    org: OrgLike = request.app.state.org
    return org


async def read_body(request: Request, limit: int = MAX_FORM_BYTES) -> bytes | None:
    """The request body, or None once it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def blocking(
    handler: Callable[[Request, bytes | None], Response],
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint running ``handler(request, body)`` in a worker thread.

    Identity work blocks (SQLite, and password hashing that takes tens of
    milliseconds), so it must not run on the event loop. The body is read
    first, up to 64 KiB; ``body`` is None when it was larger.
    """

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        body = await read_body(request)
        return await run_in_threadpool(handler, request, body)

    return endpoint


def parse_form(request: Request, body: bytes | None) -> dict[str, str]:
    """The URL-encoded form in ``body``, refusing bad or repeated fields.

    Raises ``OAuthError`` ``invalid_request`` for a body over 64 KiB, one that
    is not form-encoded or not UTF-8, or a parameter given twice (RFC 6749
    §3.1).
    """
    if body is None:
        raise OAuthError("invalid_request", "request body too large")
    content_type = request.headers.get("content-type", FORM_TYPE).lower()
    if body and not content_type.startswith(FORM_TYPE):
        raise OAuthError("invalid_request", "body must be form-url-encoded")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise OAuthError("invalid_request", "body must be UTF-8") from error
    return unique_params(parse_qsl(text, keep_blank_values=True))


def unique_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The pairs as a dict; ``OAuthError`` if a name repeats."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise OAuthError("invalid_request", f"duplicate parameter: {name}")
        params[name] = value
    return params


def oauth_error_response(error: OAuthError) -> Response:
    """The JSON ``{"error", "error_description"}`` answer for ``error``."""
    body = {"error": error.error, "error_description": error.description}
    return json_response(body, error.status)


def json_response(body: Mapping[str, Any], status: int = 200) -> Response:
    """A JSON answer that no cache may keep."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json;charset=UTF-8",
        headers=NO_STORE,
    )


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from an ``Authorization: Basic`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError as error:  # binascii.Error, non-ASCII text, bad UTF-8
        raise OAuthError("invalid_client", "invalid client credentials") from error
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "invalid client credentials")
    # RFC 6749 §2.3.1: both halves are form-encoded before being joined.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def authenticate_client(
    request: Request, params: Mapping[str, str], *, secret_required: bool | None
) -> ConnectedApp:
    """The connected app making the request, its secret checked.

    The client id and secret come from HTTP Basic authentication or from the
    ``client_id`` and ``client_secret`` fields. A secret that is sent is always
    checked; one that is missing is refused when ``secret_required`` is True,
    or None and the app requires a secret.
    """
    identity = org_of(request).identity
    client_id = params.get("client_id")
    secret = params.get("client_secret")
    basic = basic_credentials(request)
    if basic is not None:
        if client_id is not None and client_id != basic[0]:
            raise OAuthError("invalid_client", "invalid client credentials")
        client_id, secret = basic
    if not client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    app = identity.get_connected_app(client_id)
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if secret is not None and secret != "":
        if not app.accepts_secret(secret):
            raise OAuthError("invalid_client", "invalid client credentials")
    elif secret_required or (secret_required is None and app.require_secret):
        raise OAuthError("invalid_client", "invalid client credentials")
    return app


def identity_url(org: OrgLike, user_id: str) -> str:
    """The identity URL of a user, ``<instance>/id/<org id>/<user id>``."""
    return f"{org.instance_url}/id/{org.identity.org_id}/{user_id}"


def token_payload(
    org: OrgLike, app: ConnectedApp, grant: Grant, *, state: str | None = None
) -> dict[str, str]:
    """The token endpoint's success body, in Salesforce's order.

    ``issued_at`` is epoch milliseconds as a string; ``signature`` is the
    base64 HMAC-SHA256 of ``id + issued_at`` keyed by the client secret, which
    lets the client check that the identity URL came from the server.
    """
    session = grant.session
    issued_at = str(int(session.issued_at.timestamp() * 1000))
    id_url = identity_url(org, session.user_id)
    mac = hmac.new(
        app.client_secret.encode(), (id_url + issued_at).encode(), hashlib.sha256
    )
    payload = {"access_token": session.access_token}
    if grant.refresh_token:
        payload["refresh_token"] = grant.refresh_token
    payload.update(
        signature=base64.b64encode(mac.digest()).decode("ascii"),
        scope=" ".join(session.scopes),
        instance_url=org.instance_url,
        id=id_url,
        token_type="Bearer",
        issued_at=issued_at,
    )
    if state is not None:
        payload["state"] = state
    return payload


def token_response(payload: Mapping[str, str], response_format: str | None) -> Response:
    """The token answer as JSON (default) or URL-encoded, per ``format``."""
    if response_format in (None, "", "json"):
        return json_response(payload)
    if response_format == "urlencoded":
        return Response(urlencode(payload), media_type=FORM_TYPE, headers=NO_STORE)
    raise OAuthError("invalid_request", "unsupported format")
