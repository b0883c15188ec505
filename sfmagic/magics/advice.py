"""What to tell the notebook user when a login fails: one sentence, no traceback.

Each ``LoginProblem`` has a sentence that names the cause and the next step.
``usage_error`` fills it in and returns IPython's ``UsageError`` itself (not a
subclass), the one exception IPython shows without a traceback.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from IPython.core.error import UsageError

from sfmagic.client.errors import LoginError, LoginProblem

__all__ = ["explain", "usage_error"]

_SENTENCES: dict[LoginProblem, str] = {
    LoginProblem.INVALID_CREDENTIALS: (
        "{host} refused the username or password (or the user is locked out or "
        "inactive), so check them and run %sf_login again"
    ),
    LoginProblem.SECURITY_TOKEN: (
        "{host} accepted the password but not the security token, so set "
        "SF_SECURITY_TOKEN to the token Salesforce emailed you (Settings > Reset "
        "My Security Token) and run %sf_login again"
    ),
    LoginProblem.NOT_APPROVED: (
        "access to the connected app was not approved, so run %sf_login again "
        "and click Allow, or ask your admin to pre-authorize the app"
    ),
    LoginProblem.APP_BLOCKED: (
        "the connected app is blocked or may not use this login flow ({code}), so "
        "ask your admin to allow it (or enable the flow in the app's OAuth "
        "settings) or use another %sf_login mode"
    ),
    LoginProblem.INVALID_CLIENT: (
        "{host} did not accept the client id or client secret ({code}), so check "
        "--client-id and SF_CLIENT_SECRET against the connected app"
    ),
    LoginProblem.SOAP_DISABLED: (
        "SOAP API login() is disabled for this org, so sign in through the "
        "browser (--client-id) or use --jwt-key instead"
    ),
    LoginProblem.UNREACHABLE: (
        "{host} could not be reached, so check --login-url and the network and "
        "try again"
    ),
    LoginProblem.UNTRUSTED_CERTIFICATE: (
        "the TLS certificate of {host} is not trusted, so pass --ca-file with the "
        "CA that signed it (a local emulator's ca.pem)"
    ),
    LoginProblem.WRONG_URL: (
        "{host} does not answer like a Salesforce login service, so check "
        "--login-url (login.salesforce.com, test.salesforce.com or a My Domain)"
    ),
    LoginProblem.REVOKED: (
        "the refresh token was revoked or has expired, so run %sf_login again to "
        "sign in"
    ),
    LoginProblem.EXPIRED_SESSION: (
        "the session expired and this kind of login cannot renew it, so run "
        "%sf_login again"
    ),
    LoginProblem.INVALID_TOKEN: (
        "{host} did not accept the access token, so get a fresh one and run "
        "%sf_login again"
    ),
    LoginProblem.INVALID_ASSERTION: (
        "Salesforce refused the JWT assertion ({code}), so check that --jwt-key "
        "matches the certificate of the connected app and that the user is "
        "pre-authorized"
    ),
    LoginProblem.CONSENT_TIMEOUT: (
        "the browser sign-in was not finished in time, so run %sf_login again and "
        "complete it sooner (or raise --timeout)"
    ),
    LoginProblem.CANCELLED: (
        "this browser sign-in was replaced by a newer %sf_login on the same "
        "callback, so finish the sign-in in the newest widget"
    ),
    LoginProblem.STATE_MISMATCH: (
        "the pasted address belongs to another sign-in attempt, so paste the "
        "address from the tab this sign-in opened"
    ),
    LoginProblem.BAD_REDIRECT: (
        "the pasted text is not a sign-in redirect, so copy the whole address "
        "from the browser tab you were sent back to"
    ),
    LoginProblem.NOT_CONNECTED: (
        "there is no connection {alias}, so run %sf_login first"
    ),
    LoginProblem.REFUSED: (
        "Salesforce refused the login ({code}), so check the %sf_login options "
        "and try again"
    ),
}


def _host(url: str | None) -> str:
    if not url:
        return "the login service"
    return urlsplit(url).netloc or url


def _sentence(error: LoginError, url: str | None, alias: str | None) -> str:
    template = _SENTENCES.get(error.problem, _SENTENCES[LoginProblem.REFUSED])
    named = f"named {alias!r}" if alias else "open"
    return template.format(
        host=_host(url), code=error.code or error.problem.value, alias=named
    )


def explain(
    error: LoginError, *, url: str | None = None, alias: str | None = None
) -> str:
    """The sentence for ``error``: its cause, then the next step."""
    sentence = _sentence(error, url, alias)
    return sentence[0].upper() + sentence[1:] + "."


def usage_error(
    magic: str, error: LoginError, *, url: str | None = None, alias: str | None = None
) -> UsageError:
    """IPython's ``UsageError`` for a failed login in ``%magic``."""
    return UsageError(f"%{magic}: {_sentence(error, url, alias)}.")
