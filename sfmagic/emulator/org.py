"""A running emulated org: its state, its server, and how to start and stop it.

``OrgState`` is everything the routes need (schema, store, DML, SOQL engine,
identity, settings); the app reaches it as ``request.app.state.org``.
``RunningOrg`` is what ``sfmagic.emulator.start()`` returns: the served org, its URL
and CA file, and the demo admin's credentials.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from sfmagic.emulator.auth import ApiUsage
from sfmagic.emulator.certs import CertificateFiles, ensure_certificates
from sfmagic.emulator.dml import Dml
from sfmagic.emulator.identity import AdminCredentials, Identity
from sfmagic.emulator.query import QueryEngine
from sfmagic.emulator.schema import Schema
from sfmagic.emulator.server import HttpsServer, bind_socket, url_host
from sfmagic.emulator.settings import OrgSettings
from sfmagic.emulator.store import Store
from sfmagic.emulator.tooling import ToolingApi
from sfmagic.emulator.values import parse_stored_datetime, stored_datetime

__all__ = ["DATABASE_FILE", "OrgState", "RunningOrg", "start_org"]

logger = logging.getLogger("sfmagic.emulator")

DATABASE_FILE = "org.sqlite"
_SCHEMA_DIGEST_KEY = "schema_digest"
_SCHEMA_MODIFIED_KEY = "schema_modified"


@dataclass
class OrgState:
    """Everything the routes of one org work with."""

    schema: Schema
    store: Store
    dml: Dml
    queries: QueryEngine
    identity: Identity
    settings: OrgSettings
    instance_url: str
    usage: ApiUsage
    admin: AdminCredentials
    schema_modified: datetime
    """When the org's schema last changed; describes report it as modified then."""
    tooling: ToolingApi
    """The Tooling API's objects, derived from ``schema`` and stored apart."""
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    """Called when the org stops, last registered first (background workers)."""


class RunningOrg:
    """An emulated org served over HTTPS on loopback.

    Use it as a context manager, or call ``stop()``. ``session()`` gives a
    ``requests.Session`` that trusts the org's CA, and ``access_token()`` a bearer
    token for the demo admin, so that simple-salesforce works unchanged::

        with start(demo=True) as org:
            sf = Salesforce(
                instance_url=org.instance_url,
                session_id=org.access_token(),
                session=org.session(),
            )
    """

    def __init__(
        self,
        state: OrgState,
        server: HttpsServer,
        certificates: CertificateFiles,
        cleanup: Callable[[], None],
    ) -> None:
        self.state = state
        self._server = server
        self._certificates = certificates
        self._cleanup = cleanup
        self._stopped = False

    @property
    def instance_url(self) -> str:
        """``https://127.0.0.1:<port>``, without a trailing slash."""
        return self.state.instance_url

    @property
    def port(self) -> int:
        """The TCP port the org listens on."""
        return self._server.port

    @property
    def ca_file(self) -> Path:
        """The PEM file of the CA that signed the server certificate."""
        return self._certificates.ca_file

    @property
    def org_id(self) -> str:
        """The 18-character organization id (``00D…``)."""
        return self.state.identity.org_id

    @property
    def username(self) -> str:
        """The demo admin's username."""
        return self.state.admin.username

    @property
    def password(self) -> str:
        """The demo admin's password."""
        return self.state.admin.password

    @property
    def security_token(self) -> str:
        """The demo admin's security token (appended to the password by API logins)."""
        return self.state.admin.security_token

    @property
    def client_id(self) -> str:
        """Client id of the demo connected app."""
        return self.state.admin.client_id

    @property
    def client_secret(self) -> str:
        """Client secret of the demo connected app."""
        return self.state.admin.client_secret

    @property
    def redirect_uri(self) -> str:
        """A callback URL registered for the demo connected app."""
        return self.state.admin.redirect_uri

    def session(self) -> requests.Session:
        """A ``requests.Session`` that trusts the org's CA.

        ``trust_env`` is off: with ``REQUESTS_CA_BUNDLE`` set in the environment,
        requests would otherwise ignore ``verify`` (it also drops proxy settings,
        which loopback does not need).
        """
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_file)
        return session

    def access_token(self) -> str:
        """A new bearer token for the demo admin, valid for the session lifetime."""
        return self.state.identity.issue_session(self.state.admin.user_id).access_token

    def stop(self) -> None:
        """Stop serving, save what is pending and release the org's files."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self._server.stop()
        finally:
            _close_state(self.state)
            self._cleanup()

    def __enter__(self) -> RunningOrg:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<RunningOrg {self.instance_url} {state}>"


def start_org(
    *,
    demo: bool = False,
    data: str | Path | None = None,
    scale: int | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    settings: OrgSettings | None = None,
    schema_file: str | Path | None = None,
    log_level: str = "warning",
) -> RunningOrg:
    """Build an org and serve it; see ``sfmagic.emulator.start``."""
    settings = settings or OrgSettings()
    if data is None:
        directory = Path(tempfile.mkdtemp(prefix="sfmagic-emulator-"))

        def cleanup() -> None:
            shutil.rmtree(directory, ignore_errors=True)

        database: Path | None = None
    else:
        directory = Path(data).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / DATABASE_FILE

        def cleanup() -> None:
            return None

    try:
        certificates = ensure_certificates(directory, hosts=[host])
        sock = bind_socket(host, port)
    except BaseException:
        cleanup()
        raise
    instance_url = f"https://{url_host(host)}:{sock.getsockname()[1]}"
    try:
        state = build_state(
            instance_url,
            database=database,
            settings=settings,
            schema_file=schema_file,
        )
    except BaseException:
        sock.close()
        cleanup()
        raise
    try:
        if demo or scale is not None:
            _seed_demo(state, scale)
        from sfmagic.emulator.app import build_app

        server = HttpsServer(build_app(state), sock, certificates, log_level=log_level)
        server.start()
    except BaseException:
        sock.close()
        _close_state(state)
        cleanup()
        raise
    logger.info("emulated org %s serving at %s", state.identity.org_id, instance_url)
    return RunningOrg(state, server, certificates, cleanup)


def build_state(
    instance_url: str,
    *,
    database: Path | None,
    settings: OrgSettings,
    schema_file: str | Path | None = None,
) -> OrgState:
    """An org's state on ``database`` (None: in memory), not yet served."""
    schema = _load_schema(schema_file)
    store = Store(schema, database)
    tooling: ToolingApi | None = None
    try:
        tooling = ToolingApi.build(schema, settings)
        identity = Identity(store, settings)
        admin = identity.bootstrap(instance_url=instance_url)
        return OrgState(
            schema=schema,
            store=store,
            dml=Dml(store, schema, settings),
            queries=QueryEngine(store, schema, settings),
            identity=identity,
            settings=settings,
            instance_url=instance_url,
            usage=ApiUsage(store, settings.daily_api_limit),
            admin=admin,
            schema_modified=_schema_modified(store, schema),
            tooling=tooling,
        )
    except BaseException:
        if tooling is not None:
            tooling.close()
        store.close()
        raise


def _load_schema(schema_file: str | Path | None) -> Schema:
    schema = Schema.standard()
    if schema_file is None:
        return schema
    return schema.with_custom(Path(schema_file))


def _schema_modified(store: Store, schema: Schema) -> datetime:
    """When the schema last changed, remembered in ``_meta`` by its digest."""
    payload: list[Any] = [sobject.raw for sobject in schema]
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()
    saved = store.meta_get(_SCHEMA_MODIFIED_KEY)
    if saved and store.meta_get(_SCHEMA_DIGEST_KEY) == digest:
        return parse_stored_datetime(str(saved))
    now = datetime.now(UTC).replace(microsecond=0)
    store.meta_set(_SCHEMA_DIGEST_KEY, digest)
    store.meta_set(_SCHEMA_MODIFIED_KEY, stored_datetime(now))
    return now


def _seed_demo(state: OrgState, scale: int | None) -> None:
    from sfmagic.emulator.demo import seed_demo

    if state.store.execute('SELECT 1 FROM "Account" LIMIT 1'):
        return
    seed_demo(state.store, state.schema, state.identity, scale=scale)


def _close_state(state: OrgState) -> None:
    for callback in reversed(state.on_stop):
        try:
            callback()
        except Exception:
            logger.exception("error while stopping the org")
    state.usage.flush()
    state.tooling.close()
    state.store.close()
