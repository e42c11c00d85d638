"""The lead's view keeps each member's week (blocker.team.week_cache): a repeated view
reads no calendar; a run, an overlay, the template and the TTL each make it read
again, for the member concerned only; a failed read is not kept; no member's week
is ever another's (Bob and Cara both have a calendar ``work``).

Real parts: a runtime on a SQLite file, the members' local calendars in their own
folders, reads counted by the runtime's metrics (every provider is wrapped in
``CountingProvider``); the clock is pinned and moved by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from blocker.core.weeks import week_dates
from blocker.members import member_dir, scope_for_user
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import TokenCipher
from blocker.store.team_groups import TeamGroup
from blocker.team.store_source import member_view, team_view, trend_weeks
from blocker.team.summary import MemberSummary, TrendPoint
from blocker.team.week_cache import TTL, week_cache
from tests.members.conftest import OVERLAY, WEEK, Person, ics
from tests.support.clock import TEST_NOW, SettableClock
from tests.support.rules import rules_yaml
from tests.team.conftest import FOCUS, Leads, calendar, marked_event


@dataclass
class Deployment:
    runtime: Runtime
    clock: SettableClock
    folder: Path
    bob: Person
    cara: Person

    def team(self) -> TeamGroup:
        group = self.runtime.store.team_group("Alpha")
        assert group is not None
        return group

    def view(self) -> dict[str, MemberSummary]:
        summary = team_view(self.runtime, self.team(), WEEK)
        return {m.member: m for m in summary.members}

    def one(self, person: Person) -> MemberSummary:
        user = self.runtime.store.team_user_by_id(person.user_id)
        assert user is not None
        return member_view(self.runtime, user, WEEK)

    def reads(self) -> float:
        return reads_of(self.runtime)

    def calendar_file(self, person: Person) -> Path:
        return member_dir(self.runtime, person.user_id) / "work.ics"


def reads_of(runtime: Runtime) -> float:
    """Calendar reads counted by the runtime's metrics (every provider is counted)."""
    return runtime.metrics.provider_calls("read")


KEY = TokenCipher.generate_key()
"""One encryption key, so a second runtime on the store reads the sealed addresses."""


def _open(folder: Path, clock: SettableClock) -> Runtime:
    settings = Settings(
        database_url=f"sqlite:///{folder / 'blocker.db'}",
        rules_path=folder / "rules.yaml",
        encryption_key=KEY,
    )
    return Runtime.open(settings, clock=clock)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    tuesday = week_dates(WEEK)[1]
    template = rules_yaml(["{id: work, provider: local, path: team.ics}"])
    (tmp_path / "rules.yaml").write_text(template, encoding="utf-8")
    (tmp_path / "team.ics").write_text(ics("Ann team sync", tuesday, 14), encoding="utf-8")
    clock = SettableClock(TEST_NOW)
    runtime = _open(tmp_path, clock)
    store = runtime.store
    store.add_team_user("ann@team.example", "admin")  # the template's owner
    bob = Person("bob@team.example", "Bob", "Bob renewal with Acme")
    cara = Person("cara@team.example", "Cara", "Cara escalation with Globex")
    store.create_team("Alpha", actor="test")
    for person, hour in ((bob, 10), (cara, 15)):
        person.user_id = store.add_team_user(person.email, "member").id
        overlay = OVERLAY.format(name=person.name, email=person.email) + FOCUS
        store.save_overlay(person.user_id, overlay)
        member_dir(runtime, person.user_id).mkdir(parents=True)
        text = calendar(person, tuesday + timedelta(days=1), hour)
        (member_dir(runtime, person.user_id) / "work.ics").write_text(text, encoding="utf-8")
        store.add_to_team("Alpha", person.user_id, lead=False, actor="test")
    try:
        yield Deployment(runtime, clock, tmp_path, bob, cara)
    finally:
        runtime.close()


def test_a_second_view_reads_no_calendar(deployment: Deployment) -> None:
    first = deployment.view()
    read = deployment.reads()
    assert read == 2  # one read of the eight weeks per member (blocker.team.trend_read)
    assert all(m.note is None for m in first.values())
    again = deployment.view()
    assert deployment.reads() == read
    assert again == first
    assert len(week_cache(deployment.runtime)) == 2 * 8


def test_the_cache_gives_each_member_their_own_weeks(deployment: Deployment) -> None:
    """Bob and Cara both name their calendar ``work``: the cached rows are exactly
    what a runtime with nothing cached computes for each of them."""
    deployment.view()
    cached = deployment.view()
    bob, cara = deployment.bob.email, deployment.cara.email
    assert cached[bob] != cached[cara]
    fresh = _open(deployment.folder, deployment.clock)
    try:
        assert len(week_cache(fresh)) == 0
        group = fresh.store.team_group("Alpha")
        assert group is not None
        uncached = {m.member: m for m in team_view(fresh, group, WEEK).members}
    finally:
        fresh.close()
    assert uncached == cached
    # a member's own view, asked after the team's, is theirs (not the other one's)
    assert deployment.one(deployment.cara) == cached[cara]
    assert deployment.one(deployment.bob) == cached[bob]


def test_a_new_run_reads_that_members_calendar_again(deployment: Deployment) -> None:
    deployment.view()
    user = deployment.runtime.store.team_user_by_id(deployment.bob.user_id)
    assert user is not None
    scope = scope_for_user(deployment.runtime, user)
    assert scope is not None
    outcome = scope.sync(None, deployment.bob.key, WEEK, trigger="test")
    assert not outcome.errors and outcome.ops  # our blocks now on Bob's calendar
    read = deployment.reads()
    deployment.one(deployment.cara)
    assert deployment.reads() == read  # Cara's calendar had no run
    bob = deployment.one(deployment.bob)
    assert deployment.reads() > read
    assert bob.basis in ("planned", "actual") and bob.note is None
    read = deployment.reads()
    deployment.view()
    assert deployment.reads() == read


def test_an_overlay_saved_reads_that_member_again(deployment: Deployment) -> None:
    deployment.view()
    read = deployment.reads()
    bob = deployment.bob
    # saved by another process (the store only): the scope and the key follow it
    overlay = OVERLAY.format(name=bob.name, email=bob.email).replace("120", "180") + FOCUS
    deployment.runtime.store.save_overlay(bob.user_id, overlay)
    deployment.one(deployment.cara)
    assert deployment.reads() == read
    deployment.one(bob)
    assert deployment.reads() > read


def test_a_template_change_reads_every_member_again(deployment: Deployment) -> None:
    deployment.view()
    base = deployment.runtime
    base.update_rules(base.rules_text.replace('at: "12:00"', 'at: "12:30"'))
    read = deployment.reads()
    deployment.one(deployment.bob)
    after_bob = deployment.reads()
    assert after_bob > read
    deployment.one(deployment.cara)
    assert deployment.reads() > after_bob


def test_weeks_expire_after_the_ttl_on_the_runtimes_clock(deployment: Deployment) -> None:
    deployment.view()
    read = deployment.reads()
    deployment.clock.now = TEST_NOW + TTL - timedelta(seconds=1)
    deployment.view()
    assert deployment.reads() == read
    deployment.clock.now = TEST_NOW + TTL
    deployment.view()
    # every week, past ones included: one read of the whole trend per member (a
    # trend read is made only when at least two weeks are not kept)
    assert deployment.reads() == read + 2
    read = deployment.reads()
    deployment.clock.now = TEST_NOW - timedelta(minutes=1)  # a clock set back
    deployment.view()
    assert deployment.reads() == read + 2


def test_a_past_meeting_edited_shows_within_the_ttl(deployment: Deployment) -> None:
    """An edit of a past week's meeting makes no run: the documented bound is the TTL."""
    past = trend_weeks(WEEK)[0]
    before = _point(deployment.view()[deployment.bob.email], past)
    path = deployment.calendar_file(deployment.bob)
    monday: date = week_dates(past)[0]
    extra = "".join(marked_event(f"bobextra{i}", monday + timedelta(days=i), 14) for i in range(4))
    path.write_text(
        path.read_text(encoding="utf-8").replace("END:VCALENDAR", extra + "END:VCALENDAR"),
        encoding="utf-8",
    )
    assert _point(deployment.view()[deployment.bob.email], past) == before  # kept
    deployment.clock.now = TEST_NOW + TTL
    after = _point(deployment.view()[deployment.bob.email], past)
    assert before.basis == "none"  # nothing of Bob's that week, until the edit
    assert after.basis == "actual" and dict(after.tiers)["high"] == 1.0  # Acme's tier


def _point(summary: MemberSummary, week: str) -> TrendPoint:
    [point] = [p for p in summary.trend if p.week == week]
    return point


def test_a_failed_read_is_not_kept(deployment: Deployment) -> None:
    path = deployment.calendar_file(deployment.cara)
    good = path.read_bytes()
    path.write_bytes(b"\x00not ics")
    rows = deployment.view()
    assert rows[deployment.cara.email].note == "calendar not readable"
    assert rows[deployment.bob.email].note is None
    assert len(week_cache(deployment.runtime)) == 8  # Bob's weeks only
    path.write_bytes(good)  # fixed, no run, no time passed
    read = deployment.reads()
    cara = deployment.view()[deployment.cara.email]
    assert cara.note is None and cara.basis in ("planned", "actual")
    assert deployment.reads() > read


def test_the_lead_api_twice_reads_no_calendar_the_second_time(leads: Leads) -> None:
    """Through the real service: ``/api/team`` again, and a member's page, read nothing."""
    runtime = leads.team.service.app.state.runtime
    with leads.team.token_client() as script:
        first = script.get("/api/team", params={"week": WEEK})
        assert first.status_code == 200, first.text
        read = reads_of(runtime)
        assert read == 3  # Bob, Cara and Dan: one read of the eight weeks each
        second = script.get("/api/team", params={"week": WEEK})
        one = script.get(f"/team/member/{leads.team.bob.user_id}", params={"week": WEEK})
    assert second.status_code == 200 and one.status_code == 200
    assert reads_of(runtime) == read
    assert second.json() == first.json()
    assert one.json()["member"] == leads.team.bob.email
