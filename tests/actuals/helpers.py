"""A week of real meetings (2026-W49, New York) as an .ics file and through the memory
provider, and rules with three accounts on three domains.

Meetings that count (expected minutes):
  Mon 10:00-11:00 Acme weekly        we called, bob@acme.example          Acme 60      Q2 proactive
  Tue 14:00-15:30 Globex escalation  ann@globex.example called            Globex 90    Q1 reactive
  Wed 13:00-14:00 Acme + Initech     we called, eu.initech.example too    30 + 30      Q2 proactive
  Thu 09:00-10:00 Team sync          colleagues only                      internal 60  Q3 admin
  Thu 11:00-11:30 Dentist            nobody                               solo 30      no split
Meetings that do not count:
  Thu 15:00-16:00 Initech QBR        declined by the owner
  Fri all day     Acme offsite       all-day
  Tue 16:00-16:30 Globex webinar     shown as free (transparent)
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from providers.memory import MemoryCalendar

TZ = ZoneInfo("America/New_York")
WEEK = "2026-W49"
OWNER = "mycorp.example"

RULES = """\
timezone: America/New_York
owner:
  name: Test CSM
  email_domains: [mycorp.example]
accounts:
  - {name: Acme, arr: 150000, domains: acme.example, last_contact: 2026-10-01}
  - {name: Globex, arr: 50000, domains: globex.example, last_contact: 2026-10-01}
  - {name: Initech, arr: 10000, domains: initech.example, last_contact: 2026-10-01}
rules:
  - kind: silent_account
    after_days: 14
calendars:
  - {id: local, provider: local, path: calendar.ics, busy: [meetings.ics]}
"""


def _event(uid: str, start: str, end: str, summary: str, extra: str = "") -> str:
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\n"
        "DTSTAMP:20261101T000000Z\r\n"
        f"{start}\r\n{end}\r\n"
        f"SUMMARY:{summary}\r\n"
        f"{extra}"
        "END:VEVENT\r\n"
    )


def _at(day: str, hhmm: str, name: str = "DTSTART") -> str:
    return f"{name};TZID=America/New_York:{day}T{hhmm}00"


ME_ORG = "ORGANIZER:mailto:me@mycorp.example\r\n"
ME_ACCEPTED = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@mycorp.example\r\n"

WEEK_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n"
    + _event(
        "m1",
        _at("20261130", "1000"),
        _at("20261130", "1100", "DTEND"),
        "Acme weekly",
        ME_ORG + "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@acme.example\r\n",
    )
    + _event(
        "m2",
        _at("20261201", "1400"),
        _at("20261201", "1530", "DTEND"),
        "Globex escalation",
        "ORGANIZER:mailto:ann@globex.example\r\n"
        + ME_ACCEPTED
        + "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@globex.example\r\n",
    )
    + _event(
        "m3",
        _at("20261202", "1300"),
        _at("20261202", "1400", "DTEND"),
        "Acme + Initech integration",
        ME_ORG
        + "ATTENDEE:mailto:carl@acme.example\r\n"
        + "ATTENDEE:mailto:dora@eu.initech.example\r\n",
    )
    + _event(
        "m4",
        _at("20261203", "0900"),
        _at("20261203", "1000", "DTEND"),
        "Team sync",
        "ORGANIZER:mailto:boss@mycorp.example\r\n"
        + ME_ACCEPTED
        + "ATTENDEE;PARTSTAT=ACCEPTED:mailto:pal@mycorp.example\r\n",
    )
    + _event("m5", _at("20261203", "1100"), _at("20261203", "1130", "DTEND"), "Dentist")
    + _event(
        "m6",
        _at("20261203", "1500"),
        _at("20261203", "1600", "DTEND"),
        "Initech QBR",
        "ORGANIZER:mailto:eve@initech.example\r\n"
        + "ATTENDEE;PARTSTAT=DECLINED:mailto:me@mycorp.example\r\n",
    )
    + _event(
        "m7",
        "DTSTART;VALUE=DATE:20261204",
        "DTEND;VALUE=DATE:20261205",
        "Acme offsite",
        ME_ACCEPTED + "ATTENDEE:mailto:bob@acme.example\r\n",
    )
    + _event(
        "m8",
        _at("20261201", "1600"),
        _at("20261201", "1630", "DTEND"),
        "Globex webinar",
        "TRANSP:TRANSPARENT\r\n" + "ATTENDEE:mailto:ann@globex.example\r\n",
    )
    + "END:VCALENDAR\r\n"
)

ADDRESSES = (
    "me@mycorp.example",
    "bob@acme.example",
    "ann@globex.example",
    "carl@acme.example",
    "dora@eu.initech.example",
    "boss@mycorp.example",
    "pal@mycorp.example",
    "eve@initech.example",
)


def t(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11 if day > 20 else 12, day, hh, mm, tzinfo=TZ)


def memory_week() -> MemoryCalendar:
    """The same week through the memory provider (domains only, as every provider gives)."""
    cal = MemoryCalendar()
    cal.add_foreign(
        t(30, 10),
        t(30, 11),
        "Acme weekly",
        response="organizer",
        attendee_domains=("acme.example",),
        organizer_domain=OWNER,
    )
    cal.add_foreign(
        t(1, 14),
        t(1, 15, 30),
        "Globex escalation",
        response="accepted",
        attendee_domains=("globex.example", OWNER),
        organizer_domain="globex.example",
    )
    cal.add_foreign(
        t(2, 13),
        t(2, 14),
        "Acme + Initech integration",
        response="organizer",
        attendee_domains=("acme.example", "eu.initech.example"),
        organizer_domain=OWNER,
    )
    cal.add_foreign(
        t(3, 9),
        t(3, 10),
        "Team sync",
        response="accepted",
        attendee_domains=(OWNER,),
        organizer_domain=OWNER,
    )
    cal.add_foreign(t(3, 11), t(3, 11, 30), "Dentist")
    cal.add_foreign(
        t(3, 15),
        t(3, 16),
        "Initech QBR",
        response="declined",
        attendee_domains=(OWNER,),
        organizer_domain="initech.example",
    )
    cal.add_foreign(
        datetime(2026, 12, 4, tzinfo=TZ),
        datetime(2026, 12, 5, tzinfo=TZ),
        "Acme offsite",
        all_day=True,
        response="accepted",
        attendee_domains=("acme.example", OWNER),
    )
    cal.add_foreign(
        t(1, 16),
        t(1, 16, 30),
        "Globex webinar",
        transparent=True,
        attendee_domains=("globex.example",),
    )
    return cal
