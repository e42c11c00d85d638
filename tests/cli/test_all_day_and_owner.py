"""All-day entries and the owner's own answer, through ``blocker plan`` (issue 15, item 4).

Each test writes a small rules file and a busy .ics, runs the console script at a
pinned ``--now`` (the Friday before the week, when the service generates it) and
checks the JSON plan with exact expectations. Busy spans are written out here by
hand, not read back through the code under test.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.cli.test_cli import run

BERLIN = ZoneInfo("Europe/Berlin")
ME = "lena@nordwerk.example"

WEEK = "2026-W12"  # Mon 16 - Sun 22 March 2026, no DST change, no holiday
NOW = "2026-03-13T15:00:00+01:00"


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def write_ics(path: Path, *events: str) -> Path:
    body = "\n".join(textwrap.dedent(e).strip("\n") for e in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return path


def event(uid: str, summary: str, *lines: str) -> str:
    head = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T000000Z", f"SUMMARY:{summary}"]
    return "\n".join([*head, *lines, "END:VEVENT"])


def plan(workdir: Path, week: str, now: str, rules: str, busy: Path) -> dict[str, Any]:
    (workdir / "rules.yaml").write_text(textwrap.dedent(rules))
    result = run(
        workdir,
        "plan",
        "--config",
        "rules.yaml",
        "--week",
        week,
        "--busy",
        str(busy),
        "--format",
        "json",
        "--now",
        now,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def spans(data: dict[str, Any], kind: str | None = None) -> list[tuple[datetime, datetime]]:
    return sorted(
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for b in data["blocks"]
        if kind is None or b["kind"] == kind
    )


def days_with_blocks(data: dict[str, Any]) -> set[date]:
    out: set[date] = set()
    for start, end in spans(data):
        day = start.astimezone(BERLIN).date()
        while berlin(day, 0) < end:
            out.add(day)
            day += timedelta(days=1)
    return out


DAILY = """\
timezone: Europe/Berlin
owner:
  name: Lena
  email_domains: [nordwerk.example]
working_hours: {mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00",
                thu: "09:00-17:00", fri: "09:00-17:00"}
rules:
  - kind: block
    id: daily_prep
    title: Daily prep
    window: "09:00-17:00"
    minutes: 60
  - kind: call_window
    days: [mon, tue, wed]
    window: "13:30-15:30"
"""
MON, TUE, WED, THU, FRI = (date(2026, 3, 16) + timedelta(days=i) for i in range(5))


def test_an_accepted_two_day_opaque_offsite_gets_no_block_on_either_day(tmp_path: Path) -> None:
    busy = write_ics(
        tmp_path / "busy.ics",
        event(
            "offsite@x",
            "Team offsite",
            "DTSTART;VALUE=DATE:20260316",
            "DTEND;VALUE=DATE:20260318",
            "ORGANIZER:mailto:hr@nordwerk.example",
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}",
            "TRANSP:OPAQUE",
        ),
    )
    data = plan(tmp_path, WEEK, NOW, DAILY, busy)
    assert days_with_blocks(data) == {WED, THU, FRI}
    assert spans(data, "block") == [(berlin(d, 9), berlin(d, 10)) for d in (WED, THU, FRI)]
    # the "book calls here" window is not offered during the offsite
    assert spans(data, "call_window") == [(berlin(WED, 13, 30), berlin(WED, 15, 30))]
    missing = {s["key"] for s in data["shortfall"] if s["placed_minutes"] == 0}
    assert {f"daily_prep/{d.isoformat()}/0" for d in (MON, TUE)} <= missing


def test_a_transparent_all_day_holiday_does_not_block(tmp_path: Path) -> None:
    busy = write_ics(
        tmp_path / "busy.ics",
        event(
            "holiday@x",
            "St. Patrick's Day (FYI)",
            "DTSTART;VALUE=DATE:20260317",
            "DTEND;VALUE=DATE:20260318",
            "TRANSP:TRANSPARENT",
        ),
        event(
            "birthday@x",
            "Birthday: Kai",
            "DTSTART;VALUE=DATE:20260318",
            "DTEND;VALUE=DATE:20260319",
            "TRANSP:TRANSPARENT",
        ),
    )
    data = plan(tmp_path, WEEK, NOW, DAILY, busy)
    assert spans(data, "block") == [
        (berlin(d, 9), berlin(d, 10)) for d in (MON, TUE, WED, THU, FRI)
    ]
    assert data["shortfall"] == []


# -- the owner's own answer --------------------------------------------------------------

ANSWER_RULES = """\
timezone: Europe/Berlin
owner:
  name: Lena
  email_domains: [nordwerk.example]
{owner}working_hours: {{mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00",
                thu: "09:00-17:00", fri: "09:00-17:00"}}
rules:
  - kind: block
    id: forecast
    title: Renewal forecast
    days: [thu]
    window: "10:00-11:00"
    minutes: 60
"""


def _answer_plan(tmp_path: Path, owner: str, *attendees: str) -> list[tuple[datetime, datetime]]:
    """Plan with one Thu 10:00-11:00 meeting; where the forecast block (which fits
    only there) went: [] when the meeting is busy for the owner."""
    busy = write_ics(
        tmp_path / "busy.ics",
        event(
            "acme@x",
            "Acme sync",
            "DTSTART;TZID=Europe/Berlin:20260319T100000",
            "DTEND;TZID=Europe/Berlin:20260319T110000",
            "ORGANIZER:mailto:ann@acme.example",
            *attendees,
        ),
    )
    return spans(plan(tmp_path, WEEK, NOW, ANSWER_RULES.format(owner=owner), busy), "block")


OWNER_EMAIL = f"  email: {ME}\n"
KAI_DECLINED = "ATTENDEE;PARTSTAT=DECLINED:mailto:kai@nordwerk.example"
KAI_ACCEPTED = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:kai@nordwerk.example"
FREE_SLOT = [(berlin(THU, 10), berlin(THU, 11))]


@pytest.mark.parametrize("owner", [OWNER_EMAIL, ""], ids=["owner.email", "domains only"])
def test_a_colleagues_decline_listed_first_keeps_the_meeting_busy(
    tmp_path: Path, owner: str
) -> None:
    placed = _answer_plan(tmp_path, owner, KAI_DECLINED, f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}")
    assert placed == []


def test_the_owner_declining_frees_the_meeting(tmp_path: Path) -> None:
    placed = _answer_plan(
        tmp_path, OWNER_EMAIL, KAI_ACCEPTED, f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}"
    )
    assert placed == FREE_SLOT


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("", []), ("  tentative: busy\n", []), ("  tentative: free\n", FREE_SLOT)],
    ids=["default", "busy", "free"],
)
def test_a_tentative_answer_counts_as_configured(
    tmp_path: Path, policy: str, expected: list[tuple[datetime, datetime]]
) -> None:
    placed = _answer_plan(
        tmp_path, OWNER_EMAIL + policy, KAI_ACCEPTED, f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{ME}"
    )
    assert placed == expected


# -- a persona: Berlin, the week after the spring change, Good Friday --------------------

PERSONA_WEEK = "2026-W14"  # Mon 30 March (clocks went forward Sun 29 March) - Sun 5 April
PERSONA_NOW = "2026-03-27T15:00:00+01:00"  # the Friday before, still winter time
P_MON, P_TUE, P_WED, P_THU, P_FRI = (date(2026, 3, 30) + timedelta(days=i) for i in range(5))

PERSONA_RULES = f"""\
timezone: Europe/Berlin
owner:
  name: Lena Berg
  email: [{ME}, l.berg@nordwerk.example]
  email_domains: [nordwerk.example]
working_hours: {{mon: "08:30-17:30", tue: "08:30-17:30", wed: "08:30-17:30",
                thu: "08:30-17:30", fri: "08:30-17:30"}}
holidays: {{country: DE, subdivision: BE}}
accounts:
  - {{name: Kunde A, arr: 180000, domains: kunde-a.example, last_contact: 2026-03-02,
     renewal_date: 2026-05-01}}
  - {{name: Kunde B, arr: 60000, domains: kunde-b.example, last_contact: 2026-02-10}}
  - {{name: Kunde C, arr: 12000, domains: kunde-c.example, health: 40}}
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["9:00", "13:00", "16:00"]
    minutes: 20
  - kind: lunch
    at: "12:00"
    minutes: 45
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [tue, wed]
    window: "13:30-15:30"
  - kind: internal_meetings
    days: [mon]
    window: "09:30-10:30"
  - kind: meeting_free_day
    day: fri
  - kind: focus_time
    hours: 5
  - kind: account_time
  - kind: weekly_review
  - kind: renewal_prep
    days_before: [30]
    minutes: 30
  - kind: silent_account
    after_days: 14
  - kind: health_drop
    below: 50
  - kind: block
    id: forecast
    title: Renewal forecast
    days: [thu]
    at: "11:00"
    minutes: 60
  - kind: block
    id: escalation_buffer
    title: Reactive buffer
    window: "14:00-17:15"
    minutes: 30
    show_as: auto
    category: reactive
"""

PERSONA_ICS = [
    # accepted, opaque, two days, a colleague's decline listed first
    event(
        "offsite@x",
        "CS offsite (Potsdam)",
        "DTSTART;VALUE=DATE:20260330",
        "DTEND;VALUE=DATE:20260401",
        "ORGANIZER:mailto:hr@nordwerk.example",
        KAI_DECLINED,
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}",
        "TRANSP:OPAQUE",
    ),
    # a daily stand-up set up in winter time: 09:45 Berlin wall time all along
    event(
        "standup@x",
        "CS stand-up",
        "DTSTART;TZID=Europe/Berlin:20260302T094500",
        "DTEND;TZID=Europe/Berlin:20260302T100000",
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        f"ORGANIZER:mailto:{ME}",
        KAI_ACCEPTED,
    ),
    # declined-first list from the customer's side: busy
    event(
        "kunde-a@x",
        "Kunde A escalation",
        "DTSTART;TZID=Europe/Berlin:20260401T100000",
        "DTEND;TZID=Europe/Berlin:20260401T113000",
        "ORGANIZER:mailto:cto@kunde-a.example",
        KAI_DECLINED,
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.berg@nordwerk.example",
    ),
    # a UTC time: 15:00 Berlin summer time (14:00 if the change were missed)
    event(
        "us-call@x",
        "Kunde B (US team)",
        "DTSTART:20260401T130000Z",
        "DTEND:20260401T140000Z",
        "ORGANIZER:mailto:vp@kunde-b.example",
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}",
    ),
    # the owner declined, a colleague accepted: free, the forecast goes there
    event(
        "declined@x",
        "Vendor demo",
        "DTSTART;TZID=Europe/Berlin:20260402T110000",
        "DTEND;TZID=Europe/Berlin:20260402T120000",
        "ORGANIZER:mailto:sales@vendor.example",
        KAI_ACCEPTED,
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}",
    ),
    # a transparent all-day reminder: blocks nothing
    event(
        "reminder@x",
        "Expense reports due",
        "DTSTART;VALUE=DATE:20260402",
        "DTEND;VALUE=DATE:20260403",
        "TRANSP:TRANSPARENT",
    ),
]

PERSONA_BUSY = [
    (berlin(P_MON, 0), berlin(P_WED, 0), "CS offsite (Potsdam)"),
    *((berlin(d, 9, 45), berlin(d, 10), "CS stand-up") for d in (P_MON, P_TUE, P_WED, P_THU)),
    (berlin(P_FRI, 9, 45), berlin(P_FRI, 10), "CS stand-up"),
    (berlin(P_WED, 10), berlin(P_WED, 11, 30), "Kunde A escalation"),
    (berlin(P_WED, 15), berlin(P_WED, 16), "Kunde B (US team)"),
]
"""What is busy for Lena in the week, written out by hand (instants, not wall times)."""


def test_persona_offsite_declined_first_dst_week_and_good_friday(tmp_path: Path) -> None:
    busy = write_ics(tmp_path / "lena.ics", *PERSONA_ICS)
    data = plan(tmp_path, PERSONA_WEEK, PERSONA_NOW, PERSONA_RULES, busy)
    blocks = data["blocks"]
    assert len(blocks) >= 10
    assert PERSONA_BUSY[-1][0].utcoffset() == timedelta(hours=2), "summer time in this week"

    for block in blocks:
        start, end = datetime.fromisoformat(block["start"]), datetime.fromisoformat(block["end"])
        assert start.utcoffset() is not None, block
        for b_start, b_end, title in PERSONA_BUSY:
            assert not (start < b_end and b_start < end), f"{block['key']} overlaps {title!r}"
    assert data["conflicts"] == []

    # offsite Mon-Tue, Good Friday (a holiday in all of Germany): nothing planned
    assert days_with_blocks(data) == {P_WED, P_THU}
    # the owner declined the vendor demo: the fixed forecast block is placed as asked
    forecast = [b for b in blocks if b["key"].startswith("forecast/")]
    assert [(b["start"], b["end"]) for b in forecast] == [
        (berlin(P_THU, 11).isoformat(), berlin(P_THU, 12).isoformat())
    ]
    # the "book calls here" window is offered only outside busy time: Wed around the call
    calls = spans(data, "call_window")
    assert calls and all(s.astimezone(BERLIN).date() == P_WED for s, _ in calls)
