"""A live demo org and a connection to it, shared by the widget tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sfmagic.emulator import start
from tests.login_support import admin_connection


@pytest.fixture(scope="package")
def org() -> Iterator[Any]:
    """A demo org served over HTTPS on loopback for the whole package."""
    with start(demo=True) as running:
        yield running


@pytest.fixture(scope="package")
def conn(org: Any) -> Any:
    """A Connection to the demo org, logged in with its admin's access token."""
    return admin_connection(org)
