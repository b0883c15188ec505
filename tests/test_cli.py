"""The ``sfmagic`` command: help, argument errors, and serving an emulator."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sfmagic.cli import build_parser, main

STARTUP_TIMEOUT = 60


def test_help_lists_the_emulator_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert "emulator" in capsys.readouterr().out


def test_emulator_help_explains_every_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["emulator", "--help"])
    text = capsys.readouterr().out
    for option in ("--port", "--host", "--data", "--demo", "--scale", "--schema"):
        assert option in text


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2


@pytest.mark.parametrize(
    "arguments",
    [
        ["--port", "70000"],
        ["--port", "eighty"],
        ["--scale", "0"],
        ["--time-zone", "Mars/Olympus_Mons"],
        ["--log-level", "chatty"],
    ],
)
def test_bad_arguments_are_usage_errors(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["emulator", *arguments])
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_an_unusable_schema_file_is_reported(tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.json"
    schema_file.write_text('{"objects": {"NoSuffix": {}}}', encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "sfmagic", "emulator", "--schema", str(schema_file)],
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )
    assert finished.returncode == 1
    assert "sfmagic emulator: error: cannot start:" in finished.stderr


class Served:
    """An ``sfmagic emulator`` process and what it printed at startup."""

    def __init__(self, process: subprocess.Popen[str], fields: dict[str, str]) -> None:
        self.process = process
        self.fields = fields

    def get(self, path: str, **params: str) -> requests.Response:
        http = requests.Session()
        http.trust_env = False
        http.verify = self.fields["CA file"]
        http.headers["Authorization"] = f"Bearer {self.fields['access token']}"
        url = f"{self.fields['instance URL']}/services/data/v59.0/{path}"
        return http.get(url, params=params, timeout=30)


def _serve(*arguments: str) -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sfmagic", "emulator", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fields: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Press Ctrl+C"):
                break
            label, _, value = line.strip().partition(": ")
            if value:
                fields[label] = value.strip()
        else:
            assert process.stderr is not None
            pytest.fail(f"the emulator did not start: {process.stderr.read()}")
        yield Served(process, fields)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.fixture
def served() -> Iterator[Served]:
    yield from _serve()


def test_emulator_prints_what_a_client_needs(served: Served) -> None:
    fields = served.fields
    assert fields["instance URL"].startswith("https://127.0.0.1:")
    assert Path(fields["CA file"]).is_file()
    assert fields["username"] == "admin@sfmagic.demo"
    for label in ("password", "security token", "client id", "client secret"):
        assert fields[label]
    assert fields["org id"].startswith("00D")
    assert fields["redirect URI"] == "http://localhost:1717/OauthRedirect"


def test_emulator_answers_queries_with_the_printed_token(served: Served) -> None:
    response = served.get("query/", q="SELECT Id, Username FROM User")
    assert response.status_code == 200
    usernames = [record["Username"] for record in response.json()["records"]]
    assert "admin@sfmagic.demo" in usernames


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_emulator_stops_cleanly_on_a_signal(
    served: Served, stop_signal: signal.Signals
) -> None:
    assert served.get("limits/").ok
    served.process.send_signal(stop_signal)
    assert served.process.wait(timeout=30) == 0
    assert served.process.stdout is not None
    assert "stopping" in served.process.stdout.read()


def test_emulator_with_demo_data_and_a_data_directory(tmp_path: Path) -> None:
    for served in _serve("--demo", "--data", str(tmp_path)):
        assert served.fields["CA file"] == str(tmp_path / "ca.pem")
        count = served.get("query/", q="SELECT COUNT() FROM Account").json()
        assert count["totalSize"] > 0
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
    assert (tmp_path / "org.sqlite").is_file()


def test_demo_answers_the_sample_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Demo org at https://127.0.0.1:")
    assert "Owner.Name = 'Inbound Leads'" in lines[1]
    assert lines[2] == "3 leads:"
    assert lines[3].split() == [
        "Name",
        "Company",
        "Status",
        "LeadSource",
        "CreatedDate",
    ]
    assert len(lines) == 7
    assert all(
        " Open - " in line or " Working - " in line or " Closed - " in line
        for line in lines[4:]
    )


def test_lab_serves_the_tutorials_folder(tmp_path: Path) -> None:
    import os
    import re
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tutorials = tmp_path / "tutorials"
    tutorials.mkdir()
    (tutorials / "01-first.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "lab.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "sfmagic", "lab", str(tutorials)),
                *("--port", str(port), "--no-browser"),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    session = requests.Session()
    session.trust_env = False
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        token = None
        while token is None and time.monotonic() < deadline:
            found = re.search(r"\?token=([0-9a-f]+)", log.read_text())
            token = found.group(1) if found else None
            time.sleep(0.3)
        assert token, log.read_text()
        listing = session.get(
            f"http://127.0.0.1:{port}/api/contents",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert listing.status_code == 200
        assert [item["name"] for item in listing.json()["content"]] == [
            "01-first.ipynb"
        ]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_lab_refuses_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", str(tmp_path / "nowhere")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "is not a folder" in error
