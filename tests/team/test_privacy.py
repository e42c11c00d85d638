"""The lead's summary never shows a meeting (issue 20.5), proven on planted markers.

Two members, each a rules file with its own local calendar: every meeting on their
calendars (this week and the weeks of the trend) carries a unique marker in its
title, location, description, attendees (names, addresses, domains) and organizer.
The summary is rendered as JSON, table and HTML by ``blocker team report`` and by
``blocker report --as-lead-sees``; no marker may appear in any of them, while the
figures, the member names and their own accounts' missed touchpoints do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BLOCKER = Path(sys.executable).parent / "blocker"
WEEK = "2026-W49"
GENERATE = "2026-11-27T15:00:00-05:00"
NOW = "2026-12-03T15:00:00-05:00"
MARK = "zqmark"

RULES = """\
timezone: America/New_York
owner: {{name: {name}, email: {who}@corp.example, email_domains: [corp.example]}}
tiers:
  high: {{min_arr: 100000, share: [50, 65], cadence: weekly}}
  low: {{min_arr: 0, max_arr: 100000, share: [35, 50], cadence: monthly}}
accounts:
  - {{name: Acme, arr: 200000, domains: acme.example, last_contact: 2026-10-01}}
  - {{name: Initech, arr: 50000, domains: initech.example, last_contact: 2026-10-01}}
  - {{name: Hooli, arr: 300000, domains: hooli.example, last_contact: 2026-10-01}}
rules:
  - kind: focus_time
  - kind: account_time
calendars:
  - {{id: local, provider: local, path: {who}/calendar.ics, busy: [{who}/busy.ics]}}
"""

DAYS = ["20261110", "20261117", "20261124", "20261130", "20261201", "20261202"]


def meeting(who: str, n: int, day: str, hour: int, customer: str) -> str:
    tag = f"{MARK}{who}{n}"
    return (
        "BEGIN:VEVENT\r\n"
        f"UID:{tag}-uid@example\r\nDTSTAMP:20261101T000000Z\r\n"
        f"DTSTART;TZID=America/New_York:{day}T{hour:02d}0000\r\n"
        f"DTEND;TZID=America/New_York:{day}T{hour + 1:02d}0000\r\n"
        f"SUMMARY:{tag} title\r\nLOCATION:{tag} location\r\n"
        f"DESCRIPTION:{tag} description\r\n"
        f"ORGANIZER;CN={tag} Organizer:mailto:{tag}.org@{customer}\r\n"
        f"ATTENDEE;CN={tag} Guest;PARTSTAT=ACCEPTED:mailto:{tag}.guest@{tag}-dom.example\r\n"
        f"ATTENDEE;CN={tag} Customer;PARTSTAT=ACCEPTED:mailto:{tag}@{customer}\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{who}@corp.example\r\n"
        "END:VEVENT\r\n"
    )


def calendar(who: str) -> str:
    events = [
        meeting(who, i, day, 10 + i % 3, "acme.example" if i % 2 else "initech.example")
        for i, day in enumerate(DAYS)
    ]
    events.append(meeting(who, 99, "20261201", 15, f"{MARK}{who}-vendor.example"))
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        + "".join(events)
        + ("END:VCALENDAR\r\n")
    )


def run(root: Path, *args: str, db: str = "lead") -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")},
        "BLOCKER_DATABASE_URL": f"sqlite:///{root / f'{db}.db'}",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [str(BLOCKER), *args], cwd=root, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("team")
    for who, name in (("ana", "Ana Ruiz"), ("ben", "Ben Okafor")):
        (root / who).mkdir()
        (root / who / "busy.ics").write_text(calendar(who), newline="")
        (root / f"{who}.yaml").write_text(RULES.format(who=who, name=name))
        # each member's own service wrote their blocks into their calendar
        run(root, "sync", "--config", f"{who}.yaml", "--now", GENERATE, db=who)
    return root


def team_report(root: Path, fmt: str) -> str:
    args = ["team", "report", "--config", "ana.yaml", "--week", WEEK, "--now", NOW]
    return run(root, *args, "--member", "ana.yaml", "--member", "ben.yaml", "--format", fmt)


@pytest.mark.parametrize("fmt", ["json", "table", "html"])
def test_no_meeting_detail_reaches_the_lead(team: Path, fmt: str) -> None:
    text = team_report(team, fmt)
    assert MARK not in text.lower()
    assert "Ana Ruiz" in text and "Ben Okafor" in text and "Hooli" in text


@pytest.mark.parametrize("fmt", ["json", "table", "html"])
def test_a_member_sees_exactly_what_the_lead_sees(team: Path, fmt: str) -> None:
    args = ["report", "--config", "ben.yaml", "--week", WEEK, "--now", NOW, "--format", fmt]
    own = run(team, *args, "--as-lead-sees", db="ben")
    assert MARK not in own.lower()
    lead = run(
        team,
        "team",
        "report",
        "--config",
        "ana.yaml",
        "--member",
        "ben.yaml",
        "--week",
        WEEK,
        "--now",
        NOW,
        "--format",
        fmt,
    )
    assert own == lead


def test_the_figures_are_there(team: Path) -> None:
    data = json.loads(team_report(team, "json"))
    assert [m["member"] for m in data["members"]] == ["Ana Ruiz", "Ben Okafor"]
    ana = data["members"][0]
    assert ana["basis"] == "actual"
    assert set(ana["tiers"]) == {"high", "low"}
    assert 0 < ana["q2_share"] <= ana["q1_q2_share"] <= 1
    assert ana["focus"]["asked_minutes"] > 0
    assert set(ana["split"]) == {"proactive", "reactive", "admin"}
    assert [p["week"] for p in ana["trend"]][-1] == WEEK and len(ana["trend"]) == 8
    assert {p["basis"] for p in ana["trend"][:4]} == {"none"}  # nothing on those calendars
    # the meetings of the last two weeks are the member's own accounts' touchpoints
    assert [t["account"] for t in ana["missed_touchpoints"]] == ["Hooli"]
