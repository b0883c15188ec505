"""The record editor in JupyterLab, driven in headless Chromium.

The test starts a demo org and a JupyterLab server with its own config, runtime
and data directories, writes a notebook that loads sfmagic, logs in with the
access token the kernel finds in its environment and opens an Account with
``%sf_edit``, runs it in the browser, types a new value into a field (the field
is marked unsaved), clicks Save and checks the org's database. A screenshot is
kept in ``test-artifacts/``. Chromium is Debian's package on PATH (no downloaded
browsers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sfmagic.emulator import start
from tests.browser_support import ARTIFACTS, BROWSER_TEST, chromium
from tests.login_support import free_port

NEW_SITE = "Typed in JupyterLab"

pytestmark = [*BROWSER_TEST, pytest.mark.timeout(240)]


def _notebook(org: Any, record_id: str) -> dict[str, Any]:
    source = (
        "%load_ext sfmagic\n"
        f"%sf_login --access-token-env --instance-url {org.instance_url} "
        f"--ca-file {org.ca_file}\n"
        f"%sf_edit Account {record_id}\n"
    )
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3",
                "language": "python",
                "name": "python3",
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def org() -> Iterator[Any]:
    with start(demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def lab(
    org: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A JupyterLab server on loopback with private directories; (url, root)."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    root.mkdir()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        # The kernel reads the token from here, so it is not in the notebook.
        "SF_ACCESS_TOKEN": org.access_token(),
    }
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
    ]
    log = (base / "lab.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process)
        yield url, root
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("JupyterLab exited during start-up")
        try:
            if session.get(f"{url}/api/status", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise RuntimeError("JupyterLab did not start within 60 s")


def _dismiss_news(page: Any) -> None:
    """Close JupyterLab's news question so it does not cover the screenshot."""
    answer = page.get_by_role("button", name="No", exact=True)
    if answer.count():
        answer.first.click()


def _site(org: Any, record_id: str) -> Any:
    session = org.session()
    session.headers["Authorization"] = f"Bearer {org.access_token()}"
    answer = session.get(
        f"{org.instance_url}/services/data/v62.0/sobjects/Account/{record_id}",
        params={"fields": "Site"},
    )
    return answer.json()["Site"]


def test_editor_in_lab_saves_a_changed_field(org: Any, lab: tuple[str, Path]) -> None:
    url, root = lab
    session = org.session()
    session.headers["Authorization"] = f"Bearer {org.access_token()}"
    query = session.get(
        f"{org.instance_url}/services/data/v62.0/query/",
        params={
            "q": "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM "
            "Contact) ORDER BY Name LIMIT 1"
        },
    )
    record_id = query.json()["records"][0]["Id"]
    (root / "edit.ipynb").write_text(json.dumps(_notebook(org, record_id)))
    ARTIFACTS.mkdir(exist_ok=True)

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/edit.ipynb")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            ".kernel",
            timeout=60_000,
        )
        page.evaluate(
            "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"
        )
        field = page.locator(".sfmagic-field-Site input")
        field.wait_for(state="visible", timeout=90_000)
        field.fill(NEW_SITE)
        field.press("Tab")
        status = page.locator(".sfmagic-status")
        status.filter(has_text="Unsaved changes: Site.").wait_for(timeout=30_000)
        marked = page.locator(".sfmagic-field-Site").inner_text()
        _dismiss_news(page)
        page.screenshot(path=str(ARTIFACTS / "lab-editor-unsaved.png"), full_page=True)
        page.locator("button.sfmagic-save").click()
        status.filter(has_text="Saved Account").wait_for(timeout=30_000)
        saved = page.locator(".sfmagic-field-Site").inner_text()
        page.locator(".sfmagic-related-Contacts button").first.click()
        opened = page.locator(".sfmagic-editor .sfmagic-editor h3")
        opened.first.wait_for(timeout=30_000)
        opened_heading = opened.first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "lab-editor.png"), full_page=True)

    assert _site(org, record_id) == NEW_SITE
    assert marked.startswith("● Account Site")
    assert not saved.startswith("●")
    assert opened_heading.startswith("Contact ")
    assert org.access_token() not in (root / "edit.ipynb").read_text()
