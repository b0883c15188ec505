"""Secrets for a login, from anywhere but the magic line.

In order: an environment variable, the secret store (keyring or private file),
then a hidden prompt (``getpass``, which Jupyter shows as a password box). A
secret is never accepted as text on the magic line, so it cannot end up in the
input history or a saved notebook.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from IPython.core.error import StdinNotImplementedError, UsageError

from sfmagic.client.secrets import SecretStore

__all__ = [
    "ACCESS_TOKEN_VARIABLE",
    "CLIENT_SECRET_VARIABLE",
    "PASSWORD_VARIABLE",
    "SECURITY_TOKEN_VARIABLE",
    "SecretSource",
    "find_secret",
]

PASSWORD_VARIABLE = "SF_PASSWORD"
SECURITY_TOKEN_VARIABLE = "SF_SECURITY_TOKEN"
CLIENT_SECRET_VARIABLE = "SF_CLIENT_SECRET"
ACCESS_TOKEN_VARIABLE = "SF_ACCESS_TOKEN"


@dataclass(frozen=True)
class SecretSource:
    """Where one secret may come from, and how to ask for it."""

    what: str
    """What it is, for messages: ``the password of ada@example.com``."""
    variable: str
    """The environment variable that may hold it."""
    key: str | None = None
    """Its key in the secret store, if it may be stored."""
    prompt: str | None = None
    """The hidden prompt; None when the user must not be asked."""
    optional: bool = False
    """Whether an empty answer (or none at all) is acceptable."""


def find_secret(
    magic: str, source: SecretSource, store: SecretStore | None
) -> str | None:
    """The secret from the environment, the store, or a hidden prompt.

    Returns None for an optional secret found nowhere. Raises ``UsageError``
    when a required one is found nowhere and cannot be asked for (no
    interactive input, as under nbval or papermill).
    """
    value = os.environ.get(source.variable)
    if value:
        return value
    if store is not None and source.key is not None:
        value = store.get(source.key)
        if value:
            return value
    if source.prompt is None:
        if source.optional:
            return None
        raise UsageError(
            f"%{magic}: {source.what} was not found, so set {source.variable} "
            "and run the cell again."
        )
    try:
        value = getpass.getpass(source.prompt)
    except (StdinNotImplementedError, EOFError, OSError):
        if source.optional:
            return None
        raise UsageError(
            f"%{magic}: {source.what} is needed and this kernel cannot ask for it, "
            f"so set {source.variable} and run the cell again."
        ) from None
    if not value and not source.optional:
        raise UsageError(f"%{magic}: {source.what} is empty, so run the cell again.")
    return value or None
