"""The machine-facing OAuth endpoints: token, revoke, introspect, userinfo, id.

Error answers are HTTP 400 ``{"error", "error_description"}`` with Salesforce's
codes where they are known (reference §8.2). Decisions where Salesforce's exact
answer is not documented, kept consistent across the emulator:

* a grant type the connected app does not allow: ``unsupported_grant_type``,
  except the device flow (``invalid_grant`` "device flow is not enabled for the
  app", as Salesforce answers) and the username-password flow, which answers
  ``invalid_grant`` "authentication failure" whenever it is blocked, as
  Salesforce does in orgs that turned it off;
* the client-credentials flow without a run-as user: ``invalid_grant`` "no
  client credentials user enabled";
* ``userinfo`` and the identity URL answer 403 ``Bad_OAuth_Token`` (plain
  text) for a bad token, and 403 ``Bad_Id`` for an id of another org or an
  unknown user;
* introspection needs the client's id and secret and reports tokens of other
  connected apps as inactive.

Known limits: no ``id_token`` (OpenID Connect), no client authentication by JWT
assertion (``client_assertion``), token responses in JSON or URL-encoded form
only (``format=xml`` is refused), no ``slow_down`` when a device polls faster
than its interval.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from sfmagic.emulator.errors import ApiError
from sfmagic.emulator.identity import (
    ConnectedApp,
    Grant,
    LoginError,
    OAuthError,
    Session,
    User,
)
from sfmagic.emulator.oauth import assertions
from sfmagic.emulator.oauth.common import (
    authenticate_client,
    identity_url,
    json_response,
    logger,
    oauth_error_response,
    org_of,
    parse_form,
    token_payload,
    token_response,
    unique_params,
)
from sfmagic.emulator.settings import API_VERSIONS, CURRENT_API_VERSION

__all__ = ["identity", "introspect", "revoke", "token", "userinfo"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
PUBLIC_AUDIENCES = frozenset(
    {"https://login.salesforce.com", "https://test.salesforce.com"}
)
_ACCESS_TOKEN = re.compile(r"^00D[0-9A-Za-z]{12}!")
_DEVICE_DISABLED = "device flow is not enabled for the app"
_AUTH_FAILURE = "authentication failure"


def _require_flow(app: ConnectedApp, flow: str) -> None:
    if flow not in app.flows:
        raise OAuthError("unsupported_grant_type", "grant type not supported")


def _code_grant(request: Request, params: dict[str, str]) -> tuple[ConnectedApp, Grant]:
    org = org_of(request)
    app = authenticate_client(request, params, secret_required=None)
    _require_flow(app, "authorization_code")
    code = params.get("code")
    if not code:
        raise OAuthError("invalid_grant", "invalid authorization code")
    grant = org.identity.exchange_code(
        app,
        code,
        redirect_uri=params.get("redirect_uri"),
        code_verifier=params.get("code_verifier"),
    )
    return app, grant


def _refresh_grant(
    request: Request, params: dict[str, str]
) -> tuple[ConnectedApp, Grant]:
    org = org_of(request)
    app = authenticate_client(request, params, secret_required=None)
    _require_flow(app, "refresh_token")
    refresh_token = params.get("refresh_token")
    if not refresh_token:
        raise OAuthError("invalid_grant", "expired access/refresh token")
    return app, org.identity.refresh(app, refresh_token)


def _password_grant(
    request: Request, params: dict[str, str]
) -> tuple[ConnectedApp, Grant]:
    org = org_of(request)
    app = authenticate_client(request, params, secret_required=True)
    if org.settings.password_flow_disabled or "password" not in app.flows:
        raise OAuthError("invalid_grant", _AUTH_FAILURE)
    scopes = app.grantable_scopes(params.get("scope"))
    try:
        user = org.identity.authenticate(
            params.get("username", ""),
            params.get("password", ""),
            with_security_token=True,
        )
    except LoginError as error:
        logger.debug("password grant refused: %s", error.reason)
        if error.reason == "inactive":
            raise OAuthError("inactive_user", "user is inactive") from error
        raise OAuthError("invalid_grant", _AUTH_FAILURE) from error
    return app, org.identity.grant(app, user.id, scopes, refresh=False)


def _client_credentials_grant(
    request: Request, params: dict[str, str]
) -> tuple[ConnectedApp, Grant]:
    org = org_of(request)
    app = authenticate_client(request, params, secret_required=True)
    user = org.identity.get_user(app.run_as_user_id or "")
    if "client_credentials" not in app.flows or user is None:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    if not user.is_active:
        raise OAuthError("inactive_user", "user is inactive")
    scopes = app.grantable_scopes(params.get("scope"))
    return app, org.identity.grant(app, user.id, scopes, refresh=False)


def _jwt_grant(request: Request, params: dict[str, str]) -> tuple[ConnectedApp, Grant]:
    org = org_of(request)
    assertion = assertions.parse_assertion(params.get("assertion", ""))
    issuer = assertion.claims.get("iss")
    app = org.identity.get_connected_app(issuer) if isinstance(issuer, str) else None
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    _require_flow(app, "jwt_bearer")
    if not app.certificate:
        raise OAuthError("invalid_grant", "invalid assertion")
    assertions.verify_signature(assertion, app.certificate)
    audiences = set(PUBLIC_AUDIENCES) | {org.instance_url.rstrip("/")}
    username = assertions.check_claims(
        assertion.claims, audiences=audiences, now=org.identity.now()
    )
    user = org.identity.find_user(username)
    if user is None:
        raise OAuthError("invalid_grant", "invalid assertion")
    if not user.is_active:
        raise OAuthError("inactive_user", "user is inactive")
    return app, org.identity.grant(app, user.id, app.scopes, refresh=False)


def _device_app(request: Request, params: dict[str, str]) -> ConnectedApp:
    org = org_of(request)
    app = authenticate_client(request, params, secret_required=False)
    if org.settings.device_flow_disabled or "device" not in app.flows:
        raise OAuthError("invalid_grant", _DEVICE_DISABLED)
    return app


def _device_grant(
    request: Request, params: dict[str, str]
) -> tuple[ConnectedApp, Grant]:
    app = _device_app(request, params)
    device_code = params.get("code") or params.get("device_code")
    if not device_code:
        raise OAuthError("invalid_request", "missing device code")
    return app, org_of(request).identity.poll_device_request(app, device_code)


def _device_start(request: Request, params: dict[str, str]) -> Response:
    """Salesforce's device flow, step 1: ``response_type=device_code``."""
    org = org_of(request)
    app = _device_app(request, params)
    scopes = app.grantable_scopes(params.get("scope"))
    pending = org.identity.start_device_request(app, scopes)
    return json_response(
        {
            "device_code": pending.device_code,
            "user_code": pending.user_code,
            "verification_uri": f"{org.instance_url}/setup/connect",
            "interval": pending.interval,
        }
    )


_GRANTS = {
    "authorization_code": _code_grant,
    "refresh_token": _refresh_grant,
    "password": _password_grant,
    "client_credentials": _client_credentials_grant,
    JWT_BEARER: _jwt_grant,
    "device": _device_grant,
    DEVICE_CODE: _device_grant,
}


def token(request: Request, body: bytes | None) -> Response:
    """``/services/oauth2/token``: every grant, and the device-flow start."""
    try:
        if request.method != "POST":
            raise OAuthError("invalid_request", "must use HTTP POST")
        params = parse_form(request, body)
        response_format = params.get("format")
        if response_format not in (None, "", "json", "urlencoded"):
            raise OAuthError("invalid_request", "unsupported format")
        grant_type = params.get("grant_type")
        if grant_type is None and params.get("response_type") == "device_code":
            return _device_start(request, params)
        handler = _GRANTS.get(grant_type or "")
        if handler is None:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        app, grant = handler(request, params)
        payload = token_payload(org_of(request), app, grant)
        return token_response(payload, response_format)
    except OAuthError as error:
        return oauth_error_response(error)


def revoke(request: Request, body: bytes | None) -> Response:
    """``/services/oauth2/revoke``: 200 with no body once the token is revoked."""
    org = org_of(request)
    try:
        if request.method == "POST":
            params = parse_form(request, body)
        else:
            params = unique_params(list(request.query_params.multi_items()))
        value = params.get("token", "")
        if not value:
            raise OAuthError("invalid_request", "missing token parameter")
        if not (_ACCESS_TOKEN.match(value) or value.startswith("5Aep861")):
            raise OAuthError(
                "unsupported_token_type", "this token type is not supported"
            )
        if not org.identity.revoke(value):
            raise OAuthError("invalid_token", "invalid token")
    except OAuthError as error:
        return oauth_error_response(error)
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


def introspect(request: Request, body: bytes | None) -> Response:
    """``/services/oauth2/introspect``: RFC 7662 for the calling app's tokens."""
    org = org_of(request)
    try:
        params = parse_form(request, body)
        app = authenticate_client(request, params, secret_required=True)
    except OAuthError as error:
        return oauth_error_response(error)
    info = org.identity.token_info(params.get("token", ""))
    if info is None or info.client_id != app.client_id:
        return json_response({"active": False})
    user = org.identity.get_user(info.user_id)
    answer: dict[str, Any] = {
        "active": True,
        "scope": " ".join(info.scopes),
        "client_id": info.client_id,
        "username": user.username if user else None,
        "sub": identity_url(org, info.user_id),
        "token_type": f"{info.kind}_token",
    }
    if info.expires_at is not None:
        answer["exp"] = int(info.expires_at)
    answer.update(iat=int(info.issued_at), nbf=int(info.issued_at))
    return json_response(answer)


def _bearer_session(request: Request, body: bytes | None) -> Session | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token_value = value.strip() if scheme.lower() in ("bearer", "oauth") else ""
    if not token_value:
        token_value = request.query_params.get(
            "access_token"
        ) or request.query_params.get("oauth_token", "")
    if not token_value and request.method == "POST":
        try:
            token_value = parse_form(request, body).get("access_token", "")
        except OAuthError:
            return None
    if not token_value:
        return None
    try:
        return org_of(request).identity.validate_access_token(token_value)
    except ApiError:
        return None


def _refused(reason: str) -> Response:
    return PlainTextResponse(
        reason, status_code=403, headers={"Cache-Control": "no-store"}
    )


def _utc_offset(zone: str) -> int:
    """Milliseconds east of UTC for the time zone now (0 if unknown)."""
    try:
        offset = datetime.now(ZoneInfo(zone)).utcoffset()
    except (ValueError, ZoneInfoNotFoundError):
        return 0
    return int(offset.total_seconds() * 1000) if offset else 0


def _urls(base: str, org_id: str, user_id: str, version: str) -> dict[str, str]:
    data = f"{base}/services/data/v{version}"
    return {
        "enterprise": f"{base}/services/Soap/c/{version}/{org_id[:15]}",
        "metadata": f"{base}/services/Soap/m/{version}/{org_id[:15]}",
        "partner": f"{base}/services/Soap/u/{version}/{org_id[:15]}",
        "rest": f"{data}/",
        "sobjects": f"{data}/sobjects/",
        "search": f"{data}/search/",
        "query": f"{data}/query/",
        "recent": f"{data}/recent/",
        "tooling_soap": f"{base}/services/Soap/T/{version}/{org_id[:15]}",
        "tooling_rest": f"{data}/tooling/",
        "profile": f"{base}/{user_id}",
        "feeds": f"{data}/chatter/feeds",
        "groups": f"{data}/chatter/groups",
        "users": f"{data}/chatter/users",
        "feed_items": f"{data}/chatter/feed-items",
        "feed_elements": f"{data}/chatter/feed-elements",
        "custom_domain": base,
    }


def _photos(base: str) -> dict[str, str]:
    return {
        "picture": f"{base}/profilephoto/005/F",
        "thumbnail": f"{base}/profilephoto/005/T",
    }


def userinfo(request: Request, body: bytes | None) -> Response:
    """``/services/oauth2/userinfo``: OpenID Connect claims of the token's user."""
    org = org_of(request)
    session = _bearer_session(request, body)
    user = org.identity.get_user(session.user_id) if session else None
    if session is None or user is None:
        return _refused("Bad_OAuth_Token")
    base = org.instance_url
    return json_response(
        {
            "sub": identity_url(org, user.id),
            "user_id": user.id,
            "organization_id": org.identity.org_id,
            "preferred_username": user.username,
            "nickname": user.username.split("@")[0],
            "name": user.name,
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "zoneinfo": user.time_zone,
            "photos": _photos(base),
            "profile": f"{base}/{user.id}",
            "picture": _photos(base)["picture"],
            "address": {"country": "US"},
            "is_salesforce_integration_user": False,
            "urls": _urls(base, org.identity.org_id, user.id, "{version}"),
            "active": user.is_active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": _utc_offset(user.time_zone),
            "updated_at": session.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "is_app_installed": session.client_id is not None,
        }
    )


def _user_for_id_url(org_id: str, user_id: str, request: Request) -> User | None:
    org = org_of(request)
    if org_id[:15] != org.identity.org_id[:15]:
        return None
    return org.identity.get_user(user_id)


def identity(request: Request, body: bytes | None) -> Response:
    """``/id/<org id>/<user id>``: the identity service of any user of the org."""
    org = org_of(request)
    session = _bearer_session(request, body)
    if session is None:
        return _refused("Bad_OAuth_Token")
    user = _user_for_id_url(
        request.path_params["org_id"], request.path_params["user_id"], request
    )
    if user is None:
        return _refused("Bad_Id")
    version = request.query_params.get("version", "latest")
    if version == "latest":
        version = CURRENT_API_VERSION
    if version not in API_VERSIONS:
        return _refused("Bad_Version")
    base = org.instance_url
    return json_response(
        {
            "id": identity_url(org, user.id),
            "asserted_user": user.id == session.user_id,
            "user_id": user.id,
            "organization_id": org.identity.org_id,
            "username": user.username,
            "nick_name": user.username.split("@")[0],
            "display_name": user.name,
            "email": user.email,
            "email_verified": True,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timezone": user.time_zone,
            "photos": _photos(base),
            "addr_street": None,
            "addr_city": None,
            "addr_state": None,
            "addr_country": "US",
            "addr_zip": None,
            "mobile_phone": None,
            "mobile_phone_verified": False,
            "is_lightning_login_user": False,
            "status": {"created_date": None, "body": None},
            "urls": _urls(base, org.identity.org_id, user.id, version),
            "active": user.is_active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": _utc_offset(user.time_zone),
            "last_modified_date": session.issued_at.strftime(
                "%Y-%m-%dT%H:%M:%S.000+0000"
            ),
            "is_app_installed": session.client_id is not None,
        }
    )
