"""Actuals wired into the service: calendar contacts silence the silent-account trigger,
no email address (an attendee's or the owner's) reaches the database, and a dry run
names the meeting that moved a block (through the ``blocker`` console script)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import icalendar
import sqlalchemy as sa

from blocker.runtime import Runtime
from blocker.settings import Settings
from tests.actuals.helpers import ADDRESSES, RULES, TZ, WEEK, WEEK_ICS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=TZ)  # a Friday; "last Tuesday" is 2026-11-24
LAST_TUESDAY_START = datetime(2026, 11, 24, 14, 0, tzinfo=TZ)
BLOCKER = Path(sys.executable).parent / "blocker"
EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

LAST_TUESDAY = (
    "BEGIN:VEVENT\r\nUID:past-acme\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART;TZID=America/New_York:20261124T140000\r\n"
    "DTEND;TZID=America/New_York:20261124T143000\r\n"
    "SUMMARY:Acme check-in\r\n"
    "ORGANIZER:mailto:me@mycorp.example\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@acme.example\r\n"
    "END:VEVENT\r\n"
)


def _runtime(tmp_path: Path, ics: str) -> Runtime:
    (tmp_path / "meetings.ics").write_text(ics, newline="")
    (tmp_path / "rules.yaml").write_text(RULES)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'blocker.db'}", rules_path=tmp_path / "rules.yaml"
    )
    return Runtime.open(settings, clock=lambda: NOW)


def _silent(runtime: Runtime) -> set[str]:
    outcome = runtime.sync(None, "local", WEEK, trigger="test", dry_run=True)
    return {r.account for r in outcome.spec.requests if r.kind == "silent_account" and r.account}


def test_an_account_met_last_tuesday_is_not_silent(tmp_path: Path) -> None:
    with_meeting = WEEK_ICS.replace("END:VCALENDAR", LAST_TUESDAY + "END:VCALENDAR")
    runtime = _runtime(tmp_path, with_meeting)
    try:
        # every account's file contact is 2026-10-01: only the calendar tells Acme apart
        assert _silent(runtime) == {"Globex", "Initech"}
        preview = runtime.preview("local", WEEK)
        # the preview's one read holds the history the contact came from
        assert preview.seen is not None and preview.window is not None
        assert preview.window.start <= LAST_TUESDAY_START < preview.window.end
        assert any(e.title == "Acme check-in" for e in preview.seen.events)
        assert not any(r.account == "Acme" for r in preview.spec.requests)
    finally:
        runtime.close()


def test_without_the_meeting_the_account_is_silent(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, WEEK_ICS)
    try:
        assert _silent(runtime) == {"Acme", "Globex", "Initech"}
    finally:
        runtime.close()


def test_no_attendee_address_reaches_the_database(tmp_path: Path) -> None:
    with_meeting = WEEK_ICS.replace("END:VCALENDAR", LAST_TUESDAY + "END:VCALENDAR")
    runtime = _runtime(tmp_path, with_meeting)
    try:
        outcome = runtime.sync(None, "local", WEEK, trigger="test")
        assert outcome.ops and not outcome.errors
        report = runtime.report("local", WEEK)
        # generated on the Friday before: the week has not begun, no actual side yet,
        # and the planned tier time is the known account meetings plus account blocks
        assert report["actual"]["state"] == "future"
        assert report["actual"]["meetings"] == {}
        blocks = sum(b.minutes for b in outcome.plan.blocks if b.tier is not None)
        assert sum(t["minutes"] for t in report["tiers"].values()) == 210 + blocks
        owner = runtime.owner_email()
    finally:
        runtime.close()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'blocker.db'}")
    found: list[tuple[str, str, str]] = []
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    text = value if isinstance(value, str) else ""
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", "replace")
                    for hit in EMAIL.findall(text.encode()):
                        found.append((table.name, str(column), hit.decode()))
    engine.dispose()
    # No address at all, not even the owner's own: the users table keeps a keyed
    # hash of it and its domain.
    assert found == []
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("blocker.db*"))
    assert EMAIL.findall(raw) == []
    for address in (*ADDRESSES, owner):
        assert address.encode() not in raw


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BLOCKER_DATABASE_URL": f"sqlite:///{workdir / 'state.db'}",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    for name in ("BLOCKER_ENCRYPTION_KEY", "BLOCKER_SETTINGS_FILE"):
        env.pop(name, None)
    return subprocess.run(
        [str(BLOCKER), *args], cwd=workdir, env=env, capture_output=True, text=True, check=False
    )


CLI_RULES = """\
timezone: America/New_York
owner: {email_domains: [mycorp.example]}
accounts:
  - {name: Acme, arr: 150000, domains: acme.example}
  - {name: Globex, arr: 50000, domains: globex.example}
  - {name: Initech, arr: 10000, domains: initech.example}
rules:
  - {kind: block, id: focus, title: Deep work, per: week, minutes: 120, window: "09:00-12:00"}
calendars:
  - {id: local, provider: local, path: calendar.ics, busy: [meetings.ics]}
"""
CLI_WEEK = "2030-W20"
CLI_NOW = "2030-05-10T15:00:00-04:00"  # the Friday before CLI_WEEK, when it is generated


def test_dry_run_names_the_meeting_that_landed_on_a_block(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(CLI_RULES)
    (tmp_path / "meetings.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n", newline=""
    )
    first = _run(tmp_path, "sync", "--config", "rules.yaml", "--week", CLI_WEEK, "--now", CLI_NOW)
    assert first.returncode == 0, first.stderr
    cal = icalendar.Calendar.from_ical((tmp_path / "calendar.ics").read_bytes())
    [block] = [e for e in cal.walk("VEVENT") if str(e.get("SUMMARY")).endswith("Deep work")]
    start, end = block.decoded("DTSTART"), block.decoded("DTEND")
    meeting = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:esc\r\nDTSTAMP:20300101T000000Z\r\n"
        f"DTSTART;TZID=America/New_York:{start.astimezone(TZ):%Y%m%dT%H%M%S}\r\n"
        + f"DTEND;TZID=America/New_York:{end.astimezone(TZ):%Y%m%dT%H%M%S}\r\n"
        "SUMMARY:Escalation with Acme\r\n"
        "ORGANIZER:mailto:ceo@acme.example\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@mycorp.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "meetings.ics").write_text(meeting, newline="")
    before = (tmp_path / "calendar.ics").read_bytes()

    dry = _run(
        tmp_path,
        "sync",
        "--config",
        "rules.yaml",
        "--week",
        CLI_WEEK,
        "--dry-run",
        "--now",
        CLI_NOW,
    )

    assert dry.returncode == 0, dry.stderr
    assert "Would apply" in dry.stdout
    moves = [line for line in dry.stdout.splitlines() if line.strip().startswith("update")]
    named = f"moved: 'Escalation with Acme' ({start.astimezone(TZ):%a %H:%M}) landed on it"
    assert any(named in line for line in moves), dry.stdout
    assert (tmp_path / "calendar.ics").read_bytes() == before
