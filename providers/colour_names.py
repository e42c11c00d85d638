"""The names our colours go by on every calendar system: ``csm-blocker · Focus``.

Google event labels and Outlook categories carry the same name for the same rule,
so a user with both sees one vocabulary. Google allows 50 characters in a label
name (discovery document, ``EventLabel.name``); Outlook's category names are longer,
but one cut serves both.
"""

from __future__ import annotations

PREFIX = "csm-blocker · "
MAX_NAME = 50
"""'If provided this must have at most 50 characters' (Google ``EventLabel.name``)."""
LEGACY_PREFIX = "csm-blocker "
"""Outlook categories before 16.4 were named by colour: ``csm-blocker Blue``."""


def colour_name(label: str) -> str:
    """``csm-blocker · Focus`` for the block label ``Focus`` (``Block`` when empty)."""
    return (PREFIX + (label.strip() or "Block"))[:MAX_NAME]


def is_ours(name: str) -> bool:
    """Whether a category/label name is one we make, in this version's form or the
    colour-named form of earlier versions."""
    return name.startswith(PREFIX) or name.startswith(LEGACY_PREFIX)


__all__ = ["LEGACY_PREFIX", "MAX_NAME", "PREFIX", "colour_name", "is_ours"]
