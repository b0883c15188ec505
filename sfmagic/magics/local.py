"""The embedded emulator behind ``%sf_login --local``.

The first ``--local`` login starts an in-memory emulated org with the demo data
in a background thread of the kernel; later ones reuse it. ``use_org`` makes an
org you started yourself (with other settings, or a data directory) the one
``--local`` uses. Orgs started here stop when the Python process exits.
"""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfmagic.emulator.org import RunningOrg

__all__ = [
    "callback_client_id",
    "local_org",
    "running_org",
    "stop_local_org",
    "use_org",
]

_lock = threading.Lock()
_org: RunningOrg | None = None
_started_here = False
_apps: dict[tuple[int, str], str] = {}


def running_org() -> RunningOrg | None:
    """The org ``--local`` uses now, if there is one."""
    return _org


def use_org(org: RunningOrg | None) -> None:
    """Make ``org`` the one ``--local`` logs in to (None forgets it)."""
    global _org, _started_here
    with _lock:
        _org = org
        _started_here = False
        _apps.clear()


def local_org() -> tuple[RunningOrg, bool]:
    """The embedded org, started with the demo data on first use.

    Returns the org and whether this call started it.
    """
    global _org, _started_here
    with _lock:
        if _org is not None:
            return _org, False
        from sfmagic.emulator import start

        _org = start(demo=True)
        _started_here = True
        _apps.clear()
        return _org, True


def stop_local_org() -> None:
    """Stop the embedded org if this module started it; forget it either way."""
    global _org, _started_here
    with _lock:
        org, started = _org, _started_here
        _org = None
        _started_here = False
        _apps.clear()
    if org is not None and started:
        org.stop()


def callback_client_id(org: RunningOrg, redirect_uri: str) -> str:
    """A client id of ``org`` whose connected app accepts ``redirect_uri``.

    The demo app accepts ``http://localhost:1717/OauthRedirect`` and the
    ``127.0.0.1`` form; for another callback (``%config SfMagic.callback_port``)
    a connected app named "sfmagic notebook" is registered in the emulated org
    once per callback.
    """
    if (
        redirect_uri == org.redirect_uri
        or redirect_uri.replace("127.0.0.1", "localhost") == org.redirect_uri
    ):
        return org.client_id
    key = (id(org), redirect_uri)
    with _lock:
        if key not in _apps:
            app = org.state.identity.create_connected_app(
                "sfmagic notebook",
                callback_urls=[redirect_uri],
                require_secret=False,
            )
            _apps[key] = app.client_id
        return _apps[key]


atexit.register(stop_local_org)
