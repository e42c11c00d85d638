"""A replan never deletes a protected ``keep`` block of the previous plan (issue 15.3).

Lived week, priya-la 2026-W45: focus made up on Thursday had taken the time of the
fixed end-of-day wrap-up (priority says focus wins a full week). On Wednesday an
all-day out-of-office moved Wednesday's focus away; the replan placed the fixed
wrap-up first, found the made-up focus chunk on its time and deleted the chunk, a
block whose policy is to stay. Kept blocks of a ``keep`` request now stay ahead of
the fixed template blocks, which go around them as they did in the previous plan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from blocker.core.models import Block, BlockRequest
from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, family, fixed, meeting, request, spec

TZ = "America/Los_Angeles"
WEEK = "2026-W45"
MON, WED, THU, FRI = (date(2026, 11, d) for d in (2, 4, 5, 6))


def t(day: date, hour: int, minute: int = 0) -> datetime:
    return at(TZ, day, hour, minute)


FOCUS = request(
    "focus",
    300,
    t(MON, 9),
    t(FRI, 17),
    kind="focus_time",
    priority=80,
    protected=True,
    conflict_policy="keep",
    min_chunk=90,
    max_chunk=180,
)
WRAP_UP = fixed("wrap_up:thu", t(THU, 16, 15), 15, priority=40, kind="wrap_up")
OUT_OF_OFFICE = meeting(t(WED, 0), 24 * 60, "Out of office", all_day=True, response="accepted")


def block(req: BlockRequest, key: str, start: datetime, minutes: int) -> Block:
    return Block(
        key,
        req.rule,
        req.kind,
        req.title,
        start,
        start + timedelta(minutes=minutes),
        protected=req.protected,
        conflict_policy=req.conflict_policy,
        flexible=not req.fixed,
    )


# the plan of Tuesday: focus on Wednesday, more on Friday, and a chunk made up on
# Thursday afternoon that covers the wrap-up (which the plan reported short)
PREVIOUS = (
    block(FOCUS, "focus", t(WED, 12, 30), 120),
    block(FOCUS, "focus#1", t(FRI, 9), 90),
    block(FOCUS, "focus#2", t(THU, 15), 90),
)


def replan_on_wednesday(requests: list[BlockRequest]) -> dict[str, Block]:
    plan = plan_week(
        spec(WEEK, TZ, requests),
        busy=[OUT_OF_OFFICE],
        previous=PREVIOUS,
        now=t(WED, 7),
        stability_until=t(THU, 0),
    )
    return by_key(plan)


def test_the_made_up_chunk_stays_when_a_fixed_block_wants_its_time() -> None:
    blocks = replan_on_wednesday([FOCUS, WRAP_UP])
    kept = blocks["focus#2"]
    assert (kept.start, kept.end) == (t(THU, 15), t(THU, 16, 30))
    assert "wrap_up:thu" not in blocks  # as in the previous plan: the lower priority gives way
    # Wednesday's focus is away (out of office) and placed again elsewhere, not on Wednesday
    assert all(b.start.date() != WED for b in blocks.values())


def test_the_wrap_up_that_gave_way_is_reported_not_silently_dropped() -> None:
    plan = plan_week(
        spec(WEEK, TZ, [FOCUS, WRAP_UP]),
        busy=[OUT_OF_OFFICE],
        previous=PREVIOUS,
        now=t(WED, 7),
        stability_until=t(THU, 0),
    )
    [short] = [s for s in plan.shortfall if s.key == "wrap_up:thu"]
    assert short.placed_minutes == 0 and "focus" in short.reason.lower(), short.reason


def test_a_replan_with_nothing_changed_keeps_every_focus_block() -> None:
    """The kept chunk is a fixed point: planned again over its own result, the same."""
    first = plan_week(
        spec(WEEK, TZ, [FOCUS, WRAP_UP]),
        busy=[OUT_OF_OFFICE],
        previous=PREVIOUS,
        now=t(WED, 7),
        stability_until=t(THU, 0),
    )
    again = plan_week(
        spec(WEEK, TZ, [FOCUS, WRAP_UP]),
        busy=[OUT_OF_OFFICE],
        previous=first.blocks,
        now=t(WED, 7, 10),
        stability_until=t(THU, 0),
    )
    assert family(again, "focus") == family(first, "focus")


def test_an_unprotected_block_still_gives_way_to_the_fixed_template() -> None:
    """Only ``keep`` blocks are kept first: optional work goes around fixed blocks."""
    optional = replace(FOCUS, key="reading", kind="learning", protected=False, priority=30)
    previous = (block(optional, "reading", t(THU, 15), 90),)
    plan = plan_week(
        spec(WEEK, TZ, [optional, WRAP_UP]),
        previous=previous,
        now=t(WED, 7),
        stability_until=t(THU, 0),
    )
    blocks = by_key(plan)
    wrap = blocks["wrap_up:thu"]
    assert (wrap.start, wrap.end) == (t(THU, 16, 15), t(THU, 16, 30))
    assert not any(b.start < wrap.end and wrap.start < b.end for b in family(plan, "reading"))


def test_a_fixed_block_of_higher_priority_still_wins_the_time() -> None:
    """Kept first, but not ahead of a fixed request that outranks it (a rule added
    since the last plan): the keep block moves, as any block a priority beats."""
    review = fixed("review:thu", t(THU, 15), 60, priority=90, kind="weekly_review")
    blocks = replan_on_wednesday([FOCUS, review])
    assert (blocks["review:thu"].start, blocks["review:thu"].end) == (t(THU, 15), t(THU, 16))
    on_review = [
        b
        for b in blocks.values()
        if b.kind == "focus_time" and b.start < t(THU, 16) and t(THU, 15) < b.end
    ]
    assert on_review == []
