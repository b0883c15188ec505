"""The IPython surface of sfmagic: magics, their options, their errors.

``%load_ext sfmagic`` calls ``register``: it adds the magics of every module in
``MAGIC_MODULES`` (each exposes its ``Magics`` class as ``MAGICS``) and makes
their options settable with ``%config``. Only IPython and traitlets are imported
here; the client, ipywidgets and the emulator load when a magic first needs
them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.magic import Magics

__all__ = ["MAGIC_MODULES", "register", "unregister"]

MAGIC_MODULES = ("sfmagic.magics.login", "sfmagic.magics.edit", "sfmagic.magics.query")
"""Modules whose ``MAGICS`` class holds magics to register."""


def _magic_classes() -> list[type[Magics]]:
    return [importlib.import_module(name).MAGICS for name in MAGIC_MODULES]


def register(ipython: InteractiveShell) -> None:
    """Register the magics with ``ipython`` (a second call changes nothing)."""
    registered: set[type] = {type(m) for m in ipython.configurables}
    for magics_class in _magic_classes():
        if magics_class in registered:
            continue
        ipython.register_magics(magics_class(shell=ipython))


def unregister(ipython: InteractiveShell) -> None:
    """Remove the magics and their options from ``ipython``."""
    classes = tuple(_magic_classes())
    manager = ipython.magics_manager
    if manager is None:
        return
    for instance in [m for m in ipython.configurables if isinstance(m, classes)]:
        ipython.configurables.remove(instance)
        for kind, table in instance.magics.items():
            for name in table:
                manager.magics[kind].pop(name, None)
        manager.registry.pop(type(instance).__name__, None)
