"""Actual hours per account, tier, quadrant and category from a week of real meetings,
read through the local (.ics with ATTENDEE lines) and the memory provider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from blocker.actuals import (
    DomainIndex,
    MeetingClass,
    classify,
    last_contacts,
    measure,
    missed_touchpoints,
    observe,
    on_calendar,
)
from blocker.core.keys import OwnershipTag
from blocker.core.models import Block, Busy, Plan, RemoteEvent
from blocker.core.weeks import week_window
from blocker.report import actual_to_dict, compare
from providers.base import CalendarProvider
from providers.local import LocalCalendar
from rules import Rules, parse_rules
from rules.engine import expand_week
from tests.actuals.helpers import OWNER, RULES, WEEK, WEEK_ICS, memory_week, t


@pytest.fixture
def rules(tmp_path: Path) -> Rules:
    (tmp_path / "meetings.ics").write_text(WEEK_ICS, newline="")
    parsed: Rules = parse_rules(RULES, filename="rules.yaml", base_dir=tmp_path)
    return parsed


def _local(tmp_path: Path) -> CalendarProvider:
    return LocalCalendar(
        tmp_path / "calendar.ics", [tmp_path / "meetings.ics"], owner_domains=(OWNER,)
    )


SOURCES: dict[str, Callable[[Path], CalendarProvider]] = {
    "ics": _local,
    "memory": lambda _: memory_week(),
}


def _index(rules: Rules) -> DomainIndex:
    return DomainIndex(rules.accounts, rules.owner.email_domains)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_actual_hours_per_account_and_tier_are_exact(
    source: str, rules: Rules, tmp_path: Path
) -> None:
    span = week_window(WEEK, rules.timezone)
    seen = observe(SOURCES[source](tmp_path), span)
    assert len(seen.foreign) == 8
    actuals = measure(span, [], seen.foreign, _index(rules))

    spec = expand_week(rules, WEEK, today=date(2026, 11, 27))
    plan = Plan(week=WEEK, timezone=rules.timezone, blocks=())
    card = actual_to_dict(
        compare(plan, spec, actuals, accounts=[(a.name, a.tier) for a in rules.accounts])
    )

    by_account = {r["account"]: r["actual_minutes"] for r in card["accounts"]["top"]}
    assert by_account == {"Acme": 90, "Globex": 90, "Initech": 30}
    assert {n: r["actual_minutes"] for n, r in card["tiers"].items()} == {
        "high": 90,
        "mid": 90,
        "low": 30,
    }
    assert card["tiers"]["high"]["actual_share"] == round(90 / 210, 4)
    assert card["meetings"] == {"account": 210, "internal": 60, "external": 0, "solo": 30}
    quads = {q: r["actual_minutes"] for q, r in card["quadrants"].items()}
    assert quads == {"1": 90, "2": 120, "3": 60, "4": 0}
    cats = {c: r["actual_minutes"] for c, r in card["categories"].items()}
    assert cats == {"proactive": 120, "reactive": 90, "admin": 60}
    # Q3 is 60/270 = 22 %: the delegation flag is raised on the actual figures
    assert "Q3 > 20 % (poor delegation)" in card["flags"]
    assert "Q2 < 40 %" not in card["flags"]


def test_blocks_that_stayed_count_minus_the_meetings_on_them(rules: Rules) -> None:
    focus = Block(
        key="focus/2026-11-30/0",
        rule="focus",
        kind="focus_time",
        title="Busy · Focus",
        start=t(30, 10),
        end=t(30, 12),
        quadrant=2,
        category="proactive",
        protected=True,
    )
    gone = Block(
        key="review/2026-12-04/0",
        rule="review",
        kind="weekly_review",
        title="Busy · Review",
        start=t(4, 14),
        end=t(4, 15),
        quadrant=2,
        category="admin",
    )
    owned = [
        RemoteEvent(
            "e1",
            focus.start,
            focus.end,
            focus.title,
            tag=OwnershipTag(focus.key, focus.content_hash),
        ),
        RemoteEvent("e2", t(1, 9), t(1, 10), "mystery", tag=OwnershipTag("unknown/x/0", "h")),
    ]
    blocks = on_calendar(owned, [focus, gone])
    assert [b.key for b in blocks] == [focus.key]  # the deleted review does not count
    span = week_window(WEEK, rules.timezone)
    meeting = Busy(t(30, 10), t(30, 11), "Acme weekly", attendee_domains=("acme.example",))
    actuals = measure(span, blocks, [meeting], _index(rules))
    block_minutes = [e.minutes for e in actuals.entries if e.source == "block"]
    assert block_minutes == [60.0]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_blocks_on_a_busy_all_day_offsite_are_not_time_worked(
    source: str, rules: Rules, tmp_path: Path
) -> None:
    """Fri 4 Dec is the accepted, opaque all-day "Acme offsite" (helpers): the blocks
    planned on it were not worked, and the offsite itself is no 24-hour meeting."""
    span = week_window(WEEK, rules.timezone)
    seen = observe(SOURCES[source](tmp_path), span)
    (offsite,) = [m for m in seen.foreign if m.title == "Acme offsite"]
    assert offsite.all_day and offsite.blocks_time
    on_offsite = Block(
        "review/2026-12-04/0", "review", "weekly_review", "Review", t(4, 14), t(4, 15)
    )
    thursday = Block("focus/2026-12-03/0", "focus", "focus_time", "Focus", t(3, 12), t(3, 14))
    actuals = measure(span, [on_offsite, thursday], seen.foreign, _index(rules))
    worked = {e.title: e.minutes for e in actuals.entries if e.source == "block"}
    assert worked == {"Focus": 120.0}
    assert actuals.minutes("account") == 210, "the offsite adds no account meeting hours"
    assert "Acme offsite" not in {e.title for e in actuals.entries}


def test_a_block_the_user_moved_counts_where_it_is_now(rules: Rules) -> None:
    block = Block("k/1", "r", "block", "Busy · X", t(30, 9), t(30, 10))
    moved = RemoteEvent("e", t(1, 9), t(1, 11), "Busy · X", tag=OwnershipTag("k/1", "old"))
    [now] = on_calendar([moved], [block])
    assert (now.start, now.end) == (t(1, 9), t(1, 11))


def test_classification(rules: Rules) -> None:
    index = _index(rules)

    def kind(*domains: str, organizer: str | None = None) -> MeetingClass:
        return classify(
            Busy(t(30, 9), t(30, 10), attendee_domains=domains, organizer_domain=organizer),
            index,
        )

    assert kind() == MeetingClass("solo")
    assert kind(OWNER, organizer=OWNER) == MeetingClass("internal")
    assert kind("vendor.example", OWNER) == MeetingClass("external")
    assert kind("EU.Acme.Example", OWNER) == MeetingClass("account", ("Acme",))
    assert kind("notacme.example") == MeetingClass("external")  # label boundary, not suffix
    called = kind(OWNER, organizer="globex.example")
    assert called == MeetingClass("account", ("Globex",), customer_called=True)
    assert kind("initech.example", "acme.example").accounts == ("Acme", "Initech")


def test_last_contact_is_the_latest_counted_past_meeting(rules: Rules) -> None:
    index = _index(rules)
    meetings = [
        Busy(t(24, 10), t(24, 11), attendee_domains=("acme.example",)),
        Busy(t(17, 10), t(17, 11), attendee_domains=("acme.example",)),
        # declined, all-day and later-than-now meetings are no contact
        Busy(t(25, 10), t(25, 11), attendee_domains=("globex.example",), response="declined"),
        Busy(t(26, 0), t(27, 0), attendee_domains=("globex.example",), all_day=True),
        Busy(t(30, 10), t(30, 11), attendee_domains=("initech.example",)),
    ]
    contacts = last_contacts(meetings, index, before=t(27, 12), timezone=rules.timezone)
    assert contacts == {"Acme": date(2026, 11, 24)}


def test_missed_touchpoints_follow_each_tiers_cadence(rules: Rules) -> None:
    cadences = {n: tier.cadence for n, tier in rules.tiers.items()}
    assert cadences == {"high": "weekly", "mid": "monthly", "low": "quarterly"}
    end = date(2026, 12, 6)
    # file says 2026-10-01 for all: high (weekly) and mid (monthly) are due, low is not
    missed = missed_touchpoints(rules.accounts, cadences, {}, end)
    assert [(m.account, m.cadence) for m in missed] == [("Acme", "weekly"), ("Globex", "monthly")]
    # a meeting this week satisfies Acme; one 40 days ago does not satisfy Globex
    contacts = {"Acme": date(2026, 11, 30), "Globex": date(2026, 10, 27)}
    missed = missed_touchpoints(rules.accounts, cadences, contacts, end)
    assert [m.account for m in missed] == ["Globex"]
    assert missed[0].last_contact == date(2026, 10, 27)


def test_an_empty_call_window_is_not_work_and_calls_in_one_count_as_meetings(
    rules: Rules,
) -> None:
    """A "book calls here" window is an offer: empty, it adds no proactive time; the
    calls booked into it count once, as meetings with their accounts."""
    window = Block(
        key="call_window/2026-12-01/0",
        rule="call_window",
        kind="call_window",
        title="Busy · Customer calls",
        start=t(1, 13),
        end=t(1, 17),
        quadrant=2,
        category="proactive",
        holding=True,
    )
    span = week_window(WEEK, rules.timezone)
    empty = measure(span, [window], [], _index(rules))
    assert empty.entries == ()
    call = Busy(t(1, 14), t(1, 15), "Acme call", attendee_domains=("acme.example",))
    booked = measure(span, [window], [call], _index(rules))
    assert [(e.source, e.account, e.minutes) for e in booked.entries] == [("meeting", "Acme", 60.0)]
