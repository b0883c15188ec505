"""What the login magics display: who is signed in, and the stored profiles.

Each view has a plain-text and an HTML form. None of them shows a secret: a
profile's stored secrets appear as the words "refresh token" and "client
secret", never as values.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from sfmagic.client.api_session import ApiUsage
from sfmagic.client.connection import Connection
from sfmagic.client.profiles import Profile

__all__ = ["ConnectionList", "ProfileList", "WhoAmI", "signed_in_line"]


def signed_in_line(connection: Connection) -> str:
    """``Signed in as USER to org ORG at INSTANCE (alias 'A').``"""
    return (
        f"Signed in as {connection.username} to org {connection.org_id} at "
        f"{connection.instance_url} (alias {connection.alias!r})."
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *rows, strict=True)
    ]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class WhoAmI:
    """``%sf_whoami``: user, org, instance, API version and API usage."""

    connection: Connection
    usage: ApiUsage | None
    active: bool

    def rows(self) -> list[tuple[str, str]]:
        """The facts shown, as (label, value) pairs."""
        conn = self.connection
        name = conn.user.name
        user = f"{conn.username} ({name})" if name else conn.username
        usage = f"{self.usage} today" if self.usage else "not reported"
        return [
            ("user", user),
            ("org", conn.org_id),
            ("instance", conn.instance_url),
            ("API version", conn.api_version),
            ("API requests", usage),
            ("alias", conn.alias + (" (active)" if self.active else "")),
            ("login", f"{conn.mode} at {conn.login_url}"),
        ]

    def __repr__(self) -> str:
        width = max(len(label) for label, _ in self.rows())
        return "\n".join(f"{label:<{width}}  {value}" for label, value in self.rows())

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for label, value in self.rows()
        )
        return f"<table class='sfmagic-whoami'>{body}</table>"


@dataclass(frozen=True)
class ProfileList:
    """``%sf_profiles``: stored profiles and which secrets each has."""

    profiles: Sequence[Profile]
    stored: dict[str, list[str]]
    location: str

    HEADERS = ("profile", "mode", "login URL", "user", "client id", "API", "stored")

    def rows(self) -> list[tuple[str, ...]]:
        """One row per profile; client ids shortened, secrets named only."""
        return [
            (
                p.name,
                p.mode,
                p.login_url,
                p.username or "",
                _short(p.client_id),
                p.api_version,
                ", ".join(self.stored.get(p.name, [])) or "nothing",
            )
            for p in self.profiles
        ]

    def __repr__(self) -> str:
        if not self.profiles:
            return f"No stored profiles (in {self.location})."
        return _text_table(self.HEADERS, self.rows())

    def _repr_html_(self) -> str:
        if not self.profiles:
            return f"<p>No stored profiles (in {html.escape(self.location)}).</p>"
        return _table(self.HEADERS, self.rows())


@dataclass(frozen=True)
class ConnectionList:
    """The open connections, for ``%sf_use`` without an alias."""

    connections: Sequence[Connection]
    active: str | None

    HEADERS = ("alias", "user", "org", "instance")

    def rows(self) -> list[tuple[str, ...]]:
        """One row per connection, the active one starred."""
        return [
            (
                ("* " if c.alias == self.active else "  ") + c.alias,
                c.username,
                c.org_id,
                c.instance_url,
            )
            for c in self.connections
        ]

    def __repr__(self) -> str:
        if not self.connections:
            return "No open connections."
        return _text_table(self.HEADERS, self.rows())

    def _repr_html_(self) -> str:
        if not self.connections:
            return "<p>No open connections.</p>"
        return _table(self.HEADERS, self.rows())


def _short(client_id: str | None) -> str:
    if not client_id:
        return ""
    return client_id if len(client_id) <= 16 else client_id[:12] + "…"
