"""Suite-wide test setup: assert rewriting, the pinned clock, Hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.support.clock import TEST_NOW, pin_system_clock
from tests.support.skips import CAPABILITY

# The shared provider contract lives in a helper module imported by several test
# packages: register it before any of them imports it so its asserts are rewritten.
pytest.register_assert_rewrite("tests.providers.contract")

# Hypothesis: deterministic in CI (same examples every run, and a failure prints the
# blob to reproduce it); locally the `dev` profile keeps exploring new examples.
settings.register_profile(
    "ci",
    derandomize=True,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", print_blob=True, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


_other_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if not reason.startswith(CAPABILITY):
            _other_skips.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skip that is not a capability skip fails the run: CI runs all it claims."""
    if _in_ci() and _other_skips and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _in_ci() and _other_skips:
        terminalreporter.section("skips CI does not accept", red=True)
        for line in _other_skips:
            terminalreporter.line(f"{line} (only {CAPABILITY!r} skips may pass in CI)")


@pytest.fixture(autouse=True, scope="session")
def _pin_system_clock() -> Iterator[None]:
    """The product's system clock answers the pinned date (``BLOCKER_TEST_TODAY``) for the
    whole session, so nothing in-process plans against the day the suite runs."""
    undo = pin_system_clock()
    try:
        yield
    finally:
        undo()


@pytest.fixture()
def test_now() -> datetime:
    """The pinned instant of this session (see tests/support/clock.py)."""
    return TEST_NOW
