"""A renewal prep a meeting lands on is kept shorter, not silently lost (issue 15.6).

Lived week, kenji-tokyo 2026-W20: on Friday, the week's last day, a meeting landed
on a 90-day renewal prep. Today's other blocks stay where they are (the stability
horizon), so the prep could only go to free time, and no free slot of its whole
30 minutes was left: the replan deleted it and the account had no prep that week.
Now it takes the longest free piece down to 15 minutes, and says the rest is short.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from blocker.core.models import Block, BlockRequest
from blocker.planner import SHORTEST_MINUTES, plan_week
from tests.planner.helpers import at, by_key, family, meeting, request, spec

TZ = "Asia/Tokyo"
WEEK = "2026-W20"
MON, FRI = date(2026, 5, 11), date(2026, 5, 15)


def t(day: date, hour: int, minute: int = 0) -> datetime:
    return at(TZ, day, hour, minute)


PREP = request(
    "renewal_prep:wayne-labs",
    30,
    t(MON, 9),
    t(FRI, 17),
    kind="renewal_prep",
    priority=95,
    min_chunk=30,
    alert=True,
    title="Renewal prep: Wayne Labs (90 days)",
)
WORK = request("account_time", 480, t(FRI, 9), t(FRI, 17), priority=40, min_chunk=15)


def block(req: BlockRequest, key: str, start: datetime, minutes: int) -> Block:
    return Block(key, req.rule, req.kind, req.title, start, start + timedelta(minutes=minutes))


# Friday as Thursday's run left it: full, the prep at 13:20
PREVIOUS = (
    block(WORK, "account_time", t(FRI, 9), 240),
    block(WORK, "account_time#1", t(FRI, 13), 20),
    block(PREP, PREP.key, t(FRI, 13, 20), 30),
    block(WORK, "account_time#2", t(FRI, 13, 50), 190),
)
CALL = meeting(t(FRI, 13), 30, "Call with Hooli Retail 29")


def friday_morning(previous: tuple[Block, ...] = PREVIOUS, minute: int = 0):  # type: ignore[no-untyped-def]
    return plan_week(
        spec(WEEK, TZ, [PREP, WORK]),
        busy=[CALL],
        previous=previous,
        now=t(FRI, 7, minute),
        stability_until=t(FRI + timedelta(days=1), 0),
    )


def test_the_prep_a_meeting_lands_on_is_kept_shorter_in_the_time_left() -> None:
    plan = friday_morning()
    prep = by_key(plan)[PREP.key]
    assert (prep.start, prep.end) == (t(FRI, 13, 30), t(FRI, 13, 50))
    [short] = [s for s in plan.shortfall if s.key == PREP.key]
    assert (short.placed_minutes, short.requested_minutes) == (20, 30)
    assert "Call with Hooli Retail 29" in short.reason
    # today's other blocks stay put: only the one the meeting covered gave way
    assert by_key(plan)["account_time#2"].start == t(FRI, 13, 50)


def test_the_shorter_prep_stays_on_the_next_run() -> None:
    first = friday_morning()
    again = friday_morning(first.blocks, minute=10)
    assert family(again, PREP.key) == family(first, PREP.key)


def test_no_sliver_shorter_than_the_floor() -> None:
    """Less free time than the floor: the prep is a shortfall, never a sliver."""
    previous = (*PREVIOUS[:3], block(WORK, "account_time#2", t(FRI, 13, 40), 200))
    plan = friday_morning(previous)
    assert PREP.key not in by_key(plan)
    [short] = [s for s in plan.shortfall if s.key == PREP.key]
    assert short.placed_minutes == 0 and SHORTEST_MINUTES == 15


def test_a_prep_never_planned_keeps_its_minimum_chunk() -> None:
    """Only a prep that was on the calendar is kept shorter; a new one with no whole
    slot is a shortfall, as before (the week's first plan keeps the minimum chunk)."""
    previous = tuple(b for b in PREVIOUS if b.key != PREP.key)
    plan = friday_morning(previous)
    assert PREP.key not in by_key(plan)
    [short] = [s for s in plan.shortfall if s.key == PREP.key]
    assert short.placed_minutes == 0
