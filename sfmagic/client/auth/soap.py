"""SOAP API ``login()``: the partner endpoint ``/services/Soap/u/NN.0``.

Salesforce removed ``login()`` from API version 65.0 on and is retiring it in
older versions too, so the call always goes to version 64.0 or older, whatever
API version the connection then uses for REST.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from sfmagic.client.auth.grants import Grant
from sfmagic.client.auth.oauth import Tokens, call_login_service
from sfmagic.client.errors import LoginError, LoginProblem

__all__ = ["LAST_SOAP_LOGIN_VERSION", "SoapLoginGrant"]

LAST_SOAP_LOGIN_VERSION = 64
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
FAULT = "urn:fault.partner.soap.sforce.com"
_PROBLEMS = {
    "INVALID_LOGIN": LoginProblem.INVALID_CREDENTIALS,
    "LOGIN_MUST_USE_SECURITY_TOKEN": LoginProblem.SECURITY_TOKEN,
    "INVALID_OPERATION": LoginProblem.SOAP_DISABLED,
    "API_DISABLED_FOR_ORG": LoginProblem.SOAP_DISABLED,
    "INVALID_CLIENT": LoginProblem.APP_BLOCKED,
}


def _envelope(username: str, password: str) -> bytes:
    """The ``login`` request; ElementTree escapes the values."""
    ElementTree.register_namespace("env", SOAP_ENV)
    ElementTree.register_namespace("urn", PARTNER)
    root = ElementTree.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ElementTree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    login = ElementTree.SubElement(body, f"{{{PARTNER}}}login")
    ElementTree.SubElement(login, f"{{{PARTNER}}}username").text = username
    ElementTree.SubElement(login, f"{{{PARTNER}}}password").text = password
    data: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _instance_of(server_url: str) -> str:
    """The instance URL of a ``serverUrl``, with Salesforce's ``-api`` removed."""
    parts = urlsplit(server_url)
    host = parts.netloc.replace("-api.", ".", 1)
    return f"{parts.scheme}://{host}"


def _soap_version(api_version: str) -> str:
    number = int(float(api_version))
    return f"{min(number, LAST_SOAP_LOGIN_VERSION)}.0"


def _parse(content: bytes) -> ElementTree.Element | None:
    """The XML document, or None when it is not one or declares a DTD."""
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        return None
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None


def _fault(url: str, response: requests.Response) -> LoginError:
    root = _parse(response.content)
    code = root.findtext(f".//{{{FAULT}}}exceptionCode") if root is not None else None
    if root is None or (code is None and root.find(f".//{{{SOAP_ENV}}}Fault") is None):
        return LoginError(
            LoginProblem.WRONG_URL,
            f"{url} answered {response.status_code} without a SOAP login answer.",
        )
    if code is None:
        code = (root.findtext(".//faultcode") or "").rpartition(":")[2] or "FAULT"
    problem = _PROBLEMS.get(code, LoginProblem.REFUSED)
    return LoginError(
        problem, f"Salesforce refused the SOAP login ({code}).", code=code
    )


@dataclass(frozen=True)
class SoapLoginGrant:
    """Username, password and security token through SOAP ``login()``."""

    login_url: str
    username: str
    password: str = field(repr=False)
    security_token: str = field(default="", repr=False)
    api_version: str = "64.0"
    mode: str = "soap"

    def request(self, http: requests.Session) -> Tokens:
        """Log in; ``LoginError`` with the fault's problem when refused."""
        version = _soap_version(self.api_version)
        url = f"{self.login_url.rstrip('/')}/services/Soap/u/{version}"
        response = call_login_service(
            http,
            "POST",
            url,
            data=_envelope(self.username, self.password + self.security_token),
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"},
        )
        if response.status_code != 200:
            raise _fault(url, response)
        root = _parse(response.content)
        if root is None:
            raise _fault(url, response)
        session_id = root.findtext(f".//{{{PARTNER}}}sessionId")
        server_url = root.findtext(f".//{{{PARTNER}}}serverUrl")
        if not session_id or not server_url:
            raise _fault(url, response)
        return Tokens(access_token=session_id, instance_url=_instance_of(server_url))

    def renewal(self, tokens: Tokens) -> Grant | None:
        return self
