"""Which open connection a magic works on, or one ``UsageError`` saying why none.

Every magic that talks to an org takes an optional alias; without one it uses
the active connection, or the one named ``default``. A sign-in still waiting in
its widget, or one that failed, is told in the magic's own words. The client
loads only when a magic asks for a connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from sfmagic.client.connection import Connection

__all__ = ["connection_for"]


def connection_for(magic: str, alias: str | None = None) -> Connection:
    """The connection ``alias`` (or the active one), or a ``UsageError``."""
    from sfmagic.client.errors import LoginError
    from sfmagic.client.registry import CONNECTIONS
    from sfmagic.magics.advice import usage_error

    name = alias or CONNECTIONS.active or "default"
    if CONNECTIONS.pending(name):
        raise UsageError(
            f"%{magic}: the browser sign-in for {name!r} is not finished, so "
            "complete it in the widget and run the cell again."
        )
    try:
        return CONNECTIONS.get(name)
    except LoginError as error:
        raise usage_error(magic, error, alias=alias) from None
