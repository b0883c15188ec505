"""The browser-facing OAuth pages: sign-in, consent, and device verification.

``/services/oauth2/authorize`` runs the web-server flow: a sign-in form (unless
the browser already has a session and ``prompt`` lacks ``login``), then an
"Allow access?" page listing the scopes (skipped when the user already allowed
them, unless ``prompt`` has ``consent``), then a 302 to the app's callback with
``code`` and ``state``. Deny answers ``error=access_denied`` on the callback. An
unknown client or a callback that is not registered for it is shown as an error
page and never redirected to (RFC 6749 §4.1.2.1); other request errors are
redirected with ``error`` and ``error_description``.

PKCE: only ``S256`` is accepted (Salesforce documents no other method), an
absent method means S256, and a connected app marked ``require_pkce`` refuses
requests without a challenge. ``immediate=true`` answers
``immediate_unsuccessful`` when a page would be needed. The user-agent flow
(``response_type=token``) is not supported.

``/setup/connect`` is the device flow's verification page: sign in, type the
user code, Allow or Deny.

Every form carries a CSRF token bound to a random cookie; the browser session
lives in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS). Pages set a
strict Content-Security-Policy and refuse to be framed. Every value put into a
page is HTML-escaped.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from string import Template
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sfmagic.emulator.identity import ConnectedApp, LoginError, OAuthError, User
from sfmagic.emulator.oauth.common import OrgLike, org_of, parse_form, unique_params

__all__ = ["authorize", "device_verification"]

SESSION_COOKIE = "sfmagic_sid"
FORM_COOKIE = "sfmagic_form"
AUTHORIZE_PATH = "/services/oauth2/authorize"
DEVICE_PATH = "/setup/connect"
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "nonce",
    "display",
    "immediate",
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SCOPE_TEXT = {
    "api": "Manage user data via APIs (api)",
    "refresh_token": "Perform requests at any time (refresh_token, offline_access)",
    "offline_access": "Perform requests at any time (refresh_token, offline_access)",
    "openid": "Access unique user identifiers (openid)",
    "id": "Access the identity URL service (id, profile, email, address, phone)",
    "profile": "Access the identity URL service (id, profile, email, address, phone)",
    "email": "Access the identity URL service (id, profile, email, address, phone)",
    "address": "Access the identity URL service (id, profile, email, address, phone)",
    "phone": "Access the identity URL service (id, profile, email, address, phone)",
    "web": "Manage user data via Web browsers (web)",
    "full": "Full access (full)",
}
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_BAD_LOGIN = (
    "Please check your username and password. If you still can't log in, "
    "contact your Salesforce administrator."
)
_LOCKED = (
    "Your access is locked after too many failed login attempts. Try again in "
    "15 minutes or ask your administrator to unlock it."
)
_LOGIN_NOTE = (
    "This is a local sfmagic emulator. Log in with the username and password "
    "of one of its users; no security token is needed here."
)


def _template(name: str) -> Template:
    path = resources.files("sfmagic.emulator").joinpath(f"templates/{name}.html")
    return Template(path.read_text(encoding="utf-8"))


_TEMPLATES = {
    name: _template(name) for name in ("page", "login", "consent", "device", "message")
}


class _PageError(Exception):
    """A request that must be answered with an error page, never a redirect."""

    def __init__(self, heading: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.heading = heading
        self.message = message
        self.status = status


@dataclass(frozen=True)
class _AuthorizeRequest:
    app: ConnectedApp
    redirect_uri: str
    params: dict[str, str]
    scopes: tuple[str, ...]
    code_challenge: str | None
    prompt: frozenset[str]
    immediate: bool

    @property
    def state(self) -> str | None:
        return self.params.get("state")


def _render(name: str, *, raw: dict[str, str] | None = None, **text: str) -> str:
    """Fill template ``name``: ``text`` values escaped, ``raw`` ones built here."""
    values = {key: html.escape(value, quote=True) for key, value in text.items()}
    values.update(raw or {})
    return _TEMPLATES[name].substitute(values)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = _TEMPLATES["page"].substitute(title=html.escape(title), body=body)
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def _message_page(heading: str, message: str, status: int = 200) -> HTMLResponse:
    return _page(heading, _render("message", heading=heading, message=message), status)


def _hidden(fields: dict[str, str]) -> str:
    return "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" '
        f'value="{html.escape(value, quote=True)}">'
        for name, value in fields.items()
    )


def _error_html(message: str | None) -> str:
    if not message:
        return ""
    return f'<p class="error" role="alert">{html.escape(message)}</p>'


def _form_seed(request: Request) -> str:
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def _set_cookies(
    request: Request, response: Response, seed: str, session: str | None = None
) -> Response:
    secure = request.url.scheme == "https"
    if request.cookies.get(FORM_COOKIE) != seed:
        response.set_cookie(
            FORM_COOKIE, seed, path="/", secure=secure, httponly=True, samesite="lax"
        )
    if session is not None:
        response.set_cookie(
            SESSION_COOKIE,
            session,
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
    return response


def _signed_in(request: Request) -> User | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    return org_of(request).identity.web_session_user(token)


def _login_page(
    request: Request,
    seed: str,
    *,
    action: str,
    hidden: dict[str, str],
    username: str = "",
    error: str | None = None,
) -> Response:
    body = _render(
        "login",
        raw={"hidden": _hidden(hidden), "error": _error_html(error)},
        action=action,
        csrf_token=org_of(request).identity.form_token(seed),
        username=username,
        note=_LOGIN_NOTE,
    )
    return _set_cookies(request, _page("Log in", body), seed)


def _consent_page(
    request: Request,
    seed: str,
    *,
    app: ConnectedApp,
    user: User,
    scopes: tuple[str, ...],
    action: str,
    hidden: dict[str, str],
) -> Response:
    lines = dict.fromkeys(SCOPE_TEXT.get(scope, scope) for scope in scopes)
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = _render(
        "consent",
        raw={"hidden": _hidden(hidden), "scopes": items},
        app_name=app.name or app.client_id,
        username=user.username,
        action=action,
        csrf_token=org_of(request).identity.form_token(seed),
    )
    return _set_cookies(request, _page("Allow access?", body), seed)


def _sign_in(request: Request, form: dict[str, str]) -> tuple[User | None, str | None]:
    """Check the sign-in form; the user, or None and the message to show."""
    try:
        user = org_of(request).identity.authenticate(
            form.get("username", ""),
            form.get("password", ""),
            with_security_token=False,
        )
    except LoginError as error:
        return None, _LOCKED if error.reason == "locked" else _BAD_LOGIN
    return user, None


def _form_expired() -> Response:
    return _message_page(
        "Your session has expired",
        "Return to the application and start the login again.",
        403,
    )


def _form_ok(request: Request, form: dict[str, str]) -> bool:
    seed = request.cookies.get(FORM_COOKIE, "")
    token = form.get("csrf_token", "")
    return org_of(request).identity.check_form_token(seed, token)


# -- the web-server flow ---------------------------------------------------------


def _redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    """A 302 to ``uri`` with ``params`` added to its query string."""
    parts = urlsplit(uri)
    added = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return RedirectResponse(
        target, status_code=302, headers={"Cache-Control": "no-store"}
    )


def _check_client(org: OrgLike, params: dict[str, str]) -> tuple[ConnectedApp, str]:
    app = org.identity.get_connected_app(params.get("client_id", ""))
    if app is None:
        raise _PageError(
            "OAuth error", "error=invalid_client_id: client identifier invalid"
        )
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.callback_urls:
        raise _PageError(
            "OAuth error",
            "error=redirect_uri_mismatch: redirect_uri must match configuration",
        )
    return app, redirect_uri


def _check_request(
    app: ConnectedApp, redirect_uri: str, params: dict[str, str]
) -> _AuthorizeRequest:
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "response type not supported")
    if "authorization_code" not in app.flows:
        raise OAuthError("unauthorized_client", "the client may not use this flow")
    scopes = app.grantable_scopes(params.get("scope"))
    challenge = params.get("code_challenge") or None
    if params.get("code_challenge_method", "S256") != "S256":
        raise OAuthError("invalid_request", "unsupported code_challenge_method")
    if challenge is None and app.require_pkce:
        raise OAuthError("invalid_request", "missing required code challenge")
    if challenge is not None and not _CHALLENGE.match(challenge):
        raise OAuthError("invalid_request", "invalid code_challenge")
    return _AuthorizeRequest(
        app=app,
        redirect_uri=redirect_uri,
        params=params,
        scopes=scopes,
        code_challenge=challenge,
        prompt=frozenset(params.get("prompt", "").split()),
        immediate=params.get("immediate", "").lower() == "true",
    )


def _authorize_params(
    request: Request, body: bytes | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The authorize parameters and, for a POST, the whole form."""
    if request.method == "GET":
        params = unique_params(list(request.query_params.multi_items()))
        return params, {}
    form = parse_form(request, body)
    return {k: form[k] for k in AUTHORIZE_PARAMS if k in form}, form


def authorize(request: Request, body: bytes | None) -> Response:
    """``/services/oauth2/authorize``: sign-in and consent, then the callback."""
    org = org_of(request)
    try:
        params, form = _authorize_params(request, body)
        app, redirect_uri = _check_client(org, params)
    except OAuthError as error:
        return _message_page(
            "OAuth error", f"error={error.error}: {error.description}", 400
        )
    except _PageError as error:
        return _message_page(error.heading, error.message, error.status)
    try:
        auth = _check_request(app, redirect_uri, params)
    except OAuthError as error:
        fields = {"error": error.error, "error_description": error.description}
        return _redirect(redirect_uri, {**fields, "state": params.get("state")})
    if request.method == "GET":
        return _authorize_get(request, auth)
    if not _form_ok(request, form):
        return _form_expired()
    return _authorize_post(request, auth, form)


def _authorize_get(request: Request, auth: _AuthorizeRequest) -> Response:
    seed = _form_seed(request)
    user = None if "login" in auth.prompt else _signed_in(request)
    if user is None:
        if auth.immediate:
            return _authorize_error(
                auth, "immediate_unsuccessful", "user is not logged in"
            )
        return _login_page(
            request,
            seed,
            action=AUTHORIZE_PATH,
            hidden=auth.params,
            username=auth.params.get("login_hint", ""),
        )
    return _consent_or_code(request, auth, user, seed)


def _authorize_post(
    request: Request, auth: _AuthorizeRequest, form: dict[str, str]
) -> Response:
    seed = request.cookies[FORM_COOKIE]
    action = form.get("action")
    if action == "login":
        user, error = _sign_in(request, form)
        if user is None:
            return _login_page(
                request,
                seed,
                action=AUTHORIZE_PATH,
                hidden=auth.params,
                username=form.get("username", ""),
                error=error,
            )
        session = org_of(request).identity.create_web_session(user.id)
        response = _consent_or_code(request, auth, user, seed)
        return _set_cookies(request, response, seed, session)
    if action == "deny":
        return _authorize_error(auth, "access_denied", "end-user denied authorization")
    signed_in = _signed_in(request)
    if action == "allow" and signed_in is not None:
        return _issue_code(request, auth, signed_in)
    if action == "allow":
        return _login_page(request, seed, action=AUTHORIZE_PATH, hidden=auth.params)
    return _message_page("OAuth error", "error=invalid_request: unknown action", 400)


def _authorize_error(
    auth: _AuthorizeRequest, error: str, description: str
) -> RedirectResponse:
    return _redirect(
        auth.redirect_uri,
        {"error": error, "error_description": description, "state": auth.state},
    )


def _consent_or_code(
    request: Request, auth: _AuthorizeRequest, user: User, seed: str
) -> Response:
    identity = org_of(request).identity
    approved = identity.has_approval(user.id, auth.app.client_id, auth.scopes)
    if approved and "consent" not in auth.prompt:
        return _issue_code(request, auth, user)
    if auth.immediate:
        return _authorize_error(auth, "immediate_unsuccessful", "user has not approved")
    return _consent_page(
        request,
        seed,
        app=auth.app,
        user=user,
        scopes=auth.scopes,
        action=AUTHORIZE_PATH,
        hidden=auth.params,
    )


def _issue_code(request: Request, auth: _AuthorizeRequest, user: User) -> Response:
    identity = org_of(request).identity
    identity.record_approval(user.id, auth.app.client_id, auth.scopes)
    code = identity.create_code(
        auth.app,
        user.id,
        redirect_uri=auth.redirect_uri,
        scopes=auth.scopes,
        code_challenge=auth.code_challenge,
    )
    return _redirect(auth.redirect_uri, {"code": code, "state": auth.state})


# -- the device flow's verification page -----------------------------------------


def _device_form(
    request: Request, seed: str, user: User, *, code: str = "", error: str | None = None
) -> Response:
    body = _render(
        "device",
        raw={"error": _error_html(error)},
        action=DEVICE_PATH,
        csrf_token=org_of(request).identity.form_token(seed),
        user_code=code,
        username=user.username,
    )
    return _set_cookies(request, _page("Connect your device", body), seed)


def device_verification(request: Request, body: bytes | None) -> Response:
    """``/setup/connect``: where a signed-in user approves a device's user code."""
    org = org_of(request)
    if org.settings.device_flow_disabled:
        return _message_page("Device flow disabled", "device flow is not enabled", 400)
    try:
        form = parse_form(request, body) if request.method == "POST" else {}
    except OAuthError as bad_form:
        return _message_page("Bad request", bad_form.description, 400)
    if request.method == "POST" and not _form_ok(request, form):
        return _form_expired()
    seed = _form_seed(request)
    code = form.get("user_code") or request.query_params.get("user_code", "")
    user = _signed_in(request)
    action = form.get("action")
    if action == "login":
        user, error = _sign_in(request, form)
        if user is None:
            return _login_page(
                request,
                seed,
                action=DEVICE_PATH,
                hidden={"user_code": code} if code else {},
                username=form.get("username", ""),
                error=error,
            )
        session = org.identity.create_web_session(user.id)
        return _set_cookies(
            request, _device_form(request, seed, user, code=code), seed, session
        )
    if user is None:
        hidden = {"user_code": code} if code else {}
        return _login_page(request, seed, action=DEVICE_PATH, hidden=hidden)
    if action in ("allow", "deny"):
        return _device_decision(request, seed, user, code, allow=action == "allow")
    if action == "code":
        return _device_consent(request, seed, user, code)
    return _device_form(request, seed, user, code=code)


def _device_consent(request: Request, seed: str, user: User, code: str) -> Response:
    identity = org_of(request).identity
    pending = identity.pending_device_request(code)
    app = identity.get_connected_app(pending.client_id) if pending else None
    if pending is None or app is None:
        error = "That code is invalid or has expired. Check the code and try again."
        return _device_form(request, seed, user, code=code, error=error)
    return _consent_page(
        request,
        seed,
        app=app,
        user=user,
        scopes=pending.scopes,
        action=DEVICE_PATH,
        hidden={"user_code": pending.user_code},
    )


def _device_decision(
    request: Request, seed: str, user: User, code: str, *, allow: bool
) -> Response:
    identity = org_of(request).identity
    if not identity.decide_device_request(code, user.id, allow=allow):
        error = "That code is invalid or has expired. Check the code and try again."
        return _device_form(request, seed, user, code=code, error=error)
    if allow:
        heading, message = "Access granted", "You can return to your device now."
    else:
        heading, message = "Access denied", "The device was not given access."
    return _set_cookies(request, _message_page(heading, message), seed)
