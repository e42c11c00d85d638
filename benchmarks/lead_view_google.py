"""The lead's first view on Google calendars: HTTP requests counted at the fake.

Part of the "team" section (:mod:`benchmarks.lead_view` calls it): a team of
:data:`GOOGLE_MEMBERS` members of :mod:`benchmarks.team`, each with a calendar on
the fake Google (tests/fakes/google, over loopback) holding the generator's
meetings of the trend's eight weeks, connected as the OAuth callback connects one;
the real provider (google-api-python-client over httplib2). The first view
(``team_view``) and then the per-week path (one read per member-week), each
request logged by the fake: counts are deterministic, times are not.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.generator import _meetings
from benchmarks.lead_view import NOW, per_week_path
from benchmarks.team import TEMPLATE, WEEK
from blocker.core.models import Busy
from blocker.core.weeks import week_dates

__all__ = ["GOOGLE_MEMBERS", "measure_google"]

GOOGLE_MEMBERS = 4
"""Members of the Google variant (requests are deterministic: a few members show it)."""


def _google_calendar(busy: list[Busy], zone: str, fake: Any, name: str) -> str:
    """A calendar on the fake Google holding ``busy`` (set up through its backdoor)."""
    from tests.fakes.google.calendar_api import FakeCalendar

    cal = FakeCalendar(f"{name}@group.calendar.google.com", name, zone)
    fake.api.calendars[cal.id] = cal
    for b in busy:
        when = (
            ({"date": b.start.date().isoformat()}, {"date": b.end.date().isoformat()})
            if b.all_day
            else ({"dateTime": b.start.isoformat()}, {"dateTime": b.end.isoformat()})
        )
        resource = {"summary": b.title, "start": when[0], "end": when[1]}
        if b.transparent:
            resource["transparency"] = "transparent"
        fake.add_event(resource, calendar_id=cal.id)
    return cal.id


def measure_google(seed: int) -> dict[str, Any]:
    """The first view of a team of :data:`GOOGLE_MEMBERS` on Google calendars (the real
    provider over HTTP against tests/fakes/google): the requests it makes."""
    import json

    from benchmarks.team import member
    from blocker.connect import Connector
    from blocker.core.clock import fixed_clock
    from blocker.members import scope_for_user, store_key
    from blocker.runtime import Runtime
    from blocker.settings import Settings
    from blocker.store.team_groups import TeamGroup
    from blocker.team.store_source import team_view, trend_weeks
    from providers.google_client import EVENTS_SCOPE
    from tests.fakes.google import run_fake_google
    from tests.support.deployment import google_settings, store_settings

    local = "{id: work, provider: local, path: work.ics, busy: [busy.ics]}"
    with tempfile.TemporaryDirectory() as tmp, run_fake_google(time_zone="UTC") as fake:
        folder = Path(tmp)
        (folder / "rules.yaml").write_text(TEMPLATE, encoding="utf-8")
        settings = Settings(
            **store_settings(folder),
            **google_settings(fake),
            rules_path=folder / "rules.yaml",
            data_dir=folder,
        )
        runtime = Runtime.open(settings, settings.rules_path, clock=fixed_clock(NOW))
        try:
            store = runtime.store
            store.add_team_user("lead@bench.example", "admin")
            store.template_owner_id()
            store.create_team("Bench", actor="benchmark")
            meetings = 0
            ids: list[int] = []
            for n in range(GOOGLE_MEMBERS):
                m = member(n, seed)
                rng = random.Random(seed * 7_919 + n)
                tz = ZoneInfo(m.zone)
                busy: list[Busy] = []
                for week in trend_weeks(WEEK):
                    days = [d for d in week_dates(week) if d.weekday() < 5]
                    busy += list(_meetings(rng, None, days, tz))  # type: ignore[arg-type]
                meetings += len(busy)
                cal_id = _google_calendar(busy, m.zone, fake, f"bench-{n}")
                if local not in m.overlay:
                    raise RuntimeError("the member's overlay no longer names its local calendar")
                overlay = m.overlay.replace(
                    local, f"{{id: work, provider: google, calendar: {cal_id}}}"
                )
                user = store.add_team_user(m.email, "member")
                ids.append(user.id)
                store.save_overlay(user.id, overlay)
                store.add_to_team("Bench", user.id, lead=False, actor="benchmark")
                scope = scope_for_user(runtime, user)
                if scope is None:
                    raise RuntimeError(f"member {user.id} has no scope")
                blob = {
                    "refresh_token": fake.oauth.issue_refresh_token(EVENTS_SCOPE),
                    "scopes": [EVENTS_SCOPE],
                    "token_uri": f"{fake.base_url}/token",
                }
                key = store_key(user.id, "work")
                Connector(runtime).store(key, "google", json.dumps(blob).encode(), "", scope=scope)
            [team] = [t for t in store.team_groups() if t.name == "Bench"]
            assert isinstance(team, TeamGroup)
            fake.clear_log()
            began = time.perf_counter()
            view = team_view(runtime, team, WEEK)
            seconds = time.perf_counter() - began
            if any(m.note for m in view.members) or len(view.members) != GOOGLE_MEMBERS:
                raise RuntimeError(f"not every member read: {[m.note for m in view.members]}")
            logged = fake.requests()
            fake.clear_log()
            began = time.perf_counter()
            alone = per_week_path(runtime, ids)
            per_week_seconds = time.perf_counter() - began
            per_week = fake.requests()
            if {m.member: m for m in view.members} != alone:
                raise RuntimeError("the trend read's rows differ from the per-week path's")
        finally:
            runtime.close()
    return {
        "members": GOOGLE_MEMBERS,
        "meetings": meetings,
        "requests": len(logged),
        "event_lists": sum(1 for r in logged if r.path.endswith("/events")),
        "seconds": seconds,
        "per_week_requests": len(per_week),
        "per_week_event_lists": sum(1 for r in per_week if r.path.endswith("/events")),
        "per_week_seconds": per_week_seconds,
    }
