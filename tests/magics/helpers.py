"""Small helpers shared by the magic tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output

from sfmagic.emulator.org import RunningOrg


def run(ip: InteractiveShell, magic: str, line: str = "") -> CapturedIO:
    """Run ``%magic line`` and capture what it printed and displayed."""
    with capture_output() as captured:
        ip.run_line_magic(magic, line)
    return captured


def shown(captured: CapturedIO) -> str:
    """Everything a captured run printed or displayed, as text."""
    parts = [captured.stdout, captured.stderr]
    for output in captured.outputs:
        parts.extend(str(value) for value in output.data.values())
    return "\n".join(parts)


def usage_error(ip: InteractiveShell, magic: str, line: str = "") -> str:
    """The message of the ``UsageError`` (the exact class) ``%magic line`` raises."""
    with capture_output(), pytest.raises(UsageError) as caught:
        ip.run_line_magic(magic, line)
    assert type(caught.value) is UsageError
    message = str(caught.value)
    assert message.startswith(f"%{magic}: ")
    assert message.endswith("."), message
    assert ". " not in message.rstrip("."), f"more than one sentence: {message}"
    assert "Traceback" not in message
    return message


def consent_widget(captured: CapturedIO) -> Any:
    """The consent widget a captured ``%sf_login`` displayed (the last one)."""
    from ipywidgets.widgets.widget import _instances

    for output in reversed(captured.outputs):
        view = output.data.get("application/vnd.jupyter.widget-view+json")
        if view:
            return _instances[view["model_id"]]
    raise AssertionError("no widget was displayed")


def org_options(org: RunningOrg) -> str:
    """``--login-url`` and ``--ca-file`` for the test org."""
    return f"--login-url {org.instance_url} --ca-file {org.ca_file}"


ACCESS_TOKEN = re.compile(r"00D[0-9A-Za-z]{12}!AQ[0-9A-Za-z._]{10,}")
REFRESH_TOKEN = re.compile(r"5Aep861[0-9A-Za-z._]{10,}")


def find_leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets, or token-shaped strings, found in ``text``."""
    found = [secret[:12] + "…" for secret in secrets if secret and secret in text]
    found += [m.group(0)[:12] + "…" for m in ACCESS_TOKEN.finditer(text)]
    found += [m.group(0)[:12] + "…" for m in REFRESH_TOKEN.finditer(text)]
    return found


def python_facts(script: str) -> Any:
    """Run ``script`` in a fresh interpreter; the JSON on the last line it printed."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def kernel_spec(tmp_path: Path) -> Path:
    """A kernelspec running this interpreter, so the kernel sees this sfmagic."""
    spec = tmp_path / "jupyter" / "kernels" / "sfmagic-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "sfmagic test", "language": "python"})
    )
    return tmp_path / "jupyter"
