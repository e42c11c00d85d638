"""The format of our own VEVENTs, shared by reading and rendering them: a UID
``{event_id}@csm-blocker`` and the ownership tag as ``X-CSM-BLOCKER-*`` properties."""

from __future__ import annotations

import hashlib

UID_SUFFIX = "@csm-blocker"
KEY_PROP = "X-CSM-BLOCKER-KEY"
HASH_PROP = "X-CSM-BLOCKER-HASH"
COLOR_PROP = "X-CSM-BLOCKER-COLOR"
TZID_PROP = "X-CSM-BLOCKER-TZID"
"""Time zone of an all-day block, so its DATE values read back as the same instants."""


def etag_of(text: str) -> str:
    """Short hash of a component's text: changes whenever anything in it changes."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["COLOR_PROP", "HASH_PROP", "KEY_PROP", "TZID_PROP", "UID_SUFFIX", "etag_of"]
