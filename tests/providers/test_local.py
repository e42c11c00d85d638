"""LocalCalendar (.ics file) and the ICS helpers: the contract plus file-level promises."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from blocker.core.errors import OwnershipError, ProviderError, SyncTokenExpired
from blocker.core.keys import event_id_for
from blocker.core.models import Block, Interval, Plan
from providers.base import Write
from providers.ics import nearest_css_color, plan_to_ics, read_busy
from providers.local import LocalCalendar, split_document
from tests.providers.conftest import IcsWriter
from tests.providers.contract import TZ, Harness, ProviderContract, at, make_draft
from tests.support.skips import capability_skip


class LocalHarness:
    """Plays the user by editing the .ics file directly, one component at a time."""

    supports_incremental = True

    def __init__(self, provider: LocalCalendar) -> None:
        self.provider = provider
        self._ids = itertools.count(1)

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        uid = f"foreign-{next(self._ids)}@example.com"
        event = icalendar.Event()
        event.add("UID", uid)
        event.add("DTSTAMP", datetime(2026, 1, 1, tzinfo=TZ))
        if kw.pop("all_day", False):
            event.add("DTSTART", start.date())
            event.add("DTEND", end.date())
        else:
            event.add("DTSTART", start)
            event.add("DTEND", end)
        event.add("SUMMARY", title)
        assert not kw, f"unsupported fields {kw}"
        self._edit(lambda chunks: [*chunks, event.to_ical().decode()])
        return uid

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        def change(component: icalendar.Component) -> None:
            for name, value in (("DTSTART", start), ("DTEND", end)):
                del component[name]
                component.add(name, value)
            component["SEQUENCE"] = int(component.get("SEQUENCE", 0)) + 1

        self._edit_event(event_id, change)

    def remove(self, event_id: str) -> None:
        self._edit_event(event_id, None)

    def expire_sync_tokens(self) -> None:
        capability_skip("local sync tokens are self-contained snapshots: they never expire by age")

    def _edit_event(self, event_id: str, change: Any) -> None:
        uids = {event_id, f"{event_id}@csm-blocker"}

        def edit(chunks: list[str]) -> list[str]:
            out: list[str] = []
            for text in chunks:
                component = icalendar.Event.from_ical(text)
                if str(component.get("UID")) not in uids:
                    out.append(text)
                elif change is not None:
                    change(component)
                    out.append(component.to_ical().decode())
            assert len(out) == len(chunks) - (change is None), f"no event {event_id}"
            return out

        self._edit(edit)

    def _edit(self, edit: Any) -> None:
        path = self.provider.path
        path.parent.mkdir(parents=True, exist_ok=True)  # the provider creates it on a write
        text = path.read_text() if path.exists() else ""
        doc = split_document(text, fallback_header=[])
        texts = edit([c.text for c in doc.chunks])
        body = "".join(t if t.endswith("\r\n") else t + "\r\n" for t in texts)
        head = "".join(f"{line}\r\n" for line in doc.header)
        path.write_bytes(f"BEGIN:VCALENDAR\r\n{head}{body}END:VCALENDAR\r\n".encode())


class TestLocalContract(ProviderContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return LocalHarness(LocalCalendar(tmp_path / "cal" / "blocks.ics"))


class TestLocalContractOtherZone(ProviderContract):
    """Same contract with floating/all-day times placed by an explicit calendar zone."""

    @pytest.fixture
    def harness(self, tmp_path: Path) -> Harness:
        return LocalHarness(LocalCalendar(tmp_path / "blocks.ics", timezone="Europe/Berlin"))


def test_calendar_file_and_parents_are_created_by_the_first_write_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "blocks.ics"
    cal = LocalCalendar(path, name="Work blocks")
    assert cal.read(WEEK).events == ()
    assert not (tmp_path / "a").exists(), "a read created files"
    cal.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(calendar["X-WR-CALNAME"]) == "Work blocks"
    assert len(list(calendar.walk("VEVENT"))) == 1


WEEK = Interval(at(23, 0), at(30, 0))


def test_blocks_parse_back_with_icalendar_with_every_promised_property(tmp_path: Path) -> None:
    cal = LocalCalendar(tmp_path / "blocks.ics")
    draft = make_draft(
        "qbr:2026-03-26:0",
        at(26, 9),
        at(26, 10, 30),
        title="QBR prep, Acme; Globex",
        color="#DC143C",
        private=True,
        description="created: renewal of Acme in 30 days",
    )
    cal.create(draft)
    calendar = icalendar.Calendar.from_ical((tmp_path / "blocks.ics").read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{draft.event_id}@csm-blocker"
    assert str(event["SUMMARY"]) == "QBR prep, Acme; Globex"
    assert event.decoded("DTSTART") == at(26, 9) and event.decoded("DTEND") == at(26, 10, 30)
    assert str(event["X-CSM-BLOCKER-KEY"]) == "qbr:2026-03-26:0"
    assert str(event["X-CSM-BLOCKER-HASH"]) == draft.content_hash
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["CLASS"]) == "PRIVATE"
    assert str(event["COLOR"]) == "crimson"
    assert str(event["X-CSM-BLOCKER-COLOR"]) == "#dc143c"
    assert str(event["DESCRIPTION"]) == "created: renewal of Acme in 30 days"
    assert int(str(event["SEQUENCE"])) == 0
    assert event.decoded("DTSTAMP") == at(26, 9), "DTSTAMP is stable, not the wall clock"
    assert "ATTENDEE" not in event and "VALARM" not in event.to_ical().decode()


def test_update_bumps_sequence_and_an_identical_update_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "blocks.ics"
    cal = LocalCalendar(path)
    made = cal.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
    moved_draft = make_draft("focus:2026-03-24:0", at(24, 13), at(24, 15), show_as="free")
    moved = cal.update(made, moved_draft)
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert int(str(event["SEQUENCE"])) == 1 and str(event["TRANSP"]) == "TRANSPARENT"
    before = path.read_bytes()
    again = cal.update(moved, moved_draft)
    assert again.etag == moved.etag and path.read_bytes() == before


def test_all_day_block_is_a_date_and_reads_back_as_the_same_instants(tmp_path: Path) -> None:
    path = tmp_path / "blocks.ics"
    cal = LocalCalendar(path)
    draft = make_draft("friday:2026-03-27:0", at(27, 0), at(28, 0), all_day=True)
    cal.create(draft)
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 3, 27)
    assert event.decoded("DTEND") == date(2026, 3, 28)
    (read,) = [e for e in LocalCalendar(path).read(WEEK).events if e.owned]
    assert read.all_day and (read.start, read.end) == (at(27, 0), at(28, 0))
    assert read.tag is not None and read.observed_hash == read.tag.content_hash


def _apply_week(cal: LocalCalendar) -> None:
    drafts = [
        make_draft(f"focus:2026-03-{day}:0", at(day, 9), at(day, 11), title=f"Focus {day}")
        for day in (23, 24, 25, 26)
    ]
    made = [cal.create(d) for d in drafts]
    cal.update(made[1], make_draft("focus:2026-03-24:0", at(24, 14), at(24, 16), title="Moved"))
    cal.delete(made[2])
    cal.write_batch(
        [
            Write("create", draft=make_draft("lunch:2026-03-23:0", at(23, 12), at(23, 13))),
            Write("delete", current=made[3]),
        ]
    )


def test_the_same_writes_give_byte_identical_files(tmp_path: Path) -> None:
    one, two = tmp_path / "one" / "blocks.ics", tmp_path / "two" / "blocks.ics"
    _apply_week(LocalCalendar(one))
    _apply_week(LocalCalendar(two))
    assert one.read_bytes() == two.read_bytes()
    before = one.read_bytes()
    cal = LocalCalendar(one)
    for event in cal.read(WEEK).events:
        assert event.tag is not None
        cal.create(
            make_draft(event.tag.key, event.start, event.end, title=event.title)
        )  # retried creates of what is there
    assert one.read_bytes() == before


FOREIGN = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Custom/Zone\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:19700101T000000\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0100\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:dentist-1@phone\r\n"
    "DTSTAMP:20260301T101010Z\r\n"
    "DTSTART;TZID=Custom/Zone:20260325T080000\r\n"
    "DTEND;TZID=Custom/Zone:20260325T090000\r\n"
    "SUMMARY:Dentist\\, then coffee\r\n"
    "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=Somewhere:geo:52.5,13.4\r\n"
    "DESCRIPTION:a long description that the user's phone folded over more than\r\n"
    "  one line\\, with odd spacing\r\n"
    "BEGIN:VALARM\r\n"
    "ACTION:DISPLAY\r\n"
    "TRIGGER:-PT15M\r\n"
    "DESCRIPTION:Reminder\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VTODO\r\n"
    "UID:todo-1@phone\r\n"
    "SUMMARY:Buy milk\r\n"
    "END:VTODO\r\n"
)


def test_foreign_components_in_the_calendar_file_survive_our_writes(tmp_path: Path) -> None:
    path = tmp_path / "blocks.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Phone//EN\nX-WR-CALNAME:Mine\n"
        + FOREIGN.replace("\r\n", "\n")
        + "END:VCALENDAR\n"
    )
    cal = LocalCalendar(path)
    made = cal.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
    moved = cal.update(made, make_draft("focus:2026-03-24:0", at(24, 12), at(24, 13)))
    cal.create(make_draft("focus:2026-03-25:0", at(25, 9), at(25, 11)))
    cal.delete(moved)
    text = path.read_bytes().decode()
    assert FOREIGN in text, "foreign components are written back exactly as read"
    assert "PRODID:-//Phone//EN\r\nX-WR-CALNAME:Mine\r\n" in text, "the header is the user's"
    events = cal.read(WEEK).events
    dentist = [e for e in events if e.event_id == "dentist-1@phone"]
    assert len(dentist) == 1 and dentist[0].title == "Dentist, then coffee"
    assert dentist[0].start == datetime(2026, 3, 25, 7, tzinfo=UTC)
    assert [e.tag.key for e in events if e.tag] == ["focus:2026-03-25:0"]


def test_two_calendars_on_one_file_never_lose_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "blocks.ics"
    writers = [LocalCalendar(path), LocalCalendar(path)]

    def write(index: int) -> None:
        for n in range(15):
            start = at(23 + n % 7, 6 + index) + timedelta(minutes=n)
            writers[index].create(make_draft(f"w{index}:{n}", start, start + timedelta(minutes=5)))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = {e.tag.key for e in LocalCalendar(path).read(WEEK).events if e.tag}
    assert keys == {f"w{i}:{n}" for i in range(2) for n in range(15)}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".blocks.ics.")], "temp files"


def test_incremental_read_of_an_unchanged_file_is_empty(tmp_path: Path) -> None:
    cal = LocalCalendar(tmp_path / "blocks.ics")
    cal.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
    token = cal.read(WEEK).sync_token
    assert token is not None
    delta = LocalCalendar(tmp_path / "blocks.ics").read(WEEK, token)
    assert delta.incremental and delta.events == () and delta.removed == ()


@pytest.mark.parametrize("token", ["garbage", "ics1.!!!", "ics1.eJwDAAAAAAE="])
def test_unusable_tokens_expire(tmp_path: Path, token: str) -> None:
    cal = LocalCalendar(tmp_path / "blocks.ics")
    with pytest.raises(SyncTokenExpired):
        cal.read(WEEK, token)


def test_token_of_another_window_or_calendar_expires(tmp_path: Path) -> None:
    cal = LocalCalendar(tmp_path / "blocks.ics")
    token = cal.read(WEEK).sync_token
    assert token is not None
    next_week = Interval(at(30, 0), at(30, 0) + timedelta(days=7))
    with pytest.raises(SyncTokenExpired):
        cal.read(next_week, token)
    with pytest.raises(SyncTokenExpired):
        LocalCalendar(tmp_path / "other.ics").read(WEEK, token)


def test_a_broken_calendar_file_is_a_provider_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "blocks.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\nEND:VEVENT\r\n")
    result = LocalCalendar(path).read(WEEK)  # one bad event is skipped and named
    assert result.events == ()
    assert result.skipped == (
        f"{path}: an event without UID or title skipped: its DTSTART is not a date or a date-time",
    )
    path.write_bytes(b"BEGIN:VCALENDAR\r\n\xff\r\n")
    with pytest.raises(ProviderError, match=r"blocks\.ics"):
        LocalCalendar(path).read(WEEK)


STANDUP = """
BEGIN:VEVENT
UID:standup@acme.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260316T090000
DTEND;TZID=Europe/Berlin:20260316T091500
RRULE:FREQ=DAILY
EXDATE;TZID=Europe/Berlin:20260324T090000
SUMMARY:Standup
ORGANIZER;CN=Boss:mailto:Boss@Acme.COM
ATTENDEE;PARTSTAT=ACCEPTED;CN=Me:mailto:me@mine.example
ATTENDEE;PARTSTAT=TENTATIVE:mailto:Carol@Globex.Example
END:VEVENT
BEGIN:VEVENT
UID:standup@acme.com
DTSTAMP:20260301T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260326T090000
DTSTART;TZID=Europe/Berlin:20260326T160000
DTEND;TZID=Europe/Berlin:20260326T161500
SUMMARY:Standup (late)
ORGANIZER:mailto:Boss@Acme.COM
ATTENDEE;PARTSTAT=DECLINED:mailto:me@mine.example
END:VEVENT
BEGIN:VEVENT
UID:offsite@acme.com
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260327
DTEND;VALUE=DATE:20260328
SUMMARY:Offsite
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:called-off@acme.com
DTSTAMP:20260301T000000Z
DTSTART:20260325T100000Z
DTEND:20260325T110000Z
STATUS:CANCELLED
SUMMARY:Called off
END:VEVENT
"""


def test_read_busy_expands_a_daily_series_across_the_dst_change(write_ics: IcsWriter) -> None:
    path = write_ics("busy.ics", STANDUP)
    busy = read_busy([path], WEEK, owner_domains=["mine.example"])
    standups = [b for b in busy if b.title.startswith("Standup")]
    local = [(b.start.astimezone(TZ).day, b.start.astimezone(TZ).hour) for b in standups]
    assert local == [(23, 9), (25, 9), (26, 16), (27, 9), (28, 9), (29, 9)], local
    utc_hours = {b.start.astimezone(TZ).day: b.start.astimezone(UTC).hour for b in standups}
    assert utc_hours[28] == 8 and utc_hours[29] == 7, "09:00 Berlin is 08:00Z, then 07:00Z"
    assert all(b.end.timestamp() - b.start.timestamp() == 15 * 60 for b in standups)
    assert "Called off" not in {b.title for b in busy}, "cancelled events are not busy"
    (offsite,) = [b for b in busy if b.title == "Offsite"]
    assert offsite.all_day and offsite.start == at(27, 0) and not offsite.blocks_time


def test_domains_are_extracted_and_no_address_is_kept(write_ics: IcsWriter) -> None:
    path = write_ics("busy.ics", STANDUP)
    busy = read_busy([path], WEEK, owner_domains=["Mine.Example"])
    regular = next(b for b in busy if b.title == "Standup")
    late = next(b for b in busy if b.title == "Standup (late)")
    assert regular.attendee_domains == ("globex.example", "mine.example")
    assert regular.organizer_domain == "acme.com"
    assert regular.response == "accepted" and late.response == "declined"
    assert late.blocks_time is False, "a declined meeting leaves the time free"
    dumped = repr([replace(b, event_id=None) for b in busy]).lower()  # a UID is no address
    for fragment in ("@", "mailto", "boss", "carol", "me@"):
        assert fragment not in dumped, f"{fragment!r} leaked into {dumped[:200]}"


def test_owner_email_and_organizer_responses(write_ics: IcsWriter) -> None:
    path = write_ics(
        "busy.ics",
        """
BEGIN:VEVENT
UID:mine@x
DTSTART:20260324T100000Z
DTEND:20260324T110000Z
SUMMARY:I organise
ORGANIZER:mailto:Me@Mine.Example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@acme.com
END:VEVENT
BEGIN:VEVENT
UID:theirs@x
DTSTART:20260324T120000Z
DTEND:20260324T130000Z
SUMMARY:Invited
ORGANIZER:mailto:ann@acme.com
ATTENDEE;PARTSTAT=TENTATIVE:mailto:me@mine.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:colleague@mine.example
END:VEVENT
BEGIN:VEVENT
UID:nobody@x
DTSTART:20260324T140000Z
DTEND:20260324T150000Z
SUMMARY:Just me
END:VEVENT
""",
    )
    cal = LocalCalendar(tmp_path_of(path) / "blocks.ics", [path], owner_emails=["me@mine.example"])
    by_title = {e.title: e for e in cal.read(WEEK).events}
    assert by_title["I organise"].response == "organizer"
    assert by_title["Invited"].response == "tentative", "the owner's own line, not a colleague's"
    assert by_title["Just me"].response == "none"
    assert by_title["Invited"].attendee_domains == ("mine.example",)
    assert not by_title["Invited"].owned


def tmp_path_of(path: Path) -> Path:
    return path.parent


def test_busy_files_feed_the_local_calendar_with_stable_instance_ids(
    tmp_path: Path, write_ics: IcsWriter
) -> None:
    busy = write_ics("team.ics", STANDUP)
    original = busy.read_bytes()
    cal = LocalCalendar(tmp_path / "blocks.ics", [busy], owner_domains=["mine.example"])
    cal.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
    events = cal.read(WEEK).events
    ids = [e.event_id for e in events if e.title.startswith("Standup")]
    assert len([e for e in events if e.owned]) == 1
    assert ids[0] == "standup@acme.com_20260323T080000Z"
    assert "standup@acme.com_20260326T080000Z" in ids, "a moved instance keeps its original id"
    assert len(set(ids)) == len(ids) == 6
    with pytest.raises(OwnershipError):
        cal.delete(next(e for e in events if not e.owned))
    assert cal.read(WEEK).events == events, "reads are repeatable"
    assert busy.read_bytes() == original, "busy files are read-only"


def test_plan_to_ics_gives_owned_blocks_a_local_calendar_recognises(tmp_path: Path) -> None:
    blocks = (
        Block("focus:2026-03-24:0", "focus", "focus_time", "Focus", at(24, 9), at(24, 11)),
        Block(
            "review:2026-03-27:0",
            "review",
            "weekly_review",
            "Weekly review",
            at(27, 15),
            at(27, 16),
            color="#0B8043",
            show_as="free",
        ),
    )
    plan = Plan(week="2026-W13", timezone="Europe/Berlin", blocks=blocks)
    data = plan_to_ics(plan, "cal-1")
    assert data == plan_to_ics(plan, "cal-1"), "deterministic"
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert uids == [f"{event_id_for('cal-1', b.key)}@csm-blocker" for b in blocks]
    path = tmp_path / "exported.ics"
    path.write_bytes(data)
    read = LocalCalendar(path).read(WEEK).events
    assert [(e.tag.key, e.tag.content_hash) for e in read if e.tag] == [
        (b.key, b.content_hash) for b in blocks
    ]
    assert [e.transparent for e in read] == [False, True]
    assert read_busy([path], WEEK) == [], "our own blocks are not busy time for the planner"


def test_a_broken_busy_file_is_a_provider_error_naming_it(write_ics: IcsWriter) -> None:
    path = write_ics("bad.ics", "BEGIN:VEVENT\nUID:x\nDTSTART:tomorrow\nEND:VEVENT")
    skipped: list[str] = []
    assert read_busy([path], WEEK, skipped=skipped) == []
    assert skipped == [
        f"{path}: event with UID x skipped: its DTSTART is not a date or a date-time"
    ]
    path.write_bytes(b"not a calendar at all\r\n")
    with pytest.raises(ProviderError, match=r"bad\.ics"):
        read_busy([path], WEEK)


@pytest.mark.parametrize(
    ("color", "name"),
    [("#FF0000", "red"), ("#f00", "red"), ("#4285F4", "royalblue"), ("0b8043", "forestgreen")],
)
def test_nearest_css_color(color: str, name: str) -> None:
    assert nearest_css_color(color) == name


def test_nearest_css_color_rejects_non_hex() -> None:
    with pytest.raises(ValueError, match="hex"):
        nearest_css_color("blueish")
