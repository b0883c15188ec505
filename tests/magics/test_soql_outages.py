"""%soql when the org fails under it: renewal refused, expiry, 503, no network.

Each is one ``UsageError`` sentence naming the cause and the next step, never a
traceback. The org is the live emulator where it can play the part (a revoked
refresh token, an ended session); a loopback server answering 503, and a port
nobody listens on, stand in for an org in trouble.
"""

from __future__ import annotations

import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import sfmagic
from sfmagic.client.auth.oauth import revoke_token
from sfmagic.emulator.org import RunningOrg
from tests.login_support import answering, callback_app, free_port, sign_in
from tests.magics.helpers import consent_widget, org_options, run, usage_error
from tests.magics.test_sessions_and_profiles import register_bare_connection

QUERY = "SELECT Id, Name FROM Account LIMIT 1"


def test_a_renewal_refused_mid_query_is_one_sentence(
    ip: InteractiveShell, org: RunningOrg
) -> None:
    app, _, port = callback_app(org)
    line = f"--client-id {app.client_id} {org_options(org)} --port {port}"
    widget = consent_widget(run(ip, "sf_login", line))
    redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
    requests.get(redirect, timeout=30)
    widget.login.wait(10)
    refresh_token = sfmagic.connection().refresh_token
    assert refresh_token is not None
    with capture_output():
        working = ip.run_line_magic("soql", QUERY)
    assert list(working.columns) == ["Id", "Name"]  # the session works
    # Revoking the refresh token ends its access tokens too: the next call gets
    # 401, and the renewal with the refresh token is refused.
    revoke_token(org.session(), org.instance_url, refresh_token)

    message = usage_error(ip, "soql", QUERY)

    assert message.startswith("%soql: ")
    assert "the refresh token was revoked or has expired" in message
    assert "\n" not in message


def test_an_ended_session_without_renewal_is_one_sentence(
    ip: InteractiveShell, org: RunningOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org.access_token()
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    run(
        ip,
        "sf_login",
        f"--access-token-env --instance-url {org.instance_url} --ca-file {org.ca_file}",
    )
    org.state.identity.revoke(token)

    message = usage_error(ip, "soql", QUERY)

    assert message == (
        "%soql: the session expired and cannot be renewed, so run %sf_login again."
    )


def test_an_org_answering_503_is_one_sentence(ip: InteractiveShell) -> None:
    body = b'[{"errorCode":"SERVER_UNAVAILABLE","message":"busy"}]'
    with answering(503, body) as url:
        register_bare_connection(url)

        message = usage_error(ip, "soql", QUERY)

    assert message == (
        "%soql: Salesforce answered 503 SERVER_UNAVAILABLE after retries, so try "
        "again later or check the org's status."
    )


def test_an_unreachable_org_is_one_sentence(ip: InteractiveShell) -> None:
    register_bare_connection(f"https://127.0.0.1:{free_port()}")

    message = usage_error(ip, "soql", QUERY)

    assert message == (
        "%soql: the org could not be reached, so check the network (or restart "
        "the emulator) and try again."
    )
