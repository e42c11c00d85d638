"""How much a rules file may ask for, and where the files it names may be.

The service builds these from its settings (``BLOCKER_DATA_DIR``,
``BLOCKER_MAX_RULES_BYTES``, ``BLOCKER_MAX_ACCOUNTS``, ``BLOCKER_MAX_FILE_BYTES``);
the defaults are the settings' defaults, so a caller without settings (a test,
the pure engine) gets the same safe bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blocker.core.files import DEFAULT_MAX_FILE_BYTES

DEFAULT_MAX_RULES_BYTES = 512 * 1024
"""A rules document: 512 KiB (the shipped example with 80 accounts is ~15 KB)."""

DEFAULT_MAX_ACCOUNTS = 10_000
"""Accounts, inline or from the accounts file (a CSM book is tens to hundreds)."""

MAX_ID_LENGTH = 64
"""Rule and calendar ids: they are parts of block keys and database columns."""

MAX_NAME_LENGTH = 200
"""Account names and goal titles: their slugs are parts of block keys (512 max)."""

MAX_CALENDAR_REF_LENGTH = 1024
"""A provider's calendar id (``calendar:``): its database column's length."""


@dataclass(frozen=True, slots=True)
class RulesLimits:
    """Bounds one load of a rules file works within (see the module docstring)."""

    data_dir: Path | None = None
    """Where files named in the rules live; None: the rules file's folder."""
    max_rules_bytes: int = DEFAULT_MAX_RULES_BYTES
    max_accounts: int = DEFAULT_MAX_ACCOUNTS
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES


__all__ = [
    "DEFAULT_MAX_ACCOUNTS",
    "DEFAULT_MAX_RULES_BYTES",
    "MAX_CALENDAR_REF_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "RulesLimits",
]
