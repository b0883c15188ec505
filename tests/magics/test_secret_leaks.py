"""No secret in outputs, logs, reprs, errors, input history or a saved notebook.

Two runs of every login mode: in this process's IPython shell (outputs, log
records, history, reprs, error messages are collected), and in a real kernel
executing a notebook with nbclient (the saved ``.ipynb`` and the kernel's
history database are read back). Each run then searches everything for the
password, the security token, the client secret, the private key, every
access and refresh token it can know of, and anything shaped like a Salesforce
access token (``00D…!AQ…``) or refresh token (``5Aep861…``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from sfmagic.client.registry import CONNECTIONS
from sfmagic.emulator.org import RunningOrg
from tests.login_support import callback_app, new_app, rsa_key_and_certificate, sign_in
from tests.magics.helpers import consent_widget, find_leaks, kernel_spec, org_options


def test_the_search_finds_what_it_looks_for() -> None:
    text = "a hunter2 b 00D5g000004XyZa!AQ0123456789abc c 5Aep861abcdefghijk"

    assert len(find_leaks(text, ["hunter2", "absent"])) == 3


def key_lines(key: str) -> list[str]:
    return [line for line in key.splitlines() if "PRIVATE KEY" not in line][:3]


def test_every_mode_in_this_shell(
    ip: InteractiveShell,
    org: RunningOrg,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    key, certificate = rsa_key_and_certificate()
    jwt_app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
    key_file = tmp_path / "jwt.key"
    key_file.write_text(key)
    outside_token = org.access_token()
    app, _, port = callback_app(org)
    paste_app, _, paste_port = callback_app(org)
    answers = [org.password, org.security_token, org.client_secret]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": answers.pop(0))
    monkeypatch.setenv("SF_ACCESS_TOKEN", outside_token)
    options = org_options(org)
    cells = [
        "%sf_login --local --alias local",
        f"%sf_login -u {org.username} --soap {options} --alias soap",
        f"%sf_login --client-credentials --client-id {org.client_id} {options} "
        "--alias cc --save cc",
        f"%sf_login --jwt-key {key_file} -u {org.username} "
        f"--client-id {jwt_app.client_id} {options} --alias jwt",
        f"%sf_login --access-token-env --instance-url {org.instance_url} "
        f"--ca-file {org.ca_file} --alias token",
        "%sf_login --profile cc --alias cc2",
        "%sf_whoami cc",
        "%sf_profiles",
        "%sf_use",
        "import sfmagic\nsfmagic.connection('soap')",
        "[sfmagic.connection(a) for a in ('local', 'cc', 'jwt', 'token')]",
    ]
    collected: list[str] = []
    tokens: list[str] = []

    def note_tokens() -> None:
        for alias in CONNECTIONS.aliases():
            connection = CONNECTIONS.get(alias)
            tokens.append(connection.http.access_token or "")
            tokens.append(connection.refresh_token or "")
            collected.extend(
                [repr(connection), repr(connection.grant), repr(connection.http)]
            )

    def sign_in_on(widget: Any, *, paste: bool) -> None:
        redirect = sign_in(org, widget.login.authorize_url, org.username, org.password)
        if paste:
            widget.redirect.value = redirect
            widget.finish.click()
        else:
            requests.get(redirect, timeout=30)
            widget.login.wait(10)
        collected.append(widget.status.value)
        collected.append(json.dumps([c.get_state() for c in widget.children]))

    with caplog.at_level(logging.DEBUG):
        for cell in cells:
            with capture_output() as captured:
                ip.run_cell(cell, store_history=True)
            collected += [captured.stdout, captured.stderr]
            collected += [json.dumps(o.data) for o in captured.outputs]
        note_tokens()
        with capture_output() as browser:
            ip.run_cell(
                f"%sf_login --client-id {app.client_id} {options} --port {port} "
                "--alias web --save web",
                store_history=True,
            )
            sign_in_on(consent_widget(browser), paste=False)
            ip.run_cell("%config SfMagic.listen = False", store_history=True)
            ip.run_cell(
                f"%sf_login --client-id {paste_app.client_id} {options} "
                f"--port {paste_port} --alias pasted",
                store_history=True,
            )
            sign_in_on(consent_widget(browser), paste=True)
            ip.run_cell("%sf_logout web\n%sf_login --profile web", store_history=True)
            monkeypatch.setenv("SF_PASSWORD", org.password)
            monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
            monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
            ip.run_cell(
                f"%sf_login -u {org.username} {options} --client-id {org.client_id} "
                "--alias pw",
                store_history=True,
            )
            note_tokens()
            ip.run_cell("%sf_logout web --revoke", store_history=True)
        collected += [browser.stdout, browser.stderr]
        collected += [json.dumps(o.data) for o in browser.outputs]

    history = ip.history_manager
    collected += [repr(history.input_hist_raw), repr(history.input_hist_parsed)]
    collected += [repr(history.output_hist), repr(ip.user_ns.get("Out"))]
    collected.append(caplog.text)
    secrets = [
        org.password,
        org.security_token,
        org.client_secret,
        outside_token,
        *key_lines(key),
        *tokens,
    ]

    assert answers == []
    assert "pasted" in CONNECTIONS.aliases()
    assert len(CONNECTIONS.aliases()) == 8
    assert len(set(tokens)) >= 10
    assert find_leaks("\n".join(collected), secrets) == []


REPOSITORY = Path(__file__).resolve().parents[2]


def notebook_cells(org: RunningOrg, tmp_path: Path, options: str) -> list[str]:
    """Every login mode, the other magics, failures and a revocation."""
    key, certificate = rsa_key_and_certificate()
    tmp_path.joinpath("jwt.key").write_text(key)
    jwt_app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
    web_app, _, web_port = callback_app(org)
    paste_app, _, paste_port = callback_app(org)
    finish = (
        "from tests.login_support import finish_consent_in_kernel\n"
        f"finish_consent_in_kernel({str(org.ca_file)!r}, {org.username!r}, "
        "os.environ['SF_PASSWORD'], paste={paste})"
    )
    return [
        "import logging, os, sys\n"
        f"sys.path.insert(0, {str(REPOSITORY)!r})\n"
        "logging.basicConfig(filename='kernel.log', level=logging.DEBUG, force=True)\n"
        "%load_ext sfmagic\n"
        f"%config SfMagic.config_dir = {str(tmp_path / 'config')!r}\n"
        "%config SfMagic.secret_store = 'file'",
        "%sf_login --local --alias local",
        f"%sf_login -u {org.username} --soap {options} --alias soap",
        f"%sf_login -u {org.username} --client-id {org.client_id} {options} "
        "--alias pw --save pw",
        f"%sf_login --client-credentials --client-id {org.client_id} {options} "
        "--alias cc --save cc",
        f"%sf_login --jwt-key jwt.key -u {org.username} "
        f"--client-id {jwt_app.client_id} {options} --alias jwt --save jwt",
        f"%sf_login --access-token-env --instance-url {org.instance_url} "
        f"--ca-file {org.ca_file} --alias token",
        # The browser apps need no secret; SF_CLIENT_SECRET is the other app's.
        "del os.environ['SF_CLIENT_SECRET']\n"
        f"%sf_login --client-id {web_app.client_id} {options} --port {web_port} "
        "--alias web --save web",
        finish.format(paste=False),
        "%config SfMagic.listen = False\n"
        f"%sf_login --client-id {paste_app.client_id} {options} --port {paste_port} "
        "--alias pasted",
        finish.format(paste=True),
        "%sf_logout web\n%sf_login --profile web",
        "%sf_login --profile cc --alias again\n%sf_login --profile jwt",
        "%sf_whoami web",
        "%sf_profiles",
        "%sf_use",
        "import sfmagic\n"
        "[sfmagic.connection(a) for a in ('local', 'soap', 'pw', 'jwt', 'web')]",
        "sfmagic.connection('web').sf.query('SELECT Id FROM User LIMIT 1')",
        "os.environ['SF_PASSWORD'] = 'not-the-password'\n"
        f"%sf_login -u {org.username} --soap {options} --alias wrong",
        # The test reads these back (never through the notebook) to search
        # for them: the kernel's demo org secrets and every token it held.
        "import json\n"
        "from sfmagic.client.registry import CONNECTIONS\n"
        "from sfmagic.magics.local import running_org\n"
        "demo = running_org()\n"
        "held = [CONNECTIONS.get(a) for a in CONNECTIONS.aliases()]\n"
        "found = [demo.password, demo.security_token, demo.client_secret]\n"
        "found += [c.http.access_token for c in held]\n"
        "found += [c.refresh_token for c in held if c.refresh_token]\n"
        "with open('held-secrets.json', 'w') as handle:\n"
        "    json.dump(found, handle)",
        "%sf_logout --all --revoke",
    ]


def test_every_mode_in_a_saved_notebook(
    org: RunningOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nbclient import NotebookClient

    outside_token = org.access_token()
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_spec(tmp_path)))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("SF_PASSWORD", org.password)
    monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    monkeypatch.setenv("SF_ACCESS_TOKEN", outside_token)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(source)
        for source in notebook_cells(org, tmp_path, org_options(org))
    ]
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="sfmagic-test",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )

    client.execute()
    saved = tmp_path / "leaks.ipynb"
    nbformat.write(notebook, saved)
    text = saved.read_text()
    history_files = list((tmp_path / "ipython").rglob("history.sqlite"))
    with sqlite3.connect(history_files[0]) as db:
        history = "\n".join(str(row) for row in db.execute("SELECT * FROM history"))
    log = (tmp_path / "kernel.log").read_text()
    held = json.loads((tmp_path / "held-secrets.json").read_text())

    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert errors == []
    # A UsageError shows as one line on stderr, without a traceback.
    refused = [o["text"] for o in outputs if o.get("name") == "stderr"]
    assert len(refused) == 1
    assert refused[0].startswith("UsageError: %sf_login: ")
    assert "refused the username or password" in refused[0]
    for alias in ("local", "soap", "pw", "cc", "jwt", "token", "web"):
        assert f"(alias '{alias}')" in text, alias
    # The widgets' saved state holds their status lines.
    assert "application/vnd.jupyter.widget-state+json" in text
    for alias in ("web", "pasted"):
        assert f"(alias &#x27;{alias}&#x27;)" in text, alias
    assert "Logged out of 'web'" in text
    assert "POST /services/oauth2/token 200" in log
    assert len(held) >= 12
    secrets = [
        org.password,
        org.security_token,
        org.client_secret,
        outside_token,
        *key_lines((tmp_path / "jwt.key").read_text()),
        *held,
    ]
    for where in (text, history, log):
        assert find_leaks(where, secrets) == []
