"""Debian's chromium, headless, for the browser tests (one launcher for every package).

In CI (``CI=true``) a missing browser fails the test instead of skipping it: the
journeys in tests/dashboard and tests/auth are the proof the pages tell the truth.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """A Playwright browser on /usr/bin/chromium, closed on exit; skip (or, in CI,
    fail) when it is not installed."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium) — browser tests need it"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI runs every browser test: {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "launched_chromium"]
