"""A team of N members in a real store, for section 5 (scale through the job path).

Each member is what a real deployment holds: a team user (``store.add_team_user``,
address sealed), an overlay saved in the store (their whole rules: the generator's
crowded CSM week of 60-100 accounts, their own time zone, working days, holidays
and ``schedule.generate_at``) and one local calendar ``work`` in their own folder
(``DATA_DIR/members/u<id>/``) whose ``busy.ics`` holds their week's meetings
(10-35, from the generator). The template owner (the lead, the first admin) has
one calendar of the template's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.generator import _accounts_yaml, _meetings, _rules_yaml
from blocker.core.models import Busy
from blocker.core.weeks import week_dates

WEEK = "2026-W51"
"""The week every member's weekly job plans (Monday 14 December 2026)."""
SCHEDULED_AT = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
"""The clock when members are scheduled: each one's generation falls in that week."""
RUN_AT = datetime(2026, 12, 12, 12, 0, tzinfo=UTC)
"""Saturday noon UTC: every member's weekly generation is past due, in every zone."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ZONES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("America/New_York", "US", WEEKDAYS),
    ("America/Los_Angeles", "US", WEEKDAYS),
    ("Europe/Berlin", "DE", WEEKDAYS),
    ("Europe/London", "GB", WEEKDAYS),
    ("Asia/Jerusalem", "IL", ("sun", "mon", "tue", "wed", "thu")),
    ("Asia/Tokyo", "JP", WEEKDAYS),
    ("Australia/Sydney", "AU", WEEKDAYS),
)
GENERATE_AT = ("fri 15:00", "fri 14:00", "thu 16:30", "fri 11:00", "thu 09:00")

TEMPLATE = """\
timezone: America/New_York
owner: {name: Team Lead, email_domains: [bench.example]}
accounts:
  - {name: Acme, arr: 150000, domains: acme.example}
  - {name: Globex, arr: 50000, domains: globex.example}
  - {name: Initech, arr: 10000, domains: initech.example}
rules:
  - kind: lunch
    at: "12:00"
  - kind: wrap_up
schedule:
  generate_at: "fri 15:00"
  poll_minutes: 1440
calendars:
  - {id: lead, provider: local, path: lead.ics}
"""

CALENDAR = """\
calendars:
  - {id: work, provider: local, path: work.ics, busy: [busy.ics]}
schedule:
  generate_at: "%s"
  daily_rebalance_at: "07:00"
  poll_minutes: 1440
"""


@dataclass(frozen=True, slots=True)
class Member:
    email: str
    zone: str
    overlay: str
    busy_ics: str


def _ics(busy: tuple[Busy, ...], n: int) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//team//EN"]
    for i, b in enumerate(busy):
        lines += ["BEGIN:VEVENT", f"UID:m{n}-{i}@bench.example", "DTSTAMP:20261201T000000Z"]
        if b.all_day:
            day = b.start.date()
            lines += [
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            ]
        else:
            lines += [
                f"DTSTART:{b.start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
                f"DTEND:{b.end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            ]
        if b.transparent:
            lines.append("TRANSP:TRANSPARENT")
        lines += [f"SUMMARY:{b.title}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def member(n: int, seed: int) -> Member:
    """Member number ``n``: reproducible for ``seed``, varied across members."""
    rng = random.Random(seed * 1_000_003 + n)
    zone, country, days = ZONES[rng.randrange(len(ZONES))]
    monday = week_dates(WEEK)[0]
    text = _rules_yaml(rng, zone, country, days)
    text += "\n".join(_accounts_yaml(rng, monday, rng.randint(60, 100))) + "\n"
    text += CALENDAR % rng.choice(GENERATE_AT)
    tz = ZoneInfo(zone)
    workdays: list[date] = [
        d
        for d in week_dates(WEEK)
        if ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d.weekday()] in days
    ]
    busy = _meetings(rng, None, workdays, tz)  # type: ignore[arg-type]  # spec is unused
    return Member(f"csm{n:05d}@bench.example", zone, text, _ics(busy, n))


def build_team(store: Any, data_dir: Path, first: int, count: int, seed: int) -> list[int]:
    """Members ``first .. first + count - 1`` in the store and on disk; their ids."""
    ids: list[int] = []
    for n in range(first, first + count):
        m = member(n, seed)
        user = store.add_team_user(m.email, "member")
        store.save_overlay(user.id, m.overlay)
        folder = member_dir_of(data_dir, user.id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "busy.ics").write_text(m.busy_ics, encoding="utf-8")
        ids.append(user.id)
    return ids


def member_dir_of(data_dir: Path, user_id: int) -> Path:
    """:func:`blocker.members.member_dir` without a runtime (the same layout)."""
    return data_dir / "members" / f"u{user_id}"


__all__ = [
    "RUN_AT",
    "SCHEDULED_AT",
    "TEMPLATE",
    "WEEK",
    "Member",
    "build_team",
    "member",
    "member_dir_of",
]
