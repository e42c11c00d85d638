"""The pure diff: desired blocks vs observed owned events, with reasons."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC

from blocker.core.keys import OwnershipTag
from blocker.core.models import Block, Busy, Plan, RemoteEvent
from blocker.diff import REASON_DUPLICATE, REASON_NOT_REQUESTED, diff
from blocker.state import EventMapping
from tests.sync.helpers import TZ_NAME, WEEK, at


def block(key: str, day: int, hour: int, hours: int = 1, **kw: object) -> Block:
    return Block(
        key=key,
        rule=key.split(":")[0],
        kind="block",
        title=f"Block {key}",
        start=at(day, hour),
        end=at(day, hour + hours),
        **kw,  # type: ignore[arg-type]
    )


def plan(*blocks: Block) -> Plan:
    return Plan(week=WEEK, timezone=TZ_NAME, blocks=tuple(blocks))


def event_of(b: Block, event_id: str | None = None, **changes: object) -> RemoteEvent:
    """The event we would have written for ``b`` (tag with b's hash), then ``changes``."""
    event = RemoteEvent(
        event_id=event_id or f"ev-{b.key}",
        start=b.start,
        end=b.end,
        title=b.title,
        etag='"1"',
        tag=OwnershipTag(b.key, b.content_hash),
        transparent=b.show_as == "free",
        color=b.color,
    )
    return replace(event, **changes)  # type: ignore[arg-type]


def foreign(day: int, hour: int, title: str = "Meeting", hours: int = 1) -> RemoteEvent:
    return RemoteEvent(
        event_id=f"f-{title}", start=at(day, hour), end=at(day, hour + hours), title=title
    )


A = block("a:1", 0, 10, reason="renewal of Acme in 30 days")
B = block("b:1", 1, 14)


def test_empty_calendar_creates_every_block_with_its_reason() -> None:
    ops = diff(plan(B, A), [], {})
    assert [(op.action, op.key) for op in ops] == [("create", "a:1"), ("create", "b:1")]
    assert ops[0].reason == "created: renewal of Acme in 30 days"
    assert ops[1].reason == f"created: {B.title}"
    assert ops[0].block == A and ops[0].current is None


def test_calendar_already_matching_needs_no_ops() -> None:
    observed = [event_of(A), event_of(B), foreign(2, 10)]
    assert diff(plan(A, B), observed, {}, previous=[A, B]) == []


def test_times_compare_as_instants_across_zones() -> None:
    in_utc = event_of(A, start=A.start.astimezone(UTC), end=A.end.astimezone(UTC))
    assert diff(plan(A), [in_utc], {}) == []


def test_move_is_an_update_of_the_same_event_naming_the_meeting() -> None:
    moved = replace(A, start=at(0, 13), end=at(0, 14))
    qbr = foreign(0, 10, "QBR Globex")
    ops = diff(plan(moved), [event_of(A), qbr], {}, busy=[qbr.as_busy()], previous=[A])
    assert len(ops) == 1
    op = ops[0]
    assert (op.action, op.key, op.block) == ("update", "a:1", moved)
    assert op.current is not None and op.current.event_id == "ev-a:1"
    assert op.reason == "moved: 'QBR Globex' (Mon 10:00) landed on it"


def test_declined_meeting_is_not_named_as_the_cause() -> None:
    moved = replace(A, start=at(0, 9), end=at(0, 10))
    declined = Busy(at(0, 10), at(0, 11), title="Skipped", response="declined")
    [op] = diff(plan(moved), [event_of(A)], {}, busy=[declined])
    assert op.reason == "moved: free time appeared earlier"


def test_move_later_without_a_meeting_says_the_plan_changed() -> None:
    moved = replace(A, start=at(0, 15), end=at(0, 16))
    [op] = diff(plan(moved), [event_of(A)], {})
    assert op.action == "update"
    assert op.reason.startswith("moved: ") and "earlier" not in op.reason


def test_retitle_and_show_as_and_colour_changes_are_updates() -> None:
    retitled = replace(A, title="Renewal prep Acme")
    [op] = diff(plan(retitled), [event_of(A)], {}, previous=[A])
    assert op.action == "update" and "retitled" in op.reason

    free = replace(A, show_as="free")
    [op] = diff(plan(free), [event_of(A)], {}, previous=[A])
    assert op.action == "update" and op.reason.startswith("shown as free")

    recoloured = replace(A, color="#0B8043")
    [op] = diff(plan(recoloured), [event_of(A)], {}, previous=[A])
    assert op.action == "update" and "recoloured" in op.reason
    # the same colour as last applied: the provider's own colour spelling is not a change
    assert diff(plan(A), [event_of(A, color="7")], {}, previous=[A]) == []


def test_owned_event_not_in_plan_is_deleted_only_after_a_complete_read() -> None:
    stale = event_of(B)
    ops = diff(plan(A), [event_of(A), stale], {})
    assert [(op.action, op.key, op.reason) for op in ops] == [
        ("delete", "b:1", REASON_NOT_REQUESTED)
    ]
    assert ops[0].current == stale
    assert diff(plan(A), [event_of(A), stale], {}, read_complete=False) == []


def test_partial_read_still_creates_and_moves() -> None:
    moved = replace(A, start=at(0, 15), end=at(0, 16))
    ops = diff(plan(moved, B), [event_of(A)], {}, read_complete=False)
    assert [(op.action, op.key) for op in ops] == [("update", "a:1"), ("create", "b:1")]


def test_foreign_events_are_never_touched() -> None:
    lookalike = RemoteEvent(
        event_id="f-1", start=A.start, end=A.end, title=A.title, color="#000000"
    )
    ops = diff(plan(), [lookalike], {})
    assert ops == []
    ops = diff(plan(A), [lookalike], {})
    assert [(op.action, op.current) for op in ops] == [("create", None)]


def test_cancelled_owned_events_count_as_absent() -> None:
    ops = diff(plan(A), [event_of(A, cancelled=True)], {})
    assert [op.action for op in ops] == ["create"]


def test_duplicates_keep_the_mapped_event_and_delete_the_rest() -> None:
    first, second = event_of(A, "ev-1"), event_of(A, "ev-2")
    mapping = {A.key: EventMapping(A.key, "ev-2", WEEK, A.content_hash)}
    ops = diff(plan(A), [first, second], mapping)
    assert [(op.action, op.reason, op.current) for op in ops] == [
        ("delete", REASON_DUPLICATE, first)
    ]
    # without a mapping: keep the one already showing the plan
    off = event_of(A, "ev-0", start=at(0, 11), end=at(0, 12))
    ops = diff(plan(A), [off, second], {})
    assert [(op.action, op.current) for op in ops] == [("delete", off)]
    assert diff(plan(A), [first, second], {}, read_complete=False) == []


def test_ops_are_sorted_deterministically_whatever_the_read_order() -> None:
    blocks = [block(f"k{i}:1", i % 5, 9 + i % 7) for i in range(12)]
    desired = plan(*blocks[:8])
    observed = [event_of(b) for b in blocks[4:]]
    observed[0] = replace(observed[0], start=at(4, 16), end=at(4, 17))
    expected = diff(desired, observed, {})
    rng = random.Random(7)
    for _ in range(10):
        shuffled = observed[:]
        rng.shuffle(shuffled)
        assert diff(desired, shuffled, {}) == expected
    assert {op.action for op in expected} == {"create", "update", "delete"}
    starts = [(op.block or op.current).start for op in expected]  # type: ignore[union-attr]
    assert starts == sorted(starts)


def test_partial_read_does_not_recreate_a_mapped_block_it_did_not_see() -> None:
    mapped = {B.key: EventMapping(B.key, "ev-b:1", WEEK, B.content_hash)}
    ops = diff(plan(A, B), [], mapped, read_complete=False)
    assert [(op.action, op.key) for op in ops] == [("create", "a:1")]
    assert [op.key for op in diff(plan(A, B), [], mapped)] == ["a:1", "b:1"]


def test_a_stale_tag_on_matching_content_is_retagged() -> None:
    """The user's edit, planned as is: one quiet update so the tag names it."""
    users = replace(A, start=at(0, 12), end=at(0, 13))
    event = event_of(A, start=users.start, end=users.end)
    [op] = diff(plan(users), [event], {}, previous=[A])
    assert (op.action, op.reason) == ("update", "kept your change: you moved it")
    [op] = diff(plan(users), [event], {})  # nothing to compare with: no guess
    assert (op.action, op.reason) == ("update", "kept your change")
