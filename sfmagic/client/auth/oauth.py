"""Salesforce's OAuth 2.0 endpoints as the client sees them.

``request_tokens`` posts a grant to ``/services/oauth2/token`` and turns the
answer into ``Tokens`` or a ``LoginError``; ``fetch_user`` reads
``/services/oauth2/userinfo``; ``revoke_token`` calls ``/services/oauth2/revoke``.
Every error answer is translated once, here, from Salesforce's
``{"error", "error_description"}`` into a ``LoginProblem``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from sfmagic.client.errors import LoginError, LoginProblem

__all__ = [
    "Tokens",
    "UserInfo",
    "call_login_service",
    "fetch_user",
    "login_error_for_oauth",
    "network_error",
    "request_tokens",
    "revoke_token",
]

logger = logging.getLogger("sfmagic.client")

TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
REVOKE_PATH = "/services/oauth2/revoke"

# (error, start of error_description) -> problem; the first match wins, and an
# empty description matches any.
_OAUTH_PROBLEMS: tuple[tuple[str, str, LoginProblem], ...] = (
    ("invalid_grant", "authentication failure", LoginProblem.INVALID_CREDENTIALS),
    ("invalid_grant", "expired access/refresh token", LoginProblem.REVOKED),
    ("invalid_grant", "inactive user", LoginProblem.REVOKED),
    ("invalid_grant", "user hasn't approved", LoginProblem.NOT_APPROVED),
    ("invalid_grant", "invalid assertion", LoginProblem.INVALID_ASSERTION),
    ("invalid_grant", "audience validation", LoginProblem.INVALID_ASSERTION),
    ("invalid_grant", "expired assertion", LoginProblem.INVALID_ASSERTION),
    ("invalid_grant", "no client credentials user", LoginProblem.APP_BLOCKED),
    ("invalid_grant", "device flow is not enabled", LoginProblem.APP_BLOCKED),
    ("invalid_grant", "ip restricted", LoginProblem.APP_BLOCKED),
    ("invalid_client_id", "", LoginProblem.INVALID_CLIENT),
    ("invalid_client", "", LoginProblem.INVALID_CLIENT),
    ("unsupported_grant_type", "", LoginProblem.APP_BLOCKED),
    ("unauthorized_client", "", LoginProblem.APP_BLOCKED),
    ("inactive_user", "", LoginProblem.INVALID_CREDENTIALS),
    ("inactive_org", "", LoginProblem.APP_BLOCKED),
    ("access_denied", "", LoginProblem.NOT_APPROVED),
    ("OAUTH_APP_BLOCKED", "", LoginProblem.APP_BLOCKED),
    ("OAUTH_APPROVAL_ERROR_GENERIC", "", LoginProblem.NOT_APPROVED),
)


@dataclass(frozen=True)
class Tokens:
    """What a successful login hands out. The tokens never show in the repr."""

    access_token: str = field(repr=False)
    instance_url: str
    refresh_token: str | None = field(default=None, repr=False)
    identity_url: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserInfo:
    """Who a session belongs to, from ``/services/oauth2/userinfo``."""

    user_id: str
    username: str
    name: str
    org_id: str
    email: str = ""


def login_error_for_oauth(error: str, description: str) -> LoginError:
    """The ``LoginError`` for an OAuth ``error`` and ``error_description``."""
    lowered = description.lower()
    problem = LoginProblem.REFUSED
    for code, start, candidate in _OAUTH_PROBLEMS:
        if error == code and lowered.startswith(start):
            problem = candidate
            break
    detail = f"{error}: {description}" if description else error
    return LoginError(problem, f"Salesforce refused the login ({detail}).", code=error)


def network_error(error: requests.RequestException, url: str) -> LoginError:
    """The ``LoginError`` for a request that got no HTTP answer from ``url``."""
    host = urlsplit(url).netloc or url
    if isinstance(error, requests.exceptions.SSLError):
        return LoginError(
            LoginProblem.UNTRUSTED_CERTIFICATE,
            f"The TLS certificate of {host} is not trusted.",
        )
    if isinstance(
        error,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return LoginError(LoginProblem.WRONG_URL, f"{url!r} is not a usable URL.")
    return LoginError(LoginProblem.UNREACHABLE, f"{host} could not be reached.")


def call_login_service(
    http: requests.Session, method: str, url: str, **kwargs: Any
) -> requests.Response:
    """Send a request to a login service, turning network failures into LoginError."""
    try:
        return http.request(method, url, **kwargs)
    except requests.RequestException as error:
        raise network_error(error, url) from None


def _wrong_url(url: str, response: requests.Response) -> LoginError:
    return LoginError(
        LoginProblem.WRONG_URL,
        f"{url} answered {response.status_code} without a Salesforce login answer.",
    )


def request_tokens(
    http: requests.Session, login_url: str, form: Mapping[str, str]
) -> Tokens:
    """Post a grant to the token endpoint of ``login_url``.

    Raises ``LoginError`` for a refusal (with the problem read from the OAuth
    error), for a login URL that cannot be reached, and for one that answers
    something other than Salesforce's token endpoint.
    """
    url = login_url.rstrip("/") + TOKEN_PATH
    response = call_login_service(
        http, "POST", url, data=dict(form), headers={"Accept": "application/json"}
    )
    try:
        body = response.json()
    except ValueError:
        raise _wrong_url(url, response) from None
    if not isinstance(body, dict):
        raise _wrong_url(url, response)
    if response.status_code != 200:
        if "error" not in body:
            raise _wrong_url(url, response)
        raise login_error_for_oauth(
            str(body["error"]), str(body.get("error_description") or "")
        )
    if not body.get("access_token") or not body.get("instance_url"):
        raise _wrong_url(url, response)
    return Tokens(
        access_token=str(body["access_token"]),
        instance_url=str(body["instance_url"]).rstrip("/"),
        refresh_token=body.get("refresh_token") or None,
        identity_url=body.get("id"),
        scopes=tuple(str(body.get("scope") or "").split()),
    )


def fetch_user(
    http: requests.Session, instance_url: str, access_token: str
) -> UserInfo:
    """Who ``access_token`` belongs to; ``LoginError`` when it is not valid."""
    url = instance_url.rstrip("/") + USERINFO_PATH
    response = call_login_service(
        http, "GET", url, headers={"Authorization": f"Bearer {access_token}"}
    )
    if response.status_code in (401, 403):
        raise LoginError(
            LoginProblem.INVALID_TOKEN,
            f"{urlsplit(url).netloc} did not accept the access token.",
        )
    try:
        body = response.json()
    except ValueError:
        raise _wrong_url(url, response) from None
    if response.status_code != 200 or not isinstance(body, dict):
        raise _wrong_url(url, response)
    return UserInfo(
        user_id=str(body.get("user_id", "")),
        username=str(body.get("preferred_username", "")),
        name=str(body.get("name", "")),
        org_id=str(body.get("organization_id", "")),
        email=str(body.get("email") or ""),
    )


def revoke_token(http: requests.Session, login_url: str, token: str) -> bool:
    """Revoke an access or refresh token; False if it was no longer valid.

    Revoking a refresh token also ends every session made from it.
    """
    url = login_url.rstrip("/") + REVOKE_PATH
    response = call_login_service(http, "POST", url, data={"token": token})
    if response.status_code == 200:
        return True
    try:
        body = response.json()
    except ValueError:
        raise _wrong_url(url, response) from None
    if isinstance(body, dict) and body.get("error") == "invalid_token":
        return False
    error = body.get("error", "") if isinstance(body, dict) else ""
    raise login_error_for_oauth(str(error or response.status_code), "")
