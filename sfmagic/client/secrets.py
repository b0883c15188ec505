"""Where sfmagic keeps refresh tokens, client secrets and passwords.

The system keyring (``keyring``, service ``sfmagic``) when a usable backend
exists: macOS Keychain, Windows Credential Locker, Secret Service, KWallet.
Otherwise a JSON file, ``secrets.json``, with mode 0600 in a directory with
mode 0700. The file is plain text protected by file permissions only, like the
Salesforce CLI's and git's credential files; it is the fallback for servers and
containers that have no keyring.

Keys are short paths: ``profile/<name>/refresh_token``,
``profile/<name>/client_secret``, ``user/<username>/password``,
``user/<username>/security_token``. Values never appear in logs or reprs.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Literal

__all__ = ["SECRETS_FILE", "SERVICE", "Backend", "SecretStore", "keyring_usable"]

logger = logging.getLogger("sfmagic.client")

SERVICE = "sfmagic"
SECRETS_DIR = "secrets"
SECRETS_FILE = "secrets.json"
Backend = Literal["auto", "keyring", "file"]


def keyring_usable() -> bool:
    """Whether the ``keyring`` package has a real backend here (not the fail one)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        chained = getattr(backend, "backends", None)
        if chained is not None and not chained:
            return False
        return float(backend.priority) >= 1
    except Exception:  # any backend may fail while being probed
        return False


class SecretStore:
    """Secrets by key, in the keyring or in a private file.

    Parameters
    ----------
    directory
        The configuration directory; the file fallback lives in its
        ``secrets/`` subdirectory.
    backend
        ``auto`` (the keyring when usable, else the file), ``keyring`` or
        ``file``.
    """

    def __init__(self, directory: Path, backend: Backend = "auto") -> None:
        if backend not in ("auto", "keyring", "file"):
            raise ValueError(f"unknown secret backend {backend!r}")
        self.directory = Path(directory)
        self._choice = backend
        self._keyring: bool | None = None

    def __repr__(self) -> str:
        return f"<SecretStore {self.backend}>"

    @property
    def uses_keyring(self) -> bool:
        """Whether new secrets go to the system keyring."""
        if self._keyring is None:
            self._keyring = self._choice == "keyring" or (
                self._choice == "auto" and keyring_usable()
            )
        return self._keyring

    @property
    def backend(self) -> str:
        """``keyring`` or the path of the secrets file."""
        return "keyring" if self.uses_keyring else str(self.file)

    @property
    def file(self) -> Path:
        """The fallback file."""
        return self.directory / SECRETS_DIR / SECRETS_FILE

    def get(self, key: str) -> str | None:
        """The secret stored under ``key``, or None."""
        if self.uses_keyring:
            value = self._keyring_get(key)
            if value is not None:
                return value
        return self._read_file().get(key)

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        if self.uses_keyring:
            try:
                import keyring

                keyring.set_password(SERVICE, key, value)
                self._file_delete(key)
                return
            except Exception as error:
                if self._choice == "keyring":
                    raise
                logger.warning(
                    "the keyring refused a secret (%s); using %s instead",
                    type(error).__name__,
                    self.file,
                )
        entries = self._read_file()
        entries[key] = value
        self._write_file(entries)

    def delete(self, key: str) -> bool:
        """Remove the secret under ``key``; True if there was one."""
        found = False
        if self.uses_keyring:
            try:
                import keyring
                from keyring.errors import PasswordDeleteError

                try:
                    keyring.delete_password(SERVICE, key)
                    found = True
                except PasswordDeleteError:
                    pass
            except Exception as error:
                logger.warning("the keyring failed: %s", type(error).__name__)
        return self._file_delete(key) or found

    def _keyring_get(self, key: str) -> str | None:
        try:
            import keyring

            return keyring.get_password(SERVICE, key)
        except Exception as error:
            logger.warning("the keyring failed: %s", type(error).__name__)
            return None

    def _file_delete(self, key: str) -> bool:
        entries = self._read_file()
        if key not in entries:
            return False
        del entries[key]
        self._write_file(entries)
        return True

    def _read_file(self) -> dict[str, str]:
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            logger.warning("%s is not valid JSON; ignoring it", self.file)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _write_file(self, entries: dict[str, str]) -> None:
        folder = self.file.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, stat.S_IRWXU)
        temporary = folder / f".{SECRETS_FILE}.{os.getpid()}.tmp"
        descriptor = os.open(
            temporary,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
            stat.S_IRUSR | stat.S_IWUSR,
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(entries, handle, indent=1, sort_keys=True)
        os.chmod(temporary, stat.S_IRUSR | stat.S_IWUSR)
        os.replace(temporary, self.file)
