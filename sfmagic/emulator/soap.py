"""SOAP API ``login()``: the partner endpoint ``POST /services/Soap/u/NN.0``.

The request envelope is parsed namespace-aware with ``xml.etree``; documents
with a DTD or entity declarations are refused before parsing. ``login`` may
appear with any prefix, as long as it is in the partner namespace
(``urn:partner.soap.sforce.com``); its ``username`` and ``password`` children
are read by local name, and the password is the user's password followed by
the security token, as Salesforce requires from outside trusted networks.

Success returns Salesforce's envelope with unprefixed ``sessionId`` and
``serverUrl`` (simple-salesforce reads them by those literal names). Failures
are HTTP 500 SOAP faults whose detail carries ``sf:exceptionCode`` and
``sf:exceptionMessage``:

* ``INVALID_LOGIN`` for an unknown user, a wrong password, an inactive user,
  and a user locked out after five failed attempts (Salesforce does not tell
  them apart);
* ``LOGIN_MUST_USE_SECURITY_TOKEN`` for the right password without the token;
* ``INVALID_OPERATION`` when ``OrgSettings.soap_login_disabled`` is set, and
  for API versions 65.0 and later, where Salesforce removed ``login()``;
* ``UNSUPPORTED_API_VERSION`` for a version that is not ``NN.0`` or is older
  than 31.0, the oldest version that still accepts ``login()``.

Only ``login()`` is answered; any other operation gets ``INVALID_OPERATION``.
Malformed envelopes get a ``soapenv:Client`` fault without detail.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from html import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfmagic.emulator.identity import LoginError, User
from sfmagic.emulator.oauth.common import OrgLike, blocking, org_of

__all__ = ["ROUTES"]

logger = logging.getLogger("sfmagic.emulator.soap")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
OLDEST_LOGIN_VERSION = 31
FIRST_VERSION_WITHOUT_LOGIN = 65
ORGANIZATION_NAME = "sfmagic Emulated Org"
XML_TYPE = "text/xml; charset=utf-8"

_VERSION = re.compile(r"^([1-9][0-9]?)\.0$")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
_MUST_USE_TOKEN = (
    f"{_INVALID_LOGIN} Are you at a new location? When accessing Salesforce--either "
    "via a desktop client or the API--from outside of your company's trusted "
    "networks, you must add a security token to your password to log in. To get "
    "a new security token, log in to Salesforce. From your personal settings, "
    "enter Reset My Security Token in the Quick Find box, then select Reset My "
    "Security Token."
)
_LOGIN_DISABLED = (
    "SOAP API login() is disabled by default in this org. Contact the org "
    "administrator to enable SOAP API login()."
)

_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>\
<faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail>\
<sf:{fault_type} xsi:type="sf:{fault_type}"><sf:exceptionCode>{code}</sf:exceptionCode>\
<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:{fault_type}></detail>\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

_CLIENT_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">\
<soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode>\
<faultstring>{message}</faultstring></soapenv:Fault></soapenv:Body>\
</soapenv:Envelope>"""

_SUCCESS = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="urn:partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>\
<loginResponse><result>\
<metadataServerUrl>{metadata_url}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>{server_url}</serverUrl><sessionId>{session_id}</sessionId>\
<userId>{user_id}</userId><userInfo>\
<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol>\
<orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>\
<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>\
<orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale>\
<orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>\
<orgHasPersonAccounts>false</orgHasPersonAccounts>\
<organizationId>{org_id}</organizationId>\
<organizationMultiCurrency>false</organizationMultiCurrency>\
<organizationName>{org_name}</organizationName>\
<profileId xsi:nil="true"/><roleId xsi:nil="true"/>\
<sessionSecondsValid>{seconds}</sessionSecondsValid>\
<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{email}</userEmail>\
<userFullName>{full_name}</userFullName><userId>{user_id}</userId>\
<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale>\
<userName>{username}</userName><userTimeZone>{time_zone}</userTimeZone>\
<userType>Standard</userType><userUiSkin>Theme3</userUiSkin>\
</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""


class _FaultError(Exception):
    """A SOAP fault to answer with (HTTP 500)."""

    def __init__(self, code: str, message: str, fault_type: str = "LoginFault") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fault_type = fault_type

    def response(self) -> Response:
        body = _FAULT.format(
            code=self.code, message=escape(self.message), fault_type=self.fault_type
        )
        return Response(body, status_code=500, media_type=XML_TYPE)


def _client_fault(message: str) -> Response:
    body = _CLIENT_FAULT.format(message=escape(message))
    return Response(body, status_code=500, media_type=XML_TYPE)


def _check_version(version: str) -> None:
    match = _VERSION.match(version)
    if match is None or int(match.group(1)) < OLDEST_LOGIN_VERSION:
        raise _FaultError(
            "UNSUPPORTED_API_VERSION",
            f"Invalid Api version specified on URL: {version}",
            "UnexpectedErrorFault",
        )
    if int(match.group(1)) >= FIRST_VERSION_WITHOUT_LOGIN:
        raise _FaultError(
            "INVALID_OPERATION",
            f"The SOAP Login operation is not available in the API version "
            f"specified ({version}). Refer to the documentation for supported "
            "versions.",
            "UnexpectedErrorFault",
        )


def _credentials(body: bytes) -> tuple[str, str]:
    """Username and password of a ``login`` envelope; ``ValueError`` otherwise."""
    if _DECLARATION.search(body):
        raise ValueError("DTDs and entity declarations are not allowed")
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, LookupError, ValueError) as error:
        # LookupError: an encoding declaration Python does not know.
        raise ValueError("the request is not well-formed XML") from error
    envelope_body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or envelope_body is None:
        raise ValueError("the request is not a SOAP 1.1 envelope")
    operation = envelope_body.find(f"{{{PARTNER}}}login")
    if operation is None:
        raise _FaultError(
            "INVALID_OPERATION",
            "This emulator answers only the login() call of the SOAP API.",
            "UnexpectedErrorFault",
        )
    username = operation.findtext(f"{{{PARTNER}}}username") or ""
    password = operation.findtext(f"{{{PARTNER}}}password") or ""
    return username.strip(), password


def _login(org: OrgLike, username: str, password: str) -> User:
    if org.settings.soap_login_disabled:
        raise _FaultError("INVALID_OPERATION", _LOGIN_DISABLED, "UnexpectedErrorFault")
    try:
        return org.identity.authenticate(username, password, with_security_token=True)
    except LoginError as error:
        logger.debug("SOAP login refused: %s", error.reason)
        if error.reason == "token":
            raise _FaultError(
                "LOGIN_MUST_USE_SECURITY_TOKEN", _MUST_USE_TOKEN
            ) from error
        raise _FaultError("INVALID_LOGIN", _INVALID_LOGIN) from error


def _success(org: OrgLike, user: User, version: str) -> Response:
    session = org.identity.issue_session(user.id, scopes=("api", "web"))
    org15 = org.identity.org_id[:15]
    base = org.instance_url
    body = _SUCCESS.format(
        metadata_url=escape(f"{base}/services/Soap/m/{version}/{org15}"),
        server_url=escape(f"{base}/services/Soap/u/{version}/{org15}"),
        session_id=escape(session.access_token),
        user_id=escape(user.id),
        org_id=escape(org.identity.org_id),
        org_name=escape(ORGANIZATION_NAME),
        seconds=org.settings.session_lifetime,
        email=escape(user.email),
        full_name=escape(user.name),
        username=escape(user.username),
        time_zone=escape(user.time_zone),
    )
    return Response(body, media_type=XML_TYPE)


def login(request: Request, body: bytes | None) -> Response:
    """``POST /services/Soap/u/{version}``: the partner API's ``login()``."""
    org = org_of(request)
    version = request.path_params["version"]
    try:
        _check_version(version)
        if body is None:
            return _client_fault("The request is too large.")
        try:
            username, password = _credentials(body)
        except ValueError as error:
            return _client_fault(str(error))
        user = _login(org, username, password)
    except _FaultError as fault:
        return fault.response()
    return _success(org, user, version)


ROUTES: list[BaseRoute] = [
    Route("/services/Soap/u/{version}", blocking(login), methods=["POST"]),
]
