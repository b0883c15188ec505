"""Exceptions raised by sfmagic's client side.

The hierarchy::

    SfmagicError
    ├── LoginError                 a login, refresh or revocation was refused
    │   └── NotConnectedError      no connection under that alias (yet)
    └── SalesforceError            the API answered an error (status, errorCode)
        ├── MalformedRequestError  400
        ├── InvalidSessionError    401 INVALID_SESSION_ID
        ├── RequestRefusedError    403, REQUEST_LIMIT_EXCEEDED among others
        ├── ResourceNotFoundError  404
        └── ServiceUnavailableError 503, after the retries ran out

``LoginError.problem`` names what went wrong (a ``LoginProblem``) so that the
magics can tell the notebook user the next step. Messages never contain a
password, security token, client secret or token: they are built from fixed
sentences and Salesforce's error codes only.
"""

from __future__ import annotations

import enum
from typing import Any

import requests

__all__ = [
    "InvalidSessionError",
    "LoginError",
    "LoginProblem",
    "MalformedRequestError",
    "NotConnectedError",
    "RequestRefusedError",
    "ResourceNotFoundError",
    "SalesforceError",
    "ServiceUnavailableError",
    "SfmagicError",
    "error_for_response",
]


class SfmagicError(Exception):
    """Base class of every error sfmagic's client raises on purpose."""


class LoginProblem(enum.StrEnum):
    """Why a login, a session refresh or a revocation failed."""

    INVALID_CREDENTIALS = "invalid_credentials"
    """Wrong username or password, or a user that is locked out or inactive."""
    SECURITY_TOKEN = "security_token"
    """The password was right but the security token was missing or wrong."""
    NOT_APPROVED = "not_approved"
    """The user denied access, or has not approved the connected app."""
    APP_BLOCKED = "app_blocked"
    """The connected app may not use this flow (or is blocked in the org)."""
    INVALID_CLIENT = "invalid_client"
    """The client id (consumer key) or client secret was refused."""
    SOAP_DISABLED = "soap_disabled"
    """SOAP API ``login()`` is turned off in the org or in this API version."""
    UNREACHABLE = "unreachable"
    """The login URL or instance could not be reached."""
    UNTRUSTED_CERTIFICATE = "untrusted_certificate"
    """The server's TLS certificate is not trusted."""
    WRONG_URL = "wrong_url"
    """Something answered, but not a Salesforce login service."""
    REVOKED = "revoked"
    """The refresh token was revoked or has expired."""
    EXPIRED_SESSION = "expired_session"
    """The session expired and this kind of login cannot renew it."""
    INVALID_TOKEN = "invalid_token"
    """An access token given from outside was refused."""
    INVALID_ASSERTION = "invalid_assertion"
    """The JWT bearer assertion was refused (key, certificate, audience)."""
    CONSENT_TIMEOUT = "consent_timeout"
    """Browser sign-in was not finished in time."""
    CANCELLED = "cancelled"
    """Browser sign-in was cancelled, by a newer one on the same callback."""
    STATE_MISMATCH = "state_mismatch"
    """The pasted redirect URL belongs to another sign-in attempt."""
    BAD_REDIRECT = "bad_redirect"
    """The pasted text is not the redirect URL of a sign-in."""
    NOT_CONNECTED = "not_connected"
    """No connection exists under the requested alias."""
    REFUSED = "refused"
    """Any other refusal; the message carries Salesforce's error code."""


class LoginError(SfmagicError):
    """A login, session refresh or token revocation did not succeed.

    Parameters
    ----------
    problem
        What went wrong.
    message
        One sentence for a Python user; never contains a secret.
    code
        Salesforce's error code (``invalid_grant``, ``INVALID_LOGIN``) when
        there is one.
    """

    def __init__(
        self, problem: LoginProblem, message: str, *, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.code = code


class NotConnectedError(LoginError):
    """No connection is open under the requested alias."""

    def __init__(self, message: str) -> None:
        super().__init__(LoginProblem.NOT_CONNECTED, message)


class SalesforceError(SfmagicError):
    """The Salesforce API answered with an error status.

    Attributes
    ----------
    status
        The HTTP status code.
    error_code
        The first ``errorCode`` of Salesforce's error list (``MALFORMED_QUERY``),
        or None when the body had none.
    message
        The first error's ``message``, or the start of the body.
    errors
        Every ``{"errorCode", "message", "fields"}`` item of the body.
    response
        The ``requests.Response`` (its request's headers carry the token: do
        not print them).
    """

    def __init__(
        self,
        status: int,
        error_code: str | None,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        response: requests.Response | None = None,
    ) -> None:
        request = response.request if response is not None else None
        where = f" ({request.method} {_path_of(request.url)})" if request else ""
        code = f" {error_code}" if error_code else ""
        super().__init__(f"Salesforce answered {status}{code}{where}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.errors = errors or []
        self.response = response


class MalformedRequestError(SalesforceError):
    """HTTP 400: the request, its body or its query was not valid."""


class InvalidSessionError(SalesforceError):
    """HTTP 401: the session expired or is not valid."""


class RequestRefusedError(SalesforceError):
    """HTTP 403: refused, for instance ``REQUEST_LIMIT_EXCEEDED``."""


class ResourceNotFoundError(SalesforceError):
    """HTTP 404: no such resource or record."""


class ServiceUnavailableError(SalesforceError):
    """HTTP 503: Salesforce was unavailable and the retries ran out."""


_BY_STATUS: dict[int, type[SalesforceError]] = {
    400: MalformedRequestError,
    401: InvalidSessionError,
    403: RequestRefusedError,
    404: ResourceNotFoundError,
    503: ServiceUnavailableError,
}
_MAX_TEXT = 300


def _path_of(url: str | None) -> str:
    """The path of ``url`` without its query string (which may hold data)."""
    if not url:
        return ""
    path = url.split("?", 1)[0]
    scheme, _, rest = path.partition("://")
    return "/" + rest.partition("/")[2] if scheme and rest else path


def error_for_response(response: requests.Response) -> SalesforceError:
    """The ``SalesforceError`` subclass for an error response, filled from its body.

    Salesforce answers errors as a JSON list of ``{"message", "errorCode",
    "fields"}``; a dict, an empty body or plain text are read as well as they
    can be.
    """
    errors: list[dict[str, Any]] = []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, list):
        errors = [item for item in body if isinstance(item, dict)]
    elif isinstance(body, dict):
        errors = [body]
    first = errors[0] if errors else {}
    code = first.get("errorCode") or first.get("error")
    message = first.get("message") or first.get("error_description")
    if not message:
        message = response.text[:_MAX_TEXT].strip() or response.reason or "no body"
    kind = _BY_STATUS.get(response.status_code, SalesforceError)
    return kind(
        response.status_code,
        str(code) if code else None,
        str(message),
        errors=errors,
        response=response,
    )
