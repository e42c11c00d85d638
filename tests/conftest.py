"""Suite-wide test setup: assert rewriting, the pinned clock, Hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, tzinfo

import pytest
from hypothesis import HealthCheck, settings

import blocker.clock
from tests.support.clock import TEST_NOW, ticking_clock

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


class _PinnedDatetime(datetime):
    """``datetime`` whose ``now()`` follows the suite's pinned, ticking clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = ticking_clock()
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


@pytest.fixture(autouse=True, scope="session")
def _pin_system_clock() -> Iterator[None]:
    """The product's system clock answers the pinned date (``BLOCKER_TEST_TODAY``) for the
    whole session, so nothing in-process plans against the day the suite runs."""
    original = blocker.clock.datetime
    blocker.clock.datetime = _PinnedDatetime  # type: ignore[misc]
    try:
        yield
    finally:
        blocker.clock.datetime = original  # type: ignore[misc]


@pytest.fixture()
def test_now() -> datetime:
    """The pinned instant of this session (see tests/support/clock.py)."""
    return TEST_NOW
