"""``%load_ext sfmagic``: the magics, their help, their options, import cost."""

from __future__ import annotations

import re
import textwrap

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from sfmagic.magics import _magic_classes
from tests.magics.helpers import python_facts

MAGICS = ("sf_login", "sf_use", "sf_logout", "sf_whoami", "sf_profiles")
ALL_MAGICS = sorted(
    {
        name
        for cls in _magic_classes()
        for table in cls.magics.values()
        for name in table
    }
)
# What %load_ext must not import: widgets, the emulator, the SOQL parser, the
# data stack, and the HTTP and keyring libraries the client brings.
HEAVY = (
    "ipywidgets",
    "pandas",
    "pyarrow",
    "lark",
    "requests",
    "simple_salesforce",
    "keyring",
    "sfmagic.emulator",
    "sfmagic.client",
    "sfmagic.soql",
    "sfmagic.widgets",
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_load_registers_every_magic(ip: InteractiveShell) -> None:
    line_magics = ip.magics_manager.magics["line"]
    cell_magics = ip.magics_manager.magics["cell"]

    assert all(name in line_magics for name in MAGICS)
    assert all(name in line_magics or name in cell_magics for name in ALL_MAGICS)


def test_unload_removes_them(ip: InteractiveShell) -> None:
    ip.run_line_magic("unload_ext", "sfmagic")

    for kind in ("line", "cell"):
        assert not set(ALL_MAGICS) & set(ip.magics_manager.magics[kind])
    assert not any(type(c).__name__ == "SfMagic" for c in ip.configurables)


def test_loading_twice_registers_once(ip: InteractiveShell) -> None:
    from sfmagic.magics import register

    register(ip)

    assert sum(type(c).__name__ == "SfMagic" for c in ip.configurables) == 1


def help_page(ip: InteractiveShell, name: str) -> str:
    """What ``%name?`` shows in the shell, without colours."""
    kind = "line" if name in ip.magics_manager.magics["line"] else "cell"
    prefix = "%" if kind == "line" else "%%"
    with capture_output() as captured:
        ip.run_cell(f"{prefix}{name}?")
    return ANSI.sub("", captured.stdout)


@pytest.mark.parametrize("name", ALL_MAGICS)
def test_every_magic_has_full_help_with_examples(
    ip: InteractiveShell, name: str
) -> None:
    page = help_page(ip, name)
    function = ip.find_magic(name)
    parser = getattr(function, "parser", None)

    assert "Docstring:" in page
    paragraphs = page.split("Docstring:", 1)[1].split("\n\n")
    prose = [
        p.strip()
        for p in paragraphs
        if p.strip() and not p.startswith(" ") and p.strip() != "::"
    ]
    assert prose[0].endswith("."), prose[0]
    assert "Examples\n--------" in page
    # A transcript: at least one prompt running the magic itself.
    assert re.search(rf"In \[\d+\]: .*%{{1,2}}{name}\b", page), page
    if parser is not None:
        for action in parser._actions:
            if action.help and action.help != "==SUPPRESS==":
                # argparse shows "%%" as "%" in help texts.
                words = " ".join(action.help.replace("%%", "%").split()[:4])
                assert words in " ".join(page.split()), (name, action.dest)


def test_options_are_listed_and_settable(ip: InteractiveShell) -> None:
    with capture_output() as listed:
        ip.run_line_magic("config", "SfMagic")
    ip.run_line_magic("config", "SfMagic.callback_port = 1818")
    ip.run_line_magic("config", "SfMagic.login_url = 'https://test.salesforce.com'")
    magics = next(c for c in ip.configurables if type(c).__name__ == "SfMagic")

    traits = magics.traits(config=True)
    for name, trait in traits.items():
        assert f"SfMagic.{name}" in listed.stdout
        assert trait.help, name
    assert magics.callback_port == 1818
    assert magics.login_url == "https://test.salesforce.com"


def test_options_set_before_loading_apply(shell: InteractiveShell) -> None:
    shell.run_line_magic("config", "SfMagic.consent_timeout = 42.0")

    shell.run_line_magic("load_ext", "sfmagic")
    magics = next(c for c in shell.configurables if type(c).__name__ == "SfMagic")

    assert magics.consent_timeout == 42.0


def test_a_bad_option_value_is_refused(ip: InteractiveShell) -> None:
    magics = next(c for c in ip.configurables if type(c).__name__ == "SfMagic")

    with capture_output():
        ip.run_line_magic("config", "SfMagic.secret_store = 'vault'")

    assert magics.secret_store == "file"


def test_client_id_defaults_to_the_environment(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9fromenv")
    shell.run_line_magic("load_ext", "sfmagic")
    magics = next(c for c in shell.configurables if type(c).__name__ == "SfMagic")

    assert magics.client_id == "3MVG9fromenv"


LIGHT_LOAD = textwrap.dedent(
    """
    import json, sys
    import sfmagic
    from IPython.core.interactiveshell import InteractiveShell
    before = set(sys.modules)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "sfmagic")
    for name in {magics!r}:
        with open("/dev/null", "w") as sink:
            sys.stdout, saved = sink, sys.stdout
            shell.run_cell("%" + name + "?")
            sys.stdout = saved
    heavy = sorted(
        {{m for m in sys.modules for h in {heavy!r} if m == h or m.startswith(h + ".")}}
    )
    print(json.dumps({{"heavy": heavy, "magics": sorted(
        shell.magics_manager.magics["line"])}}))
    """
)


def test_loading_imports_nothing_heavy() -> None:
    script = LIGHT_LOAD.format(magics=list(MAGICS), heavy=HEAVY)

    facts = python_facts(script)

    assert facts["heavy"] == []
    assert set(MAGICS) <= set(facts["magics"])


def test_the_heavy_check_can_fail() -> None:
    script = LIGHT_LOAD.format(magics=[], heavy=HEAVY).replace(
        "before = set(sys.modules)", "import sfmagic.client.connection"
    )

    facts = python_facts(script)

    assert "requests" in facts["heavy"]
    assert "sfmagic.client" in facts["heavy"]
