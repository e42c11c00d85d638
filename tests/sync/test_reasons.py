"""Issue 15.5, right words: every op's reason names its real cause, in the user's
wall-clock time, with no block key (the diff's reasons, exact strings).

The test week is 2026-W10 in Europe/Berlin (Mon 2 March 2026); New York is six
hours behind that week (its DST starts on Sunday 8 March).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.core.keys import OwnershipTag, base_key
from blocker.core.models import Block, Busy, Op, Plan, RemoteEvent, Shortfall
from blocker.diff import REASON_LESS_TIME, REASON_NOT_REQUESTED, diff
from tests.sync.helpers import TZ_NAME, WEEK, at

NEW_YORK = ZoneInfo("America/New_York")


def block(key: str, day: int, hour: int, minutes: int = 60, **kw: object) -> Block:
    start = at(day, hour)
    return Block(
        key=key,
        rule=kw.pop("rule", key.split(":")[0]),  # type: ignore[arg-type]
        kind="block",
        title=kw.pop("title", f"Block {key}"),  # type: ignore[arg-type]
        start=start,
        end=start + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


def plan(*blocks: Block, shortfall: tuple[Shortfall, ...] = ()) -> Plan:
    return Plan(week=WEEK, timezone=TZ_NAME, blocks=tuple(blocks), shortfall=shortfall)


def written(b: Block, *, utc: bool = True) -> RemoteEvent:
    """The event we wrote for ``b``, read back in UTC as providers return it."""
    start, end = (b.start.astimezone(UTC), b.end.astimezone(UTC)) if utc else (b.start, b.end)
    return RemoteEvent(
        event_id=f"ev-{b.key}",
        start=start,
        end=end,
        title=b.title,
        tag=OwnershipTag(b.key, b.content_hash),
        all_day=b.all_day,
        transparent=b.show_as == "free",
    )


def meeting(start: datetime, end: datetime, title: str, **kw: object) -> Busy:
    return Busy(start=start, end=end, title=title, **kw)  # type: ignore[arg-type]


def reasons(ops: list[Op]) -> list[tuple[str, str, str]]:
    return [(op.action, op.key, op.reason) for op in ops]


# -- moves -----------------------------------------------------------------------------


def test_a_meeting_written_in_another_zone_is_named_in_the_rules_zone() -> None:
    a = block("a:1", 0, 10)
    moved = replace(a, start=at(0, 14), end=at(0, 15))
    # 04:00 in New York is 10:00 in Berlin that Monday
    call = meeting(
        datetime(2026, 3, 2, 4, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 2, 5, 0, tzinfo=NEW_YORK),
        "Call with NY office",
    )
    [op] = diff(plan(moved), [written(a)], {}, busy=[call], previous=[a])
    assert op.reason == "moved: 'Call with NY office' (Mon 10:00) landed on it"


def test_an_all_day_entry_on_a_block_says_all_day() -> None:
    a = block("a:1", 1, 10)
    moved = replace(a, start=at(2, 10), end=at(2, 11))
    offsite = meeting(at(1, 0), at(2, 0), "Offsite", all_day=True)
    [op] = diff(plan(moved), [written(a)], {}, busy=[offsite], previous=[a])
    assert op.reason == "moved: 'Offsite' (Tue, all day) landed on it"


def test_a_move_names_the_block_of_the_plan_now_in_its_place() -> None:
    a = block("a:1", 0, 10)
    moved = replace(a, start=at(0, 14), end=at(0, 15))
    golive = block("golive:1", 0, 10, 90, title="Go-live prep: Globex")
    [op] = diff(plan(golive, moved), [written(a), written(golive)], {}, previous=[a])
    assert op.reason == "moved: its place went to 'Go-live prep: Globex' (Mon 10:00-11:30)"


def test_a_block_cut_because_its_rule_asks_for_less_says_so() -> None:
    focus = block("focus:1", 4, 10, 90)
    shorter = replace(focus, end=at(4, 11))
    [op] = diff(plan(shorter), [written(focus)], {}, previous=[focus])
    assert op.reason == f"shortened: {REASON_LESS_TIME}"


# -- deletes ---------------------------------------------------------------------------


def test_a_delete_names_the_meeting_on_it_in_local_time() -> None:
    batch = block("email:1", 1, 13, 20, title="Email batch")
    other = block("email:2", 1, 16, 20, title="Email batch")
    demo = meeting(at(1, 13), at(1, 13, 30), "Vendor demo")
    short = Shortfall("email", "email:1", 20, 0, "'Vendor demo' at Tue 13:00 takes this time")
    ops = diff(
        plan(other, shortfall=(short,)),
        [written(batch), written(other)],
        {},
        busy=[demo],
        previous=[batch, other],
    )
    assert reasons(ops) == [
        ("delete", "email:1", "deleted: 'Vendor demo' (Tue 13:00) landed on it")
    ]


def test_a_delete_names_the_block_of_the_plan_that_took_its_time() -> None:
    lunch = block("lunch:1", 1, 12, 45, title="Lunch")
    golive = block("golive:1", 1, 11, 90, title="Go-live prep: Globex")
    short = Shortfall("lunch", "lunch:1", 45, 0, "its time went to 'Renewal X' (higher priority)")
    ops = diff(plan(golive, shortfall=(short,)), [written(lunch)], {}, previous=[lunch])
    assert reasons(ops)[0][0] == "create"
    assert reasons(ops)[1] == (
        "delete",
        "lunch:1",
        "deleted: its time went to 'Go-live prep: Globex' (Tue 11:00-12:30)",
    )


def test_a_delete_by_shortfall_names_only_blocks_that_are_in_the_plan() -> None:
    """The planner's note may name a block that did not end up in the plan: dropped."""
    chunk = block("prep:1#1", 2, 15)
    kept = block("prep:1", 0, 9)
    stays = block("review:1", 3, 9, title="Weekly review")
    note = (
        "its time went to 'Ghost' (higher priority); "
        "its time went to 'Weekly review' (higher priority); "
        "only 60 of 120 min fit: no free slot of 60+ min left between Mon 09:00 and Fri 17:00"
    )
    short = Shortfall("prep", "prep:1", 120, 60, note)
    ops = diff(
        plan(kept, stays, shortfall=(short,)),
        [written(kept), written(chunk), written(stays)],
        {},
        previous=[kept, chunk, stays],
    )
    assert reasons(ops) == [
        (
            "delete",
            "prep:1#1",
            "deleted: its time went to 'Weekly review' (higher priority); only 60 of 120 min "
            "fit: no free slot of 60+ min left between Mon 09:00 and Fri 17:00",
        )
    ]


def test_a_delete_because_the_rule_asks_for_less_says_so_not_no_longer_asks() -> None:
    first, second = block("focus:1", 0, 9), block("focus:1#1", 4, 14, 75)
    ops = diff(plan(first), [written(first), written(second)], {}, previous=[first, second])
    assert reasons(ops) == [("delete", "focus:1#1", f"deleted: {REASON_LESS_TIME}")]


def test_a_delete_whose_request_moved_to_another_of_its_blocks_names_it() -> None:
    old = block("goal:1#1", 1, 9, 30, title="Goal: template")
    new = block("goal:1", 2, 9, 30, title="Goal: template")
    ops = diff(plan(new), [written(old)], {}, previous=[old])
    assert reasons(ops) == [
        ("delete", "goal:1#1", "deleted: its time is now in 'Goal: template' (Wed 09:00-09:30)"),
        ("create", "goal:1", "created: Goal: template"),
    ]


def test_a_removed_rule_is_the_cause_even_with_a_meeting_on_the_block() -> None:
    learning = block("learning:1", 3, 9, 30, title="Learning")
    other = block("focus:1", 0, 9)
    meet = meeting(at(3, 9), at(3, 10), "Standup")
    ops = diff(
        plan(other),
        [written(other), written(learning)],
        {},
        busy=[meet],
        previous=[learning, other],
    )
    assert reasons(ops) == [("delete", "learning:1", REASON_NOT_REQUESTED)]


def test_an_all_day_marker_is_not_deleted_for_a_timed_meeting_that_day() -> None:
    marker = Block(
        key="mfd:1",
        rule="mfd",
        kind="meeting_free_day",
        title="Meeting-free day",
        start=at(4, 0),
        end=at(4, 0) + timedelta(days=1),
        all_day=True,
    )
    standup = meeting(at(4, 10), at(4, 11), "Standup")
    offsite = meeting(at(4, 0), at(4, 0) + timedelta(days=1), "Offsite", all_day=True)
    other = block("focus:1", 0, 9)
    short = Shortfall("mfd", "mfd:1", 1440, 0, "'Offsite' (Fri, all day) takes this time")
    current = plan(other, shortfall=(short,))
    ops = diff(
        current,
        [written(marker), written(other)],
        {},
        busy=[standup, offsite],
        previous=[marker, other],
    )
    assert reasons(ops) == [("delete", "mfd:1", "deleted: 'Offsite' (Fri, all day) landed on it")]
    # the offsite declined: the day's meeting is still not "on" the all-day marker
    ops = diff(
        current, [written(marker), written(other)], {}, busy=[standup], previous=[marker, other]
    )
    assert reasons(ops) == [
        ("delete", "mfd:1", "deleted: 'Offsite' (Fri, all day) takes this time")
    ]


# -- the user's edits, retitles --------------------------------------------------------


def test_the_users_edit_is_named() -> None:
    a = block("a:1", 0, 10, title="Renewal prep")
    moved = replace(a, start=at(0, 12), end=at(0, 13))
    renamed = replace(a, title="Acme deck")
    both = replace(moved, title="Acme deck")
    for users, words in (
        (moved, "kept your change: you moved it"),
        (renamed, "kept your change: you renamed it"),
        (both, "kept your change: you moved and renamed it"),
    ):
        event = replace(written(a), start=users.start, end=users.end, title=users.title)
        [op] = diff(plan(users), [event], {}, previous=[a])
        assert (op.action, op.reason) == ("update", words)


def test_a_retitle_says_what_it_was() -> None:
    a = block("silent:1", 0, 10, title="Silent account: Acme (no contact since 02 Nov)")
    now = replace(a, title="Silent account: Acme (no contact since 20 Nov)")
    [op] = diff(plan(now), [written(a)], {}, previous=[a])
    assert op.reason == (
        "retitled (was 'Silent account: Acme (no contact since 02 Nov)'): "
        "the rules or the account data changed"
    )


# -- no internal keys, ever ------------------------------------------------------------

KEYISH = re.compile(r"[a-z_]+/\d{4}-\d{2}-\d{2}/\d+|#\d")


def test_no_reason_carries_a_block_key() -> None:
    """Keys as the rules engine writes them (rule/date/index#chunk) never reach a reason."""
    keys = [f"focus_time/2026-03-0{d}/0" for d in (2, 3, 4)]
    blocks = [block(k, i, 10, title="Focus time", rule="focus_time") for i, k in enumerate(keys)]
    chunk = block(f"{keys[0]}#1", 3, 14, title="Focus time", rule="focus_time")
    gone = block("learning/2026-03-05/0", 3, 9, 30, title="Learning", rule="learning")
    demo = meeting(at(1, 10), at(1, 11), "Vendor demo")
    moved = replace(blocks[1], start=at(1, 15), end=at(1, 16))
    short = Shortfall(
        "focus_time", keys[0], 120, 60, f"its time went to '{keys[2]}' (higher priority)"
    )
    ops = diff(
        plan(blocks[0], moved, blocks[2], shortfall=(short,)),
        [written(b) for b in (*blocks, chunk, gone)],
        {},
        busy=[demo],
        previous=[*blocks, chunk, gone],
    )
    assert reasons(ops) == [
        ("update", keys[1], "moved: 'Vendor demo' (Tue 10:00) landed on it"),
        ("delete", "learning/2026-03-05/0", REASON_NOT_REQUESTED),
        ("delete", f"{keys[0]}#1", "deleted: its time is now in 'Focus time' (Mon 10:00-11:00)"),
    ]
    for op in ops:
        assert not KEYISH.search(op.reason), op.reason
        assert "UTC" not in op.reason and "+00:00" not in op.reason


def test_base_key_strips_only_a_chunk_index() -> None:
    assert base_key("focus_time/2026-12-07/0#2") == "focus_time/2026-12-07/0"
    assert base_key("focus_time/2026-12-07/0") == "focus_time/2026-12-07/0"
    assert base_key("goal/a#b") == "goal/a#b"
