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
import re
import sqlite3
import sys
from pathlib import Path

import nbformat
import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from sfmagic.client.registry import CONNECTIONS
from sfmagic.emulator.org import RunningOrg
from tests.login_support import callback_app, new_app, rsa_key_and_certificate, sign_in
from tests.magics.helpers import consent_widget, org_options

ACCESS_TOKEN = re.compile(r"00D[0-9A-Za-z]{12}!AQ[0-9A-Za-z._]{10,}")
REFRESH_TOKEN = re.compile(r"5Aep861[0-9A-Za-z._]{10,}")


def find_leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets, or token-shaped strings, found in ``text``."""
    found = [secret[:12] + "…" for secret in secrets if secret and secret in text]
    found += [m.group(0)[:12] + "…" for m in ACCESS_TOKEN.finditer(text)]
    found += [m.group(0)[:12] + "…" for m in REFRESH_TOKEN.finditer(text)]
    return found


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
    with caplog.at_level(logging.DEBUG):
        for cell in cells:
            with capture_output() as captured:
                ip.run_cell(cell, store_history=True)
            collected += [captured.stdout, captured.stderr]
            collected += [json.dumps(o.data) for o in captured.outputs]
        with capture_output() as browser:
            ip.run_cell(
                f"%sf_login --client-id {app.client_id} {options} --port {port} "
                "--alias web --save web",
                store_history=True,
            )
            widget = consent_widget(browser)
            redirect = sign_in(
                org, widget.login.authorize_url, org.username, org.password
            )
            requests.get(redirect, timeout=30)
            widget.login.wait(10)
            monkeypatch.setenv("SF_PASSWORD", org.password)
            monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
            monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
            ip.run_cell(
                f"%sf_login -u {org.username} {options} --client-id {org.client_id} "
                "--alias pw",
                store_history=True,
            )
            ip.run_cell("%sf_logout web --revoke", store_history=True)
        collected += [browser.stdout, browser.stderr, widget.status.value]
        collected += [json.dumps(o.data) for o in browser.outputs]
        for alias in CONNECTIONS.aliases():
            connection = CONNECTIONS.get(alias)
            tokens += [
                connection.http.access_token or "",
                connection.refresh_token or "",
            ]
            collected += [
                repr(connection),
                repr(connection.grant),
                repr(connection.http),
            ]

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
    assert len(CONNECTIONS.aliases()) == 7
    assert find_leaks("\n".join(collected), secrets) == []


def kernel_spec(tmp_path: Path) -> Path:
    """A kernelspec running this interpreter, so the kernel sees this sfmagic."""
    spec = tmp_path / "jupyter" / "kernels" / "sfmagic-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "sfmagic test", "language": "python"})
    )
    return tmp_path / "jupyter"


def test_every_mode_in_a_saved_notebook(
    org: RunningOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nbclient import NotebookClient

    key, certificate = rsa_key_and_certificate()
    jwt_app = new_app(org, certificate=certificate, flows=["jwt_bearer"])
    key_file = tmp_path / "jwt.key"
    key_file.write_text(key)
    outside_token = org.access_token()
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_spec(tmp_path)))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("SF_PASSWORD", org.password)
    monkeypatch.setenv("SF_SECURITY_TOKEN", org.security_token)
    monkeypatch.setenv("SF_CLIENT_SECRET", org.client_secret)
    monkeypatch.setenv("SF_ACCESS_TOKEN", outside_token)
    options = org_options(org)
    sources = [
        "%load_ext sfmagic\n"
        f"%config SfMagic.config_dir = {str(tmp_path / 'config')!r}\n"
        "%config SfMagic.secret_store = 'file'",
        f"%sf_login -u {org.username} --soap {options} --alias soap",
        f"%sf_login -u {org.username} --client-id {org.client_id} {options} "
        "--alias pw --save pw",
        f"%sf_login --client-credentials --client-id {org.client_id} {options} "
        "--alias cc --save cc",
        f"%sf_login --jwt-key {key_file} -u {org.username} "
        f"--client-id {jwt_app.client_id} {options} --alias jwt",
        f"%sf_login --access-token-env --instance-url {org.instance_url} "
        f"--ca-file {org.ca_file} --alias token",
        "%sf_login --profile cc --alias again",
        "%sf_whoami",
        "%sf_profiles",
        "import sfmagic\n[sfmagic.connection(a) for a in ('soap', 'pw', 'jwt')]",
        "import os\nos.environ['SF_PASSWORD'] = 'not-the-password'\n"
        f"%sf_login -u {org.username} --soap {options} --alias wrong",
        "%sf_logout --all --revoke",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    client = NotebookClient(
        notebook,
        timeout=120,
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

    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert "Signed in as admin@sfmagic.demo" in text
    assert "refused the username or password" in text
    assert "Logged out of 'soap'" in text
    assert not [o for o in outputs if o.get("ename") not in (None, "UsageError")]
    secrets = [
        org.password,
        org.security_token,
        org.client_secret,
        outside_token,
        *key_lines(key),
    ]
    assert find_leaks(text, secrets) == []
    assert find_leaks(history, secrets) == []
