"""User edits vs echoes of our own writes (pure)."""

from __future__ import annotations

from dataclasses import replace

from blocker.core.keys import OwnershipTag
from blocker.core.models import Block, Pin, RemoteEvent
from blocker.edits import detect_edits, is_user_edit
from blocker.state import EventMapping
from tests.sync.helpers import WEEK, at

BLOCK = Block(
    key="acme:1", rule="acme", kind="block", title="Acme prep", start=at(1, 9), end=at(1, 10)
)


def written(block: Block, **changes: object) -> RemoteEvent:
    event = RemoteEvent(
        event_id="ev-1",
        start=block.start,
        end=block.end,
        title=block.title,
        etag='"1"',
        tag=OwnershipTag(block.key, block.content_hash),
    )
    return replace(event, **changes)  # type: ignore[arg-type]


def mapping(block: Block, content_hash: str | None = None) -> dict[str, EventMapping]:
    return {block.key: EventMapping(block.key, "ev-1", WEEK, content_hash or block.content_hash)}


def test_our_write_echoing_back_is_not_an_edit() -> None:
    assert not is_user_edit(written(BLOCK), mapping(BLOCK)[BLOCK.key])
    assert not is_user_edit(written(BLOCK), None)
    # a provider that kept an old tag, but the content is what we last wrote
    moved = replace(BLOCK, start=at(1, 11), end=at(1, 12))
    stale_tag = written(moved, tag=OwnershipTag(BLOCK.key, BLOCK.content_hash))
    assert not is_user_edit(stale_tag, mapping(moved)[BLOCK.key])
    assert detect_edits([stale_tag], mapping(moved), week=WEEK, previous=[moved]).pins == ()


def test_foreign_events_are_never_edits() -> None:
    event = replace(written(BLOCK), tag=None, title="Lunch")
    assert not is_user_edit(event, None)


def test_move_pins_the_times_only() -> None:
    event = written(BLOCK, start=at(2, 14), end=at(2, 15))
    edits = detect_edits([event], mapping(BLOCK), week=WEEK, previous=[BLOCK])
    assert edits.pins == (Pin(BLOCK.key, start=at(2, 14), end=at(2, 15)),)
    assert edits.accepted[0].content_hash == event.observed_hash and edits.gone == ()


def test_retitle_pins_the_title_only_and_keeps_an_earlier_move() -> None:
    moved_pin = Pin(BLOCK.key, start=at(2, 14), end=at(2, 15))
    placed = replace(BLOCK, start=at(2, 14), end=at(2, 15))
    event = written(placed, title="Mine now", tag=OwnershipTag(BLOCK.key, BLOCK.content_hash))
    edits = detect_edits(
        [event], mapping(BLOCK, placed.content_hash), week=WEEK, previous=[placed], pins=[]
    )
    assert edits.pins == (Pin(BLOCK.key, title="Mine now"),)
    edits = detect_edits(
        [event],
        mapping(BLOCK, placed.content_hash),
        week=WEEK,
        previous=[placed],
        pins=[moved_pin],
    )
    assert edits.pins == (Pin(BLOCK.key, start=at(2, 14), end=at(2, 15), title="Mine now"),)


def test_unknown_last_block_pins_both() -> None:
    event = written(BLOCK, title="Other", start=at(3, 9), end=at(3, 10))
    [pin] = detect_edits([event], {}, week=WEEK).pins
    assert (pin.start, pin.end, pin.title) == (at(3, 9), at(3, 10), "Other")


def test_vanished_mapped_event_is_dismissed_only_after_a_complete_read() -> None:
    edits = detect_edits([], mapping(BLOCK), week=WEEK, previous=[BLOCK])
    assert edits.pins == (Pin(BLOCK.key, dismissed=True),) and edits.gone == (BLOCK.key,)
    assert detect_edits([], mapping(BLOCK), week=WEEK, read_complete=False) == type(edits)()
    already = detect_edits([], mapping(BLOCK), week=WEEK, pins=[Pin(BLOCK.key, dismissed=True)])
    assert already.pins == () and already.gone == (BLOCK.key,)
