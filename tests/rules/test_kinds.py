"""Each rule kind: the right days, times, keys, titles, quadrants and overrides."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from blocker.core.models import BlockRequest
from rules import expand_week
from tests.rules.util import rules_from

NY = ZoneInfo("America/New_York")
WEEK = "2026-W49"  # Mon 30 Nov .. Sun 6 Dec 2026
TODAY = date(2026, 11, 27)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    month = 11 if day >= 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def expand(
    body: str, *, today: date = TODAY, contacts: dict[str, date] | None = None
) -> list[BlockRequest]:
    return list(expand_week(rules_from(body), WEEK, today=today, contacts=contacts).requests)


def test_morning_proactive_starts_each_working_day() -> None:
    reqs = expand("rules:\n  - kind: morning_proactive\n")
    assert [r.key for r in reqs] == [
        f"morning_proactive/{d}/0"
        for d in ("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04")
    ]
    first = reqs[0]
    assert (first.earliest, first.latest, first.minutes, first.fixed) == (
        at(30, 8, 30),
        at(30, 9),
        30,
        True,
    )
    assert first.title == "Busy · Morning health review"
    assert (first.quadrant, first.category, first.show_as) == (2, "proactive", "busy")


def test_email_batches_three_a_day_by_default() -> None:
    reqs = expand("rules:\n  - kind: email_batches\n")
    assert len(reqs) == 15
    monday = [r for r in reqs if r.key.startswith("email_batches/2026-11-30/")]
    assert [(r.earliest, r.minutes) for r in monday] == [
        (at(30, 9), 30),
        (at(30, 13), 30),
        (at(30, 16), 30),
    ]
    assert [r.key.rsplit("/", 1)[1] for r in monday] == ["0", "1", "2"]
    assert monday[0].quadrant == 3 and monday[0].category == "reactive"


def test_lunch_fixed_or_in_a_window() -> None:
    fixed = expand("rules:\n  - kind: lunch\n")[0]
    assert (fixed.earliest, fixed.latest, fixed.fixed) == (at(30, 12), at(30, 13), True)
    flexible = expand('rules:\n  - kind: lunch\n    window: "11:30-13:30"\n    minutes: 45\n')[0]
    assert (flexible.earliest, flexible.latest, flexible.fixed, flexible.minutes) == (
        at(30, 11, 30),
        at(30, 13, 30),
        False,
        45,
    )
    assert flexible.min_chunk == 45


def test_meeting_free_day_is_one_protected_all_day_marker() -> None:
    reqs = expand("rules:\n  - kind: meeting_free_day\n")
    assert len(reqs) == 1
    marker = reqs[0]
    assert marker.key == "meeting_free_day/2026-12-04/0"
    assert (marker.all_day, marker.protected, marker.fixed, marker.show_as) == (
        True,
        True,
        True,
        "busy",
    )
    assert (marker.earliest, marker.latest, marker.minutes) == (at(4, 0), at(5, 0), 1440)
    assert marker.title == "Busy · Meeting-free day"


def test_call_qbr_and_internal_windows_are_free_placeholders() -> None:
    reqs = expand("rules:\n  - kind: call_window\n  - kind: qbr_day\n  - kind: internal_meetings\n")
    assert [(r.kind, r.earliest, r.latest) for r in reqs] == [
        ("call_window", at(1, 13, 30), at(1, 15, 30)),
        ("call_window", at(2, 13, 30), at(2, 15, 30)),
        ("qbr_day", at(3, 13, 30), at(3, 15, 30)),
        ("internal_meetings", at(30, 9, 30), at(30, 11)),
    ]
    assert {r.show_as for r in reqs} == {"free"}
    assert all(r.fixed for r in reqs)
    assert reqs[0].title == "Customer call window (book calls here)"
    assert reqs[3].category == "admin"


def test_focus_time_is_one_weekly_protected_request() -> None:
    reqs = expand(
        "rules:\n  - kind: focus_time\n    hours: 5\n    min_chunk: 90\n"
        "    conflict_policy: yield\n"
    )
    assert len(reqs) == 1
    focus = reqs[0]
    assert focus.key == "focus_time/2026-11-30/0"
    assert (focus.minutes, focus.min_chunk, focus.max_chunk, focus.fixed) == (300, 90, 180, False)
    assert (focus.protected, focus.show_as, focus.conflict_policy) == (True, "busy", "yield")
    assert (focus.earliest, focus.latest) == (at(30, 8, 30), at(4, 17, 30))
    assert [(p.start, p.end) for p in focus.preferred][:2] == [
        (at(30, 9), at(30, 12)),
        (at(1, 9), at(1, 12)),
    ]
    assert len(focus.preferred) == 5


def test_account_time_splits_tier_hours_per_account() -> None:
    reqs = expand("account_hours_per_week: 10\nrules:\n  - kind: account_time\n")
    by_account = {r.account: r for r in reqs}
    acme = by_account["Acme Corp"]  # high, weekly: 55 % of 600 min for one account
    assert (acme.tier, acme.minutes, acme.key) == ("high", 330, "account_time/2026-11-30/acme-corp")
    assert acme.title == "Busy · Account time: Acme Corp (High-touch)"
    assert acme.color == "#D50000"  # the tier's colour
    assert not acme.fixed and acme.min_chunk == 330
    low = expand("account_hours_per_week: 10\nrules:\n  - kind: account_time\n    tiers: [low]\n")
    assert {r.tier for r in low} <= {"low"}


def test_account_time_rotation_is_deterministic_per_week() -> None:
    body = "rules:\n  - kind: account_time\n"
    rules = rules_from(body)
    weeks = [f"2026-W{n}" for n in range(40, 53)]
    present = [{r.account for r in expand_week(rules, w, today=TODAY).requests} for w in weeks]
    assert all("Acme Corp" in accounts for accounts in present)  # weekly
    assert sum("Globex" in accounts for accounts in present[:4]) == 1  # monthly
    assert sum("Initech" in accounts for accounts in present) == 1  # quarterly: 1 of 13


def test_renewal_prep_in_the_week_of_the_30_day_mark() -> None:
    # Acme renews 2027-01-01: 30 days before is Wed 2 Dec 2026 (in W49)
    reqs = expand("rules:\n  - kind: renewal_prep\n")
    assert [r.key for r in reqs] == ["renewal_prep/2026-11-30/acme-corp-30"]
    prep = reqs[0]
    assert prep.title == "Busy · Renewal prep: Acme Corp (30 days)"
    assert (prep.account, prep.tier, prep.quadrant, prep.minutes) == ("Acme Corp", "high", 1, 45)
    assert [(p.start, p.end) for p in prep.preferred] == [(at(2, 8, 30), at(2, 17, 30))]
    assert "in 30 days" in prep.reason


def test_renewal_prep_quadrant_override_and_title_template() -> None:
    reqs = expand(
        "rules:\n  - kind: renewal_prep\n    quadrant: 2\n"
        '    title: "Renewal {account}: T-{days}"\n'
    )
    assert reqs[0].quadrant == 2
    assert reqs[0].title == "Busy · Renewal Acme Corp: T-30"


def test_silent_account_uses_the_latest_contact() -> None:
    reqs = expand("rules:\n  - kind: silent_account\n")
    assert [r.key for r in reqs] == ["silent_account/2026-11-30/globex"]
    assert reqs[0].title == "Busy · Silent account: Globex (no contact since 01 Nov)"
    # the calendar saw Globex last week: not silent any more
    assert (
        expand("rules:\n  - kind: silent_account\n", contacts={"Globex": date(2026, 11, 24)}) == []
    )
    # an older calendar contact does not override a newer file contact
    older = expand("rules:\n  - kind: silent_account\n", contacts={"Globex": date(2026, 10, 1)})
    assert [r.account for r in older] == ["Globex"]


def test_silent_account_threshold() -> None:
    # Acme's last contact 25 Nov is 5 days before Monday 30 Nov
    reqs = expand("rules:\n  - kind: silent_account\n    after_days: 5\n")
    assert sorted(r.account or "" for r in reqs) == ["Acme Corp", "Globex"]
    assert reqs[0].account == "Globex"  # the longest silent first


def test_health_drop_below_threshold_or_dropped() -> None:
    reqs = expand("rules:\n  - kind: health_drop\n")
    assert {r.account: r.title for r in reqs} == {
        "Globex": "Busy · Health drop: Globex (health 40)",
        "Initech": "Busy · Health drop: Initech (health 70, was 90)",
    }
    assert {r.quadrant for r in reqs} == {1}
    first = reqs[0]
    assert [p.start.date() for p in first.preferred] == [date(2026, 11, 30), date(2026, 12, 1)]


def test_go_live_prep_before_the_day() -> None:
    reqs = expand("rules:\n  - kind: go_live_prep\n")
    assert [r.key for r in reqs] == ["go_live_prep/2026-11-30/initech"]
    prep = reqs[0]
    assert prep.title == "Busy · Go-live prep: Initech (live Thu 03 Dec)"
    assert (prep.earliest, prep.latest) == (at(30, 8, 30), at(2, 17, 30))
    # judged on the week's Monday, whatever "today" is: a week's triggers are fixed when
    # it is generated, so Friday's replan does not drop Wednesday's prep (principle 13)
    assert expand("rules:\n  - kind: go_live_prep\n", today=date(2026, 12, 4)) == reqs


def test_wrap_up_and_weekly_review() -> None:
    reqs = expand("rules:\n  - kind: wrap_up\n  - kind: weekly_review\n")
    wraps = [r for r in reqs if r.kind == "wrap_up"]
    assert len(wraps) == 5
    assert (wraps[0].earliest, wraps[0].latest) == (at(30, 17, 15), at(30, 17, 30))
    review = [r for r in reqs if r.kind == "weekly_review"]
    assert [r.key for r in review] == ["weekly_review/2026-12-04/0"]
    assert (review[0].earliest, review[0].latest, review[0].fixed) == (
        at(4, 13, 30),
        at(4, 16),
        False,
    )
    pinned = expand("rules:\n  - kind: weekly_review\n    at: 15:00\n")[0]
    assert (pinned.earliest, pinned.fixed) == (at(4, 15), True)


def test_generic_block_fixed_flexible_and_weekly() -> None:
    reqs = expand(
        """\
        rules:
          - kind: block
            id: office_hours
            title: Office hours (low-touch)
            days: [tue]
            at: 10:00
            minutes: 60
            show_as: free
            quadrant: 3
            category: reactive
            color: "#123abc"
          - kind: block
            id: buffer
            title: Reactive buffer
            days: [mon]
            window: "14:00-17:00"
            minutes: 30
            show_as: auto
          - kind: block
            id: training
            title: Training
            per: week
            days: [thu, fri]
            window: "09:00-11:00"
            minutes: 90
            min_chunk: 45
            protected: true
        """
    )
    office, buffer, training = reqs
    assert office.key == "office_hours/2026-12-01/0" and office.fixed
    assert (office.earliest, office.latest) == (at(1, 10), at(1, 11))
    assert office.title == "Office hours (low-touch)"  # free: no "Busy ·" prefix
    assert (office.quadrant, office.category, office.color) == (3, "reactive", "#123ABC")
    assert (buffer.earliest, buffer.latest, buffer.fixed, buffer.show_as) == (
        at(30, 14),
        at(30, 17),
        False,
        "auto",
    )
    assert buffer.title == "Busy · Reactive buffer"
    assert training.key == "training/2026-11-30/0"
    assert (training.minutes, training.min_chunk, training.protected) == (90, 45, True)
    assert (training.earliest, training.latest) == (at(3, 8, 30), at(4, 17, 30))
    assert [p.start for p in training.preferred] == [at(3, 9), at(4, 9)]


def test_priority_override() -> None:
    default = expand("rules:\n  - kind: lunch\n")[0]
    custom = expand("rules:\n  - kind: lunch\n    priority: 10\n")[0]
    assert default.priority == 65 and custom.priority == 10
