"""Stored login profiles: how to log in to an org again, without its secrets.

Profiles live in ``profiles.toml`` in sfmagic's configuration directory
(``platformdirs.user_config_dir("sfmagic")``, or ``$SFMAGIC_CONFIG_DIR``), one
table per profile::

    [profiles.dev]
    mode = "browser"
    login_url = "https://test.salesforce.com"
    client_id = "3MVG9…"
    api_version = "64.0"
    alias = "dev"

Secrets (refresh tokens, client secrets) never go in this file: they go to the
``SecretStore``, under keys derived from the profile name.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_DIR_VARIABLE",
    "PROFILES_FILE",
    "Profile",
    "ProfileError",
    "ProfileStore",
    "check_profile_name",
    "config_dir",
    "secret_key",
]

CONFIG_DIR_VARIABLE = "SFMAGIC_CONFIG_DIR"
PROFILES_FILE = "profiles.toml"
MODES = ("browser", "password", "soap", "client_credentials", "jwt")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ProfileError(ValueError):
    """The profiles file or a profile in it is not valid."""


def config_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """sfmagic's configuration directory: ``override``, the variable, or the OS's."""
    if override:
        return Path(override).expanduser()
    from_environment = os.environ.get(CONFIG_DIR_VARIABLE)
    if from_environment:
        return Path(from_environment).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("sfmagic", appauthor=False))


def check_profile_name(name: str) -> str:
    """``name`` if letters, digits, ``_ . -`` (64 at most); ``ProfileError`` if not."""
    if not _NAME.match(name):
        raise ProfileError(
            f"{name!r} is not a valid profile name (letters, digits, '_', '.', '-')"
        )
    return name


def secret_key(profile: str, kind: str) -> str:
    """The secret store key of a profile's ``refresh_token`` or ``client_secret``."""
    return f"profile/{profile}/{kind}"


@dataclass(frozen=True)
class Profile:
    """How to log in to one org again.

    ``mode`` is the login flow (``browser``, ``password``, ``soap``,
    ``client_credentials``, ``jwt``); ``jwt_key`` the path of the private key
    file for ``jwt``; ``ca_file`` a CA to trust instead of the system store;
    ``redirect_uri`` the callback URL a browser sign-in used.
    """

    name: str
    mode: str
    login_url: str
    api_version: str
    alias: str | None = None
    client_id: str | None = None
    username: str | None = None
    jwt_key: str | None = None
    ca_file: str | None = None
    redirect_uri: str | None = None

    def __post_init__(self) -> None:
        check_profile_name(self.name)
        if self.mode not in MODES:
            raise ProfileError(f"profile {self.name!r} has unknown mode {self.mode!r}")

    def to_toml(self) -> dict[str, str]:
        """The profile's table, without its name and empty values."""
        return {
            key: value
            for key, value in asdict(self).items()
            if key != "name" and value is not None
        }

    @classmethod
    def from_toml(cls, name: str, table: dict[str, Any]) -> Profile:
        """A profile from its TOML table; ``ProfileError`` if it is incomplete."""
        known = {f.name for f in fields(cls)} - {"name"}
        values = {k: str(v) for k, v in table.items() if k in known}
        missing = {"mode", "login_url", "api_version"} - set(values)
        if missing:
            raise ProfileError(f"profile {name!r} lacks {', '.join(sorted(missing))}")
        return cls(name=name, **values)


class ProfileStore:
    """The profiles file of a configuration directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"<ProfileStore {self.path}>"

    @property
    def path(self) -> Path:
        """``profiles.toml`` in the directory."""
        return self.directory / PROFILES_FILE

    def load(self) -> dict[str, Profile]:
        """Every profile, by name; ``ProfileError`` if the file is not valid."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ProfileError(f"{self.path} is not valid TOML: {error}") from None
        tables = data.get("profiles", {})
        if not isinstance(tables, dict):
            raise ProfileError(f"{self.path}: 'profiles' must be a table")
        return {
            name: Profile.from_toml(name, table)
            for name, table in tables.items()
            if isinstance(table, dict)
        }

    def get(self, name: str) -> Profile | None:
        """The profile called ``name``, or None."""
        return self.load().get(name)

    def save(self, profile: Profile) -> None:
        """Add or replace ``profile``."""
        profiles = self.load()
        profiles[profile.name] = profile
        self._write(profiles)

    def delete(self, name: str) -> bool:
        """Remove the profile called ``name``; True if it existed."""
        profiles = self.load()
        if profiles.pop(name, None) is None:
            return False
        self._write(profiles)
        return True

    def _write(self, profiles: dict[str, Profile]) -> None:
        import tomli_w

        self.directory.mkdir(parents=True, exist_ok=True)
        document = {
            "profiles": {name: p.to_toml() for name, p in sorted(profiles.items())}
        }
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(tomli_w.dumps(document), encoding="utf-8")
        os.replace(temporary, self.path)
