"""Issue 15.5 through the CLI: the shipped example synced on the Friday it is
generated, then meetings land (one written in London's zone, an all-day offsite)
and Monday's sync says why, in New York time, with no block key anywhere: not in
the output, not in the reasons the run records keep.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from tests.cli.test_cli import GENERATED, WEEK, run, workdir

__all__ = ["workdir"]

MONDAY = "2026-11-30T09:05:00-05:00"
KEY = re.compile(r"[a-z_]+/\d{4}-\d{2}-\d{2}/\d+")
UTC_TIME = re.compile(r"\+00:00|\bUTC\b|Z\b")

MEETINGS = """\
BEGIN:VEVENT
UID:vendor-demo@test
DTSTAMP:20261130T120000Z
DTSTART;TZID=America/New_York:20261201T130000
DTEND;TZID=America/New_York:20261201T133000
SUMMARY:Vendor demo
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
UID:london@test
DTSTAMP:20261130T120000Z
DTSTART;TZID=Europe/London:20261202T180000
DTEND;TZID=Europe/London:20261202T183000
SUMMARY:Call with London office
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
UID:offsite@test
DTSTAMP:20261130T120000Z
DTSTART;VALUE=DATE:20261203
DTEND;VALUE=DATE:20261204
SUMMARY:Team offsite
TRANSP:OPAQUE
END:VEVENT
"""


def _sync(workdir: Path, now: str) -> str:
    result = run(workdir, "sync", "--config", "config.yaml", "--week", WEEK, "--now", now)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _no_key_no_utc(text: str) -> None:
    assert not KEY.search(text), KEY.search(text)
    assert not UTC_TIME.search(text), UTC_TIME.search(text)
    assert "00:00-00:00" not in text and " 00:00 take" not in text


def test_reasons_name_the_cause_in_local_time_without_keys(workdir: Path) -> None:
    first = _sync(workdir, GENERATED)
    _no_key_no_utc(first)
    assert (
        "  create Busy · Meeting-free day Fri 04 Dec, all day: created: your weekly template: "
        "Meeting-free day (rule 'meeting_free_day')"
    ) in first.splitlines()

    busy = workdir / "examples" / "busy.ics"
    text = busy.read_text()
    busy.write_text(text.replace("END:VCALENDAR", MEETINGS + "END:VCALENDAR"))
    monday = _sync(workdir, MONDAY)
    _no_key_no_utc(monday)
    lines = monday.splitlines()
    for expected in (
        "  delete Busy · Email batch Tue 01 Dec 13:00-13:20: "
        "deleted: 'Vendor demo' (Tue 13:00) landed on it",
        # 18:00 in London is 13:00 in New York
        "  delete Busy · Email batch Wed 02 Dec 13:00-13:20: "
        "deleted: 'Call with London office' (Wed 13:00) landed on it",
        "  delete Busy · Email batch Thu 03 Dec 09:00-09:20: "
        "deleted: 'Team offsite' (Thu, all day) landed on it",
        "  Busy · Email batch, Tue 01 Dec 13:00-13:20: 0/20 min — "
        "'Vendor demo' at Tue 13:00 takes this time",
        "  Busy · Lunch, Thu 03 Dec 12:00-12:45: 0/45 min — "
        "'Team offsite' (Thu, all day) takes this time",
    ):
        assert expected in lines, "\n".join(lines)
    # the week table: the London call on New York's clock, the offsite all day
    [london] = [line for line in lines if "Call with London office" in line and "│" in line]
    assert london.split("│")[1].strip() == "13:00-13:30"
    [offsite] = [line for line in lines if "Team offsite" in line and "│" in line]
    assert offsite.split("│")[1].strip() == "all day"

    # the run records keep the same words: no key, no UTC time in any reason
    with sqlite3.connect(workdir / "state.db") as db:
        rows = db.execute("SELECT ops FROM runs ORDER BY id").fetchall()
    reasons = [op["reason"] for (ops,) in rows for op in json.loads(ops)]
    assert len(reasons) > 40
    for reason in reasons:
        _no_key_no_utc(reason)
    assert "deleted: 'Team offsite' (Thu, all day) landed on it" in reasons
