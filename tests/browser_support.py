"""Headless Chromium for the browser tests.

Chromium is Debian's package, found on PATH; Playwright drives it through
``executable_path`` and never downloads a browser of its own. A test module
marks itself with ``BROWSER_TEST`` so that it is skipped where Chromium is
missing, and keeps its screenshots in ``ARTIFACTS``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH"),
]
"""The marks of a module whose tests drive Chromium against a live org."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
