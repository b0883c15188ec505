"""A local Salesforce org: the REST data and Tooling APIs over HTTPS, on SQLite.

Start one from Python::

    from sfmagic.emulator import start

    with start(demo=True) as org:
        org.instance_url        # "https://127.0.0.1:<port>"
        org.ca_file             # the CA that signed the server certificate
        org.session()           # a requests.Session that trusts it
        org.access_token()      # a bearer token for the demo admin

or from a shell with ``sfmagic emulator --demo``. Importing this package is cheap:
the server, the store and the SOQL engine load when ``start`` is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfmagic.emulator.org import RunningOrg
    from sfmagic.emulator.settings import OrgSettings

__all__ = ["start"]


def start(
    *,
    demo: bool = False,
    data: str | Path | None = None,
    scale: int | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    settings: OrgSettings | None = None,
    schema_file: str | Path | None = None,
) -> RunningOrg:
    """Start an emulated org serving HTTPS on loopback.

    Parameters
    ----------
    demo
        Fill an empty org with the demo data set (users, a lead queue, accounts,
        contacts, cases, leads, opportunities, activities and notes).
    data
        A directory to keep the org in (``org.sqlite``, the CA and the server
        certificate), reused by later starts. None keeps everything in memory and
        in a temporary directory removed on stop.
    scale
        Seed ``scale`` accounts with proportional children instead of the demo
        size (implies ``demo``); for benchmarks.
    port
        TCP port; 0 lets the system pick a free one.
    host
        Address to bind. Loopback unless you pass another address explicitly.
    settings
        Org settings (time zone, session lifetime, daily API limit, login flows
        turned off); the defaults when None.
    schema_file
        A JSON file describing custom objects and fields to add to the standard
        ones.

    Returns
    -------
    RunningOrg
        The served org; a context manager that stops it on exit.

    Examples
    --------
    >>> from simple_salesforce import Salesforce
    >>> with start(demo=True) as org:  # doctest: +SKIP
    ...     sf = Salesforce(instance_url=org.instance_url,
    ...                     session_id=org.access_token(), session=org.session())
    ...     sf.query("SELECT COUNT() FROM Account")["totalSize"]
    300
    """
    from sfmagic.emulator.org import start_org

    return start_org(
        demo=demo,
        data=data,
        scale=scale,
        port=port,
        host=host,
        settings=settings,
        schema_file=schema_file,
    )
