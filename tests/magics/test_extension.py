"""``%load_ext sfmagic``: the magics, their help, their options, import cost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

MAGICS = ("sf_login", "sf_use", "sf_logout", "sf_whoami", "sf_profiles")
HEAVY = (
    "ipywidgets",
    "requests",
    "lark",
    "simple_salesforce",
    "keyring",
    "sfmagic.emulator",
    "sfmagic.client",
    "sfmagic.soql",
    "sfmagic.widgets.oauth",
)


def test_load_registers_every_magic(ip: InteractiveShell) -> None:
    line_magics = ip.magics_manager.magics["line"]

    assert all(name in line_magics for name in MAGICS)


def test_unload_removes_them(ip: InteractiveShell) -> None:
    ip.run_line_magic("unload_ext", "sfmagic")

    assert not any(name in ip.magics_manager.magics["line"] for name in MAGICS)
    assert not any(type(c).__name__ == "SfMagic" for c in ip.configurables)


def test_loading_twice_registers_once(ip: InteractiveShell) -> None:
    from sfmagic.magics import register

    register(ip)

    assert sum(type(c).__name__ == "SfMagic" for c in ip.configurables) == 1


@pytest.mark.parametrize("name", MAGICS)
def test_every_magic_has_help_with_examples(ip: InteractiveShell, name: str) -> None:
    doc = ip.find_line_magic(name).__doc__ or ""

    # magic_arguments puts the usage block first, as in IPython's own magics.
    paragraphs = [p for p in doc.split("\n\n") if p.strip()]
    prose = [p for p in paragraphs if p.strip() != "::" and not p.startswith(" ")]
    assert f"%{name} " in paragraphs[1] or f"%{name}\n" in paragraphs[1] + "\n"
    assert prose[0].strip().endswith(".")
    assert "Examples\n" in doc
    assert f"%{name}" in doc


def test_options_are_listed_and_settable(ip: InteractiveShell) -> None:
    with capture_output() as listed:
        ip.run_line_magic("config", "SfMagic")
    ip.run_line_magic("config", "SfMagic.callback_port = 1818")
    ip.run_line_magic("config", "SfMagic.login_url = 'https://test.salesforce.com'")
    magics = next(c for c in ip.configurables if type(c).__name__ == "SfMagic")

    for option in ("login_url", "api_version", "client_id", "callback_port"):
        assert f"SfMagic.{option}" in listed.stdout
    assert magics.callback_port == 1818
    assert magics.login_url == "https://test.salesforce.com"
    for trait in magics.traits(config=True).values():
        assert trait.help, trait.name


def test_client_id_defaults_to_the_environment(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9fromenv")
    shell.run_line_magic("load_ext", "sfmagic")
    magics = next(c for c in shell.configurables if type(c).__name__ == "SfMagic")

    assert magics.client_id == "3MVG9fromenv"


def test_import_and_load_stay_light() -> None:
    script = textwrap.dedent(
        f"""
        import json, sys, time
        started = time.perf_counter()
        import sfmagic
        imported = time.perf_counter()
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        before = time.perf_counter()
        shell.run_line_magic("load_ext", "sfmagic")
        loaded = time.perf_counter()
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        print(json.dumps({{"import": imported - started, "load": loaded - before,
                           "heavy": heavy}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    facts = json.loads(result.stdout.strip().splitlines()[-1])

    assert facts["heavy"] == []
    assert facts["import"] < 0.5
    assert facts["load"] < 1.0
