"""sfmagic's client side: connections to Salesforce orgs and how to open them.

``Connection`` is a logged-in session (``Connection.open(grant)``);
``sfmagic.client.auth`` holds the login flows; ``profiles`` and ``secrets``
keep what is needed to log in again; ``registry`` the open connections by
alias. This package may import ``sfmagic.soql`` and nothing else of sfmagic.
"""

from sfmagic.client.api_session import ApiSession, ApiUsage
from sfmagic.client.connection import (
    DEFAULT_ALIAS,
    DEFAULT_API_VERSION,
    Connection,
    check_api_version,
)
from sfmagic.client.errors import (
    InvalidSessionError,
    LoginError,
    LoginProblem,
    MalformedRequestError,
    NotConnectedError,
    RequestRefusedError,
    ResourceNotFoundError,
    SalesforceError,
    ServiceUnavailableError,
    SfmagicError,
)
from sfmagic.client.registry import CONNECTIONS, connection

__all__ = [
    "CONNECTIONS",
    "DEFAULT_ALIAS",
    "DEFAULT_API_VERSION",
    "ApiSession",
    "ApiUsage",
    "Connection",
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
    "check_api_version",
    "connection",
]
