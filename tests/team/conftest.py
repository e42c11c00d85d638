"""Two teams on one deployment (issue 20.5): Alpha (Bob and Cara, led by Lee) and Beta
(Dan, led by Lou), on the members suite's service (Ann the first admin, each CSM's
own local calendar under ``DATA_DIR/members/u<id>/``).

Every member's calendar also holds a customer meeting whose title, location,
description, attendees (names, addresses, their domain) and organizer carry a
unique marker: the lead's view must show none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from blocker.core.weeks import week_dates
from blocker.members import member_dir
from tests.members.conftest import OVERLAY, WEEK, Person, Team, team
from tests.store.conftest import db_url, key, pg_engine, pg_url, store

__all__ = ["MARK", "Leads", "db_url", "key", "leads", "pg_engine", "pg_url", "store", "team"]

MARK = "zqleadmark"
FOCUS = "  - kind: focus_time\n"


def marked_event(who: str, day: date, hour: int) -> str:
    """A meeting with Acme (a template account) whose every detail carries the marker."""
    tag = f"{MARK}{who}"
    stamp = day.strftime("%Y%m%d")
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{tag}-uid@tests\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART;TZID=America/New_York:{stamp}T{hour:02d}0000\r\n"
        f"DTEND;TZID=America/New_York:{stamp}T{hour + 1:02d}0000\r\n"
        f"SUMMARY:{tag} title\r\nLOCATION:{tag} location\r\n"
        f"DESCRIPTION:{tag} description\r\n"
        f"ORGANIZER;CN={tag} Organizer:mailto:{tag}.org@acme.example\r\n"
        f"ATTENDEE;CN={tag} Guest;PARTSTAT=ACCEPTED:mailto:{tag}.guest@{tag}-dom.example\r\n"
        f"ATTENDEE;CN={tag} Customer;PARTSTAT=ACCEPTED:mailto:{tag}@acme.example\r\n"
        "END:VEVENT\r\n"
    )


def calendar(person: Person, day: date, hour: int) -> str:
    """The person's own meeting (as the members suite has it) and the marked one."""
    stamp = day.strftime("%Y%m%d")
    own = (
        "BEGIN:VEVENT\r\n"
        f"UID:{person.meeting.replace(' ', '-')}@tests\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART;TZID=America/New_York:{stamp}T{hour:02d}0000\r\n"
        f"DTEND;TZID=America/New_York:{stamp}T{hour + 1:02d}0000\r\n"
        f"SUMMARY:{person.meeting}\r\nEND:VEVENT\r\n"
    )
    marked = marked_event(person.name.lower(), day + timedelta(days=1), 13)
    earlier = marked_event(person.name.lower() + "past", day - timedelta(days=14), 11)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//team//EN\r\n"
        f"{own}{marked}{earlier}END:VCALENDAR\r\n"
    )


@dataclass
class Leads:
    team: Team
    lee: Person
    dan: Person
    lou: Person

    @property
    def meetings(self) -> list[str]:
        """Every meeting title of every member: none may reach a lead."""
        return [p.meeting for p in (self.team.bob, self.team.cara, self.dan, self.team.ann)]


@pytest.fixture
def leads(team: Team) -> Iterator[Leads]:
    store = team.service.store
    runtime = team.service.app.state.runtime
    tuesday = week_dates(WEEK)[1]
    lee = Person("lee@team.example", "Lee", "Lee one-on-one")
    lou = Person("lou@team.example", "Lou", "Lou planning")
    dan = Person("dan@team.example", "Dan", "Dan QBR with Initech")
    lee.user_id = store.add_team_user(lee.email, "lead").id
    lou.user_id = store.add_team_user(lou.email, "lead").id
    dan.user_id = store.add_team_user(dan.email, "member").id
    for member in (team.bob, team.cara, dan):  # protected focus: "focus kept vs asked"
        overlay = OVERLAY.format(name=member.name, email=member.email) + FOCUS
        store.save_overlay(member.user_id, overlay)
    member_dir(runtime, dan.user_id).mkdir(parents=True)
    for person, hour in ((team.bob, 10), (team.cara, 15), (dan, 11)):
        path = member_dir(runtime, person.user_id) / "work.ics"
        path.write_text(calendar(person, tuesday + timedelta(days=1), hour), encoding="utf-8")
    store.create_team("Alpha", actor="test")
    store.create_team("Beta", actor="test")
    for member in (team.bob, team.cara):
        store.add_to_team("Alpha", member.user_id, lead=False, actor="test")
    store.add_to_team("Alpha", lee.user_id, lead=True, actor="test")
    store.add_to_team("Beta", dan.user_id, lead=False, actor="test")
    store.add_to_team("Beta", lou.user_id, lead=True, actor="test")
    yield Leads(team, lee, dan, lou)
