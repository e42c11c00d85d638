"""The real app on a loopback port (local .ics calendar, SQLite store in tmp_path)
and a headless Chromium driven by Playwright's sync API.

The rules are the project's own example (config.example.yaml with its accounts
CSV and busy .ics), copied into tmp_path, so the page shows a realistic week:
three tiers, fixed and flexible blocks, meetings, conflicts. The clock is the
service tests' fixed Friday, so the default week is 2026-W49.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from blocker.store import TokenCipher
from tests.dashboard.helpers import sign_in
from tests.service.conftest import TOKEN, LiveService, make_settings, start_service
from tests.support.browser import launched_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"

__all__ = ["ARTIFACTS", "TOKEN", "LiveService"]


@contextmanager
def signed_in_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A desktop-sized tab, signed in through the real form; its context closes after."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        sign_in(tab, base_url)
        yield tab
    finally:
        context.close()


def copy_example(target: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", target / "rules.yaml")
    shutil.copytree(ROOT / "examples", target / "examples")
    return target


@pytest.fixture
def app_service(tmp_path: Path) -> Iterator[LiveService]:
    """A fresh service per test, for tests that change rules, runs or connections.

    No scheduler: every run in these tests is one the page asked for.
    """
    live = start_service(make_settings(copy_example(tmp_path)), start_scheduler=False)
    try:
        yield live
    finally:
        live.stop()


_GOOGLE = "  - id: work-google\n    provider: google\n    calendar: primary\n"


@pytest.fixture
def two_calendars(tmp_path: Path) -> Iterator[LiveService]:
    """The example rules plus a Google calendar that was never connected."""
    copy_example(tmp_path)
    rules = tmp_path / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("calendars:\n", "calendars:\n" + _GOOGLE, 1), encoding="utf-8")
    settings = make_settings(
        tmp_path,
        encryption_key=TokenCipher.generate_key(),
        google_client_id="client-id.apps.example",
        google_client_secret="not-used-no-request-reaches-google",
    )
    live = start_service(settings, start_scheduler=False)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """One service for a module of tests that only read (they must not change its state)."""
    workdir = copy_example(tmp_path_factory.mktemp("dashboard"))
    live = start_service(make_settings(workdir), start_scheduler=False)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    # Package scope, not session: Playwright's sync API keeps an asyncio loop running
    # in the main thread while it is open, which breaks any later test that calls
    # asyncio.run() (procrastinate's worker in tests/distributed did).
    with launched_chromium() as browser:
        yield browser
