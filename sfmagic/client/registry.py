"""The open connections of this Python process, by alias, and the active one.

``CONNECTIONS`` is the one registry the magics and ``sfmagic.connection()``
share. A browser sign-in finishes in another thread, so every method holds a
lock. A sign-in that failed after its magic returned is remembered under its
alias, so that the next use of that alias reports why.
"""

from __future__ import annotations

import threading

from sfmagic.client.connection import Connection
from sfmagic.client.errors import LoginError, NotConnectedError

__all__ = ["CONNECTIONS", "Connections", "connection"]


class Connections:
    """Connections by alias, one of them active."""

    def __init__(self) -> None:
        self._by_alias: dict[str, Connection] = {}
        self._failures: dict[str, LoginError] = {}
        self._pending: set[str] = set()
        self._active: str | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<Connections {self.aliases()} active={self._active!r}>"

    @property
    def active(self) -> str | None:
        """The alias ``get()`` returns by default."""
        return self._active

    def aliases(self) -> list[str]:
        """The aliases of the open connections, in the order they were opened."""
        with self._lock:
            return list(self._by_alias)

    def add(self, connection: Connection, *, activate: bool = True) -> None:
        """Register ``connection`` under its alias, closing one it replaces."""
        with self._lock:
            old = self._by_alias.pop(connection.alias, None)
            if old is not None and old is not connection:
                old.close()
            self._by_alias[connection.alias] = connection
            self._failures.pop(connection.alias, None)
            self._pending.discard(connection.alias)
            if activate or self._active is None:
                self._active = connection.alias

    def expect(self, alias: str) -> None:
        """Note that a sign-in for ``alias`` is under way."""
        with self._lock:
            self._pending.add(alias)
            self._failures.pop(alias, None)

    def fail(self, alias: str, error: LoginError) -> None:
        """Remember that the sign-in for ``alias`` failed with ``error``."""
        with self._lock:
            self._pending.discard(alias)
            self._failures[alias] = error

    def pending(self, alias: str) -> bool:
        """Whether a sign-in for ``alias`` has started and not ended."""
        with self._lock:
            return alias in self._pending

    def failure(self, alias: str) -> LoginError | None:
        """Why the last sign-in for ``alias`` failed, if it did."""
        with self._lock:
            return self._failures.get(alias)

    def get(self, alias: str | None = None) -> Connection:
        """The connection named ``alias``, or the active one.

        Raises the ``LoginError`` of a failed sign-in for that alias, or
        ``NotConnectedError``.
        """
        with self._lock:
            name = alias if alias is not None else self._active
            if name is not None and name in self._by_alias:
                return self._by_alias[name]
            if name is not None and name in self._failures:
                raise self._failures[name]
            if name is None:
                raise NotConnectedError("No Salesforce connection is open.")
            raise NotConnectedError(f"No Salesforce connection is named {name!r}.")

    def use(self, alias: str) -> Connection:
        """Make ``alias`` the active connection and return it."""
        with self._lock:
            connection = self.get(alias)
            self._active = alias
            return connection

    def remove(self, alias: str | None = None) -> Connection:
        """Forget a connection (the active one by default) and return it."""
        with self._lock:
            connection = self.get(alias)
            del self._by_alias[connection.alias]
            if self._active == connection.alias:
                self._active = next(iter(self._by_alias), None)
            return connection

    def clear(self) -> None:
        """Close and forget every connection, failure and pending sign-in."""
        with self._lock:
            for connection in self._by_alias.values():
                connection.close()
            self._by_alias.clear()
            self._failures.clear()
            self._pending.clear()
            self._active = None


CONNECTIONS = Connections()


def connection(alias: str | None = None) -> Connection:
    """The open connection named ``alias``, or the active one."""
    return CONNECTIONS.get(alias)
