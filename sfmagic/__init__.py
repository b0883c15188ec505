"""sfmagic: Salesforce as a first-class citizen of Jupyter.

In a notebook::

    %load_ext sfmagic
    %sf_login --local          # the embedded emulator, or --client-id ID for an org

From Python, ``sfmagic.connection()`` returns the active ``Connection`` (its
``sf`` attribute is a ``simple_salesforce.Salesforce``), and
``sfmagic.emulator.start()`` starts a local org. ``sfmagic.query(soql, **binds)``,
``select``, ``get_record`` and ``list_records`` run queries to typed DataFrames
(``sfmagic.client.api``), as ``%%soql`` does in a notebook.

Importing this package is cheap: the client, ipywidgets, the emulator and the
SOQL parser load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from sfmagic.client.connection import Connection

__version__ = "0.1.0"
__all__ = [
    "RecordEditor",
    "__version__",
    "connection",
    "get_record",
    "list_records",
    "load_ipython_extension",
    "query",
    "query_result",
    "records",
    "select",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register sfmagic's magics and options (``%load_ext sfmagic``)."""
    from sfmagic.magics import register

    register(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove sfmagic's magics and options (``%unload_ext sfmagic``)."""
    from sfmagic.magics import unregister

    unregister(ipython)


def connection(alias: str | None = None) -> Connection:
    """The open connection named ``alias``, or the active one.

    Raises ``sfmagic.client.NotConnectedError`` when there is none, or the
    ``LoginError`` of a browser sign-in for that alias that failed.

    Examples
    --------
    >>> import sfmagic
    >>> sfmagic.connection().sf.query("SELECT COUNT() FROM Account")  # doctest: +SKIP
    """
    from sfmagic.client.registry import CONNECTIONS

    return CONNECTIONS.get(alias)


_QUERY_API = frozenset(
    {"query", "query_result", "select", "get_record", "list_records"}
)


def __getattr__(name: str) -> Any:
    if name == "Connection":
        from sfmagic.client.connection import Connection

        return Connection
    if name == "RecordEditor":
        from sfmagic.widgets.editor import RecordEditor

        return RecordEditor
    if name == "records":
        from sfmagic.client import records

        return records
    if name in _QUERY_API:
        from sfmagic.client import api

        return getattr(api, name)
    raise AttributeError(f"module 'sfmagic' has no attribute {name!r}")
