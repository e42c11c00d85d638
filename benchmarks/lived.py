"""Section 6: weeks lived, not planned once (issue 15.8, DESIGN principles 13-14).

Each persona is a CSM with their own rules (five different templates), time zone
and book of 30-100 accounts (seeded, built like :mod:`benchmarks.generator`'s),
lived through four weeks on the service's own schedule: generation on Friday at
15:00 local for next week, then the 07:00 rebalance Monday to Friday of the
current week (and of next week once it has a plan, as ``blocker.jobs.rebalance``
does). Every run is :meth:`blocker.runtime.Runtime.sync` called exactly as
``blocker sync --now`` calls it (a fresh runtime on the persona's SQLite store,
the rules loaded from the file, a fixed clock); the week-end scorecard is the
``blocker report --format json`` console script.

Between runs the world moves, seeded: meetings arrive in the persona's busy .ics
(some landing on blocks, some on protected focus, some in free time, an invitation
the owner declined, an all-day out-of-office), and the user edits the calendar
file the product writes the way a calendar app would (a block dragged to another
time, with its ``X-CSM-BLOCKER-*`` tags kept; a block deleted). After every run
that had a cause, the same sync runs again ten minutes later with nothing changed.

What is measured (the truth is this module's own record of the meetings and of
the calendar file, not the product's reading of them):

* changes per no-cause run: writes by a run of a week when nothing touching that
  week happened since its last run (an invitation the owner declined or an entry
  shown as free is not a cause); target 0;
* untouched blocks changed: blocks neither under a meeting that arrived since the
  week's last run nor edited by the user, that the run moved, changed or deleted;
* blocks on busy time after a run (target 0): a block shown Busy over a busy
  meeting; protected ``keep`` blocks under a timed meeting are reported conflicts,
  counted apart; all-day busy entries take the day even from those;
* ended blocks deleted or moved (target 0), user edits undone (target 0);
* per week: protected minutes lost (on the calendar after generation, gone at
  week end, the user's own deletes aside), renewal preps lost (on the calendar,
  deleted by a run while the renewal is ahead, none for that account at week end),
  focus hours kept (on the calendar, minus meetings on them) vs asked, and whether
  tier / quadrant / 50-30-20 shares are in range (planned and actual).

``python -m benchmarks lived [--quick] [--jobs N]``; the tests (tests/lived/test_personas.py)
run the quick scenarios.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import icalendar

from benchmarks.common import Options, save, table
from benchmarks.generator import _NAMES, _SUFFIXES

AGAIN_AFTER = timedelta(minutes=10)
"""A cause run is followed by the same sync this much later, with nothing changed."""

CALENDAR_ID = "local"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BLOCKER = Path(sys.executable).parent / "blocker"

# -- personas ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Persona:
    """One CSM: rules template, zone, holidays, book size, the weeks lived, a seed."""

    name: str
    who: str
    zone: str
    country: str
    subdivision: str | None
    first_week: str
    weeks: int
    accounts: int
    template: str
    seed: int
    notes: str
    csv: bool = False
    offsite: tuple[str, ...] = ()
    """ISO dates of an accepted, busy all-day offsite already on the calendar."""
    ooo: bool = False
    """An all-day out-of-office arrives during each week."""

    @property
    def domain(self) -> str:
        return f"{self.name.split('-')[0]}-cs.example"

    @property
    def email(self) -> str:
        return f"{self.name.split('-')[0]}@{self.domain}"


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "jordan-nyc",
        "Jordan, New York: the example's template, 80 accounts from a CSV",
        "America/New_York",
        "US",
        "NY",
        "2026-W10",
        4,
        80,
        "classic",
        11,
        "DST starts Sun 8 Mar (W11 is generated in EST for an EDT week)",
        csv=True,
    ),
    Persona(
        "lena-berlin",
        "Lena, Berlin: 6 h focus, calls Mon/Thu, QBRs Tue, 45 accounts",
        "Europe/Berlin",
        "DE",
        "BE",
        "2026-W13",
        4,
        45,
        "berlin",
        22,
        "DST starts Sun 29 Mar; Good Friday 3 Apr (the meeting-free day and a generation "
        "day), Easter Monday 6 Apr; a two-day offsite Tue 31 Mar - Wed 1 Apr",
        offsite=("2026-03-31", "2026-04-01"),
    ),
    Persona(
        "kenji-tokyo",
        "Kenji, Tokyo: no meeting-free day, focus that yields, deep-work block, 100 accounts",
        "Asia/Tokyo",
        "JP",
        None,
        "2026-W17",
        4,
        100,
        "tokyo",
        33,
        "Showa Day Wed 29 Apr; Golden Week Mon 4 - Wed 6 May (a two-day week)",
    ),
    Persona(
        "priya-la",
        "Priya, Los Angeles: afternoon focus 8 h, weekly goals, tentative = free, 30 accounts",
        "America/Los_Angeles",
        "US",
        "CA",
        "2026-W44",
        4,
        30,
        "goals",
        44,
        "DST ends Sun 1 Nov (W45 generated in PDT for a PST week); Veterans Day Wed 11 Nov; "
        "an out-of-office day arrives every week",
        ooo=True,
    ),
    Persona(
        "noah-sydney",
        "Noah, Sydney: a four-day week (Mon-Thu), meeting-free Wednesday, 60 accounts",
        "Australia/Sydney",
        "AU",
        "NSW",
        "2026-W40",
        4,
        60,
        "fourday",
        55,
        "DST starts Sun 4 Oct (W41 generated in AEST for an AEDT week); Labour Day Mon 5 Oct",
    ),
)

QUICK: tuple[Persona, ...] = (
    replace(PERSONAS[0], first_week="2026-W11", weeks=1),
    replace(PERSONAS[1], first_week="2026-W14", weeks=1),
)
"""The quick scenarios (and the tests'): one week each, both generated across a DST
change; Berlin's holds the offsite and Good Friday on its meeting-free day."""


# -- rules templates ------------------------------------------------------------------------

_TRIGGERS = """\
  - kind: renewal_prep
    days_before: [90, 60, 30]
    minutes: {renewal_minutes}
  - kind: silent_account
    after_days: {silent_after}
    tiers: [high, mid]
    max_per_week: {silent_max}
    minutes: 30
  - kind: health_drop
    below: 45
    drop: 15
    minutes: 45
  - kind: go_live_prep
    within_days: 7
    minutes: 60
"""

TEMPLATES: dict[str, dict[str, Any]] = {
    # The shipped example's method: Tue/Wed calls, Thu QBRs, Mon internal, meeting-free Fri.
    "classic": {
        "hours": {d: "08:30-17:30" for d in DAYS[:5]},
        "tentative": "busy",
        "team": ("mon", "09:30", 60),
        "standup": ("09:15", ("mo", "tu", "we", "th")),
        "calls": (("tue", "13:30"), ("wed", "14:30")),
        "rules": """\
account_hours_per_week: 6
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["09:00", "13:00", "16:00"]
    minutes: 20
  - kind: lunch
    at: "12:00"
    minutes: 45
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [tue, wed]
    window: "13:30-15:30"
  - kind: qbr_day
    days: [thu]
    window: "13:30-15:00"
  - kind: internal_meetings
    days: [mon]
    window: "09:30-10:30"
  - kind: meeting_free_day
    day: fri
  - kind: focus_time
    hours: 4
    min_chunk: 60
    max_chunk: 120
    preferred: "09:30-12:00"
    conflict_policy: keep
  - kind: goals
    preferred: "09:30-12:00"
    min_chunk: 30
    goals:
      - title: Success plan for one high-touch account
        hours: 1
        deadline: thu
  - kind: account_time
  - kind: weekly_review
    window: "13:30-16:00"
    minutes: 45
    priority: 85
{triggers}  - kind: block
    id: escalation_buffer
    title: "Reactive buffer (escalations)"
    window: "14:00-17:15"
    minutes: 30
    min_chunk: 15
    priority: 82
    show_as: auto
    category: reactive
    quadrant: 1
  - kind: block
    id: learning
    title: "Learning & product updates"
    per: week
    days: [thu, fri]
    window: "09:30-12:00"
    minutes: 30
    priority: 65
""",
    },
    # Long focus chunks, two email batches, calls Mon/Thu late afternoon, QBRs Tue morning.
    "berlin": {
        "hours": {d: "09:00-18:00" for d in DAYS[:5]},
        "tentative": "busy",
        "team": ("wed", "14:00", 60),
        "standup": None,
        "calls": (("mon", "15:00"), ("thu", "16:00")),
        "rules": """\
tiers:
  high: {{min_arr: 150000, share: [50, 60], cadence: weekly}}
  mid: {{min_arr: 40000, max_arr: 150000, share: [30, 35], cadence: biweekly}}
  low: {{min_arr: 0, max_arr: 40000, share: [10, 15], cadence: quarterly}}
account_hours_per_week: 5
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["09:30", "16:30"]
    minutes: 30
  - kind: lunch
    at: "12:30"
    minutes: 60
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [mon, thu]
    window: "15:00-16:30"
  - kind: qbr_day
    days: [tue]
    window: "10:00-12:00"
  - kind: internal_meetings
    days: [wed]
    window: "14:00-15:00"
  - kind: meeting_free_day
    day: fri
  - kind: focus_time
    hours: 6
    min_chunk: 90
    max_chunk: 180
    preferred: "10:00-12:30"
  - kind: account_time
    round_to: 15
  - kind: weekly_review
    days: [fri]
    window: "14:00-17:00"
    minutes: 60
{triggers}  - kind: block
    id: escalation_buffer
    title: "Reactive buffer (escalations)"
    days: [mon, tue, wed, thu]
    window: "16:30-18:00"
    minutes: 45
    show_as: auto
    category: reactive
    quadrant: 1
    priority: 80
""",
    },
    # No meeting-free day: a protected deep-work block instead; focus yields to meetings.
    "tokyo": {
        "hours": {d: "08:00-17:00" for d in DAYS[:5]},
        "tentative": "busy",
        "team": ("mon", "08:30", 60),
        "standup": ("09:00", ("mo", "tu", "we", "th", "fr")),
        "calls": (("tue", "14:00"), ("thu", "13:30")),
        "rules": """\
account_hours_per_week: 7
rules:
  - kind: morning_proactive
    minutes: 20
  - kind: email_batches
    times: ["11:30", "13:00", "16:00"]
    minutes: 20
  - kind: lunch
    at: "12:00"
    minutes: 60
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [tue, thu]
    window: "13:30-16:00"
  - kind: internal_meetings
    days: [mon]
    window: "08:30-09:30"
  - kind: focus_time
    hours: 5
    min_chunk: 60
    max_chunk: 120
    preferred: "09:30-11:30"
    conflict_policy: yield
  - kind: block
    id: deep_work
    title: "Deep work: success plans"
    per: week
    days: [wed]
    window: "09:30-12:00"
    minutes: 120
    protected: true
    priority: 75
  - kind: account_time
    round_to: 15
  - kind: weekly_review
    days: [fri]
    window: "15:00-16:30"
    minutes: 45
{triggers}  - kind: block
    id: learning
    title: "Learning & product updates"
    per: week
    days: [fri]
    window: "09:00-12:00"
    minutes: 45
    priority: 30
""",
    },
    # Afternoon focus, a meeting-free Tuesday, goals written per week, tentative = free.
    "goals": {
        "hours": {d: "07:30-16:30" for d in DAYS[:5]},
        "tentative": "free",
        "team": ("mon", "13:00", 30),
        "standup": None,
        "calls": (("mon", "09:00"), ("wed", "10:00"), ("thu", "09:30")),
        "rules": """\
account_hours_per_week: 4
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["08:00", "14:30"]
    minutes: 30
  - kind: lunch
    at: "11:45"
    minutes: 45
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [mon, wed, thu]
    window: "09:00-11:00"
  - kind: qbr_day
    days: [thu]
    window: "13:00-14:30"
  - kind: meeting_free_day
    day: tue
  - kind: focus_time
    hours: 8
    min_chunk: 90
    max_chunk: 180
    preferred: "12:30-16:00"
  - kind: goals
    preferred: "12:30-16:00"
    min_chunk: 30
    goals:
{goals}  - kind: account_time
    round_to: 15
  - kind: weekly_review
    days: [fri]
    window: "13:00-16:00"
    minutes: 60
{triggers}  - kind: block
    id: learning
    title: "Learning & product updates"
    per: week
    days: [tue]
    window: "08:00-11:00"
    minutes: 30
    priority: 40
""",
    },
    # A four-day week: Mon-Thu, the review on Thursday, meeting-free Wednesday.
    "fourday": {
        "hours": {d: "08:30-17:00" for d in DAYS[:4]},
        "tentative": "busy",
        "team": ("mon", "09:30", 60),
        "standup": ("09:00", ("tu", "th")),
        "calls": (("mon", "14:00"), ("tue", "15:00")),
        "rules": """\
account_hours_per_week: 5
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["09:00", "13:00", "16:00"]
    minutes: 15
  - kind: lunch
    at: "12:00"
    minutes: 45
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: [mon, tue]
    window: "14:00-16:00"
  - kind: qbr_day
    days: [thu]
    window: "10:00-11:30"
  - kind: internal_meetings
    days: [mon]
    window: "09:30-10:30"
  - kind: meeting_free_day
    day: wed
  - kind: focus_time
    hours: 4
    min_chunk: 60
    max_chunk: 120
    preferred: "09:30-12:00"
  - kind: account_time
  - kind: weekly_review
    days: [thu]
    window: "14:00-16:30"
    minutes: 45
{triggers}  - kind: block
    id: escalation_buffer
    title: "Reactive buffer (escalations)"
    days: [mon, tue, thu]
    window: "15:00-17:00"
    minutes: 30
    show_as: auto
    category: reactive
    quadrant: 1
    priority: 80
""",
    },
}


def week_dates(week: str) -> list[date]:
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return [monday + timedelta(days=i) for i in range(7)]


def shift_week(week: str, weeks: int) -> str:
    year, number, _ = (week_dates(week)[0] + timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{number:02d}"


def persona_weeks(persona: Persona) -> list[str]:
    return [shift_week(persona.first_week, i) for i in range(persona.weeks)]


def _book(rng: random.Random, persona: Persona) -> list[dict[str, str]]:
    """A book of accounts as a CRM exports it (the generator's bands and triggers,
    with renewals spread so that preps fire in every week lived)."""
    monday = week_dates(persona.first_week)[0]
    span = 7 * persona.weeks
    rows: list[dict[str, str]] = []
    for i in range(persona.accounts):
        name = f"{rng.choice(_NAMES)} {rng.choice(_SUFFIXES)} {i}"
        band = rng.random()
        arr = (
            rng.randint(101, 600) * 1000
            if band < 0.22
            else rng.randint(26, 99) * 1000
            if band < 0.62
            else rng.randint(3, 24) * 1000
        )
        if rng.random() < 0.12:
            renewal = monday + timedelta(days=rng.choice((30, 60, 90)) + rng.randrange(span - 2))
        else:
            renewal = monday + timedelta(days=rng.randint(100, 400))
        health = rng.randint(20, 44) if rng.random() < 1 / 30 else rng.randint(50, 95)
        prev = min(100, health + (20 if rng.random() < 1 / 40 else rng.choice((0, 5))))
        silent = rng.random() < 1 / 6
        last = monday - timedelta(days=rng.randint(15, 40) if silent else rng.randint(0, 12))
        go_live = (
            (monday + timedelta(days=rng.randint(2, span))).isoformat()
            if rng.random() < 0.03
            else ""
        )
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        rows.append(
            {
                "name": name,
                "arr": str(arr),
                "renewal_date": renewal.isoformat(),
                "health": str(health),
                "previous_health": str(prev),
                "last_contact": last.isoformat(),
                "go_live": go_live,
                "domains": f"{slug}.example",
            }
        )
    return rows


def _goals_yaml(persona: Persona) -> str:
    """Per-week goals written at each Friday review (``week:``), plus a standing one."""
    lines = [
        "      - title: Customer reference pipeline",
        "        minutes: 60",
        "        deadline: thu",
    ]
    topics = ("Churn-risk playbook", "QBR deck refresh", "Expansion map", "Onboarding audit")
    for i, week in enumerate(persona_weeks(persona)):
        lines += [
            f"      - title: {topics[i % len(topics)]}",
            f"        hours: {1 + i % 2}",
            f"        deadline: {('wed', 'thu', 'fri')[i % 3]}",
            f"        week: {week}",
        ]
    return "\n".join(lines) + "\n"


def rules_text(persona: Persona, book: list[dict[str, str]]) -> str:
    """The persona's rules file: owner, hours, holidays, template, accounts, calendar."""
    tpl = TEMPLATES[persona.template]
    hours = "\n".join(
        f"  {d}: " + (f'"{tpl["hours"][d]}"' if d in tpl["hours"] else "null") for d in DAYS
    )
    sub = f"\n  subdivision: {persona.subdivision}" if persona.subdivision else ""
    triggers = _TRIGGERS.format(
        renewal_minutes=30 if persona.template != "berlin" else 45,
        silent_after=14 if persona.template != "goals" else 10,
        silent_max=5 if persona.template == "tokyo" else 3,
    )
    body = tpl["rules"].format(triggers=triggers, goals=_goals_yaml(persona))
    if persona.csv:
        accounts = "accounts_file: accounts.csv\n"
    else:
        accounts = "accounts:\n" + "".join(
            "  - {"
            + ", ".join(
                f"{k}: '{v}'" if k in ("name", "domains") else f"{k}: {v}"
                for k, v in row.items()
                if v
            )
            + "}\n"
            for row in book
        )
    return f"""\
# {persona.who} (benchmarks/lived.py, seed {persona.seed})
timezone: {persona.zone}
owner:
  name: {persona.name.split("-")[0].capitalize()}
  email: {persona.email}
  email_domains: [{persona.domain}]
  tentative: {tpl["tentative"]}
working_hours:
{hours}
holidays:
  country: {persona.country}{sub}
{body}{accounts}schedule:
  generate_at: "fri 15:00"
  daily_rebalance_at: "07:00"
calendars:
  - id: {CALENDAR_ID}
    provider: local
    path: out/calendar.ics
    busy: [busy.ics]
"""


def _csv(book: list[dict[str, str]]) -> str:
    head = "name,arr,tier,renewal_date,health,previous_health,last_contact,go_live,domains"
    rows = [
        ",".join(
            [r["name"], r["arr"], ""]
            + [r[k] for k in ("renewal_date", "health", "previous_health", "last_contact")]
            + [r["go_live"], r["domains"]]
        )
        for r in book
    ]
    return "\n".join([head, *rows]) + "\n"


# -- the other calendar: meetings --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Meeting:
    """A foreign event in the persona's busy .ics, and what it means for the owner."""

    uid: str
    title: str
    start: datetime | date
    end: datetime | date
    attendees: tuple[tuple[str, str], ...]
    organizer: str
    transparent: bool = False
    weekdays: tuple[str, ...] = ()
    """A weekly series on these days (iCalendar BYDAY codes) until ``until``."""
    until: date | None = None
    arrived: datetime | None = None
    """When it was added during the run (None: on the calendar from the start)."""

    def answer(self, owner: str) -> str:
        for address, partstat in self.attendees:
            if address == owner:
                return partstat
        return "ACCEPTED"

    def busy(self, owner: str, tentative: str) -> bool:
        if self.transparent:
            return False
        answer = self.answer(owner)
        return answer == "ACCEPTED" or (answer == "TENTATIVE" and tentative == "busy")

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def spans(self, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        """Every occurrence as aware instants (an all-day entry: its local days)."""
        if not isinstance(self.start, datetime):
            assert not isinstance(self.end, datetime)
            yield (
                datetime.combine(self.start, dtime(0), tzinfo=zone),
                datetime.combine(self.end, dtime(0), tzinfo=zone),
            )
            return
        assert isinstance(self.end, datetime)
        if not self.weekdays:
            yield self.start, self.end
            return
        assert self.until is not None
        length = self.end - self.start
        day = self.start.date()
        codes = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        while day <= self.until:
            if codes[day.weekday()] in self.weekdays:
                start = datetime.combine(day, self.start.timetz())
                yield start, start + length
            day += timedelta(days=1)

    def vevent(self, stamp: datetime) -> icalendar.Event:
        event = icalendar.Event()
        event.add("UID", self.uid)
        event.add("DTSTAMP", (self.arrived or stamp).astimezone(UTC))
        event.add("DTSTART", self.start)
        event.add("DTEND", self.end)
        event.add("SUMMARY", self.title)
        if self.weekdays:
            assert self.until is not None
            event.add(
                "RRULE",
                {
                    "FREQ": "WEEKLY",
                    "BYDAY": list(self.weekdays),
                    "UNTIL": datetime.combine(self.until, dtime(23, 59), tzinfo=UTC),
                },
            )
        event.add("ORGANIZER", f"mailto:{self.organizer}")
        for address, partstat in self.attendees:
            event.add("ATTENDEE", f"mailto:{address}", parameters={"PARTSTAT": partstat})
        event.add("STATUS", "CONFIRMED")
        event.add("TRANSP", "TRANSPARENT" if self.transparent else "OPAQUE")
        return event


def render_busy(meetings: Sequence[Meeting], stamp: datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", "-//csm-blocker//benchmarks lived//EN")
    for meeting in meetings:
        cal.add_component(meeting.vevent(stamp))
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data


# -- the calendar file the product writes ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One of our blocks as the calendar file holds it."""

    key: str
    uid: str
    start: datetime
    end: datetime
    title: str
    all_day: bool
    transparent: bool
    text: str
    """A digest of the whole VEVENT: any rewrite of the block changes it."""

    @property
    def span(self) -> tuple[datetime, datetime]:
        return self.start, self.end


def snapshot(path: Path, zone: ZoneInfo) -> dict[str, Entry]:
    """Our blocks on the calendar file: key -> entry (all-day: local midnights)."""
    if not path.exists():
        return {}
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    out: dict[str, Entry] = {}
    for event in cal.walk("VEVENT"):
        key = event.get("X-CSM-BLOCKER-KEY")
        if key is None:
            continue
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        all_day = not isinstance(start, datetime)
        if all_day:
            start = datetime.combine(start, dtime(0), tzinfo=zone)
            end = datetime.combine(end, dtime(0), tzinfo=zone)
        out[str(key)] = Entry(
            str(key),
            str(event["UID"]),
            start,
            end,
            str(event.get("SUMMARY", "")),
            all_day,
            str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT",
            hashlib.sha256(event.to_ical()).hexdigest()[:16],
        )
    return out


_VEVENT = re.compile(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", re.S)


def _edit_chunk(path: Path, key: str, change: Any) -> None:
    """Apply ``change(chunk) -> str`` to our VEVENT holding ``key`` (text in, text out),
    as a calendar app would save the file: every other byte stays as it was."""
    text = path.read_bytes().decode("utf-8")
    found = False

    def sub(match: re.Match[str]) -> str:
        nonlocal found
        chunk = match.group(0)
        unfolded = chunk.replace("\r\n ", "").replace("\r\n\t", "")
        if f"\r\nX-CSM-BLOCKER-KEY:{key}\r\n" not in unfolded:
            return chunk
        found = True
        result: str = change(chunk)
        return result

    new = _VEVENT.sub(sub, text)
    if not found:
        raise KeyError(key)
    tmp = path.with_name(path.name + ".edit")
    tmp.write_bytes(new.encode("utf-8"))
    os.replace(tmp, path)


def user_move(path: Path, key: str, start: datetime, end: datetime, at: datetime) -> None:
    """The user drags a block: new DTSTART/DTEND, SEQUENCE + 1, tags untouched."""

    def utc(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def change(chunk: str) -> str:
        chunk = re.sub(r"\r\nDTSTART[^\r\n]*\r\n", f"\r\nDTSTART:{utc(start)}\r\n", chunk)
        chunk = re.sub(r"\r\nDTEND[^\r\n]*\r\n", f"\r\nDTEND:{utc(end)}\r\n", chunk)
        chunk = re.sub(r"\r\nDTSTAMP[^\r\n]*\r\n", f"\r\nDTSTAMP:{utc(at)}\r\n", chunk)
        return re.sub(
            r"\r\nSEQUENCE:(\d+)\r\n", lambda m: f"\r\nSEQUENCE:{int(m.group(1)) + 1}\r\n", chunk
        )

    _edit_chunk(path, key, change)


def user_delete(path: Path, key: str) -> None:
    """The user deletes a block: its VEVENT leaves the file."""
    _edit_chunk(path, key, lambda chunk: "")


# -- one persona's world -------------------------------------------------------------------


@dataclass
class Run:
    """One sync of one week, and what it did to the calendar."""

    persona: str
    week: str
    moment: datetime
    label: str
    causes: tuple[str, ...]
    free: tuple[str, ...]
    created: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    ops: int = 0
    untouched: tuple[str, ...] = ()
    """Moved or deleted although neither under an arrived meeting nor edited by the user."""
    restyled: tuple[str, ...] = ()
    """Rewritten in place (shown as, title...) although untouched."""
    ended: tuple[str, ...] = ()
    on_busy: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    undone: tuple[str, ...] = ()
    keep_deleted: tuple[str, ...] = ()
    """Protected ``keep`` blocks the run deleted (an all-day busy entry on them aside)."""
    errors: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)
    """The product's own reason per key it wrote."""
    seconds: float = 0.0

    @property
    def no_cause(self) -> bool:
        return not self.causes

    @property
    def writes(self) -> int:
        """Writes to the calendar: the run's ops (every one changes the file)."""
        return max(
            self.ops, len(self.created) + len(self.moved) + len(self.changed) + len(self.deleted)
        )

    def describe(self) -> str:
        when = self.moment.strftime("%a %d %b %H:%M %z")
        parts = [f"{self.persona} {self.week} {self.label} at {when}"]
        for name in ("created", "moved", "changed", "deleted"):
            keys = getattr(self, name)
            if keys:
                parts.append(f"{name} {', '.join(keys)}")
        return "; ".join(parts)


@dataclass
class WeekFigures:
    week: str
    protected_generated: int = 0
    protected_end: int = 0
    protected_user_deleted: int = 0
    protected_under_meetings: int = 0
    renewal_preps: int = 0
    renewal_lost: tuple[str, ...] = ()
    focus_asked: int = 0
    focus_on_calendar: int = 0
    focus_kept: int = 0
    report: dict[str, Any] | None = None

    @property
    def protected_lost(self) -> int:
        return max(0, self.protected_generated - self.protected_user_deleted - self.protected_end)


@dataclass
class Lived:
    """Everything one persona's weeks produced."""

    persona: Persona
    runs: list[Run] = field(default_factory=list)
    weeks: list[WeekFigures] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)


class World:
    """A persona's files, store, meetings and record of what the user did."""

    def __init__(self, persona: Persona, root: Path) -> None:
        self.persona = persona
        self.root = root
        self.zone = ZoneInfo(persona.zone)
        self.rng = random.Random(persona.seed)
        self.tpl = TEMPLATES[persona.template]
        self.weeks = persona_weeks(persona)
        self.config = root / "config.yaml"
        self.busy_path = root / "busy.ics"
        self.calendar = root / "out" / "calendar.ics"
        self.database_url = f"sqlite:///{root / 'state.db'}"
        years = {d.year for w in self.weeks for d in week_dates(w)} | {
            week_dates(self.weeks[0])[0].year - 1
        }
        self.holidays = holidays.country_holidays(
            persona.country, subdiv=persona.subdivision, years=sorted(years)
        )
        book = _book(self.rng, persona)
        self.accounts = book
        root.mkdir(parents=True, exist_ok=True)
        if persona.csv:
            (root / "accounts.csv").write_text(_csv(book))
        self.config.write_text(rules_text(persona, book))
        self.meetings: list[Meeting] = self._base_meetings()
        self.stamp = datetime.combine(
            week_dates(self.weeks[0])[0] - timedelta(days=7), dtime(9), tzinfo=self.zone
        )
        self._write_busy()
        self.plan_blocks: dict[str, Any] = {}
        self.pinned: dict[str, tuple[datetime, datetime]] = {}
        self.user_deleted: dict[str, Entry] = {}
        self.pending: dict[str, list[str]] = {}
        self.free_pending: dict[str, list[str]] = {}
        self.touched: dict[str, set[str]] = {}
        self.arrived_since: dict[str, list[Meeting]] = {}
        self.generated: dict[str, dict[str, Entry]] = {}
        self.specs: dict[str, Any] = {}
        self.seen: dict[str, Entry] = {}
        self.deleted_by_run: dict[str, str] = {}
        self.counted: set[str] = set()
        self.lived = Lived(persona)

    # -- calendar contents -------------------------------------------------------------------

    def workdays(self, week: str) -> list[date]:
        hours = self.tpl["hours"]
        return [
            d for d in week_dates(week)[:7] if DAYS[d.weekday()] in hours and d not in self.holidays
        ]

    def at(self, day: date, hhmm: str) -> datetime:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return datetime.combine(day, dtime(hour, minute), tzinfo=self.zone)

    def working(self, day: date) -> tuple[datetime, datetime]:
        first, last = self.tpl["hours"][DAYS[day.weekday()]].split("-")
        return self.at(day, first), self.at(day, last)

    def _account(self) -> dict[str, str]:
        return self.rng.choice(self.accounts)

    def _attendees(self, customer: str, *, owner: str = "ACCEPTED") -> tuple[tuple[str, str], ...]:
        """The owner's line, a colleague's and a customer's. Half the time the colleague who
        declined is listed before the owner (the owner's own answer must decide)."""
        me = self.persona.email
        colleague = f"sam@{self.persona.domain}"
        if owner == "ACCEPTED" and self.rng.random() < 0.5:
            return ((colleague, "DECLINED"), (me, owner), (customer, "ACCEPTED"))
        return ((colleague, "ACCEPTED"), (me, owner), (customer, "ACCEPTED"))

    def _base_meetings(self) -> list[Meeting]:
        """Recurring team meeting, stand-up and check-ins, one-off calls in each week,
        past calls (last contacts), transparent all-day notes, the persona's offsite."""
        rng, p = self.rng, self.persona
        first = week_dates(self.weeks[0])[0]
        history = first - timedelta(days=35)
        until = week_dates(self.weeks[-1])[6]
        me, colleague = p.email, f"sam@{p.domain}"
        internal = ((colleague, "ACCEPTED"), (me, "ACCEPTED"))
        out: list[Meeting] = []
        codes = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        day, at, minutes = self.tpl["team"]
        start_day = history + timedelta(days=DAYS.index(day))
        start = self.at(start_day, at)
        out.append(
            Meeting(
                "team@lived",
                "CS team meeting",
                start,
                start + timedelta(minutes=minutes),
                internal,
                colleague,
                weekdays=(codes[DAYS.index(day)],),
                until=until,
            )
        )
        if self.tpl["standup"]:
            at, byday = self.tpl["standup"]
            start = self.at(history, at)
            out.append(
                Meeting(
                    "standup@lived",
                    "Stand-up",
                    start,
                    start + timedelta(minutes=15),
                    internal,
                    colleague,
                    weekdays=tuple(c.upper() for c in byday),
                    until=until,
                )
            )
        for i, (day, at) in enumerate(self.tpl["calls"]):
            account = self.accounts[i]
            start = self.at(history + timedelta(days=DAYS.index(day)), at)
            out.append(
                Meeting(
                    f"checkin-{i}@lived",
                    f"{account['name']} weekly check-in",
                    start,
                    start + timedelta(minutes=30),
                    self._attendees(f"cto@{account['domains']}"),
                    me,
                    weekdays=(codes[DAYS.index(day)],),
                    until=until,
                )
            )
        # past calls: the accounts' last contacts as the calendar knows them
        for i in range(8):
            account = self._account()
            day = history + timedelta(days=rng.randrange(35))
            if DAYS[day.weekday()] not in self.tpl["hours"]:
                continue
            start = self.at(day, f"{rng.randint(10, 15)}:00")
            out.append(
                Meeting(
                    f"past-{i}@lived",
                    f"Call with {account['name']}",
                    start,
                    start + timedelta(minutes=30),
                    self._attendees(f"vp@{account['domains']}"),
                    me,
                )
            )
        for w, week in enumerate(self.weeks):
            days = self.workdays(week)
            for i in range(rng.randint(3, 6)):
                day = rng.choice(days)
                lo, hi = self.working(day)
                length = rng.choice((30, 45, 60))
                slots = int((hi - lo).total_seconds() // 900) - length // 15
                start = lo + timedelta(minutes=15 * rng.randrange(2, slots))
                account = self._account()
                out.append(
                    Meeting(
                        f"call-{w}-{i}@lived",
                        f"Call with {account['name']}",
                        start,
                        start + timedelta(minutes=length),
                        self._attendees(f"lead@{account['domains']}"),
                        me,
                    )
                )
            day = rng.choice(days)
            out.append(
                Meeting(
                    f"note-{w}@lived",
                    "Colleague's birthday",
                    day,
                    day + timedelta(days=1),
                    (),
                    colleague,
                    transparent=True,
                )
            )
        if p.offsite:
            first_day = date.fromisoformat(p.offsite[0])
            last_day = date.fromisoformat(p.offsite[-1])
            out.append(
                Meeting(
                    "offsite@lived",
                    "Team offsite",
                    first_day,
                    last_day + timedelta(days=1),
                    internal,
                    colleague,
                )
            )
        return out

    def _write_busy(self) -> None:
        data = render_busy(self.meetings, self.stamp)
        tmp = self.busy_path.with_name("busy.ics.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, self.busy_path)

    def busy_spans(self, week: str) -> list[tuple[datetime, datetime, Meeting]]:
        """The owner's busy time in ``week`` (this module's truth, not the product's read)."""
        days = week_dates(week)
        lo = datetime.combine(days[0], dtime(0), tzinfo=self.zone)
        hi = datetime.combine(days[-1] + timedelta(days=1), dtime(0), tzinfo=self.zone)
        out = []
        for meeting in self.meetings:
            if not meeting.busy(self.persona.email, self.tpl["tentative"]):
                continue
            for start, end in meeting.spans(self.zone):
                if start < hi and lo < end:
                    out.append((start, end, meeting))
        return out

    def week_of(self, moment: datetime) -> str:
        year, number, _ = moment.astimezone(self.zone).date().isocalendar()
        return f"{year}-W{number:02d}"

    def in_week(self, entry: Entry, week: str) -> bool:
        return self.week_of(entry.start) == week

    # -- the product's own path ----------------------------------------------------------------

    def sync(self, moment: datetime, week: str, label: str) -> Run:
        """One ``blocker sync --week W --now T`` of the persona's calendar, in-process."""
        from blocker.core.clock import fixed_clock
        from blocker.core.errors import BlockerError
        from blocker.runtime import Runtime
        from blocker.settings import Settings
        from rules import load_rules

        causes = tuple(self.pending.pop(week, []))
        free = tuple(self.free_pending.pop(week, []))
        touched = self.touched.pop(week, set())
        arrived = self.arrived_since.pop(week, [])
        before = snapshot(self.calendar, self.zone)
        began = time.perf_counter()
        clock = fixed_clock(moment)
        rules = load_rules(self.config)
        runtime = Runtime.open(Settings(database_url=self.database_url), self.config, clock=clock)
        try:
            outcome = runtime.sync(rules, CALENDAR_ID, week, trigger=label)
        except BlockerError as exc:
            failed = Run(self.persona.name, week, moment, label, causes, free)
            failed.errors = (f"{type(exc).__name__}: {exc.user_message()}",)
            self.lived.runs.append(failed)
            return failed
        finally:
            runtime.close()
        seconds = time.perf_counter() - began
        after = snapshot(self.calendar, self.zone)
        for block in outcome.plan.blocks:
            self.plan_blocks[block.key] = block
        if week not in self.specs:
            self.specs[week] = outcome.spec
        run = Run(
            self.persona.name,
            week,
            moment,
            label,
            causes,
            free,
            ops=len(outcome.ops),
            errors=tuple(outcome.errors),
            reasons=tuple(op.describe() for op in outcome.ops),
            why={op.key: f"{op.action}: {op.reason}" for op in outcome.ops},
            seconds=seconds,
        )
        self._judge(run, before, after, touched, arrived)
        self.lived.runs.append(run)
        if week not in self.generated:
            self.generated[week] = {k: e for k, e in after.items() if self.in_week(e, week)}
        return run

    # -- judging a run -------------------------------------------------------------------------

    def _keep(self, key: str) -> bool:
        block = self.plan_blocks.get(key)
        return bool(block and block.protected and block.conflict_policy == "keep")

    def _hit(self, entry: Entry, arrived: Iterable[Meeting]) -> bool:
        for meeting in arrived:
            if not meeting.busy(self.persona.email, self.tpl["tentative"]):
                continue
            for start, end in meeting.spans(self.zone):
                if start < entry.end and entry.start < end:
                    return True
        return False

    def _judge(
        self,
        run: Run,
        before: dict[str, Entry],
        after: dict[str, Entry],
        touched: set[str],
        arrived: list[Meeting],
    ) -> None:
        week, moment = run.week, run.moment
        mine_before = {k: e for k, e in before.items() if self.in_week(e, week)}
        mine_after = {k: e for k, e in after.items() if self.in_week(e, week)}
        created = sorted(set(mine_after) - set(mine_before))
        deleted = sorted(set(mine_before) - set(mine_after))
        moved, changed = [], []
        for key in sorted(set(mine_before) & set(mine_after)):
            old, new = mine_before[key], mine_after[key]
            if old.span != new.span:
                moved.append(key)
            elif old != new:
                changed.append(key)
        run.created, run.moved = tuple(created), tuple(moved)
        run.changed, run.deleted = tuple(changed), tuple(deleted)
        for key in deleted:
            self.deleted_by_run[key] = f"{moment:%a %d %b %H:%M} {run.why.get(key, '')}"
        for key, entry in mine_after.items():
            self.seen[key] = entry
        # untouched: neither under an arrived meeting nor edited by the user
        untouched = {k for k in mine_before if k not in touched}
        untouched -= {k for k in untouched if self._hit(mine_before[k], arrived)}
        run.untouched = tuple(k for k in [*moved, *deleted] if k in untouched)
        run.restyled = tuple(k for k in changed if k in untouched)
        # the record: blocks that had ended are neither deleted nor moved
        run.ended = tuple(
            f"{k} ({e.start:%a %H:%M}-{e.end:%H:%M})"
            for k, e in mine_before.items()
            if e.end <= moment and (k not in mine_after or mine_after[k].span != e.span)
        )
        # user edits stand
        undone = [
            k
            for k, span in self.pinned.items()
            if k in mine_before and (k not in mine_after or mine_after[k].span != span)
        ]
        undone += [k for k in self.user_deleted if k in mine_after and k not in mine_before]
        run.undone = tuple(undone)
        # busy time
        busy = self.busy_spans(week)
        # keep means kept: only an all-day busy entry takes a protected keep block's day
        days_off = [(s, e) for s, e, m in busy if m.all_day]
        run.keep_deleted = tuple(
            f"{k} {mine_before[k].start.astimezone(self.zone):%a %d %b %H:%M} "
            f"({run.why.get(k, '')})"
            for k in deleted
            if self._keep(k)
            and not any(s < mine_before[k].end and mine_before[k].start < e for s, e in days_off)
        )
        on_busy, conflicts = [], []
        for key, entry in sorted(mine_after.items()):
            if entry.transparent or key in self.pinned:
                continue
            keep = self._keep(key)
            for start, end, meeting in busy:
                if not (start < entry.end and entry.start < end):
                    continue
                if entry.all_day and (keep or meeting.all_day):
                    continue  # the meeting-free day's marker: meetings on it are flagged
                if meeting.arrived is not None and entry.end <= meeting.arrived:
                    continue  # ended before the meeting was booked
                what = (
                    f"{key} {entry.start.astimezone(self.zone):%a %d %b %H:%M}-"
                    f"{entry.end.astimezone(self.zone):%H:%M} under '{meeting.title}'"
                )
                if keep and not meeting.all_day:
                    conflicts.append(what)
                else:
                    on_busy.append(what)
        run.on_busy, run.conflicts = tuple(on_busy), tuple(conflicts)

    # -- what happens between runs ------------------------------------------------------------

    def _note(self, week: str, text: str, *, free: bool = False) -> None:
        (self.free_pending if free else self.pending).setdefault(week, []).append(text)
        self.lived.log.append(f"{week}: {text}")

    def _candidates(
        self, week: str, after: datetime, horizon: datetime, *, kinds: Sequence[str] | None = None
    ) -> list[Entry]:
        now = snapshot(self.calendar, self.zone)
        busy = self.busy_spans(week)
        out = []
        for key, entry in sorted(now.items()):
            block = self.plan_blocks.get(key)
            if (
                entry.all_day
                or entry.transparent
                or not self.in_week(entry, week)
                or entry.start < after
                or entry.start >= horizon
                or key in self.pinned
                or block is None
                or any(s < entry.end and entry.start < e for s, e, _ in busy)
            ):
                continue
            if kinds is not None and block.kind not in kinds:
                continue
            out.append(entry)
        return out

    def _free_gap(
        self, week: str, after: datetime, minutes: int
    ) -> tuple[datetime, datetime] | None:
        """A slot of ``minutes`` on a working day after ``after`` with no meeting and no
        block of ours (opaque or not), on the 15-minute grid."""
        now = snapshot(self.calendar, self.zone)
        taken = [(e.start, e.end) for e in now.values() if not e.all_day]
        taken += [(s, e) for s, e, _ in self.busy_spans(week)]
        days = [d for d in self.workdays(week) if self.working(d)[1] > after]
        self.rng.shuffle(days)
        for day in days:
            lo, hi = self.working(day)
            start = max(lo, after)
            start += timedelta(minutes=(-start.minute) % 15)
            options = []
            while start + timedelta(minutes=minutes) <= hi:
                end = start + timedelta(minutes=minutes)
                if all(not (s < end and start < e) for s, e in taken):
                    options.append((start, end))
                start += timedelta(minutes=15)
            if options:
                return self.rng.choice(options)
        return None

    def _arrive(self, week: str, meeting: Meeting, text: str) -> None:
        self.meetings.append(meeting)
        self._write_busy()
        busy = meeting.busy(self.persona.email, self.tpl["tentative"])
        self._note(week, text, free=not busy)
        if busy:
            self.arrived_since.setdefault(week, []).append(meeting)
        self.lived.events[text.split(":")[0]] += 1

    def happen(self, kind: str, week: str, moment: datetime, next_run: datetime) -> None:
        """One event between runs, at ``moment``, touching blocks after ``next_run``."""
        rng, me = self.rng, self.persona.email
        horizon = datetime.combine(
            next_run.astimezone(self.zone).date() + timedelta(days=3), dtime(0), tzinfo=self.zone
        )
        uid = f"{kind}-{moment:%Y%m%d%H%M}@lived"
        if kind in ("meeting_on_block", "declined_on_block", "meeting_on_focus"):
            kinds: Sequence[str] | None = (
                ("focus_time",)
                if kind == "meeting_on_focus"
                else (
                    "account_time",
                    "renewal_prep",
                    "silent_account",
                    "health_drop",
                    "weekly_review",
                    "email_batches",
                    "morning_proactive",
                    "block",
                    "goals",
                )
            )
            targets = self._candidates(week, next_run, horizon, kinds=kinds)
            if not targets:
                targets = self._candidates(week, next_run, horizon + timedelta(days=4), kinds=kinds)
            if not targets:
                self.lived.log.append(f"{week}: {kind}: no block to land on")
                return
            target = rng.choice(targets)
            length = max(30, min(60, int((target.end - target.start).total_seconds() // 60)))
            start = target.start
            if kind == "meeting_on_focus" and target.end - target.start >= timedelta(minutes=90):
                start = target.start + timedelta(minutes=30)  # on part of it
            account = self._account()
            owner = "DECLINED" if kind == "declined_on_block" else "ACCEPTED"
            if kind == "meeting_on_block" and rng.random() < 0.3:
                owner = "TENTATIVE"
            meeting = Meeting(
                uid,
                f"Call with {account['name']}",
                start,
                start + timedelta(minutes=length),
                self._attendees(f"lead@{account['domains']}", owner=owner),
                f"lead@{account['domains']}",
                arrived=moment,
            )
            local = start.astimezone(self.zone)
            self._arrive(
                week,
                meeting,
                f"{kind}: '{meeting.title}' ({owner.lower()}) {local:%a %H:%M} on {target.key}",
            )
        elif kind == "meeting_in_free_time":
            gap = self._free_gap(week, next_run, 30)
            if gap is None:
                return
            account = self._account()
            meeting = Meeting(
                uid,
                f"Call with {account['name']}",
                gap[0],
                gap[1],
                self._attendees(f"lead@{account['domains']}"),
                f"lead@{account['domains']}",
                arrived=moment,
            )
            self._arrive(week, meeting, f"{kind}: '{meeting.title}' {gap[0]:%a %H:%M}")
        elif kind == "out_of_office":
            days = [d for d in self.workdays(week) if self.working(d)[0] > next_run]
            if not days:
                return
            day = rng.choice(days)
            meeting = Meeting(
                uid,
                "Out of office",
                day,
                day + timedelta(days=1),
                ((me, "ACCEPTED"),),
                me,
                arrived=moment,
            )
            self._arrive(week, meeting, f"{kind}: all day {day:%a %d %b}")
        elif kind == "user_move":
            targets = self._candidates(week, next_run, horizon + timedelta(days=4))
            if not targets:
                return
            target = rng.choice(targets)
            minutes = int((target.end - target.start).total_seconds() // 60)
            gap = self._free_gap(week, next_run, minutes)
            if gap is None:
                return
            user_move(self.calendar, target.key, gap[0], gap[1], moment)
            self.pinned[target.key] = gap
            self.touched.setdefault(week, set()).add(target.key)
            self._note(
                week,
                f"user_move: {target.key} {target.start.astimezone(self.zone):%a %H:%M} -> "
                f"{gap[0]:%a %H:%M}",
            )
            self.lived.events["user_move"] += 1
        elif kind == "user_delete":
            targets = self._candidates(week, next_run, horizon + timedelta(days=4))
            if not targets:
                return
            target = rng.choice(targets)
            user_delete(self.calendar, target.key)
            self.user_deleted[target.key] = target
            self.touched.setdefault(week, set()).add(target.key)
            self._note(
                week, f"user_delete: {target.key} {target.start.astimezone(self.zone):%a %H:%M}"
            )
            self.lived.events["user_delete"] += 1
        else:
            raise ValueError(kind)

    # -- week end ---------------------------------------------------------------------------

    def week_end(self, week: str, moment: datetime, *, report: bool) -> WeekFigures:
        final = {
            k: e for k, e in snapshot(self.calendar, self.zone).items() if self.in_week(e, week)
        }
        figures = WeekFigures(week)
        busy = self.busy_spans(week)

        def protected(key: str) -> bool:
            block = self.plan_blocks.get(key)
            return bool(block and block.protected)

        def minutes(entry: Entry) -> int:
            return int((entry.end - entry.start).total_seconds() // 60)

        def under_meetings(entry: Entry) -> int:
            """Minutes of ``entry`` under meetings (overlapping meetings counted once)."""
            cuts = sorted(
                (max(start, entry.start), min(end, entry.end))
                for start, end, _ in busy
                if start < entry.end and entry.start < end
            )
            total, reach = 0, entry.start
            for lo, hi in cuts:
                lo = max(lo, reach)
                if lo < hi:
                    total += int((hi - lo).total_seconds() // 60)
                    reach = hi
            return total

        generated = self.generated.get(week, {})
        timed = {k: e for k, e in generated.items() if not e.all_day and protected(k)}
        figures.protected_generated = sum(minutes(e) for e in timed.values())
        figures.protected_user_deleted = sum(
            minutes(e) for k, e in self.user_deleted.items() if k in timed
        )
        ends = [e for k, e in final.items() if not e.all_day and protected(k)]
        figures.protected_end = sum(minutes(e) for e in ends)
        figures.protected_under_meetings = sum(under_meetings(e) for e in ends)
        kind = {k: getattr(self.plan_blocks.get(k), "kind", "") for k in self.seen}
        account = {k: getattr(self.plan_blocks.get(k), "account", None) for k in self.seen}
        preps = {
            k for k in self.seen if kind[k] == "renewal_prep" and self.in_week(self.seen[k], week)
        }
        figures.renewal_preps = len(preps)
        still = {account[k] for k in final if kind.get(k) == "renewal_prep"}
        renewals = {a["name"]: date.fromisoformat(a["renewal_date"]) for a in self.accounts}
        figures.renewal_lost = tuple(
            sorted(
                f"{k} ({self.deleted_by_run[k]})"
                for k in preps
                if k in self.deleted_by_run
                and k not in self.user_deleted
                and account[k] not in still
                and renewals.get(account[k] or "", date.max) > moment.date()
            )
        )
        spec = self.specs.get(week)
        if spec is not None:
            figures.focus_asked = sum(r.minutes for r in spec.requests if r.kind == "focus_time")
        focus = [e for k, e in final.items() if kind.get(k, self._kind(k)) == "focus_time"]
        figures.focus_on_calendar = sum(minutes(e) for e in focus)
        figures.focus_kept = figures.focus_on_calendar - sum(under_meetings(e) for e in focus)
        if report:
            figures.report = self.report(week, moment)
        return figures

    def _kind(self, key: str) -> str:
        block = self.plan_blocks.get(key)
        return block.kind if block is not None else key.split("/", 1)[0]

    def report(self, week: str, moment: datetime) -> dict[str, Any]:
        """``blocker report --format json`` as the console script prints it."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")},
            "BLOCKER_DATABASE_URL": self.database_url,
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            [
                str(BLOCKER),
                "report",
                "--config",
                str(self.config),
                "--week",
                week,
                "--now",
                moment.isoformat(),
                "--format",
                "json",
            ],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            return {"error": (done.stderr or done.stdout).strip()[-500:]}
        data: dict[str, Any] = json.loads(done.stdout)
        return data


# -- the schedule ------------------------------------------------------------------------------

BUNDLES: tuple[tuple[str, ...], ...] = (
    ("meeting_on_block", "user_move"),
    ("meeting_on_focus", "declined_on_block"),
    ("user_delete", "meeting_in_free_time"),
    (),
    (),
)


def schedule(world: World) -> Iterator[tuple[datetime, str, str | None]]:
    """(moment, what, week) in time order: "generate" W, "daily" (week None: the
    current week and next once it has a plan), "report" W."""
    for i, week in enumerate(world.weeks):
        days = week_dates(week)
        if i == 0:
            yield world.at(days[0] - timedelta(days=3), "15:00"), "generate", week
        for day in days[:5]:
            yield world.at(day, "07:00"), "daily", None
        if i + 1 < len(world.weeks):
            yield world.at(days[4], "15:00"), "generate", world.weeks[i + 1]
        yield world.at(days[4], "23:00"), "report", week


def live(persona: Persona, root: Path, *, report: bool = True) -> Lived:
    """Live ``persona``'s weeks in ``root`` (created), through the product's own path."""
    world = World(persona, root)
    moments = list(schedule(world))
    for index, (moment, what, week) in enumerate(moments):
        today = moment.astimezone(world.zone).date()
        if what == "report":
            assert week is not None
            world.lived.weeks.append(world.week_end(week, moment, report=report))
            continue
        if what == "generate":
            assert week is not None
            world.pending.setdefault(week, []).insert(0, "generation")
            weeks = [week]
            label = "weekly"
        else:
            weeks = [world.week_of(moment)]
            upcoming = world.week_of(moment + timedelta(days=7))
            if upcoming in world.generated:
                weeks.append(upcoming)
            label = "daily"
        for wk in weeks:
            run = world.sync(moment, wk, label)
            if run.causes:
                world.sync(moment + AGAIN_AFTER, wk, "again")
        # what happens before the next run: a bundle of events for the week that is lived
        following = next(((m, w) for m, w, _ in moments[index + 1 :] if w != "report"), None)
        if following is None:
            continue
        next_run = following[0]
        target = week if what == "generate" else world.week_of(moment)
        assert target is not None
        if what == "daily" and today.weekday() == 4:
            continue  # Friday: next week's generation comes first
        bundle = world.rng.choice(BUNDLES)
        if persona.ooo and what == "daily" and today.weekday() == 1:
            bundle = (*bundle, "out_of_office")
        event_at = moment + (next_run - moment) / 2
        for kind in bundle:
            world.happen(kind, target, event_at, next_run)
    return world.lived


# -- figures -----------------------------------------------------------------------------------


def _in_range(card: dict[str, Any] | None, side: str) -> tuple[bool, bool, bool] | None:
    """(tiers, quadrants, 50-30-20) in range, from the report's planned or actual side."""
    if not card or "error" in card:
        return None
    data = card if side == "planned" else card["actual"]
    if side == "actual" and data.get("state") in ("future", "no_data"):
        return None  # nothing to judge is no week in range
    # a tier with no account-facing time at all is "no data" (ok null): not in range
    tiers = all(t.get("ok") is True for t in data["tiers"].values())
    flags = data["flags"]
    quadrants = not any(f.startswith("Q") for f in flags)
    categories = not any(f.startswith(("proactive", "reactive", "admin")) for f in flags)
    return tiers, quadrants, categories


def _misses(cards: list[dict[str, Any] | None], side: str) -> dict[str, int]:
    """What was off in the week-end reports: a tier above or below its range, the
    report's red flags (their numbers dropped, so weeks add up)."""
    out = Counter[str]()
    for card in cards:
        if not card or "error" in card:
            continue
        data = card if side == "planned" else card["actual"]
        for name, tier in data["tiers"].items():
            if tier.get("ok") is not False:
                continue
            share = tier.get("share", tier.get("actual_share", 0.0))
            out[f"tier {name} {'above' if share > tier['target_max'] else 'below'} range"] += 1
        for flag in data["flags"]:
            if flag.startswith("tier "):
                continue
            split = re.match(r"(\w+) (\d+)% \(target (\d+)%", flag)
            if split is not None:  # the 50-30-20 split: which way it is off
                name, share, target = split.groups()
                flag = f"{name} {'above' if int(share) > int(target) else 'below'} target"
            out[flag] += 1
    return dict(out)


def _restores_today(run: Run) -> bool:
    """The run created one of the run day's own blocks (its key holds that date)."""
    today = run.moment.date().isoformat()
    return any(key.split("/")[1:2] == [today] for key in run.created)


def summarize(lived: Lived) -> dict[str, Any]:
    runs = lived.runs
    no_cause = [r for r in runs if r.no_cause]
    cause = [r for r in runs if not r.no_cause and r.label != "weekly"]
    weeks = lived.weeks
    ranges = {side: [_in_range(w.report, side) for w in weeks] for side in ("planned", "actual")}
    return {
        "persona": lived.persona.name,
        "runs": len(runs),
        "no_cause_runs": len(no_cause),
        "no_cause_writes": sum(r.writes for r in no_cause),
        "no_cause_runs_writing": [r.describe() for r in no_cause if r.writes],
        "no_cause_today": len([r for r in no_cause if r.writes and _restores_today(r)]),
        "again_writing": len([r for r in runs if r.label == "again" and r.writes]),
        "again_runs": len([r for r in runs if r.label == "again"]),
        "cause_runs": len(cause),
        "cause_writes": sum(r.writes for r in cause),
        "untouched": sum(len(r.untouched) for r in runs if r.label != "weekly"),
        "untouched_runs": len([r for r in runs if r.label != "weekly"]),
        "untouched_in_no_cause": sum(len(r.untouched) for r in no_cause),
        "restyled": sum(len(r.restyled) for r in runs if r.label != "weekly"),
        "untouched_list": [
            f"{r.week} {r.label} {r.moment:%a %H:%M}: {', '.join(r.untouched)}"
            for r in runs
            if r.untouched and r.label != "weekly"
        ],
        "on_busy": sorted({x for r in runs for x in r.on_busy}),
        "conflicts": sorted({x for r in runs for x in r.conflicts}),
        "ended": sorted({f"{r.week} {r.moment:%a %H:%M}: {x}" for r in runs for x in r.ended}),
        "undone": sorted({x for r in runs for x in r.undone}),
        "keep_deleted": [
            f"{r.week} {r.label} {r.moment:%a %H:%M}: {x}" for r in runs for x in r.keep_deleted
        ],
        "errors": [e for r in runs for e in r.errors],
        "protected_generated": sum(w.protected_generated for w in weeks),
        "protected_lost": sum(w.protected_lost for w in weeks),
        "protected_under_meetings": sum(w.protected_under_meetings for w in weeks),
        "renewal_preps": sum(w.renewal_preps for w in weeks),
        "renewal_lost": [x for w in weeks for x in w.renewal_lost],
        "focus_asked": sum(w.focus_asked for w in weeks),
        "focus_on_calendar": sum(w.focus_on_calendar for w in weeks),
        "focus_kept": sum(w.focus_kept for w in weeks),
        "ranges": ranges,
        "misses": {side: _misses([w.report for w in weeks], side) for side in ranges},
        "weeks": len(weeks),
        "events": dict(lived.events),
        "seconds": sum(r.seconds for r in runs),
    }


def _h(minutes: int) -> str:
    return f"{minutes / 60:.1f} h"


def _count(ranges: list[tuple[bool, bool, bool] | None], i: int) -> str:
    known = [r for r in ranges if r is not None]
    if not known:
        return "n/a"
    return f"{sum(r[i] for r in known)}/{len(known)}"


def _totals(results: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"persona": "all"}
    for key, value in results[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = sum(r[key] for r in results)
        elif isinstance(value, list):
            total[key] = [x for r in results for x in r[key]]
    total["ranges"] = {
        side: [x for r in results for x in r["ranges"][side]] for side in ("planned", "actual")
    }
    total["events"] = dict(sum((Counter(r["events"]) for r in results), Counter()))
    return total


def _per(count: float, runs: int) -> str:
    return f"{count / runs:.2f}" if runs else "-"


METRICS: tuple[tuple[str, str, Any], ...] = (
    ("sync runs (no-cause)", "", lambda r: f"{r['runs']} ({r['no_cause_runs']})"),
    (
        "writes per no-cause run",
        "0",
        lambda r: f"{_per(r['no_cause_writes'], r['no_cause_runs'])} ({r['no_cause_writes']})",
    ),
    (
        "writes per cause run",
        "fewest",
        lambda r: f"{_per(r['cause_writes'], r['cause_runs'])} ({r['cause_writes']})",
    ),
    (
        "untouched blocks moved per run",
        "0",
        lambda r: f"{_per(r['untouched'], r['untouched_runs'])} ({r['untouched']})",
    ),
    ("blocks on busy time", "0", lambda r: str(len(r["on_busy"]))),
    ("ended blocks deleted or moved", "0", lambda r: str(len(r["ended"]))),
    ("protected keep blocks deleted by a run", "0", lambda r: str(len(r["keep_deleted"]))),
    ("user moves / deletes undone", "0", lambda r: str(len(r["undone"]))),
    ("run errors", "0", lambda r: str(len(r["errors"]))),
    (
        "protected minutes lost",
        "0",
        lambda r: f"{r['protected_lost']} of {r['protected_generated']}",
    ),
    (
        "renewal preps lost",
        "0",
        lambda r: f"{len(r['renewal_lost'])} of {r['renewal_preps']}",
    ),
    (
        "focus kept / asked",
        "100 %",
        lambda r: (
            f"{_h(r['focus_kept'])} / {_h(r['focus_asked'])}"
            + (f" ({r['focus_kept'] / r['focus_asked']:.0%})" if r["focus_asked"] else "")
        ),
    ),
    (
        "weeks with tiers in range, planned / actual",
        "all",
        lambda r: f"{_count(r['ranges']['planned'], 0)} / {_count(r['ranges']['actual'], 0)}",
    ),
    (
        "weeks with no quadrant red flag, planned / actual",
        "all",
        lambda r: f"{_count(r['ranges']['planned'], 1)} / {_count(r['ranges']['actual'], 1)}",
    ),
    (
        "weeks with 50-30-20 within margin, planned / actual",
        "all",
        lambda r: f"{_count(r['ranges']['planned'], 2)} / {_count(r['ranges']['actual'], 2)}",
    ),
)


def markdown(results: list[dict[str, Any]], personas: Sequence[Persona], options: Options) -> str:
    total = _totals(results)
    columns = [*results, total]
    figures = table(
        ["", "target", *(r["persona"] for r in results), "**all**"],
        [[name, target, *(show(r) for r in columns)] for name, target, show in METRICS],
    )
    who = table(
        ["persona", "who", "weeks", "what the weeks hold"],
        [
            [
                p.name,
                p.who,
                f"{p.first_week} to {persona_weeks(p)[-1]}" if p.weeks > 1 else p.first_week,
                p.notes,
            ]
            for p in personas
        ],
    )
    events = ", ".join(
        f"{v} {k.replace('_', ' ')}" for k, v in sorted(total["events"].items(), key=str)
    )
    lines = [
        "## 6. A lived week",
        "",
        f"{len(personas)} personas lived {sum(p.weeks for p in personas)} weeks on the "
        "service's schedule (generation Friday 15:00 local for next week, the 07:00 "
        "rebalance Monday to Friday), every run through the product's own path: "
        "`Runtime.sync` exactly as `blocker sync --week W --now T` calls it, and "
        "`blocker report --format json` at each week's end (Friday 23:00). After every "
        "run with a cause the same sync ran again ten minutes later. Between runs, "
        f"seeded: {events} (meetings in the busy .ics; moves and deletes in the calendar "
        "file the product writes, tags kept). "
        + (
            "**Quick run (`--quick`): a smoke test, not the figures of record.** "
            if options.quick
            else ""
        )
        + "Regenerate with `python -m benchmarks lived`; replay a persona's schedule by "
        "hand with `python -m benchmarks.lived PERSONA [WEEK] DIR`.",
        "",
        who,
        "",
        figures,
        "",
        "A no-cause run is a sync of a week when nothing touching that week happened since "
        "its last run (an invitation the owner declined is not a cause). Writes are the "
        "run's ops. Untouched blocks: neither under a meeting that arrived since the week's "
        "last run nor edited by the user, yet moved or deleted by a rebalance "
        f"({total['untouched_in_no_cause']} of them in no-cause runs; "
        f"{total['restyled']} more rewritten in place, e.g. turned "
        "Busy by `show_as: auto`). Busy time is this benchmark's own record of the "
        "meetings (the owner's answer, all-day entries busy unless transparent); a "
        "protected `keep` block under a timed meeting is a reported conflict, not a miss "
        f"({len(set(total['conflicts']))} such). Protected minutes: timed focus, goal and "
        "protected blocks on the calendar after generation, less those at week end, the "
        f"user's own deletes aside ({total['protected_under_meetings']} protected minutes "
        "were under meetings at week end). Renewal prep lost: on the calendar, deleted by "
        "a run while its renewal is ahead, and none for that account at week end. Focus "
        "kept: focus on the calendar at week end less the meetings on it, against the "
        "week's ask (holidays scale the ask). Shares: the report's own judgement (tier "
        "`ok`, its red flags); planned and actual alike count account-facing time "
        "(the week's meetings with each account plus its blocks) and the meetings' "
        "Eisenhower mapping, and a tier with no time at all is no data, not in range.",
        "",
    ]
    lines += reading(results, total)
    return "\n".join(lines)


def reading(results: list[dict[str, Any]], total: dict[str, Any]) -> list[str]:
    """A plain reading of what misses and why, from the figures themselves."""
    out = ["Reading:", ""]
    writing = total["no_cause_runs_writing"]
    if not writing:
        out.append("- No-cause runs wrote nothing: met.")
    else:
        out.append(
            f"- Missed: {len(writing)} of {total['no_cause_runs']} no-cause runs wrote "
            f"({total['no_cause_writes']} writes). In {total['no_cause_today']} of them the "
            "run re-created one of that day's own blocks (a fixed template block such as an "
            "email batch or the wrap-up) that generation had given to a flexible block; the "
            "flexible block then moves to a later day and takes that day's slot, so the same "
            "chain replays the next morning. "
            f"{total['again_writing']} of the {total['again_runs']} runs repeated ten minutes "
            "after a run with a cause wrote too: blocks of the same rank swapping places, "
            "the plan is not a fixed point of itself. First: " + writing[0] + "."
        )
    if total["untouched"]:
        knock_on = total["untouched"] - total["untouched_in_no_cause"]
        out.append(
            f"- Untouched blocks moved or deleted: {total['untouched']}, "
            f"{total['untouched_in_no_cause']} of them in no-cause runs, {knock_on} in runs "
            "with a cause (a block displaced by one that had to move, or the same chain "
            "running alongside)."
        )
    else:
        out.append("- Untouched blocks: none moved.")
    for name, label in (
        ("renewal_lost", "Renewal preps lost"),
        ("keep_deleted", "Protected keep blocks deleted by a run"),
        ("on_busy", "Blocks on busy time"),
        ("ended", "Ended blocks deleted or moved"),
        ("undone", "User moves or deletes undone"),
        ("errors", "Run errors"),
    ):
        items = total[name]
        if items:
            out.append(f"- Missed: {label.lower()}: {len(items)}. First: " + "; ".join(items[:2]))
        else:
            out.append(f"- {label}: none.")
    if total["protected_lost"]:
        out.append(
            f"- Missed: {total['protected_lost']} protected minutes lost of "
            f"{total['protected_generated']}."
        )
    else:
        out.append("- Protected minutes lost: none (keep blocks stay under meetings).")
    kept, asked = total["focus_kept"], total["focus_asked"]
    if asked:
        out.append(
            f"- Focus: {_h(kept)} kept of {_h(asked)} asked ({kept / asked:.0%}); the rest "
            f"({_h(asked - kept)}) is meetings booked on keep-focus blocks or focus the week "
            "had no room for."
        )
    for side in ("planned", "actual"):
        misses = Counter[str]()
        for r in results:
            misses.update(r["misses"][side])
        if misses:
            out.append(
                f"- Shares off at week end ({side}), in weeks: "
                + ", ".join(f"{k} {v}" for k, v in misses.most_common())
                + "."
            )
    return [*out, ""]


def _live_summary(persona: Persona, root: Path) -> dict[str, Any]:
    """One persona lived and summed up; its own process when ``--jobs`` > 1 (the
    personas share nothing but the code)."""
    print(f"  lived: {persona.name} {persona.first_week} x{persona.weeks}", flush=True)
    try:
        return summarize(live(persona, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(options: Options, sections: set[str]) -> None:
    del sections
    personas = QUICK if options.quick else PERSONAS
    seeded = [replace(p, seed=p.seed + options.seed - 2026) for p in personas]
    with tempfile.TemporaryDirectory(prefix="lived-") as tmp:
        roots = [Path(tmp) / p.name for p in seeded]
        if options.jobs > 1:
            with ProcessPoolExecutor(max_workers=options.jobs) as pool:
                results = list(pool.map(_live_summary, seeded, roots))
        else:
            results = [_live_summary(p, r) for p, r in zip(seeded, roots, strict=True)]
    save("lived", markdown(results, personas, options), {"personas": results})


def persona_named(name: str, week: str | None = None) -> Persona:
    """A persona by name; with ``week``, only that week (one week lived)."""
    for persona in PERSONAS:
        if persona.name == name:
            return persona if week is None else replace(persona, first_week=week, weeks=1)
    raise SystemExit(f"unknown persona {name!r}: one of {', '.join(p.name for p in PERSONAS)}")


def repro(argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.lived PERSONA [WEEK] DIR``: write the persona's rules, accounts
    and busy .ics (the meetings known from the start) to DIR, and print the CLI runs of
    the schedule with nothing happening in between, to replay a failure by hand."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.lived")
    parser.add_argument("persona")
    parser.add_argument("week", nargs="?")
    parser.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    world = World(persona_named(args.persona, args.week), args.dir)
    print(f"cd {args.dir} && export BLOCKER_DATABASE_URL=sqlite:///$PWD/state.db")
    for moment, what, week in schedule(world):
        if what == "report":
            print(f"blocker report --config config.yaml --week {week} --now {moment.isoformat()}")
            continue
        target = week or world.week_of(moment)
        print(f"blocker sync --config config.yaml --week {target} --now {moment.isoformat()}")


__all__ = [
    "PERSONAS",
    "QUICK",
    "Lived",
    "Persona",
    "Run",
    "World",
    "live",
    "main",
    "snapshot",
    "summarize",
    "user_delete",
    "user_move",
]


if __name__ == "__main__":
    repro()
