"""Hostile .ics files (issue 17): one bad event is skipped and named, never a failed
calendar; recurrence is bounded; files are read within limits and never created
by a read; errors never quote the file."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from blocker.core.errors import ProviderError
from blocker.core.models import Interval
from providers.ics import IcsLimits, read_busy
from providers.local import LocalCalendar
from tests.providers.contract import make_draft

TZ = ZoneInfo("America/New_York")
WEEK = Interval(datetime(2026, 3, 23, tzinfo=TZ), datetime(2026, 3, 30, tzinfo=TZ))
GOOD = (
    "BEGIN:VEVENT\r\nUID:good\r\nSUMMARY:Kept\r\n"
    "DTSTART:20260324T140000Z\r\nDTEND:20260324T150000Z\r\nEND:VEVENT\r\n"
)


def event(uid: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Bad {uid}\r\n{body}END:VEVENT\r\n"


def calendar(path: Path, *events: str) -> Path:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    path.write_text(head + GOOD + "".join(events) + "END:VCALENDAR\r\n")
    return path


CASES = [
    ("no-start", ("DTEND:20260324T150000Z",), "it has no DTSTART"),
    (
        "overflow",
        ("DTSTART:99991231T140000Z", "DURATION:P9W"),
        "its DURATION is out of range",
    ),
    (
        "bad-end",
        ("DTSTART:20260324T140000Z", "DTEND:garbage"),
        "its DTEND is not a date or a date-time",
    ),
    (
        "secondly",
        ("DTSTART:20260101T140000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"),
        "it repeats every second",
    ),
    (
        "never-again",
        ("DTSTART:20260101T140000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
        "its recurrence rule takes too long to expand (BLOCKER_MAX_RECURRENCE_STEPS)",
    ),
    (
        "every-second-yearly",
        (
            "DTSTART:20260101T140000Z",
            "DURATION:PT1S",
            "RRULE:FREQ=YEARLY;BYHOUR="
            + ",".join(map(str, range(24)))
            + ";BYMINUTE="
            + ",".join(map(str, range(60))),
        ),
        "it repeats 1440 times a day",
    ),
    (
        # every second, spelled FREQ=DAILY: refused before expansion (it cost ~1 s per
        # plan under the step budget: BENCHMARKS section 7)
        "every-second-daily",
        (
            "DTSTART:20260101T140000Z",
            "DURATION:PT1S",
            "RRULE:FREQ=DAILY;BYHOUR="
            + ",".join(map(str, range(24)))
            + ";BYMINUTE="
            + ",".join(map(str, range(60)))
            + ";BYSECOND="
            + ",".join(map(str, range(60))),
        ),
        "it repeats 86400 times a day",
    ),
    (
        "hourly",
        ("DTSTART:20260101T140000Z", "DURATION:PT10M", "RRULE:FREQ=HOURLY"),
        "more than 100 occurrences in the window (BLOCKER_MAX_INSTANCES_PER_SERIES)",
    ),
    ("bogus-rule", ("DTSTART:20260101T140000Z", "RRULE:FREQ=BOGUS"), "its RRULE cannot be read"),
]


@pytest.mark.parametrize(("uid", "lines", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_event_is_skipped_and_named_and_the_rest_is_read(
    tmp_path: Path, uid: str, lines: tuple[str, ...], why: str
) -> None:
    path = calendar(tmp_path / "busy.ics", event(uid, *lines))
    skipped: list[str] = []
    busy = read_busy([path], WEEK, skipped=skipped, limits=IcsLimits(per_series=100))
    assert [b.title for b in busy] == ["Kept"]
    assert skipped == [f"{path}: event 'Bad {uid}' (UID {uid}) skipped: {why}"]


def test_the_local_calendar_reads_past_a_bad_event_and_names_it(tmp_path: Path) -> None:
    busy = calendar(tmp_path / "busy.ics", event("x", "DTEND:20260324T150000Z"))
    result = LocalCalendar(tmp_path / "blocks.ics", [busy]).read(WEEK)
    assert [e.title for e in result.events] == ["Kept"]
    assert result.skipped == (f"{busy}: event 'Bad x' (UID x) skipped: it has no DTSTART",)


def test_occurrences_beyond_the_read_limit_are_left_out_and_counted(tmp_path: Path) -> None:
    daily = [
        event(f"d{i}", "DTSTART:20260301T140000Z", "DURATION:PT10M", "RRULE:FREQ=DAILY")
        for i in range(3)
    ]
    path = calendar(tmp_path / "busy.ics", *daily)
    skipped: list[str] = []
    busy = read_busy([path], WEEK, skipped=skipped, limits=IcsLimits(per_read=15))
    # the good event and one daily series (9 occurrences in the padded window, 7 in it)
    assert len(busy) == 1 + 7
    assert skipped == [
        f"{path}: 2 event(s) not read: the window already holds 10 occurrences "
        "(BLOCKER_MAX_INSTANCES is 15)"
    ]


def test_titles_lose_control_characters(tmp_path: Path) -> None:
    path = calendar(
        tmp_path / "busy.ics",
        event("t", "DTSTART:20260325T140000Z", "DURATION:PT1H").replace(
            "SUMMARY:Bad t", "SUMMARY:Evil\x1b[2J\x1b]0;pwned\x07 title"
        ),
    )
    titles = sorted(b.title or "" for b in read_busy([path], WEEK))
    assert titles == ["Evil?[2J?]0;pwned? title", "Kept"]


def test_busy_files_are_read_within_limits_and_never_hang(tmp_path: Path) -> None:
    big = calendar(tmp_path / "big.ics", *[GOOD.replace("good", f"g{i}") for i in range(50)])
    with pytest.raises(ProviderError, match=r"big\.ics is larger than 1024 bytes"):
        read_busy([big], WEEK, limits=IcsLimits(max_bytes=1024))
    with pytest.raises(ProviderError, match=r"no such file: .*missing\.ics"):
        read_busy([tmp_path / "missing.ics"], WEEK)
    os.mkfifo(tmp_path / "pipe.ics")
    errors: list[str] = []

    def read_pipe() -> None:
        try:
            LocalCalendar(tmp_path / "blocks.ics", [tmp_path / "pipe.ics"]).read(WEEK)
        except ProviderError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=read_pipe, daemon=True)
    worker.start()
    worker.join(10)
    assert errors == [
        f"cannot read calendar file {tmp_path / 'pipe.ics'}: "
        f"{tmp_path / 'pipe.ics'} is not a regular file (a named pipe)"
    ]


def test_a_file_that_is_not_a_calendar_is_never_quoted(tmp_path: Path) -> None:
    secret = "BLOCKER_API_TOKEN=s3cr3t-0123456789"
    env = tmp_path / ".env"
    env.write_text(f"{secret}\nBEGIN:VCALENDAR\n{secret}\n")
    with pytest.raises(ProviderError) as caught:
        read_busy([env], WEEK)
    assert "s3cr3t" not in caught.value.user_message()


def test_a_read_creates_nothing_and_a_write_never_replaces_another_file(tmp_path: Path) -> None:
    cal = LocalCalendar(tmp_path / "new" / "blocks.ics")
    assert cal.read(WEEK).events == ()
    assert list(tmp_path.iterdir()) == []
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    other = LocalCalendar(notes)
    with pytest.raises(ProviderError, match="not an iCalendar file"):
        other.create(make_draft("focus:2026-03-24:0", WEEK.start, WEEK.start.replace(hour=1)))
    assert notes.read_text() == "my notes\n"
