"""One deployment, three people: Ann (the first admin, whose calendars the team
template's are) and two members, Bob and Cara, each with an overlay declaring their
own local calendar ``work`` (the same id on purpose) and a meeting of their own in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from blocker.core.weeks import next_week, week_dates
from blocker.members import member_dir, store_key
from blocker.runtime import Runtime
from blocker.settings import Settings
from tests.auth.conftest import TOKEN, TeamService, signin_service
from tests.fakes.oidc import FakePerson
from tests.support.clock import TEST_NOW, ticking_clock
from tests.support.rules import rules_yaml

WEEK = next_week(TEST_NOW.date())
OVERLAY = """\
owner:
  name: {name}
  email: {email}
calendars:
  - {{id: work, provider: local, path: work.ics}}
rules:
  - kind: block
    id: focus
    title: {name}'s deep work
    per: week
    minutes: 120
    window: "09:00-12:00"
"""


def ics(meeting: str, day: date, hour: int) -> str:
    stamp = day.strftime("%Y%m%d")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//members//EN\r\n"
        "BEGIN:VEVENT\r\n"
        f"UID:{meeting.replace(' ', '-')}@tests\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART;TZID=America/New_York:{stamp}T{hour:02d}0000\r\n"
        f"DTEND;TZID=America/New_York:{stamp}T{hour + 1:02d}0000\r\n"
        f"SUMMARY:{meeting}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@dataclass
class Person:
    email: str
    name: str
    meeting: str
    user_id: int = 0

    @property
    def key(self) -> str:
        """The store key of their calendar ``work``."""
        return store_key(self.user_id, "work")


@dataclass
class Team:
    service: TeamService
    folder: Path
    ann: Person
    bob: Person
    cara: Person

    @contextmanager
    def browser(self, person: Person) -> Iterator[httpx.Client]:
        """A browser signed in as ``person`` through the fake Google sign-in."""
        self.service.google.state.person = FakePerson(person.email)
        with httpx.Client(base_url=self.service.base_url, timeout=60) as client:
            landed = client.get("/auth/google/start", params={"next": "/"}, follow_redirects=True)
            assert landed.status_code == 200, landed.text
            yield client

    def token_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.service.base_url,
            timeout=60,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A shared runtime on a SQLite file whose template has one memory calendar."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_yaml(["{id: work, provider: memory}"], lunch_at="14:00"))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", rules_path=rules)
    opened = Runtime.open(settings, clock=ticking_clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    template = rules_yaml(["{id: work, provider: local, path: team.ics}"])
    (tmp_path / "rules.yaml").write_text(template, encoding="utf-8")
    tuesday = week_dates(WEEK)[1]
    (tmp_path / "team.ics").write_text(ics("Ann team sync", tuesday, 14), encoding="utf-8")
    with signin_service(tmp_path) as service:
        store = service.store
        ann = Person("ann@team.example", "Ann", "Ann team sync")
        bob = Person("bob@team.example", "Bob", "Bob renewal with Acme")
        cara = Person("cara@team.example", "Cara", "Cara escalation with Globex")
        ann.user_id = store.add_team_user(ann.email, "admin").id
        for person, hour in ((bob, 10), (cara, 15)):
            person.user_id = store.add_team_user(person.email, "member").id
            store.save_overlay(person.user_id, OVERLAY.format(name=person.name, email=person.email))
            folder = member_dir(service.app.state.runtime, person.user_id)
            folder.mkdir(parents=True)
            day = tuesday + timedelta(days=1)
            (folder / "work.ics").write_text(ics(person.meeting, day, hour), encoding="utf-8")
        yield Team(service, tmp_path, ann, bob, cara)
