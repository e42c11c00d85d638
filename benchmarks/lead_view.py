"""Section "team": the lead's view, ``GET /api/team``, first view against repeated ones.

Through the product's own path: uvicorn serves the real app (``create_app``: routes,
runtime, SQLite store; no scheduler) and httpx asks ``/api/team`` with the API
token (which acts as an admin: every team). The team is 10 members of
:mod:`benchmarks.team` (their overlay in the store: a crowded CSM book of 60-100
accounts, their own zone) on local calendars, each with the generator's meetings
(10-35 a week) in every one of the 8 weeks of the trend and our blocks of the
viewed week written by a real run (``Runtime.sync``, as the weekly job does).

Figures: the first view of a fresh process (member scopes parsed, every week read
and planned); the view after the week cache's TTL has passed on the app's clock
(scopes kept, every week read again); repeated views within the TTL (the cache of
:mod:`blocker.team.week_cache`); the view after one member's calendar had a new
run (that member's 8 weeks read again). Calendar reads per view are counted by the
runtime's metrics. Ratios are the result: the machine is shared.

Run it alone: ``python -m benchmarks.lead_view [--quick]`` (writes
``benchmarks/results/team.{md,json}``; ``python -m benchmarks team`` does the same
and then assembles BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks.common import Options, ServedApp, ms, save, table
from benchmarks.generator import _meetings
from benchmarks.team import TEMPLATE, WEEK, _ics, build_team, member_dir_of
from blocker.core.models import Busy
from blocker.core.weeks import week_dates

MEMBERS = 10
TOKEN = "bench-api-t0ken-for-the-lead-view"
NOW = datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
"""Wednesday of the viewed week: its figures are actual up to now, the 7 before are past."""


class Served(ServedApp):
    """The real app under uvicorn in a thread, its clock movable by the benchmark."""

    def __init__(self, settings: Any) -> None:
        from blocker.web.app import create_app

        self.now = NOW
        super().__init__(create_app(settings, clock=lambda: self.now, start_scheduler=False))

    def reads(self) -> float:
        return _reads(self.runtime)


def _reads(runtime: Any) -> float:
    """Calendar reads so far, as the runtime's metrics count them."""
    return float(runtime.metrics.provider_calls("read"))


def _settings(folder: Path, key: str) -> Any:
    from blocker.settings import Settings

    return Settings(
        database_url=f"sqlite:///{folder / 'blocker.db'}",
        api_token=TOKEN,
        rules_path=folder / "rules.yaml",
        data_dir=folder,
        encryption_key=key,
    )


def _eight_weeks_of_meetings(folder: Path, user_id: int, n: int, seed: int, zone: str) -> int:
    """The member's ``busy.ics``: the generator's meetings on each weekday of the
    trend's weeks (Monday to Friday, whatever the member's working days)."""
    from blocker.team.store_source import trend_weeks

    rng = random.Random(seed * 7_919 + n)
    tz = ZoneInfo(zone)
    busy: list[Busy] = []
    for week in trend_weeks(WEEK):
        days = [d for d in week_dates(week) if d.weekday() < 5]
        busy += list(_meetings(rng, None, days, tz))  # type: ignore[arg-type]  # spec is unused
    (member_dir_of(folder, user_id) / "busy.ics").write_text(_ics(tuple(busy), n), "utf-8")
    return len(busy)


def _deployment(folder: Path, key: str, seed: int) -> tuple[list[int], int]:
    """The lead (first admin), 10 members in team Bench, their calendars; a real run of
    the viewed week on each. Returns the member ids and the meetings written."""
    from benchmarks.team import member
    from blocker.core.clock import fixed_clock
    from blocker.members import scope_for_user, store_key
    from blocker.runtime import Runtime

    (folder / "rules.yaml").write_text(TEMPLATE, encoding="utf-8")
    settings = _settings(folder, key)
    runtime = Runtime.open(settings, settings.rules_path, clock=fixed_clock(NOW))
    try:
        store = runtime.store
        store.add_team_user("lead@bench.example", "admin")
        store.template_owner_id()
        ids = build_team(store, folder, 0, MEMBERS, seed)
        store.create_team("Bench", actor="benchmark")
        meetings = 0
        for n, user_id in enumerate(ids):
            meetings += _eight_weeks_of_meetings(folder, user_id, n, seed, member(n, seed).zone)
            store.add_to_team("Bench", user_id, lead=False, actor="benchmark")
            user = store.team_user_by_id(user_id)
            scope = scope_for_user(runtime, user) if user is not None else None
            if scope is None:
                raise RuntimeError(f"member {user_id} has no scope")
            outcome = scope.sync(None, store_key(user_id, "work"), WEEK, trigger="benchmark")
            if outcome.errors:
                raise RuntimeError(f"member {user_id}: {outcome.errors}")
        return ids, meetings
    finally:
        runtime.close()


def _view(client: httpx.Client, served: Served) -> tuple[float, float, dict[str, Any]]:
    """One ``GET /api/team``: seconds, calendar reads, the body."""
    reads = served.reads()
    began = time.perf_counter()
    answer = client.get("/api/team", params={"week": WEEK})
    seconds = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"/api/team answered {answer.status_code}: {answer.text[:300]}")
    body: dict[str, Any] = answer.json()
    return seconds, served.reads() - reads, body


def _check(body: dict[str, Any]) -> None:
    [team] = body["teams"]
    rows = team["members"]
    if len(rows) != MEMBERS or any(r["no_data"] for r in rows):
        raise RuntimeError(f"not every member read: {[r['no_data'] for r in rows]}")


def per_week_path(base: Any, user_ids: list[int]) -> dict[str, Any]:
    """Each member's summary computed as before the trend read: one preview, so one
    calendar read, per week (``scored_week`` with no reader), members one by one."""
    from blocker.members import scope_for_user
    from blocker.team.store_source import member_label, scored_week, trend_weeks
    from blocker.team.summary import member_summary

    rows = {}
    for user_id in user_ids:
        user = base.store.team_user_by_id(user_id)
        scope = scope_for_user(base, user) if user is not None else None
        if user is None or scope is None:
            raise RuntimeError(f"member {user_id} has no scope")
        calendar = scope.calendar_ids()[0]
        weeks = [scored_week(scope, calendar, week) for week in trend_weeks(WEEK)]
        rows[member_label(base, user)] = member_summary(member_label(base, user), weeks)
    return rows


def compare_paths(base: Any, user_ids: list[int], rounds: int) -> dict[str, Any]:
    """The per-week path and the product's (one trend read per member, a few members
    at once), in process, back to back ``rounds`` times; their rows must be equal."""
    from blocker.team.store_source import team_view
    from blocker.team.week_cache import week_cache

    [team] = [t for t in base.store.team_groups() if t.name == "Bench"]
    out: dict[str, list[float]] = {"per_week_s": [], "per_week_reads": []}
    out |= {"trend_s": [], "trend_reads": []}
    for _ in range(rounds):
        reads, began = _reads(base), time.perf_counter()
        alone = per_week_path(base, user_ids)
        out["per_week_s"].append(time.perf_counter() - began)
        out["per_week_reads"].append(_reads(base) - reads)
        week_cache(base).clear()
        reads, began = _reads(base), time.perf_counter()
        view = team_view(base, team, WEEK)
        out["trend_s"].append(time.perf_counter() - began)
        out["trend_reads"].append(_reads(base) - reads)
        if {m.member: m for m in view.members} != alone:
            raise RuntimeError("the trend read's rows differ from the per-week path's")
    return out


def measure(options: Options) -> dict[str, Any]:
    from blocker.members import scope_for_user, store_key
    from blocker.store import TokenCipher
    from blocker.team.week_cache import TTL

    repeats = 3 if options.quick else 10
    cold_again = 1 if options.quick else 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = TokenCipher.generate_key()
        ids, meetings = _deployment(folder, key, options.seed)
        served = Served(_settings(folder, key))
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=served.base_url, headers=headers, timeout=600) as client:
                first = _view(client, served)
                _check(first[2])
                warm = [_view(client, served) for _ in range(repeats)]
                if any(w[2] != first[2] for w in warm):
                    raise RuntimeError("a repeated view differs from the first")
                expired = []
                for _ in range(cold_again):
                    served.now += TTL
                    expired.append(_view(client, served))
                base = served.runtime
                user = base.store.team_user_by_id(ids[0])
                scope = scope_for_user(base, user)
                scope.sync(None, store_key(ids[0], "work"), WEEK, trigger="benchmark")
                after_run = _view(client, served)
                warm_again = _view(client, served)
            paths = compare_paths(served.runtime, ids, 1 if options.quick else 2)
        finally:
            served.stop()
    from benchmarks.lead_view_google import measure_google

    google = measure_google(options.seed)
    return {
        "members": MEMBERS,
        "weeks": 8,
        "meetings": meetings,
        "first_s": first[0],
        "first_reads": first[1],
        "expired_s": [e[0] for e in expired],
        "expired_reads": [e[1] for e in expired],
        "warm_s": [w[0] for w in warm] + [warm_again[0]],
        "warm_reads": [w[1] for w in warm] + [warm_again[1]],
        "after_run_s": after_run[0],
        "after_run_reads": after_run[1],
        "paths": paths,
        "google": google,
    }


def _ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x" if fast > 0 else "-"


def report(figures: dict[str, Any]) -> str:
    warm = statistics.median(figures["warm_s"])
    expired = statistics.median(figures["expired_s"])
    first = figures["first_s"]
    rows = [
        ["first view (fresh process)", first, figures["first_reads"]],
        ["after the TTL (every week read again)", expired, max(figures["expired_reads"])],
        [f"repeated view (median of {len(figures['warm_s'])})", warm, max(figures["warm_reads"])],
        ["after one member's new run", figures["after_run_s"], figures["after_run_reads"]],
    ]
    cells = [[name, ms(took), f"{reads:.0f}", _ratio(first, took)] for name, took, reads in rows]
    return "\n".join(
        [
            "## 8. The lead's view",
            "",
            f"`GET /api/team` through uvicorn and httpx (the API token: every team), a team "
            f"of {figures['members']} members x {figures['weeks']} weeks of trend on local "
            f"calendars ({figures['meetings']} meetings in all, 60-100 accounts a member, "
            "the viewed week run once per member), SQLite. Reads: calendar reads counted "
            "by the runtime's metrics. The week cache (`blocker.team.week_cache`) keeps "
            "each member's week for 5 minutes of the app's clock, keyed on the rules and "
            "the calendar's last run. The machine was loaded: read the ratios.",
            "",
            table(["view", "time", "calendar reads", "speed-up vs first"], cells),
            "",
            f"A repeated view is {_ratio(first, warm)} faster than the first "
            f"({_ratio(expired, warm)} than a view after the TTL).",
            "",
            *_paths_report(figures),
        ]
    )


def _paths_report(figures: dict[str, Any]) -> list[str]:
    """The first view's two paths side by side: the same rows, fewer reads."""
    paths, google = figures["paths"], figures["google"]
    per_week, trend = min(paths["per_week_s"]), min(paths["trend_s"])
    rows = [
        [
            "per week (before): a read per member-week, one member at a time",
            per_week,
            max(paths["per_week_reads"]),
        ],
        ["one trend read per member, 4 members at a time (now)", trend, max(paths["trend_reads"])],
    ]
    cells = [[name, ms(took), f"{reads:.0f}", _ratio(per_week, took)] for name, took, reads in rows]
    g_rows = [
        [
            "per week (before)",
            google["per_week_requests"],
            google["per_week_event_lists"],
            ms(google["per_week_seconds"]),
        ],
        [
            "one trend read per member (now)",
            google["requests"],
            google["event_lists"],
            ms(google["seconds"]),
        ],
    ]
    return [
        "### First view: per-week reads against one trend read per member",
        "",
        f"In process on the same runtime, the week cache emptied, back to back "
        f"{len(paths['trend_s'])} time(s) (fastest shown); both give the same rows "
        "(checked: the benchmark fails otherwise).",
        "",
        table(["path", "time", "calendar reads", "speed-up"], cells),
        "",
        f"On Google calendars: {google['members']} members ({google['meetings']} meetings "
        "over the 8 weeks), the real provider over HTTP against the fake Google "
        "(tests/fakes/google, loopback), requests counted at the fake (deterministic; "
        "times are not, and loopback hides the network's latency).",
        "",
        table(
            ["path", "HTTP requests", "events lists", "time"],
            [[name, str(n), str(lists), took] for name, n, lists, took in g_rows],
        ),
    ]


def main(options: Options, sections: set[str] | None = None) -> None:
    del sections
    figures = measure(options)
    figures["quick"] = options.quick
    save("team", report(figures), figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lead_view")
    parser.add_argument("--quick", action="store_true", help="fewer repeated views")
    parser.add_argument("--seed", type=int, default=2026, help="the generator's seed")
    args = parser.parse_args()
    main(Options(quick=args.quick, seed=args.seed))
    print((Path(__file__).parent / "results" / "team.md").read_text())
