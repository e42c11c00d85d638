"""Seeded generator of realistic crowded CSM weeks, built through the real rules engine.

Each instance is one user-week: a rules file written as YAML text (the same
language a user writes, parsed by :func:`rules.parse_rules`) with 60-100
accounts across the three tiers (renewals at 30/60/90 days, silent accounts,
health drops, go-lives), expanded by :func:`rules.expand_week`, plus 10-35
foreign meetings (recurring stand-ups and 1:1s, all-day events, declined and
transparent ones) and, for about one week in five, a week holding a DST change.

Every time and duration is on the 15-minute grid, so the CP-SAT model of
:mod:`benchmarks.optimum` (15-minute slots) is exact, not an approximation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.core.models import Busy, WeekSpec
from blocker.core.weeks import week_dates
from rules import Rules, expand_week, parse_rules

__all__ = ["ZONES", "Instance", "generate", "instances"]

SLOT_MINUTES = 15

ZONES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # zone, holiday country, working days (Israel works Sunday-Thursday, so its
    # October DST change falls on a working day)
    ("America/New_York", "US", ("mon", "tue", "wed", "thu", "fri")),
    ("Europe/Berlin", "DE", ("mon", "tue", "wed", "thu", "fri")),
    ("Asia/Jerusalem", "IL", ("sun", "mon", "tue", "wed", "thu")),
)

DST_WEEKS: dict[str, tuple[str, ...]] = {
    "America/New_York": ("2026-W10", "2026-W44", "2027-W10", "2027-W44"),
    "Europe/Berlin": ("2026-W13", "2026-W43", "2027-W12", "2027-W43"),
    "Asia/Jerusalem": ("2026-W13", "2026-W43", "2027-W12", "2027-W43"),
}

_DOMAINS = ("example", "test", "invalid")
_NAMES = [
    "Acme",
    "Aperture",
    "Bluth",
    "Cyberdyne",
    "Dunder",
    "Globex",
    "Hooli",
    "Initech",
    "Massive",
    "Monarch",
    "Nakatomi",
    "Oceanic",
    "Pied",
    "Soylent",
    "Stark",
    "Tyrell",
    "Umbrella",
    "Vandelay",
    "Wayne",
    "Wonka",
    "Zorg",
    "Gringotts",
    "Krusty",
    "Oscorp",
    "Prestige",
    "Sirius",
    "Virtucon",
    "Wernham",
    "Yoyodyne",
    "Ajax",
]
_SUFFIXES = ("Corp", "Labs", "Foods", "Health", "Bank", "Media", "Energy", "Retail", "Air")


@dataclass(frozen=True, slots=True)
class Instance:
    """One generated user-week: the rules' WeekSpec, the foreign events, the seed."""

    seed: int
    spec: WeekSpec
    busy: tuple[Busy, ...]
    accounts: int
    dst: bool
    rules: Rules

    @property
    def meetings(self) -> int:
        return len(self.busy)


def _week(rng: random.Random, zone: str) -> tuple[str, bool]:
    if rng.random() < 0.2:
        return rng.choice(DST_WEEKS[zone]), True
    year = rng.choice((2026, 2027))
    return f"{year}-W{rng.randint(2, 50):02d}", False


def _accounts_yaml(rng: random.Random, monday: date, count: int) -> list[str]:
    lines = ["accounts:"]
    used: set[str] = set()
    for i in range(count):
        name = f"{rng.choice(_NAMES)} {rng.choice(_SUFFIXES)} {i}"
        used.add(name)
        band = rng.random()
        arr = (
            rng.randint(101, 600) * 1000
            if band < 0.22
            else rng.randint(26, 99) * 1000
            if band < 0.62
            else rng.randint(3, 24) * 1000
        )
        # renewals: most far away; about one in ten lands on a 30/60/90-day trigger
        if rng.random() < 0.1:
            renewal = monday + timedelta(days=rng.choice((30, 60, 90)) + rng.randint(0, 4))
        else:
            renewal = monday + timedelta(days=rng.randint(100, 400))
        # health drops: about one in thirty is low, one in forty fell sharply
        health = rng.randint(20, 44) if rng.random() < 1 / 30 else rng.randint(50, 95)
        prev = min(100, health + (20 if rng.random() < 1 / 40 else rng.choice((0, 5))))
        # silent accounts: about one in six had no contact for 15-40 days
        silent = rng.random() < 1 / 6
        last = monday - timedelta(days=rng.randint(15, 40) if silent else rng.randint(0, 12))
        go_live = (
            f", go_live: {(monday + timedelta(days=rng.randint(2, 6))).isoformat()}"
            if rng.random() < 0.03
            else ""
        )
        slug = name.lower().replace(" ", "-")
        lines.append(
            f"  - {{name: '{name}', arr: {arr}, renewal_date: {renewal.isoformat()}, "
            f"health: {health}, previous_health: {prev}, last_contact: {last.isoformat()}, "
            f"domains: '{slug}.{rng.choice(_DOMAINS)}'{go_live}}}"
        )
    return lines


def _rules_yaml(rng: random.Random, zone: str, country: str, days: tuple[str, ...]) -> str:
    start = rng.choice(("08:00", "08:30", "09:00"))
    end = rng.choice(("17:00", "17:30", "18:00"))
    hours = "\n".join(
        f"  {d}: " + (f'"{start}-{end}"' if d in days else "null")
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    )
    quiet = days[-1]
    call_days = f"[{days[1]}, {days[2]}]"
    focus = rng.choice((4, 5))
    email = 15
    lunch_at = rng.choice(("12:00", "12:30"))
    return f"""\
timezone: {zone}
owner: {{name: Bench User, email_domains: [bench.example]}}
working_hours:
{hours}
holidays: {{country: {country}}}
account_hours_per_week: {rng.choice((5, 6, 7))}
rules:
  - kind: morning_proactive
    minutes: 30
  - kind: email_batches
    times: ["11:00", "13:30", "16:00"]
    minutes: {email}
  - kind: lunch
    at: "{lunch_at}"
    minutes: {rng.choice((45, 60))}
  - kind: wrap_up
    minutes: 15
  - kind: call_window
    days: {call_days}
    window: "14:00-15:30"
  - kind: qbr_day
    days: [{days[3]}]
    window: "14:00-15:00"
  - kind: internal_meetings
    days: [{days[0]}]
    window: "09:30-10:30"
  - kind: meeting_free_day
    day: {quiet}
  - kind: focus_time
    hours: {focus}
    min_chunk: 60
    max_chunk: 120
    preferred: "09:30-12:00"
    conflict_policy: keep
  - kind: account_time
    round_to: 15
    min_minutes: 15
  - kind: weekly_review
    window: "13:30-16:00"
    minutes: 45
  - kind: renewal_prep
    days_before: [90, 60, 30]
    minutes: 30
  - kind: silent_account
    after_days: 14
    tiers: [high, mid]
    max_per_week: {rng.choice((3, 4, 5))}
    minutes: 30
  - kind: health_drop
    below: 45
    drop: 15
    minutes: 45
  - kind: go_live_prep
    within_days: 7
    minutes: 60
  - kind: block
    id: escalation_buffer
    title: "Reactive buffer (escalations)"
    days: [{", ".join(days[:4])}]
    window: "14:00-17:00"
    minutes: {rng.choice((15, 30))}
    show_as: auto
    category: reactive
    quadrant: 1
    priority: 40
  - kind: block
    id: learning
    title: "Learning & product updates"
    per: week
    days: [{quiet}]
    window: "09:30-12:00"
    minutes: 30
    priority: 30
"""


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minutes)


def _meetings(
    rng: random.Random, spec: WeekSpec, workdays: list[date], tz: ZoneInfo
) -> tuple[Busy, ...]:
    """10-35 foreign events: recurring stand-up / 1:1, all-day, one-offs."""
    target = rng.randint(10, 35)
    out: list[Busy] = []
    dom = "bench.example"
    # a daily stand-up (recurring, expanded as single instances like the providers do)
    if rng.random() < 0.7:
        at = rng.choice((9 * 60 + 15, 9 * 60 + 45, 10 * 60 + 30))
        for day in workdays[:4]:
            start = _at(day, at, tz)
            out.append(Busy(start, start + timedelta(minutes=15), "Stand-up", organizer_domain=dom))
    # a weekly 1:1 and a biweekly team sync
    for title, length in (("1:1 with manager", 30), ("Team sync", 60)):
        day = rng.choice(workdays)
        start = _at(day, rng.choice(range(9 * 60, 16 * 60, 15)), tz)
        out.append(Busy(start, start + timedelta(minutes=length), title, organizer_domain=dom))
    # all-day events (an offsite reminder, a colleague's holiday): they block no time
    for _ in range(rng.randint(0, 2)):
        day = rng.choice(workdays)
        start = datetime.combine(day, time(0), tzinfo=tz)
        out.append(Busy(start, start + timedelta(days=1), "All-day: offsite", all_day=True))
    while len(out) < target:
        day = rng.choice(workdays)
        length = rng.choice((30, 30, 45, 60, 60, 90))
        start = _at(day, rng.choice(range(8 * 60 + 30, 17 * 60 - length + 1, 15)), tz)
        roll = rng.random()
        out.append(
            Busy(
                start,
                start + timedelta(minutes=length),
                f"Customer call {len(out)}",
                response="declined" if roll < 0.05 else "accepted",
                transparent=0.05 <= roll < 0.1,
                attendee_domains=("customer.example",),
            )
        )
    return tuple(out)


def generate(seed: int) -> Instance:
    """One reproducible crowded week for ``seed``."""
    rng = random.Random(seed)
    zone, country, days = ZONES[rng.choices((0, 1, 2), weights=(5, 3, 2))[0]]
    week, dst = _week(rng, zone)
    monday = week_dates(week)[0]
    count = rng.randint(60, 100)
    text = _rules_yaml(rng, zone, country, days) + "\n".join(_accounts_yaml(rng, monday, count))
    rules = parse_rules(text, filename=f"bench-{seed}.yaml")
    spec = expand_week(rules, week, today=monday)
    tz = ZoneInfo(zone)
    workdays = sorted({i.start.astimezone(tz).date() for i in spec.working})
    busy = _meetings(rng, spec, workdays, tz) if workdays else ()
    return Instance(seed=seed, spec=spec, busy=busy, accounts=count, dst=dst, rules=rules)


def instances(count: int, *, seed: int = 2026) -> list[Instance]:
    """``count`` instances with seeds ``seed``, ``seed + 1``, ..."""
    return [generate(seed + i) for i in range(count)]
