"""Browser sign-in end to end: JupyterLab, a real kernel, headless Chromium.

JupyterLab runs on a free loopback port with its own configuration, data and
runtime directories. Chromium (Debian's, found on PATH; Playwright never
downloads one) opens a notebook whose first cell starts the embedded emulator
and runs ``%sf_login --local --browser``. The test clicks the widget's
"Sign in to Salesforce" link, signs in and allows access on the emulator's
pages in the new tab, and waits for the widget to report the signed-in user.
A second cell signs in without a listener: the test copies the address the
browser was sent to into the widget's box and clicks "Finish sign-in".
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import requests

from tests.browser_support import ARTIFACTS, BROWSER_TEST, chromium
from tests.login_support import free_port

TOKEN = "sfmagic-browser-test"
ADMIN_FILE = "admin.json"

pytestmark = BROWSER_TEST


@dataclass
class Lab:
    """A running JupyterLab and the folder it serves."""

    url: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def page_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?token={TOKEN}"


def write_kernel_spec(data_dir: Path) -> None:
    """A ``python3`` kernelspec running this interpreter (and so this sfmagic)."""
    spec = data_dir / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited:\n{log.read_text()[-3000:]}")
        try:
            answer = requests.get(f"{url}/api/status?token={TOKEN}", timeout=2)
            if answer.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    data_dir = base / "data"
    write_kernel_spec(data_dir)
    environment = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_DATA_DIR": str(data_dir),
        "IPYTHONDIR": str(base / "ipython"),
        "SFMAGIC_CONFIG_DIR": str(base / "sfmagic"),
    }
    port = free_port()
    log = base / "lab.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log)
        yield Lab(url, root, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def write_notebook(lab: Lab, listen_port: int, paste_port: int) -> str:
    cells = [
        "%load_ext sfmagic\n"
        f"%sf_login --local --browser --port {listen_port} --timeout 180",
        "import json\n"
        "from sfmagic.magics.local import running_org\n"
        "org = running_org()\n"
        f"with open({ADMIN_FILE!r}, 'w') as handle:\n"
        "    json.dump({'username': org.username, 'password': org.password}, handle)",
        "%config SfMagic.listen = False\n"
        f"%sf_login --local --browser --port {paste_port} --alias pasted",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    name = "login.ipynb"
    nbformat.write(notebook, lab.root / name)
    return name


def read_admin(lab: Lab) -> dict[str, str]:
    path = lab.root / ADMIN_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            admin: dict[str, str] = json.loads(path.read_text())
            return admin
        time.sleep(0.2)
    raise AssertionError(f"the notebook did not run:\n{lab.log.read_text()[-3000:]}")


def sign_in_and_allow(popup: object, admin: dict[str, str]) -> None:
    from playwright.sync_api import Page

    assert isinstance(popup, Page)
    # A browser already signed in to the org goes straight to the consent page,
    # as on Salesforce; a fresh one is shown the sign-in form first.
    try:
        popup.wait_for_selector("#password, #oaapprove", timeout=60_000)
    except Exception as error:
        popup.screenshot(path=str(ARTIFACTS / "lab-login-sign-in-page.png"))
        raise AssertionError(f"no sign-in or consent page at {popup.url}") from error
    if popup.query_selector("#password") is not None:
        popup.fill("#username", admin["username"])
        popup.fill("#password", admin["password"])
        popup.click("#Login")
    popup.wait_for_selector("#oaapprove", timeout=60_000)
    popup.click("#oaapprove")


def test_consent_widget_in_jupyterlab(lab: Lab) -> None:
    listen_port, paste_port = free_port(), free_port()
    notebook = write_notebook(lab, listen_port, paste_port)
    ARTIFACTS.mkdir(exist_ok=True)

    with chromium() as browser:
        context = browser.new_context(
            ignore_https_errors=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.goto(lab.page_url(notebook))
        page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget?.sessionContext?.session"
            "?.kernel?.status === 'idle'",
            timeout=90_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        first_link = page.locator("a.sfmagic-sign-in").first
        first_link.wait_for(timeout=120_000)
        admin = read_admin(lab)

        # 1. The listener path: the sign-in tab comes back to the kernel.
        with context.expect_page() as opened:
            first_link.click()
        popup = opened.value
        sign_in_and_allow(popup, admin)
        popup.wait_for_selector("#sfmagic-result", timeout=60_000)
        assert "You are signed in" in popup.inner_text("#sfmagic-result")
        signed_in = page.locator(".sfmagic-signed-in").first
        signed_in.wait_for(timeout=60_000)
        assert "Signed in as admin@sfmagic.demo" in signed_in.inner_text()
        assert "(alias 'default')" in signed_in.inner_text()
        page.screenshot(path=str(ARTIFACTS / "lab-login-listener.png"))

        # 2. The paste path: nothing listens; copy the address into the box.
        second_link = page.locator("a.sfmagic-sign-in").last
        second_link.wait_for(timeout=120_000)
        redirects: list[str] = []
        with context.expect_page() as opened:
            second_link.click()
        popup = opened.value
        # The callback page of a remote kernel would not load; the test
        # answers it itself (an aborted load leaves Chromium on an error
        # page that can hang page.close() on a busy machine) and leaves the
        # tab open, as a user would.
        popup.route(
            f"http://localhost:{paste_port}/**",
            lambda route: (
                redirects.append(route.request.url),
                route.fulfill(status=404, body="This site can't be reached"),
            ),
        )
        sign_in_and_allow(popup, admin)
        deadline = time.monotonic() + 60
        while not redirects and time.monotonic() < deadline:
            popup.wait_for_timeout(100)
        assert redirects, "the browser was not sent back to the callback"
        box = page.locator(".sfmagic-consent input[type='text']").last
        box.fill(redirects[0])
        page.locator(".sfmagic-consent button", has_text="Finish sign-in").last.click()
        pasted = page.locator(".sfmagic-signed-in").nth(1)
        pasted.wait_for(timeout=60_000)
        assert "(alias 'pasted')" in pasted.inner_text()
        assert box.input_value() == ""
        page.screenshot(path=str(ARTIFACTS / "lab-login-paste.png"))
