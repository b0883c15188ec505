"""The fixture chain of the magic tests: a bare shell, the extension, a login.

``shell`` is one IPython ``InteractiveShell`` for the session (history in
memory), reset before each test. ``ip`` has sfmagic loaded; ``ip_logged_in``
has a ``--local`` connection to the shared test org. The autouse ``isolated``
fixture resets every module-level registry (connections, browser sign-ins still
waiting, the embedded org), points the configuration directory at a temporary
one, uses the secrets file instead of the keyring, and clears the ``SF_*``
variables.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from sfmagic.client.registry import CONNECTIONS
from sfmagic.emulator.org import RunningOrg
from sfmagic.magics import local
from sfmagic.magics.waiting import cancel_waiting_sign_ins
from tests.login_support import shared_org

SECRET_VARIABLES = (
    "SF_PASSWORD",
    "SF_SECURITY_TOKEN",
    "SF_CLIENT_SECRET",
    "SF_CLIENT_ID",
    "SF_ACCESS_TOKEN",
    "SF_INSTANCE_URL",
)


@pytest.fixture(scope="session")
def org() -> RunningOrg:
    """The shared test org (no demo data)."""
    return shared_org()


@pytest.fixture(scope="session")
def _session_shell() -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    return shell


@pytest.fixture(autouse=True)
def isolated(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fresh registries, a private config directory, no SF_* variables."""
    directory = tmp_path_factory.mktemp("sfmagic-config")
    monkeypatch.setenv("SFMAGIC_CONFIG_DIR", str(directory))
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    cancel_waiting_sign_ins()
    CONNECTIONS.clear()
    local.use_org(None)
    yield
    cancel_waiting_sign_ins()
    CONNECTIONS.clear()
    local.use_org(None)


@pytest.fixture
def shell(_session_shell: InteractiveShell) -> Iterator[InteractiveShell]:
    """A bare IPython shell with an empty namespace and history."""
    _session_shell.reset(new_session=True)
    yield _session_shell
    if "sfmagic" in _session_shell.extension_manager.loaded:
        _session_shell.run_line_magic("unload_ext", "sfmagic")
    _session_shell.config.pop("SfMagic", None)


@pytest.fixture
def ip(shell: InteractiveShell, org: RunningOrg) -> InteractiveShell:
    """The shell with sfmagic loaded, ``--local`` pointing at the test org."""
    shell.run_line_magic("load_ext", "sfmagic")
    shell.run_line_magic("config", "SfMagic.secret_store = 'file'")
    local.use_org(org)
    return shell


@pytest.fixture
def ip_logged_in(ip: InteractiveShell) -> InteractiveShell:
    """The shell logged in to the test org with ``%sf_login --local``."""
    ip.run_line_magic("sf_login", "--local")
    return ip
