"""``notebooks/01-connect.ipynb``: it starts with ``%sf_login --local``, and
neither its committed outputs nor a fresh run's saved outputs hold a secret.

nbval runs the notebook (``notebooks/conftest.py``) and compares outputs, but
saves nothing; here the notebook is executed with nbclient, saved, and read
back, with the kernel's demo-org secrets and tokens exported by one extra cell
(before the last, which logs out) that is dropped before saving.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from tests.magics.helpers import ACCESS_TOKEN, REFRESH_TOKEN, find_leaks, kernel_spec

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01-connect.ipynb"
CLIENT_SECRET = re.compile(r"\b[0-9A-F]{64}\b")
"""The emulator's client secrets: 64 upper-case hex digits."""
EXPORT = """
import json
from sfmagic.client.registry import CONNECTIONS
from sfmagic.magics.local import running_org
demo = running_org()
found = [demo.password, demo.security_token, demo.client_secret]
for alias in CONNECTIONS.aliases():
    connection = CONNECTIONS.get(alias)
    found += [connection.http.access_token, connection.refresh_token or ""]
with open("held-secrets.json", "w") as handle:
    json.dump(found, handle)
"""


def test_the_first_code_cell_signs_in_to_the_embedded_emulator() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    lines = [line for line in first.source.splitlines() if not line.startswith("#")]

    assert lines == ["%load_ext sfmagic", "%sf_login --local"]


def test_committed_outputs_hold_nothing_secret_looking() -> None:
    text = NOTEBOOK.read_text(encoding="utf-8")

    assert "Signed in as admin@sfmagic.demo" in text
    assert not ACCESS_TOKEN.search(text)
    assert not REFRESH_TOKEN.search(text)
    assert not CLIENT_SECRET.search(text)


def test_a_fresh_run_saves_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(kernel_spec(tmp_path)))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("SFMAGIC_CONFIG_DIR", str(tmp_path / "config"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Before the last cell, which logs out of everything.
    notebook.cells.insert(-1, nbformat.v4.new_code_cell(EXPORT))
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="sfmagic-test",
        resources={"metadata": {"path": str(tmp_path)}},
    )

    client.execute()
    notebook.cells.pop(-2)
    saved = tmp_path / "01-connect.ipynb"
    nbformat.write(notebook, saved)
    text = saved.read_text(encoding="utf-8")
    held = json.loads((tmp_path / "held-secrets.json").read_text())

    assert "Signed in as admin@sfmagic.demo" in text
    assert len([secret for secret in held if secret]) >= 8
    assert find_leaks(text, held) == []
    assert not CLIENT_SECRET.search(text)
