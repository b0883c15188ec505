"""One run of ``%sf_login``: pick the mode, gather its secrets, open, register.

``LoginRun`` resolves the settings (magic line first, then the profile, then
``%config SfMagic``), chooses exactly one login mode, builds the client's grant
for it and opens the ``Connection``. Browser sign-in shows the consent widget
and finishes later, in the listener's thread or on the widget's button.
"""

from __future__ import annotations

import argparse
import logging
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from IPython.core.error import UsageError
from IPython.display import display

from sfmagic.client.auth import (
    AccessTokenGrant,
    BrowserLogin,
    ClientCredentialsGrant,
    Grant,
    JwtBearerGrant,
    PasswordGrant,
    RefreshTokenGrant,
    SignInState,
    SoapLoginGrant,
    WebServerFlow,
)
from sfmagic.client.connection import DEFAULT_ALIAS, Connection, check_api_version
from sfmagic.client.errors import LoginError, LoginProblem
from sfmagic.client.profiles import (
    Profile,
    ProfileError,
    check_profile_name,
    secret_key,
)
from sfmagic.client.registry import CONNECTIONS
from sfmagic.magics import local
from sfmagic.magics.advice import explain, usage_error
from sfmagic.magics.credentials import (
    CLIENT_SECRET_VARIABLE,
    PASSWORD_VARIABLE,
    SECURITY_TOKEN_VARIABLE,
    SecretSource,
    find_secret,
)
from sfmagic.magics.views import signed_in_line
from sfmagic.magics.waiting import wait_alone

if TYPE_CHECKING:
    from sfmagic.client.secrets import SecretStore
    from sfmagic.magics.login import SfMagic

__all__ = ["LoginRun", "normalize_login_url"]

logger = logging.getLogger("sfmagic.magics")

MAGIC = "sf_login"
INSTANCE_URL_VARIABLE = "SF_INSTANCE_URL"
SHORT_LOGIN_URLS = {
    "login": "https://login.salesforce.com",
    "test": "https://test.salesforce.com",
}
RETIRING_NOTE = (
    "Note: Salesforce is retiring SOAP login() and the OAuth username-password "
    "flow; browser sign-in (--client-id) and JWT bearer (--jwt-key) keep working."
)
_EXCLUSIVE = ("local", "profile", "client_credentials", "jwt_key", "access_token_env")


def normalize_login_url(text: str) -> str:
    """``https://…`` without a trailing slash; ``login`` and ``test`` expanded."""
    url = SHORT_LOGIN_URLS.get(text, text)
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise UsageError(
            f"%{MAGIC}: {text!r} is not a login URL, so pass one like "
            "https://login.salesforce.com or https://MyDomain.my.salesforce.com."
        )
    return url.rstrip("/")


def _option_name(attribute: str) -> str:
    return "--" + attribute.replace("_", "-")


class LoginRun:
    """Everything one ``%sf_login`` call decides and does."""

    def __init__(self, magics: SfMagic, args: argparse.Namespace) -> None:
        self.magics = magics
        self.args = args

    # -- settings ------------------------------------------------------------------

    @cached_property
    def profile(self) -> Profile | None:
        """The stored profile named by ``--profile``."""
        name = self.args.profile
        if name is None:
            return None
        try:
            profile = self.magics.profile_store().get(name)
        except ProfileError as error:
            raise UsageError(f"%{MAGIC}: {error}, so fix or remove it.") from None
        if profile is None:
            raise UsageError(
                f"%{MAGIC}: there is no profile named {name!r}, so run %sf_profiles "
                "to see the stored ones."
            )
        return profile

    @cached_property
    def login_url(self) -> str:
        """Where to log in: the line, the profile, then the option."""
        profile_url = self.profile.login_url if self.profile else None
        text = self.args.login_url or profile_url or self.magics.login_url
        return normalize_login_url(text)

    @cached_property
    def api_version(self) -> str:
        """The REST API version of the new connection."""
        profile_version = self.profile.api_version if self.profile else None
        version = self.args.api_version or profile_version or self.magics.api_version
        try:
            return check_api_version(str(version))
        except ValueError:
            raise UsageError(
                f"%{MAGIC}: API version {version!r} is not of the form NN.0, so pass "
                "one like --api-version 64.0."
            ) from None

    @cached_property
    def client_id(self) -> str | None:
        """The connected app's consumer key, if known."""
        profile_id = self.profile.client_id if self.profile else None
        return self.args.client_id or profile_id or self.magics.client_id or None

    @cached_property
    def ca_file(self) -> str | None:
        """A CA file to trust instead of the system store."""
        profile_ca = self.profile.ca_file if self.profile else None
        path = self.args.ca_file or profile_ca or self.magics.ca_file or None
        if path is not None and not Path(path).expanduser().is_file():
            raise UsageError(
                f"%{MAGIC}: the CA file {path!r} does not exist, so pass the path of "
                "a PEM file to --ca-file."
            )
        return str(Path(path).expanduser()) if path else None

    @cached_property
    def alias(self) -> str:
        """The alias the connection is registered under."""
        if self.args.alias:
            return str(self.args.alias)
        if self.profile is not None:
            return self.profile.alias or self.profile.name
        return DEFAULT_ALIAS

    @cached_property
    def save_name(self) -> str | None:
        """The profile to store the login in: ``--save``, or the one used."""
        name = self.args.save or (self.profile.name if self.profile else None)
        if name is None:
            return None
        try:
            return check_profile_name(name)
        except ProfileError as error:
            raise UsageError(f"%{MAGIC}: {error}, so choose another name.") from None

    @cached_property
    def secrets(self) -> SecretStore:
        """The configured secret store."""
        return self.magics.secret_store_for()

    def _require_client_id(self, why: str) -> str:
        if not self.client_id:
            raise UsageError(
                f"%{MAGIC}: {why} needs the connected app's consumer key, so pass "
                "--client-id or set SF_CLIENT_ID."
            )
        return self.client_id

    def _client_secret(self, *, required: bool) -> str | None:
        profile = self.profile.name if self.profile else None
        source = SecretSource(
            what="the client secret of the connected app",
            variable=CLIENT_SECRET_VARIABLE,
            key=secret_key(profile, "client_secret") if profile else None,
            prompt="Client secret of the connected app: " if required else None,
            optional=not required,
        )
        return find_secret(MAGIC, source, self.secrets)

    # -- choosing the mode -----------------------------------------------------------

    def mode(self) -> str:
        """The one login mode the line asks for."""
        args = self.args
        chosen = [
            name for name in _EXCLUSIVE if getattr(args, name) not in (None, False)
        ]
        if len(chosen) > 1:
            first, second = (_option_name(name) for name in chosen[:2])
            raise UsageError(
                f"%{MAGIC}: {first} and {second} are two login modes, so choose one."
            )
        if args.browser and chosen and chosen[0] not in ("local", "profile"):
            raise UsageError(
                f"%{MAGIC}: --browser and {_option_name(chosen[0])} are two login "
                "modes, so choose one."
            )
        with_profile = bool(chosen) and chosen[0] == "profile"
        if args.soap and not with_profile and (chosen or not args.username):
            raise UsageError(
                f"%{MAGIC}: --soap goes with --username only, so drop one of them."
            )
        if args.save and chosen and chosen[0] in ("local", "access_token_env"):
            raise UsageError(
                f"%{MAGIC}: {_option_name(chosen[0])} logins cannot be stored, so "
                "drop --save."
            )
        if chosen:
            return chosen[0]
        if args.browser:
            return "browser"
        if args.username:
            return "password"
        if self.client_id:
            return "browser"
        raise UsageError(
            f"%{MAGIC}: no way to sign in was given, so pass --local for the "
            "embedded emulator, --client-id ID for browser sign-in, or --username "
            "USER (see %sf_login?)."
        )

    def run(self) -> None:
        """Check the settings, then log in in the chosen mode."""
        mode = self.mode()
        # Settle every setting before any prompt, so a typo fails at once.
        _ = (self.api_version, self.ca_file, self.save_name, self.alias)
        if self.args.port is not None:
            self._redirect_uri()
        if mode == "local":
            self.local()
        elif mode == "profile":
            self.from_profile()
        elif mode == "browser":
            self.browser(self.login_url, self._require_client_id("browser sign-in"))
        elif mode == "password":
            self.password(self.args.username, soap=self.args.soap)
        elif mode == "client_credentials":
            self.client_credentials()
        elif mode == "jwt_key":
            self.jwt(self.args.jwt_key, self.args.username)
        else:
            self.access_token(self.args.access_token_env)

    # -- the modes -------------------------------------------------------------------

    def local(self) -> None:
        """``--local``: the embedded emulator's admin, or its consent pages."""
        org, started = local.local_org()
        if started:
            print(f"Started the embedded emulator at {org.instance_url} (demo org).")
        ca_file = str(org.ca_file)
        if self.args.browser:
            redirect_uri = self._redirect_uri()
            client_id = local.callback_client_id(org, redirect_uri)
            self.browser(org.instance_url, client_id, ca_file=ca_file, secret=False)
            return
        grant = ClientCredentialsGrant(
            login_url=org.instance_url,
            client_id=org.client_id,
            client_secret=org.client_secret,
        )
        self.open(grant, ca_file=ca_file)

    def password(self, username: str, *, soap: bool) -> None:
        """``--username``: SOAP ``login()`` or the OAuth username-password flow."""
        password = find_secret(
            MAGIC,
            SecretSource(
                what=f"the password of {username}",
                variable=PASSWORD_VARIABLE,
                key=f"user/{username}/password",
                prompt=f"Password for {username}: ",
            ),
            self.secrets,
        )
        ask_token = PASSWORD_VARIABLE not in os.environ
        token = find_secret(
            MAGIC,
            SecretSource(
                what=f"the security token of {username}",
                variable=SECURITY_TOKEN_VARIABLE,
                key=f"user/{username}/security_token",
                prompt=(
                    f"Security token for {username} (empty if your IP is trusted): "
                    if ask_token
                    else None
                ),
                optional=True,
            ),
            self.secrets,
        )
        print(RETIRING_NOTE)
        grant: Grant
        if soap or not self.client_id:
            grant = SoapLoginGrant(
                login_url=self.login_url,
                username=username,
                password=password or "",
                security_token=token or "",
                api_version=self.api_version,
            )
        else:
            grant = PasswordGrant(
                login_url=self.login_url,
                client_id=self.client_id,
                username=username,
                password=password or "",
                security_token=token or "",
                client_secret=self._client_secret(required=True),
            )
        self.open(grant, username=username)

    def client_credentials(self) -> None:
        """``--client-credentials``: the connected app's run-as user."""
        client_id = self._require_client_id("--client-credentials")
        secret = self._client_secret(required=True) or ""
        grant = ClientCredentialsGrant(
            login_url=self.login_url, client_id=client_id, client_secret=secret
        )
        self.open(grant, client_secret=secret)

    def jwt(self, key_file: str, username: str | None) -> None:
        """``--jwt-key``: an assertion signed with the app's private key."""
        client_id = self._require_client_id("--jwt-key")
        if not username:
            raise UsageError(
                f"%{MAGIC}: --jwt-key needs the user to act as, so add --username USER."
            )
        path = Path(key_file).expanduser()
        try:
            key = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise UsageError(
                f"%{MAGIC}: the key file {str(path)!r} cannot be read, so check the "
                "path given to --jwt-key."
            ) from None
        grant = JwtBearerGrant(
            login_url=self.login_url,
            client_id=client_id,
            username=username,
            private_key=key,
        )
        try:
            grant.assertion()
        except Exception:
            raise UsageError(
                f"%{MAGIC}: {str(path)!r} does not hold an unencrypted RSA private "
                "key in PEM form, so pass the key whose certificate is in the app."
            ) from None
        self.open(grant, username=username, jwt_key=str(path.resolve()))

    def access_token(self, variable: str) -> None:
        """``--access-token-env``: a token from the environment, checked first."""
        token = os.environ.get(variable)
        if not token:
            raise UsageError(
                f"%{MAGIC}: the environment variable {variable} is not set, so set "
                "it to an access token (for example from 'sf org display')."
            )
        instance = (
            self.args.instance_url
            or os.environ.get(INSTANCE_URL_VARIABLE)
            or self.args.login_url
        )
        if not instance:
            raise UsageError(
                f"%{MAGIC}: the token's instance is unknown, so pass --instance-url "
                f"or set {INSTANCE_URL_VARIABLE}."
            )
        grant = AccessTokenGrant(
            instance_url=normalize_login_url(instance), access_token=token
        )
        self.open(grant)

    def from_profile(self) -> None:
        """``--profile NAME``: the stored refresh token, or the profile's mode."""
        profile = self.profile
        assert profile is not None
        if profile.mode == "browser":
            self._browser_profile(profile)
        elif profile.mode in ("password", "soap"):
            username = self.args.username or profile.username or ""
            self.password(username, soap=profile.mode == "soap" or self.args.soap)
        elif profile.mode == "client_credentials":
            self.client_credentials()
        else:
            username = self.args.username or profile.username
            self.jwt(self.args.jwt_key or profile.jwt_key or "", username)

    def _browser_profile(self, profile: Profile) -> None:
        client_id = self._require_client_id(f"profile {profile.name!r}")
        key = secret_key(profile.name, "refresh_token")
        refresh_token = self.secrets.get(key)
        if refresh_token is None:
            note = f"Profile {profile.name!r} has no stored sign-in yet; sign in below."
            self.browser(self.login_url, client_id, note=note)
            return
        grant = RefreshTokenGrant(
            login_url=self.login_url,
            client_id=client_id,
            refresh_token=refresh_token,
            client_secret=self._client_secret(required=False),
        )
        try:
            connection = self._connect(grant, self.ca_file)
        except LoginError as error:
            if error.problem is not LoginProblem.REVOKED:
                raise usage_error(MAGIC, error, url=self.login_url) from None
            self.secrets.delete(key)
            note = (
                f"The stored sign-in of profile {profile.name!r} was revoked or has "
                "expired, so sign in again below."
            )
            self.browser(self.login_url, client_id, note=note)
            return
        self._register(connection)
        self._save(
            connection,
            client_secret=grant.client_secret,
            redirect_uri=profile.redirect_uri,
        )

    # -- browser sign-in ---------------------------------------------------------------

    def _redirect_uri(self) -> str:
        stored = self.profile.redirect_uri if self.profile else None
        if stored and self.args.port is None:
            return stored
        port = self.args.port or self.magics.callback_port
        if not 0 < port < 65536:
            raise UsageError(f"%{MAGIC}: port {port} is not valid, so pass 1 to 65535.")
        return f"http://{self.magics.callback_host}:{port}/OauthRedirect"

    def browser(
        self,
        login_url: str,
        client_id: str,
        *,
        ca_file: str | None = None,
        note: str | None = None,
        secret: bool = True,
    ) -> None:
        """Show the consent widget; the sign-in finishes in the background.

        ``secret``: send the client secret when one is found (apps that require
        it in the web-server flow); the embedded emulator's app does not.
        """
        from sfmagic.widgets.oauth import ConsentWidget

        flow = WebServerFlow(
            login_url=login_url,
            client_id=client_id,
            redirect_uri=self._redirect_uri(),
            scopes=tuple(self.magics.scopes.split()),
            client_secret=self._client_secret(required=False) if secret else None,
            login_hint=self.args.username,
        )
        trusted = ca_file or self.ca_file

        def connect(grant: Grant) -> Connection:
            return self._connect(grant, trusted)

        timeout = self.args.timeout or self.magics.consent_timeout
        login = BrowserLogin(flow, connect, listen=self.magics.listen, timeout=timeout)
        wait_alone(login)
        CONNECTIONS.expect(self.alias)
        login.subscribe(self._on_browser_change)
        widget = ConsentWidget(login, explain=lambda e: explain(e, url=login_url))
        if note:
            print(note)
        display(widget)
        login.start()
        if self.args.wait:
            try:
                connection = login.wait()
            except LoginError as error:
                raise usage_error(MAGIC, error, url=login_url) from None
            print(signed_in_line(connection))

    def _on_browser_change(self, login: BrowserLogin[Connection]) -> None:
        if login.state is SignInState.SIGNED_IN and login.result is not None:
            CONNECTIONS.add(login.result)
            # Runs in the listener's thread: the widget reports, nothing printed.
            self._save(
                login.result,
                client_secret=login.flow.client_secret,
                redirect_uri=login.flow.redirect_uri,
                announce=False,
            )
        elif login.state is SignInState.FAILED and login.error is not None:
            CONNECTIONS.fail(self.alias, login.error)

    # -- opening, registering, saving -------------------------------------------------

    def _connect(self, grant: Grant, ca_file: str | None) -> Connection:
        return Connection.open(
            grant,
            api_version=self.api_version,
            ca_file=ca_file,
            alias=self.alias,
            profile=self.save_name,
        )

    def open(
        self,
        grant: Grant,
        *,
        ca_file: str | None = None,
        username: str | None = None,
        client_secret: str | None = None,
        jwt_key: str | None = None,
    ) -> Connection:
        """Open, register and report a connection; ``UsageError`` if refused."""
        try:
            connection = self._connect(grant, ca_file or self.ca_file)
        except LoginError as error:
            raise usage_error(MAGIC, error, url=grant.login_url) from None
        self._register(connection)
        self._save(
            connection, username=username, client_secret=client_secret, jwt_key=jwt_key
        )
        return connection

    def _register(self, connection: Connection) -> None:
        CONNECTIONS.add(connection)
        print(signed_in_line(connection))

    def _save(
        self,
        connection: Connection,
        *,
        username: str | None = None,
        client_secret: str | None = None,
        jwt_key: str | None = None,
        redirect_uri: str | None = None,
        announce: bool = True,
    ) -> None:
        name = self.save_name
        if name is None or connection.mode == "access_token":
            return
        if self.args.save is None:
            # A login from a profile keeps the profile as it is; only a
            # refresh token the org issued anew (a new consent, a rotation)
            # replaces the stored one.
            refresh_token = {"refresh_token": connection.refresh_token}
            self._store_secrets(name, refresh_token, announce=announce)
            return
        mode = connection.mode
        if mode == "refresh":
            mode = self.profile.mode if self.profile else "browser"
        profile = Profile(
            name=name,
            mode=mode,
            login_url=connection.login_url,
            api_version=connection.api_version,
            alias=self.args.alias or (self.profile.alias if self.profile else None),
            client_id=connection.client_id,
            username=username or (self.profile.username if self.profile else None),
            jwt_key=jwt_key,
            ca_file=self.ca_file,
            redirect_uri=redirect_uri,
        )
        secrets = {
            "refresh_token": connection.refresh_token,
            "client_secret": client_secret,
        }
        if not self._store_secrets(name, secrets, announce=announce):
            return
        self.magics.profile_store().save(profile)
        if announce:
            print(f"Saved profile {name!r}; its secrets are in {self.secrets.backend}.")

    def _store_secrets(
        self, name: str, secrets: dict[str, str | None], *, announce: bool = True
    ) -> bool:
        """Store a profile's secrets; False (or ``UsageError``) if refused."""
        try:
            for kind, value in secrets.items():
                if value:
                    self.secrets.set(secret_key(name, kind), value)
        except Exception as error:  # any keyring backend may refuse
            if not announce:
                logger.warning(
                    "profile %r not saved: the keyring refused (%s)",
                    name,
                    type(error).__name__,
                )
                return False
            raise UsageError(
                f"%{MAGIC}: you are signed in, but the keyring refused to store the "
                f"secrets of profile {name!r} ({type(error).__name__}), so unlock "
                "it, or run %config SfMagic.secret_store = 'file', and log in "
                "again with --save."
            ) from None
        return True
