"""The connection magics: ``%sf_login``, ``%sf_use``, ``%sf_logout``,
``%sf_whoami`` and ``%sf_profiles``, and the options of ``SfMagic``.

The magics parse their line, gather secrets from anywhere but that line, open a
``Connection`` through the client, and register it under an alias. Login
failures become IPython's ``UsageError`` with one sentence (``advice``). The
flow-specific work (which grant, which secrets) lives in ``modes``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Bool, Enum, Float, Int, Unicode, default

from sfmagic.magics.connections import connection_for
from sfmagic.magics.parsing import parse_line

if TYPE_CHECKING:
    from sfmagic.client.connection import Connection
    from sfmagic.client.profiles import ProfileStore
    from sfmagic.client.secrets import SecretStore

__all__ = ["SfMagic"]

CLIENT_ID_VARIABLE = "SF_CLIENT_ID"


@magics_class
class SfMagic(Magics):
    """sfmagic's magics and options; ``%config SfMagic`` lists the options."""

    login_url = Unicode(
        "https://login.salesforce.com",
        help="Where %sf_login signs in: https://login.salesforce.com, "
        "https://test.salesforce.com for sandboxes, or a My Domain URL.",
    ).tag(config=True)
    api_version = Unicode(
        "64.0", help="The REST API version new connections use, as NN.0."
    ).tag(config=True)
    client_id = Unicode(
        help="The consumer key of your connected app, for browser sign-in and the "
        "server-to-server flows (default: the SF_CLIENT_ID environment variable).",
    ).tag(config=True)
    scopes = Unicode(
        "api refresh_token",
        help="OAuth scopes browser sign-in asks for, separated by spaces.",
    ).tag(config=True)
    callback_host = Enum(
        ["localhost", "127.0.0.1"],
        default_value="localhost",
        help="Host of the OAuth callback URL registered in the connected app.",
    ).tag(config=True)
    callback_port = Int(
        1717,
        help="Port of the OAuth callback URL (http://localhost:1717/OauthRedirect "
        "by default, as the Salesforce CLI uses).",
    ).tag(config=True)
    listen = Bool(
        True,
        help="Start a one-shot listener on the callback port during browser "
        "sign-in; without it, paste the final address into the widget.",
    ).tag(config=True)
    consent_timeout = Float(
        300.0, help="Seconds browser sign-in waits before giving up."
    ).tag(config=True)
    ca_file = Unicode(
        help="A PEM file of the CA to trust instead of the system store (a local "
        "emulator's ca.pem or a company proxy's CA).",
    ).tag(config=True)
    config_dir = Unicode(
        help="Where profiles (and the secrets file, without a keyring) are kept; "
        "default: $SFMAGIC_CONFIG_DIR or the user's configuration directory.",
    ).tag(config=True)
    secret_store = Enum(
        ["auto", "keyring", "file"],
        default_value="auto",
        help="Where refresh tokens and client secrets are stored: the system "
        "keyring, a private file (mode 0600), or auto (keyring when usable).",
    ).tag(config=True)

    @default("client_id")
    def _client_id_default(self) -> str:
        return os.environ.get(CLIENT_ID_VARIABLE, "")

    # -- stores --------------------------------------------------------------------

    def profile_store(self) -> ProfileStore:
        """The profiles file of the configured directory."""
        from sfmagic.client.profiles import ProfileStore, config_dir

        return ProfileStore(config_dir(self.config_dir or None))

    def secret_store_for(self) -> SecretStore:
        """The configured secret store."""
        from sfmagic.client.profiles import config_dir
        from sfmagic.client.secrets import Backend, SecretStore

        backend = cast(Backend, self.secret_store)
        return SecretStore(config_dir(self.config_dir or None), backend)

    # -- %sf_login -------------------------------------------------------------------

    @magic_arguments()
    @argument(
        "--local",
        action="store_true",
        help="Use the embedded emulator with the demo org, started in this kernel "
        "on first use, and log in as its admin.",
    )
    @argument(
        "--browser",
        action="store_true",
        help="Sign in through the browser (OAuth web-server flow with PKCE); the "
        "default when a client id is known.",
    )
    @argument(
        "--profile",
        metavar="NAME",
        help="Log in with a stored profile (see %%sf_profiles).",
    )
    @argument(
        "-u",
        "--username",
        metavar="USER",
        help="Log in as USER with password and security token, read from "
        "SF_PASSWORD and SF_SECURITY_TOKEN, from the keyring (service sfmagic, "
        "keys user/USER/password and user/USER/security_token), or asked for "
        "with a hidden prompt; with --jwt-key, the user to act as.",
    )
    @argument(
        "--soap",
        action="store_true",
        help="With --username, use SOAP login() even when a client id is known.",
    )
    @argument(
        "--client-credentials",
        action="store_true",
        help="Log in as the connected app's run-as user; the client secret comes "
        "from SF_CLIENT_SECRET, the secret store or a hidden prompt.",
    )
    @argument(
        "--jwt-key",
        metavar="FILE",
        help="Log in with the JWT bearer flow, signing with the RSA private key in "
        "FILE (PEM, unencrypted); needs --username and a client id.",
    )
    @argument(
        "--access-token-env",
        metavar="VAR",
        nargs="?",
        const="SF_ACCESS_TOKEN",
        help="Use the access token in environment variable VAR (SF_ACCESS_TOKEN if "
        "no name is given), checked through userinfo first.",
    )
    @argument(
        "--login-url",
        metavar="URL",
        help="Login service: https://login.salesforce.com (default), "
        "https://test.salesforce.com (or just 'test'), a My Domain, an emulator.",
    )
    @argument(
        "--instance-url",
        metavar="URL",
        help="With --access-token-env, the org's instance (default: SF_INSTANCE_URL, "
        "then the login URL).",
    )
    @argument("--client-id", metavar="ID", help="The connected app's consumer key.")
    @argument("--api-version", metavar="NN.0", help="The REST API version to use.")
    @argument(
        "--alias",
        metavar="NAME",
        help="Name of this connection, to keep several orgs open (default: the "
        "profile's alias, else 'default').",
    )
    @argument(
        "--save",
        metavar="NAME",
        help="Store this login as profile NAME (secrets go to the keyring or a "
        "private file, never to the profile).",
    )
    @argument(
        "--ca-file",
        metavar="PATH",
        help="Trust the CA in PATH (PEM) instead of the system store.",
    )
    @argument(
        "--port", type=int, help="Browser sign-in: the callback port (default 1717)."
    )
    @argument(
        "--timeout",
        type=float,
        help="Browser sign-in: seconds to wait for the user (default 300).",
    )
    @argument(
        "--wait",
        action="store_true",
        help="Browser sign-in: block the cell until the listener receives the "
        "redirect (the paste box does not work while the cell runs).",
    )
    @line_magic
    def sf_login(self, line: str) -> None:
        """Log in to a Salesforce org, or to the embedded emulator.

        One mode per call, chosen by its option: ``--local``, ``--browser``
        (the default when a client id is known), ``--profile``, ``--username``
        (password and security token, by OAuth or ``--soap``),
        ``--client-credentials``, ``--jwt-key`` or ``--access-token-env``.
        Passwords, security tokens, client secrets and tokens are never taken
        from the magic line: they come from environment variables
        (``SF_PASSWORD``, ``SF_SECURITY_TOKEN``, ``SF_CLIENT_SECRET``), the
        secret store (the system keyring, or a private file without one), or a
        hidden prompt. The new connection becomes the
        active one; ``sfmagic.connection()`` returns it.

        Browser sign-in shows a widget with a "Sign in to Salesforce" link. The
        cell returns at once; the sign-in completes when the browser comes back
        to the callback listener, or when you paste the final address of the
        browser tab into the widget (a remote kernel).

        Salesforce is retiring SOAP ``login()`` and the OAuth username-password
        flow; prefer browser sign-in, or JWT bearer for automation.

        Examples
        --------
        The embedded emulator::

            In [1]: %sf_login --local
            Started the embedded emulator at https://127.0.0.1:50123 (demo org).
            Signed in as admin@sfmagic.demo to org 00D… at https://127.0.0.1:50123 (alias 'default').

        A sandbox through the browser, saved as a profile, then later::

            In [2]: %sf_login --login-url test --client-id 3MVG9… --save dev
            In [3]: %sf_login --profile dev

        Password login, the secrets from the environment or a hidden prompt::

            In [4]: %sf_login --username ada@example.com --alias prod
            Password for ada@example.com: ········
        """  # noqa: E501
        from sfmagic.magics.modes import LoginRun

        args = parse_line(self.sf_login, line, "sf_login")
        LoginRun(self, args).run()

    # -- %sf_use, %sf_logout, %sf_whoami, %sf_profiles -----------------------------

    @magic_arguments()
    @argument("alias", nargs="?", help="The connection to make active.")
    @line_magic
    def sf_use(self, line: str) -> None:
        """Make another open connection the active one.

        Without an alias, list the open connections (the active one starred).

        Examples
        --------
        ::

            In [1]: %sf_login --local --alias demo
            In [2]: %sf_login --profile prod
            In [3]: %sf_use demo
            Using 'demo': admin@sfmagic.demo at https://127.0.0.1:50123.
        """
        from sfmagic.client.registry import CONNECTIONS
        from sfmagic.magics.views import ConnectionList

        args = parse_line(self.sf_use, line, "sf_use")
        if args.alias is None:
            connections = [CONNECTIONS.get(a) for a in CONNECTIONS.aliases()]
            display(ConnectionList(connections, CONNECTIONS.active))
            return
        if args.alias not in CONNECTIONS.aliases():
            open_ones = ", ".join(repr(a) for a in CONNECTIONS.aliases()) or "none"
            raise UsageError(
                f"%sf_use: there is no connection named {args.alias!r} (open: "
                f"{open_ones}), so run %sf_login --alias {args.alias} first."
            )
        connection = CONNECTIONS.use(args.alias)
        print(
            f"Using {connection.alias!r}: {connection.username} at "
            f"{connection.instance_url}."
        )

    @magic_arguments()
    @argument("alias", nargs="?", help="The connection to close (the active one).")
    @argument(
        "--revoke",
        action="store_true",
        help="Also revoke the session's refresh token (or access token) at "
        "Salesforce, and forget it in the connection's profile.",
    )
    @argument("--all", action="store_true", help="Close every open connection.")
    @line_magic
    def sf_logout(self, line: str) -> None:
        """Close a connection, and optionally revoke its tokens.

        Examples
        --------
        ::

            In [1]: %sf_logout
            Logged out of 'default' (admin@sfmagic.demo).

            In [2]: %sf_logout prod --revoke
            Logged out of 'prod' (ada@example.com); its tokens are revoked.
        """
        from sfmagic.client.registry import CONNECTIONS

        args = parse_line(self.sf_logout, line, "sf_logout")
        if args.all:
            aliases = CONNECTIONS.aliases()
        else:
            aliases = [connection_for("sf_logout", args.alias).alias]
        for alias in aliases:
            self._logout(CONNECTIONS.remove(alias), revoke=args.revoke)

    def _logout(self, connection: Connection, *, revoke: bool) -> None:
        from sfmagic.client.errors import LoginError
        from sfmagic.client.profiles import secret_key
        from sfmagic.magics.advice import usage_error

        who = f"{connection.alias!r} ({connection.username})"
        if not revoke:
            connection.close()
            print(f"Logged out of {who}.")
            return
        try:
            revoked = connection.revoke()
        except LoginError as error:
            raise usage_error("sf_logout", error, url=connection.login_url) from None
        if connection.profile is not None:
            self.secret_store_for().delete(
                secret_key(connection.profile, "refresh_token")
            )
        state = (
            "its tokens are revoked" if revoked else "its tokens were already invalid"
        )
        print(f"Logged out of {who}; {state}.")

    @magic_arguments()
    @argument("alias", nargs="?", help="The connection to describe (the active one).")
    @line_magic
    def sf_whoami(self, line: str) -> None:
        """Show who is signed in: user, org, instance, API version and usage.

        Asks the org for today's API usage, which counts as one API request.

        Examples
        --------
        ::

            In [1]: %sf_whoami
            user          admin@sfmagic.demo (Ada Admin)
            org           00D5g000004XyZaEAK
            instance      https://127.0.0.1:50123
            API version   64.0
            API requests  12 of 15,000 today
            alias         default (active)
            login         client_credentials at https://127.0.0.1:50123
        """
        from requests import RequestException

        from sfmagic.client.errors import (
            InvalidSessionError,
            LoginError,
            SalesforceError,
        )
        from sfmagic.client.registry import CONNECTIONS
        from sfmagic.magics.advice import usage_error
        from sfmagic.magics.views import WhoAmI

        args = parse_line(self.sf_whoami, line, "sf_whoami")
        connection = connection_for("sf_whoami", args.alias)
        try:
            usage = connection.refresh_usage()
        except LoginError as error:
            raise usage_error("sf_whoami", error, url=connection.login_url) from None
        except InvalidSessionError:
            raise UsageError(
                f"%sf_whoami: the session of {connection.alias!r} expired and cannot "
                "be renewed, so run %sf_login again."
            ) from None
        except SalesforceError as error:
            raise UsageError(
                f"%sf_whoami: {connection.instance_url} answered {error.status} "
                f"{error.error_code or ''}".rstrip()
                + ", so try again later or check the org's status."
            ) from None
        except RequestException:
            raise UsageError(
                f"%sf_whoami: {connection.instance_url} could not be reached, so "
                "check the network (or restart the emulator) and try again."
            ) from None
        active = CONNECTIONS.active == connection.alias
        display(WhoAmI(connection, usage, active))

    @magic_arguments()
    @argument("--delete", metavar="NAME", help="Delete profile NAME and its secrets.")
    @line_magic
    def sf_profiles(self, line: str) -> None:
        """List the stored login profiles, or delete one.

        Shows each profile's mode, login URL, user, client id, API version and
        which secrets are stored for it (never their values).

        Examples
        --------
        ::

            In [1]: %sf_profiles
            profile  mode     login URL                     user             client id      API   stored
            dev      browser  https://test.salesforce.com                    3MVG9ABCDEF1…  64.0  refresh token
            bot      jwt      https://login.salesforce.com  bot@example.com  3MVG9XYZ0987…  64.0  nothing

            In [2]: %sf_profiles --delete dev
            Deleted profile 'dev' and its stored secrets.
        """  # noqa: E501
        from sfmagic.client.profiles import ProfileError, secret_key
        from sfmagic.magics.views import ProfileList

        args = parse_line(self.sf_profiles, line, "sf_profiles")
        store = self.profile_store()
        secrets = self.secret_store_for()
        try:
            profiles = store.load()
        except ProfileError as error:
            raise UsageError(f"%sf_profiles: {error}, so fix or remove it.") from None
        if args.delete is not None:
            if not store.delete(args.delete):
                raise UsageError(
                    f"%sf_profiles: there is no profile named {args.delete!r}, so "
                    "run %sf_profiles to see the stored ones."
                )
            for kind in ("refresh_token", "client_secret"):
                secrets.delete(secret_key(args.delete, kind))
            print(f"Deleted profile {args.delete!r} and its stored secrets.")
            return
        stored = {
            name: [
                kind.replace("_", " ")
                for kind in ("refresh_token", "client_secret")
                if secrets.get(secret_key(name, kind))
            ]
            for name in profiles
        }
        display(ProfileList(list(profiles.values()), stored, str(store.path)))

    # -- shared ------------------------------------------------------------------------

    def option(self, name: str) -> Any:
        """The value of one option (for the modes module)."""
        return getattr(self, name)


MAGICS = SfMagic
