"""Polling for a condition in tests: fail after a limit, never measure how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(
    condition: Callable[[], Any], *, what: str, limit: float = 20.0, interval: float = 0.05
) -> Any:
    """Poll ``condition`` until truthy and return its value; fails after ``limit`` s.

    The limit is a failure deadline, not a measurement: a shared, noisy machine
    may be slow, so suites pick a generous one.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
