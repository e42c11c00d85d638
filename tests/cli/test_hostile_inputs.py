"""Hostile input to the CLI (issue 17, item 6): every bad input is a message with
exit 2, never a traceback; a missing --busy file is named; control characters from
input files never reach the terminal; files outside the data directory are refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT, run

WEEK = ("--week", "2026-W49")
SECRET = "s3cr3t-not-for-terminals-42"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def assert_message(result: subprocess.CompletedProcess[str], first_line: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == first_line


def test_a_missing_busy_file_is_named(workdir: Path) -> None:
    result = run(workdir, "plan", "-c", "config.yaml", *WEEK, "--busy", "nope.ics")
    assert_message(
        result,
        "error: no such file: nope.ics "
        "(name a regular file inside the data directory (BLOCKER_DATA_DIR))",
    )


def test_a_device_or_garbage_as_busy_file_is_a_message(workdir: Path) -> None:
    result = run(workdir, "plan", "-c", "config.yaml", *WEEK, "--busy", "/dev/zero")
    assert_message(
        result,
        "error: /dev/zero is not a regular file (a device) "
        "(name a regular file inside the data directory (BLOCKER_DATA_DIR))",
    )
    (workdir / "junk.ics").write_bytes(b"\xff\xfe" + SECRET.encode())
    result = run(workdir, "plan", "-c", "config.yaml", *WEEK, "--busy", "junk.ics")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "junk.ics: not a valid iCalendar file" in result.stderr
    assert SECRET not in result.stderr


def test_rules_that_are_not_text_or_too_deep_are_located(workdir: Path) -> None:
    (workdir / "bad.yaml").write_bytes(b"timezone: UTC\nowner: {name: \xff}\n")
    assert_message(
        run(workdir, "validate", "-c", "bad.yaml"), "bad.yaml:2:1: the rules file is not UTF-8 text"
    )
    (workdir / "deep.yaml").write_text("timezone: UTC\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    result = run(workdir, "validate", "-c", "deep.yaml")
    assert_message(result, "deep.yaml:2:1003: invalid YAML: exceeded maximum nesting depth")


def test_an_accounts_file_outside_the_data_directory_is_refused(workdir: Path) -> None:
    text = (workdir / "config.yaml").read_text()
    (workdir / "config.yaml").write_text(
        text.replace("accounts_file: examples/accounts.csv", "accounts_file: /proc/self/environ")
    )
    result = run(workdir, "validate", "-c", "config.yaml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot read accounts file: '/proc/self/environ' is outside the data directory" in (
        result.stderr
    )
    assert "BLOCKER_DATABASE_URL" not in result.stderr


def test_escapes_from_an_ics_file_never_reach_the_terminal(workdir: Path) -> None:
    (workdir / "evil.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        "BEGIN:VEVENT\r\nUID:e\r\nSUMMARY:Evil\x1b[2J\x1b]0;pwned\x07 call\r\n"
        "DTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:n\x1b[31m\r\nSUMMARY:No start\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    result = run(workdir, "plan", "-c", "config.yaml", *WEEK, "--busy", "evil.ics")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "warning: evil.ics: event 'No start' (UID n?[31m) skipped: it has no DTSTART"
    ]


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01"])
def test_a_week_out_of_range_is_a_message(workdir: Path, week: str) -> None:
    result = run(workdir, "plan", "-c", "config.yaml", "--week", week)
    assert_message(result, f"error: --week {week}: plan weeks of 1900 to 2999")


def test_sync_of_rules_that_are_not_text_is_a_located_message(workdir: Path) -> None:
    """`sync` opens the store and reads the rules itself: still no traceback."""
    (workdir / "bad.yaml").write_bytes(b"timezone: UTC\nowner: {name: \xff}\n")
    result = run(workdir, "sync", "-c", "bad.yaml", *WEEK)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("bad.yaml:2:")


def test_an_unreadable_meeting_is_skipped_named_and_recorded_not_fatal(workdir: Path) -> None:
    """One bad event in the calendar's busy file never fails the sync: the run writes
    the week, says which event it left out, and the run record keeps the notice."""
    busy = workdir / "examples" / "busy.ics"
    bad = (
        "BEGIN:VEVENT\r\nUID:no-start@x\r\nDTSTAMP:20261101T000000Z\r\n"
        "SUMMARY:Broken invite\r\nEND:VEVENT\r\n"
    )
    busy.write_text(busy.read_text().replace("END:VCALENDAR", bad + "END:VCALENDAR"))
    result = run(workdir, "sync", "-c", "config.yaml", *WEEK)
    assert result.returncode == 0, result.stderr
    assert "Applied" in result.stdout
    [notice] = [line for line in result.stderr.splitlines() if "notice:" in line]
    assert "Broken invite" in notice

    import sqlite3

    with sqlite3.connect(workdir / "state.db") as db:
        [(errors, notices)] = db.execute("SELECT errors, notices FROM runs").fetchall()
    assert "Broken invite" in notices and errors == "[]", "a notice, not an error"


@pytest.mark.parametrize("command", [("connect", "google"), ("sync", "--dry-run")])
def test_a_missing_rules_file_is_located_not_a_traceback(
    workdir: Path, command: tuple[str, ...]
) -> None:
    """`blocker connect` opens the runtime (which reads the rules file itself): a
    missing file is the same located message `validate` gives, exit 2."""
    result = run(workdir, *command, "--config", "missing.yaml")
    assert_message(result, "missing.yaml:1:1: cannot read rules file: no such file: missing.yaml")
