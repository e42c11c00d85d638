"""The names our colours go by on every calendar system: ``csm-blocker · Focus``.

Google event labels are named so. Outlook categories still go by colour
(``csm-blocker Blue``): named per rule they would outnumber the free members of a
first sync's write batches, and the creations that do not fit are owed in memory
only, so a CLI process would lose them.
Google allows 50 characters in a label name (discovery document, ``EventLabel.name``).
"""

from __future__ import annotations

PREFIX = "csm-blocker · "
MAX_NAME = 50
"""'If provided this must have at most 50 characters' (Google ``EventLabel.name``)."""


def colour_name(label: str) -> str:
    """``csm-blocker · Focus`` for the block label ``Focus`` (``Block`` when empty)."""
    return (PREFIX + (label.strip() or "Block"))[:MAX_NAME]


__all__ = ["MAX_NAME", "PREFIX", "colour_name"]
