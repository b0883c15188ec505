"""Browser sign-ins under way in this kernel, one per callback URL.

Only one listener can hold a callback port. When ``%sf_login`` runs again (a
re-run cell) while an earlier browser sign-in still waits on the same
callback, the earlier one is cancelled, its widget says it was replaced, and
the new one gets the port.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sfmagic.client.auth import BrowserLogin, SignInState

if TYPE_CHECKING:
    from sfmagic.client.connection import Connection

__all__ = ["cancel_waiting_sign_ins", "wait_alone"]

_WAITING: dict[str, BrowserLogin[Connection]] = {}
"""Browser sign-ins under way, by callback URL: one listener per port."""
_WAITING_LOCK = threading.Lock()


def cancel_waiting_sign_ins() -> None:
    """Cancel every browser sign-in still waiting, releasing its callback port."""
    with _WAITING_LOCK:
        waiting = list(_WAITING.values())
        _WAITING.clear()
    for login in waiting:
        login.cancel()


def wait_alone(login: BrowserLogin[Connection]) -> None:
    """Cancel an earlier sign-in on ``login``'s callback, then record ``login``.

    Running ``%sf_login`` again (a re-run cell) would otherwise find the
    callback port still held by the first attempt's listener.
    """
    redirect_uri = login.flow.redirect_uri
    with _WAITING_LOCK:
        earlier = _WAITING.pop(redirect_uri, None)
        _WAITING[redirect_uri] = login
    if earlier is not None:
        earlier.cancel()

    def forget(ended: BrowserLogin[Connection]) -> None:
        if ended.state is SignInState.WAITING:
            return
        with _WAITING_LOCK:
            if _WAITING.get(redirect_uri) is ended:
                del _WAITING[redirect_uri]

    login.subscribe(forget)
