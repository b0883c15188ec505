"""JWT bearer assertions (RFC 7523): decoding, RS256 signatures, claims.

Only what the JWT bearer flow needs: compact JWS with ``alg`` RS256, verified
with the RSA public key of the connected app's certificate. Claims checked:
``iss`` (the client id, read before verifying to find the app), ``sub`` (a
username), ``aud`` (one of the accepted audiences), ``exp`` (required, in the
future, up to five seconds of clock skew), ``nbf`` (when present). ``exp`` may
be a number or a string of digits, as simple-salesforce sends it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sfmagic.emulator.identity import OAuthError

__all__ = ["Assertion", "check_claims", "parse_assertion", "verify_signature"]

CLOCK_SKEW = 5
MAX_ASSERTION_BYTES = 16 * 1024


@dataclass(frozen=True)
class Assertion:
    """A decoded, not yet verified, JWT."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _invalid() -> OAuthError:
    return OAuthError("invalid_grant", "invalid assertion")


def _b64url(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise _invalid() from error


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise _invalid() from error
    if not isinstance(value, dict):
        raise _invalid()
    return value


def parse_assertion(text: str) -> Assertion:
    """Split and decode a compact JWT; ``OAuthError`` if it is not one."""
    if len(text) > MAX_ASSERTION_BYTES:
        raise _invalid()
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        raise _invalid()
    header = _json_object(_b64url(parts[0]))
    if header.get("alg") != "RS256":
        raise _invalid()
    return Assertion(
        header=header,
        claims=_json_object(_b64url(parts[1])),
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=_b64url(parts[2]),
    )


def _public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.encode("ascii", "replace")
    key: object
    try:
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise _invalid() from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise _invalid()
    return key


def verify_signature(assertion: Assertion, certificate: str) -> None:
    """Check the RS256 signature with the certificate's (or PEM key's) RSA key."""
    key = _public_key(certificate)
    try:
        key.verify(
            assertion.signature,
            assertion.signing_input,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature as error:
        raise _invalid() from error


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def check_claims(claims: dict[str, Any], *, audiences: set[str], now: float) -> str:
    """Validate ``aud``, ``exp`` and ``nbf``; return the ``sub`` username."""
    audience = claims.get("aud")
    given = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and a.rstrip("/") in audiences for a in given):
        raise OAuthError("invalid_grant", "Audience validation failed")
    expires = _number(claims.get("exp"))
    if expires is None:
        raise _invalid()
    if expires + CLOCK_SKEW < now:
        raise OAuthError("invalid_grant", "expired assertion")
    not_before = _number(claims.get("nbf"))
    if claims.get("nbf") is not None and (
        not_before is None or not_before - CLOCK_SKEW > now
    ):
        raise _invalid()
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _invalid()
    return subject
