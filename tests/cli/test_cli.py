"""The `blocker` console script, driven as a user would: a subprocess per command.

These tests check the CLI contract of DESIGN.md section 6 on the shipped example:
exit codes, located errors, the JSON shape, the invariants of a plan (no overlaps,
no busy overlaps, inside working hours) and that syncing twice changes nothing.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from blocker.core.weeks import week_dates
from tests.support.clock import next_week, now_arg

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = Path(sys.executable).parent / "blocker"
WEEK = "2026-W49"
TZ = ZoneInfo("America/New_York")
GENERATED = "2026-11-27T15:00:00-05:00"
"""The Friday before WEEK at 15:00, when the service generates it: the example's
meetings are in WEEK, so commands that name it run as of then (``--now``)."""
CLOCKED = ("plan", "sync", "report")


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script in ``workdir``; clock-taking commands run at ``GENERATED``
    unless the test gives its own ``--now`` (no test may depend on the day it runs)."""
    if args and args[0] in CLOCKED and "--now" not in args:
        args = (*args, "--now", GENERATED)
    env = {
        **os.environ,
        "BLOCKER_DATABASE_URL": f"sqlite:///{workdir / 'state.db'}",
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }
    for name in ("BLOCKER_ENCRYPTION_KEY", "BLOCKER_SETTINGS_FILE"):
        env.pop(name, None)
    return subprocess.run(
        [str(BLOCKER), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_console_script_is_installed() -> None:
    assert BLOCKER.exists(), f"console script missing at {BLOCKER}: pip install -e ."


def test_validate_accepts_the_example(workdir: Path) -> None:
    result = run(workdir, "validate", "--config", "config.yaml")
    assert result.returncode == 0, result.stderr
    assert "80 accounts" in result.stdout


def test_validate_lists_every_problem_located(workdir: Path) -> None:
    config = workdir / "config.yaml"
    text = config.read_text()
    text = text.replace("timezone: America/New_York", "timezone: Mars/Olympus_Mons", 1)
    text = text.replace("working_hours:", "working_hour:", 1)
    config.write_text(text)
    lines = text.splitlines()
    tz_line = next(i for i, line in enumerate(lines, 1) if line.startswith("timezone:"))
    wh_line = next(i for i, line in enumerate(lines, 1) if line.startswith("working_hour:"))

    result = run(workdir, "validate", "--config", "config.yaml")

    assert result.returncode == 2
    located = [line for line in result.stderr.splitlines() if line.startswith("config.yaml:")]
    assert any(line.startswith(f"config.yaml:{tz_line}:") for line in located), result.stderr
    assert any(
        line.startswith(f"config.yaml:{wh_line}:") and "working_hours" in line for line in located
    ), result.stderr


def test_validate_reports_broken_yaml_with_a_location(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text("timezone: UTC\ntiers: [unclosed\n")
    result = run(workdir, "validate", "--config", "bad.yaml")
    assert result.returncode == 2
    assert "bad.yaml:" in result.stderr


def _plan_json(workdir: Path) -> dict[str, object]:
    result = run(
        workdir,
        "plan",
        "--config",
        "config.yaml",
        "--week",
        WEEK,
        "--busy",
        "examples/busy.ics",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_plan_json_follows_the_contract(workdir: Path) -> None:
    data = _plan_json(workdir)
    assert data["week"] == WEEK
    assert data["timezone"] == "America/New_York"
    blocks = data["blocks"]
    assert isinstance(blocks, list) and len(blocks) > 30
    required = {"key", "kind", "title", "start", "end", "show_as", "color"}
    required |= {"tier", "account", "quadrant", "flexible"}
    for block in blocks:
        assert required <= block.keys()
        start = datetime.fromisoformat(block["start"])
        assert start.utcoffset() is not None, block["start"]
    for item in data["shortfall"]:
        assert {"rule", "requested_minutes", "placed_minutes", "reason"} <= item.keys()
    card = data["scorecard"]
    assert set(card["tiers"]) == {"high", "mid", "low"}
    for row in card["tiers"].values():
        assert {"minutes", "share", "target_min", "target_max", "ok"} <= row.keys()
    assert set(card["quadrants"]) == {"1", "2", "3", "4"}
    assert abs(sum(card["quadrants"].values()) - 1.0) < 0.01
    assert isinstance(card["flags"], list)


def _busy_spans() -> list[tuple[datetime, datetime, str]]:
    from blocker.core.weeks import week_window
    from providers.ics import read_busy

    window = week_window(WEEK, "America/New_York")
    events = read_busy(
        [ROOT / "examples" / "busy.ics"], window, owner_domains=("brightpath.example",)
    )
    return [(e.start, e.end, e.title) for e in events if e.blocks_time]


def test_planned_blocks_never_overlap_and_respect_meetings_and_hours(workdir: Path) -> None:
    data = _plan_json(workdir)
    timed = [b for b in data["blocks"] if not b.get("all_day")]
    spans = sorted(
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]), b) for b in timed
    )
    for (_, end_a, a), (start_b, _, b) in itertools.pairwise(spans):
        assert end_a <= start_b, f"{a['key']} overlaps {b['key']}"
    busy = _busy_spans()
    assert len(busy) >= 10, "the example calendar should hold its meetings this week"
    conflicts = {c["key"] for c in data.get("conflicts", [])}
    for start, end, block in spans:
        for b_start, b_end, title in busy:
            if start < b_end and b_start < end:
                assert block["key"] in conflicts, f"{block['key']} overlaps meeting {title!r}"
        local_start, local_end = start.astimezone(TZ), end.astimezone(TZ)
        assert local_start.weekday() < 5, block["key"]
        day_start = local_start.replace(hour=8, minute=30, second=0, microsecond=0)
        assert day_start <= local_start
        assert local_end <= day_start + timedelta(hours=9)


def test_plan_ics_parses_back(workdir: Path) -> None:
    out = workdir / "plan.ics"
    result = run(
        workdir,
        "plan",
        "--config",
        "config.yaml",
        "--week",
        WEEK,
        "--format",
        "ics",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) > 30
    assert all(str(e["UID"]).endswith("@csm-blocker") for e in events)


def test_plan_table_shows_days_and_scorecard(workdir: Path) -> None:
    result = run(workdir, "plan", "--config", "config.yaml", "--week", WEEK)
    assert result.returncode == 0, result.stderr
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        assert day in result.stdout
    assert "Time per tier" in result.stdout
    assert "Eisenhower" in result.stdout


def test_plan_rejects_a_bad_week(workdir: Path) -> None:
    result = run(workdir, "plan", "--config", "config.yaml", "--week", "2026-49")
    assert result.returncode == 2
    assert "YYYY-Www" in result.stderr


def test_sync_writes_the_local_calendar_and_a_second_run_changes_nothing(workdir: Path) -> None:
    dry = run(workdir, "sync", "--config", "config.yaml", "--week", WEEK, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Would apply" in dry.stdout
    calendar = workdir / "out" / "calendar.ics"
    assert not calendar.exists() or not list(
        icalendar.Calendar.from_ical(calendar.read_bytes()).walk("VEVENT")
    ), "a dry run must not write blocks"

    first = run(workdir, "sync", "--config", "config.yaml", "--week", WEEK)
    assert first.returncode == 0, first.stderr
    assert "Applied" in first.stdout
    written = calendar.read_bytes()
    events = list(icalendar.Calendar.from_ical(written).walk("VEVENT"))
    assert len(events) > 30
    assert all("X-CSM-BLOCKER-KEY" in e for e in events)

    second = run(workdir, "sync", "--config", "config.yaml", "--week", WEEK)
    assert second.returncode == 0, second.stderr
    assert "nothing to write" in second.stdout
    assert calendar.read_bytes() == written


def test_report_json(workdir: Path) -> None:
    result = run(workdir, "report", "--config", "config.yaml", "--week", WEEK, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["week"] == WEEK
    assert set(data["quadrants"]) == {"1", "2", "3", "4"}


def test_sync_without_a_week_plans_the_week_after_now_and_settles(workdir: Path) -> None:
    """The quick start's path (no --week) on the pinned day, whatever day the suite runs."""
    now = now_arg()
    first = run(workdir, "sync", "--config", "config.yaml", "--now", now)
    assert first.returncode == 0, first.stderr
    assert f"week {next_week()}" in first.stdout
    calendar = workdir / "out" / "calendar.ics"
    written = calendar.read_bytes()
    events = list(icalendar.Calendar.from_ical(written).walk("VEVENT"))
    assert len(events) > 30
    monday = week_dates(next_week())[0]

    def day(value: date | datetime) -> date:
        return value.astimezone(TZ).date() if isinstance(value, datetime) else value

    assert all(day(e.decoded("DTSTART")) >= monday for e in events)

    second = run(workdir, "sync", "--config", "config.yaml", "--now", now)
    assert second.returncode == 0, second.stderr
    assert "nothing to write" in second.stdout
    assert calendar.read_bytes() == written


def test_now_inside_the_week_plans_nothing_before_it(workdir: Path) -> None:
    """Replaying Thursday 15:00 of WEEK: no block starts before that moment."""
    thursday = "2026-12-03T15:00:00-05:00"
    result = run(
        workdir,
        "plan",
        "--config",
        "config.yaml",
        "--week",
        WEEK,
        "--format",
        "json",
        "--now",
        thursday,
    )
    assert result.returncode == 0, result.stderr
    blocks = [b for b in json.loads(result.stdout)["blocks"] if not b.get("all_day")]
    assert blocks, "Thursday afternoon and Friday still have room"
    cutoff = datetime.fromisoformat(thursday)
    assert all(datetime.fromisoformat(b["start"]) >= cutoff for b in blocks)
    earlier = _plan_json(workdir)["blocks"]
    assert len(earlier) > len(blocks)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-12-04T15:00:00", "no UTC offset"), ("next friday", "not an ISO 8601 time")],
)
def test_now_must_be_an_instant(workdir: Path, value: str, message: str) -> None:
    result = run(workdir, "sync", "--config", "config.yaml", "--dry-run", "--now", value)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (workdir / "out" / "calendar.ics").exists()


def test_connect_names_the_kinds_with_a_sign_in(workdir: Path) -> None:
    """`blocker connect` takes the kinds the registry gives a sign-in, and says which."""
    done = run(workdir, "connect", "caldav", "--config", "config.yaml")
    assert done.returncode == 2
    assert "error: provider must be google or outlook" in done.stderr + done.stdout
    # a kind the rules do not use is refused by the connector, after the settings
    done = run(workdir, "connect", "google", "--config", "config.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the rules list no google calendar" in done.stdout + done.stderr
