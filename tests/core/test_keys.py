"""The identifiers we persist on users' calendars (blocker.core.keys).

These outlive releases: the v1 hash is pinned to a literal so an accidental change
of its input fails here instead of making every block on every calendar look edited.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from blocker.core import keys
from blocker.core.keys import (
    OwnershipTag,
    base_key,
    chunk_key,
    content_hash,
    event_id_for,
    in_family,
    request_of,
)
from blocker.core.models import EventDraft, RemoteEvent

NY = ZoneInfo("America/New_York")
START = datetime(2026, 12, 7, 9, 0, tzinfo=NY)
END = datetime(2026, 12, 7, 10, 30, tzinfo=NY)


def test_chunk_keys_round_trip_through_the_grammar() -> None:
    assert chunk_key("focus_time/2026-12-07/0", 0) == "focus_time/2026-12-07/0"
    assert chunk_key("focus_time/2026-12-07/0", 2) == "focus_time/2026-12-07/0#2"
    assert base_key(chunk_key("r/2026-12-07/1", 3)) == "r/2026-12-07/1"
    assert base_key("goal/a#b") == "goal/a#b"  # not a chunk index
    with pytest.raises(ValueError, match="chunk index"):
        chunk_key("r", -1)


def test_request_of_prefers_an_exact_request_key() -> None:
    requests = {"r/1", "odd#2"}
    assert request_of("r/1#4", requests) == "r/1"
    assert request_of("odd#2", requests) == "odd#2"  # a request's own key is never split
    assert request_of("other#1", requests) is None
    assert request_of("r/1", set()) is None
    assert in_family("r/1#2", "r/1") and in_family("r/1", "r/1")
    assert not in_family("r/10", "r/1") and not in_family("r/1#x", "r/1")


def test_v1_hash_and_event_id_are_frozen() -> None:
    """Values already written on calendars: these literals must never change."""
    assert (
        content_hash("Focus", START, END) == "f4b6f3f9458553af"
    )  # computed by the pre-keys models.py
    assert content_hash("Focus", START.astimezone(ZoneInfo("UTC")), END) == content_hash(
        "Focus", START, END
    )
    assert event_id_for("primary", "focus_time/2026-12-07/0") == "cog5ocum7mrqrntls6eoj9o3qtp9n0uc"


def test_naive_times_and_unknown_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        content_hash("Focus", START.replace(tzinfo=None), END)
    with pytest.raises(ValueError, match="unknown content-hash version 9"):
        content_hash("Focus", START, END, version=9)


def test_stored_hash_is_bare_for_v1_and_prefixed_after() -> None:
    v1 = OwnershipTag("k", "abc", 1)
    assert v1.stored_hash == "abc"
    assert OwnershipTag.parse("k", "abc") == v1
    v2 = OwnershipTag("k", "def", 2)
    assert v2.stored_hash == "v2:def"
    assert OwnershipTag.parse("k", v2.stored_hash) == v2


def test_a_tag_is_judged_in_its_own_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration: after a v2 scheme ships, an untouched v1 event still reads as ours
    and unedited; a tag from a newer release (unknown version) reads as edited."""
    monkeypatch.setitem(keys._SCHEMES, 2, lambda title, start, end: f"v2-{title}")
    v1 = OwnershipTag("k", content_hash("Focus", START, END, version=1), 1)
    v2 = OwnershipTag("k", "v2-Focus", 2)
    for tag in (v1, v2):
        event = RemoteEvent("e", START, END, "Focus", tag=tag)
        assert event.unedited, tag
        assert not RemoteEvent("e", START, END, "Renamed", tag=tag).unedited
    future = OwnershipTag.parse("k", "v7:" + v1.content_hash)
    assert future.version == 7
    assert not RemoteEvent("e", START, END, "Focus", tag=future).unedited


def test_drafts_carry_the_current_version() -> None:
    draft = EventDraft("id", "k", "Focus", START, END, content_hash("Focus", START, END))
    assert draft.tag.version == keys.TAG_VERSION
    assert draft.tag.shows("Focus", START, END)
