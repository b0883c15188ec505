"""Stored profiles (TOML), secrets (keyring or a private file), the registry."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from sfmagic.client import CONNECTIONS, Connection, LoginError, NotConnectedError
from sfmagic.client.auth import AccessTokenGrant, Tokens, UserInfo
from sfmagic.client.errors import LoginProblem
from sfmagic.client.profiles import (
    Profile,
    ProfileError,
    ProfileStore,
    config_dir,
    secret_key,
)
from sfmagic.client.registry import Connections
from sfmagic.client.secrets import SecretStore, keyring_usable
from tests.login_support import LockedKeyring, MemoryKeyring, keyring_in_memory


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_in_memory() as backend:
        yield backend


def test_profiles_round_trip_through_toml(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "config")
    dev = Profile(
        name="dev",
        mode="browser",
        login_url="https://test.salesforce.com",
        api_version="64.0",
        alias="sandbox",
        client_id="3MVG9xyz",
    )
    ops = Profile(
        name="ops.bot",
        mode="jwt",
        login_url="https://login.salesforce.com",
        api_version="62.0",
        client_id="3MVG9abc",
        username="bot@example.com",
        jwt_key="/keys/bot.pem",
    )

    store.save(dev)
    store.save(ops)

    assert store.load() == {"dev": dev, "ops.bot": ops}
    document = tomllib.loads(store.path.read_text())
    assert document["profiles"]["dev"] == {
        "mode": "browser",
        "login_url": "https://test.salesforce.com",
        "api_version": "64.0",
        "alias": "sandbox",
        "client_id": "3MVG9xyz",
    }
    assert store.delete("dev") is True
    assert store.delete("dev") is False
    assert list(store.load()) == ["ops.bot"]


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "-leading", "a/b"])
def test_profile_names_are_checked(name: str) -> None:
    with pytest.raises(ProfileError):
        Profile(name=name, mode="browser", login_url="https://x", api_version="64.0")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not = [valid", "not valid TOML"),
        ("profiles = 3", "must be a table"),
        ('[profiles.x]\nmode = "browser"\n', "lacks api_version, login_url"),
        (
            '[profiles.x]\nmode = "magic"\nlogin_url = "u"\napi_version = "1.0"\n',
            "unknown mode",
        ),
    ],
)
def test_broken_profile_files_are_reported(
    tmp_path: Path, text: str, message: str
) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_text(text)

    with pytest.raises(ProfileError, match=message):
        store.load()


def test_config_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFMAGIC_CONFIG_DIR", str(tmp_path / "env"))

    assert config_dir(tmp_path / "given") == tmp_path / "given"
    assert config_dir() == tmp_path / "env"
    monkeypatch.delenv("SFMAGIC_CONFIG_DIR")
    assert config_dir().name == "sfmagic"


def test_file_secrets_are_private(tmp_path: Path) -> None:
    store = SecretStore(tmp_path, "file")
    key = secret_key("dev", "refresh_token")

    store.set(key, "5Aep861-secret")
    store.set("other", "value")

    assert store.get(key) == "5Aep861-secret"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.file.parent.stat().st_mode) == 0o700
    assert store.delete(key) is True
    assert store.get(key) is None
    assert store.delete(key) is False
    assert "5Aep861" not in repr(store)
    assert store.backend == str(store.file)


def test_file_secrets_tighten_a_loose_directory(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    store = SecretStore(tmp_path, "file")

    store.set("k", "v")

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_keyring_is_used_when_usable(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = SecretStore(tmp_path, "auto")

    store.set("profile/dev/client_secret", "s3cret")

    assert keyring_usable()
    assert store.uses_keyring
    assert memory_keyring.values == {("sfmagic", "profile/dev/client_secret"): "s3cret"}
    assert not store.file.exists()
    assert store.get("profile/dev/client_secret") == "s3cret"
    assert store.delete("profile/dev/client_secret") is True
    assert memory_keyring.values == {}


def test_without_a_keyring_the_file_is_used(tmp_path: Path) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        store = SecretStore(tmp_path, "auto")
        store.set("k", "v")
        usable = keyring_usable()
    finally:
        keyring.set_keyring(before)

    assert not usable
    assert store.file.exists()


def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown secret backend"):
        SecretStore(tmp_path, "vault")  # type: ignore[arg-type]


def fake_connection(alias: str) -> Connection:
    from sfmagic.client.api_session import ApiSession

    return Connection(
        ApiSession(),
        Tokens(access_token="tok", instance_url="https://x.example"),
        UserInfo("005", f"{alias}@x.com", alias, "00D"),
        grant=AccessTokenGrant("https://x.example", "tok"),
        alias=alias,
    )


def test_registry_by_alias() -> None:
    registry = Connections()
    first, second = fake_connection("one"), fake_connection("two")

    registry.add(first)
    registry.add(second, activate=False)

    assert registry.get() is first
    assert registry.use("two") is second
    assert registry.get() is second
    assert registry.remove() is second
    assert registry.active == "one"
    with pytest.raises(NotConnectedError, match="'two'"):
        registry.get("two")


def test_registry_replaces_and_closes_an_alias() -> None:
    registry = Connections()
    old, new = fake_connection("same"), fake_connection("same")

    registry.add(old)
    registry.add(new)

    assert old.closed
    assert registry.get("same") is new


def test_registry_remembers_failed_sign_ins() -> None:
    registry = Connections()
    error = LoginError(LoginProblem.CONSENT_TIMEOUT, "too slow")

    registry.expect("web")
    assert registry.pending("web")
    registry.fail("web", error)

    assert not registry.pending("web")
    with pytest.raises(LoginError) as caught:
        registry.get("web")
    assert caught.value is error
    registry.clear()
    with pytest.raises(NotConnectedError):
        registry.get()


def test_package_level_connection_uses_the_registry() -> None:
    import sfmagic

    connection = fake_connection("pkg")
    CONNECTIONS.add(connection)
    try:
        assert sfmagic.connection() is connection
        assert sfmagic.connection("pkg") is connection
    finally:
        CONNECTIONS.clear()


def test_a_refusing_keyring_falls_back_to_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        store = SecretStore(tmp_path, "auto")
        store.set("profile/dev/refresh_token", "5Aep861-locked-out")
        found = store.get("profile/dev/refresh_token")
    finally:
        keyring.set_keyring(before)

    assert found == "5Aep861-locked-out"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert "the keyring refused a secret (KeyringLocked)" in caplog.text
    assert "5Aep861" not in caplog.text


def test_a_refusing_keyring_is_an_error_when_chosen(tmp_path: Path) -> None:
    from keyring.errors import KeyringLocked

    before = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        store = SecretStore(tmp_path, "keyring")
        with pytest.raises(KeyringLocked):
            store.set("k", "v")
    finally:
        keyring.set_keyring(before)

    assert not store.file.exists()
