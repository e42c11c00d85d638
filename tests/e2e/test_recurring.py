"""A recurring daily stand-up with a moved and a cancelled instance, through ``Runtime.sync``
(what ``blocker sync --now``, the API and the jobs call) on Google and on Graph.

The rules ask for an "Early focus" half hour each weekday inside 09:30-10:00, the
stand-up's own slot (09:30-09:45 New York): a block fits only on a day whose
stand-up is not there. So where the blocks land says exactly what the product read:
the moved instance frees its day (the planner sees the new time, not the original),
the cancelled one frees its slot, and an instance moved onto a block is a meeting
conflict like any other. Each run is a new runtime on the same SQLite store, a
minute later on the pinned clock, as separate CLI processes would be. The series
runs on the week after next and, again, on the first week after New York's next
DST change, having started on the Monday before the change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
import requests

from blocker.connect import Connector
from blocker.core.clock import fixed_clock
from blocker.core.models import Op
from blocker.core.weeks import shift_week, week_dates, week_of, week_window
from blocker.runtime import RunOutcome, Runtime
from blocker.settings import Settings
from blocker.store import TokenCipher
from tests.fakes.google import FakeGoogle, recurrence, run_fake_google
from tests.fakes.microsoft import recurrence as graph_recurrence
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.graph_store import StoredEvent, graph_time
from tests.fakes.microsoft.identity import FakeIdentity, form_fields
from tests.fakes.microsoft.server import TLSFiles
from tests.support.clock import TEST_NOW, next_week

NY = ZoneInfo("America/New_York")
EARLY = "Early focus"
RULES = """\
timezone: America/New_York
owner:
  name: Test CSM
  email_domains: [mycorp.example]
rules:
  - kind: block
    id: early
    title: Early focus
    per: day
    minutes: 30
    window: "09:30-10:00"
schedule:
  generate_at: "fri 15:00"
  poll_minutes: 60
calendars:
  - {id: work, provider: PROVIDER, calendar: primary}
"""


def dst_week() -> str:
    """The ISO week right after New York's next DST change (Sunday) from the pinned now."""
    day = TEST_NOW.astimezone(NY).date() + timedelta(days=14)
    while True:
        offsets = {NY.utcoffset(datetime.combine(day + timedelta(d), time(12))) for d in (0, 1)}
        if len(offsets) == 2:
            return week_of(day + timedelta(days=2))
        day += timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), NY)


@dataclass
class World:
    """One deployment on a SQLite file, one fake behind it, and the user's back door."""

    settings: Settings
    rules: Path
    week: str
    add_series: Callable[[datetime, datetime], str]
    move: Callable[[str, datetime, datetime, datetime], object]
    cancel: Callable[[str, datetime], object]
    standups: Callable[[], list[tuple[datetime, datetime]]]
    blocks: Callable[[], list[tuple[datetime, datetime]]]
    minutes: int = 0
    connect: Callable[[Runtime], None] = field(default=lambda runtime: None)

    def process(self) -> Runtime:
        self.minutes += 1
        clock = fixed_clock(TEST_NOW + timedelta(minutes=self.minutes))
        return Runtime.open(self.settings, self.rules, clock=clock)

    def sync(self) -> RunOutcome:
        runtime = self.process()
        try:
            return runtime.sync(None, "work", self.week, trigger="cli")
        finally:
            runtime.close()

    @property
    def days(self) -> list[date]:
        return week_dates(self.week)[:5]


def _settings(tmp_path: Path, provider: str, **extra: Any) -> tuple[Settings, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace("PROVIDER", provider), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'blocker.db'}",
        encryption_key=TokenCipher.generate_key(),
        public_base_url="http://127.0.0.1:9",  # no push: every run reads by itself
        **extra,
    )
    return settings, rules


def _end(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["end"]["dateTime"])


def _google_world(tmp_path: Path, fake: FakeGoogle, week: str) -> World:
    settings, rules = _settings(
        tmp_path,
        "google",
        google_client_id=fake.oauth.client_id,
        google_client_secret=fake.oauth.client_secret,
        google_auth_uri=f"{fake.base_url}/o/oauth2/auth",
        google_token_uri=f"{fake.base_url}/token",
        google_api_root=f"{fake.base_url}/",
    )

    def connect(runtime: Runtime) -> None:
        connector = Connector(runtime)
        url = connector.start("google", "work", "http://127.0.0.1:9/oauth/google/callback")
        reply = httpx.get(url, follow_redirects=False, trust_env=False)
        query = parse_qs(urlsplit(reply.headers["location"]).query)
        connector.finish("google", {"state": query["state"][0], "code": query["code"][0]})

    def add_series(start: datetime, end: datetime) -> str:
        rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        return str(recurrence.add_series(fake, start, end, rule, "Stand-up")["id"])

    def listed(summary: str) -> list[tuple[datetime, datetime]]:
        window = week_window(week, NY.key)
        query = {
            "singleEvents": ["true"],
            "timeMin": [window.start.isoformat()],
            "timeMax": [window.end.isoformat()],
            "maxResults": ["2500"],
        }
        _, _, body = fake.api.list_events(fake.calendar(), query)
        items = json.loads(body)["items"]
        return sorted(
            (datetime.fromisoformat(e["start"]["dateTime"]), _end(e))
            for e in items
            if e["status"] != "cancelled" and summary in str(e.get("summary"))
        )

    return World(
        settings,
        rules,
        week,
        add_series=add_series,
        move=lambda s, o, a, b: bool(recurrence.move_instance(fake, s, o, a, b)),
        cancel=lambda s, o: bool(recurrence.cancel_instance(fake, s, o)),
        standups=lambda: listed("Stand-up"),
        blocks=lambda: listed(EARLY),
        connect=connect,
    )


def _graph_world(
    tmp_path: Path,
    graph: FakeGraph,
    identity: FakeIdentity,
    tls: TLSFiles,
    session: requests.Session,
    week: str,
) -> World:
    graph.token_ok = identity.state.token_valid
    graph.token_scopes = identity.state.token_scopes
    settings, rules = _settings(
        tmp_path,
        "outlook",
        microsoft_client_id=identity.state.client_id,
        microsoft_client_secret=identity.state.client_secret,
        microsoft_authority=identity.authority(),
        microsoft_graph_root=graph.root,
        microsoft_ca_bundle=tls.ca_file,
    )
    box = graph.mailbox

    def connect(runtime: Runtime) -> None:
        connector = Connector(runtime)
        url = connector.start("outlook", "work", "http://127.0.0.1:9/oauth/microsoft/callback")
        _, fields = form_fields(session.get(url).text)
        connector.finish("outlook", fields)

    def add_series(start: datetime, end: datetime) -> str:
        days = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        pattern = {"type": "weekly", "daysOfWeek": days, "firstDayOfWeek": "monday"}
        return graph_recurrence.add_series(box, "Stand-up", start, end, pattern).id

    def current(series: str, original: datetime) -> str:
        """The occurrence's id, or the exception's once it was moved."""
        state = graph_recurrence.state_of(box, series)
        stamp = original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return state.exceptions.get(stamp) or graph_recurrence.occurrence_id(series, original)

    def move(series: str, original: datetime, start: datetime, end: datetime) -> None:
        event_id = current(series, original)
        if event_id in box.events:
            box.patch(event_id, {"start": graph_time(start), "end": graph_time(end)})
        else:
            graph_recurrence.move(box, event_id, start, end)

    def listed(subject: str) -> list[tuple[datetime, datetime]]:
        window = week_window(week, NY.key)
        found: list[StoredEvent] = box.in_window("primary", window.start, window.end)
        return sorted((e.start, e.end) for e in found if subject in str(e.data.get("subject")))

    return World(
        settings,
        rules,
        week,
        add_series=add_series,
        move=move,
        cancel=lambda s, o: box.remove(current(s, o)),
        standups=lambda: listed("Stand-up"),
        blocks=lambda: listed(EARLY),
        connect=connect,
    )


@pytest.fixture(params=["next", "dst"])
def week(request: pytest.FixtureRequest) -> str:
    return shift_week(next_week(), 1) if request.param == "next" else dst_week()


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, tmp_path: Path, week: str) -> Iterator[World]:
    if request.param == "google":
        request.getfixturevalue("insecure_oauth")
        with run_fake_google(time_zone=NY.key) as fake:
            yield _google_world(tmp_path, fake, week)
        return
    yield _graph_world(
        tmp_path,
        request.getfixturevalue("ms_graph"),
        request.getfixturevalue("ms_identity"),
        request.getfixturevalue("ms_tls"),
        request.getfixturevalue("ms_session"),
        week,
    )


def early_days(ops: tuple[Op, ...]) -> dict[str, set[date]]:
    """Days each kind of write touched (the block's day, or the removed event's)."""
    out: dict[str, set[date]] = {}
    for op in ops:
        target = op.block or op.current
        assert target is not None, op
        out.setdefault(op.action, set()).add(target.start.astimezone(NY).date())
    return out


def assert_clear_of(world: World) -> None:
    """No block overlaps a live stand-up instance."""
    meetings = world.standups()
    for start, end in world.blocks():
        clash = [m for m in meetings if m[0] < end and start < m[1]]
        assert not clash, f"block {start}-{end} overlaps the stand-up at {clash}"


def test_blocks_go_around_moved_and_into_cancelled_instances(world: World) -> None:
    runtime = world.process()
    world.connect(runtime)
    runtime.close()
    mon, tue, wed, thu, fri = world.days
    first_monday = mon - timedelta(days=7)  # the series started a week before (DST: before it)
    series = world.add_series(at(first_monday, 9, 30), at(first_monday, 9, 45))
    world.move(series, at(tue, 9, 30), at(tue, 11), at(tue, 11, 15))
    world.cancel(series, at(wed, 9, 30))
    assert world.standups() == [
        (at(mon, 9, 30), at(mon, 9, 45)),
        (at(tue, 11), at(tue, 11, 15)),
        (at(thu, 9, 30), at(thu, 9, 45)),
        (at(fri, 9, 30), at(fri, 9, 45)),
    ], "the fake shows the week as the user sees it"

    first = world.sync()
    assert first.errors == (), first.errors
    assert early_days(first.ops) == {"create": {tue, wed}}, [o.describe() for o in first.ops]
    assert world.blocks() == [(at(tue, 9, 30), at(tue, 10)), (at(wed, 9, 30), at(wed, 10))]
    assert_clear_of(world)

    again = world.sync()
    assert again.ops == () and again.errors == ()
    assert again.run is not None and again.run.extra["incremental"] == 1

    world.cancel(series, at(thu, 9, 30))  # the user cancels Thursday's: its slot frees
    freed = world.sync()
    assert freed.errors == () and freed.run is not None and freed.run.extra["incremental"] == 1
    assert early_days(freed.ops) == {"create": {thu}}, [o.describe() for o in freed.ops]
    assert (at(thu, 9, 30), at(thu, 10)) in world.blocks()

    # Monday's moves out of the window; Tuesday's (already moved) onto Tuesday's block
    world.move(series, at(mon, 9, 30), at(mon, 13), at(mon, 13, 15))
    world.move(series, at(tue, 9, 30), at(tue, 9, 40), at(tue, 9, 55))
    moved = world.sync()
    assert moved.errors == () and moved.run is not None and moved.run.extra["incremental"] == 1
    touched = set().union(*early_days(moved.ops).values())
    assert touched == {mon, tue}, [o.describe() for o in moved.ops]
    blocks = world.blocks()
    assert (at(mon, 9, 30), at(mon, 10)) in blocks
    assert not [b for b in blocks if b[0].date() == tue], "no half hour is left on Tuesday"
    assert (at(wed, 9, 30), at(wed, 10)) in blocks and (at(thu, 9, 30), at(thu, 10)) in blocks
    assert_clear_of(world)

    settled = world.sync()
    assert settled.ops == () and settled.errors == ()


def test_the_dst_week_follows_a_change_the_series_spans() -> None:
    """The week the DST case syncs really comes after a change since the series began."""
    monday = week_dates(dst_week())[0]
    before = at(monday - timedelta(days=7), 9, 30)
    after = at(monday, 9, 30)
    assert before.utcoffset() != after.utcoffset()
    assert after.astimezone(UTC) - before.astimezone(UTC) != timedelta(days=7)
