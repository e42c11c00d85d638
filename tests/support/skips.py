"""The one kind of skip CI accepts (see tests/conftest.py's session check)."""

from __future__ import annotations

from typing import NoReturn

import pytest

CAPABILITY = "capability: "
"""Prefix of the only skips CI accepts: something the thing under test declares it
cannot do (a provider without incremental reads), never a missing tool or service."""


def capability_skip(reason: str) -> NoReturn:
    """Skip because the subject lacks a capability, saying which (allowed in CI)."""
    pytest.skip(CAPABILITY + reason)


__all__ = ["CAPABILITY", "capability_skip"]
