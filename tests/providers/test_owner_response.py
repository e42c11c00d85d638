"""Local .ics reads: all-day busyness and the owner's own answer (issue 15, item 4).

Busyness follows the data: TRANSP (absent means OPAQUE, RFC 5545 3.8.2.7, all-day
events included) and the owner's own PARTSTAT. With ``owner.email`` known, only the
owner's line counts; with domains only, a same-domain colleague's decline never
frees a meeting the owner may be in.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from blocker.core.models import Busy, TentativeAs
from providers.ics import read_busy
from providers.local import LocalCalendar
from tests.providers.conftest import IcsWriter
from tests.providers.contract import TZ, WINDOW, at

ME = "lena@nordwerk.example"
DOMAIN = "nordwerk.example"


def _event(uid: str, start: str, end: str, summary: str, *extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260301T000000Z",
        start,
        end,
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    ]
    return "\n".join(lines)


def _meeting(uid: str, day: int, summary: str, *extra: str) -> str:
    """A 10:00-11:00 Berlin meeting on ``day`` March 2026."""
    return _event(
        uid,
        f"DTSTART;TZID=Europe/Berlin:202603{day:02d}T100000",
        f"DTEND;TZID=Europe/Berlin:202603{day:02d}T110000",
        summary,
        *extra,
    )


def _read(
    write_ics: IcsWriter,
    text: str,
    *,
    emails: tuple[str, ...] = (ME,),
    domains: tuple[str, ...] = (DOMAIN,),
    tentative: TentativeAs = "busy",
) -> dict[str, Busy]:
    path = write_ics("busy.ics", text)
    busy = read_busy(
        [path], WINDOW, owner_emails=emails, owner_domains=domains, tentative=tentative
    )
    return {b.title: b for b in busy}


# -- all-day entries ------------------------------------------------------------------

ALL_DAY = "\n".join(
    [
        _event(
            "offsite@x",
            "DTSTART;VALUE=DATE:20260325",
            "DTEND;VALUE=DATE:20260327",
            "Team offsite",
            "ORGANIZER:mailto:hr@nordwerk.example",
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}",
            "TRANSP:OPAQUE",
        ),
        _event(
            "holiday@x",
            "DTSTART;VALUE=DATE:20260323",
            "DTEND;VALUE=DATE:20260324",
            "Public holiday",
            "TRANSP:TRANSPARENT",
        ),
        _event(
            "birthday@x",
            "DTSTART;VALUE=DATE:20260324",
            "DTEND;VALUE=DATE:20260325",
            "Birthday: Ann",
            "TRANSP:TRANSPARENT",
        ),
        _event(
            "trip@x",
            "DTSTART;VALUE=DATE:20260327",
            "DTEND;VALUE=DATE:20260328",
            "Customer visit (no TRANSP)",
        ),
        _event(
            "skipped@x",
            "DTSTART;VALUE=DATE:20260323",
            "DTEND;VALUE=DATE:20260324",
            "Declined offsite",
            "ORGANIZER:mailto:hr@nordwerk.example",
            f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}",
            "TRANSP:OPAQUE",
        ),
    ]
)


def test_an_accepted_opaque_two_day_offsite_blocks_both_whole_days(write_ics: IcsWriter) -> None:
    offsite = _read(write_ics, ALL_DAY)["Team offsite"]
    assert offsite.all_day and offsite.response == "accepted" and not offsite.transparent
    assert (offsite.start, offsite.end) == (at(25, 0), at(27, 0))
    assert offsite.blocks_time
    assert offsite.interval.minutes == 2 * 24 * 60


def test_transparent_all_day_entries_do_not_block(write_ics: IcsWriter) -> None:
    read = _read(write_ics, ALL_DAY)
    for title in ("Public holiday", "Birthday: Ann"):
        assert read[title].all_day and read[title].transparent
        assert not read[title].blocks_time, title


def test_an_all_day_entry_without_transp_is_opaque_as_rfc_5545_says(
    write_ics: IcsWriter,
) -> None:
    trip = _read(write_ics, ALL_DAY)["Customer visit (no TRANSP)"]
    assert trip.all_day and not trip.transparent and trip.blocks_time
    assert (trip.start, trip.end) == (at(27, 0), at(28, 0))


def test_an_all_day_entry_the_owner_declined_does_not_block(write_ics: IcsWriter) -> None:
    skipped = _read(write_ics, ALL_DAY)["Declined offsite"]
    assert skipped.response == "declined" and not skipped.blocks_time


def test_the_sunday_of_the_spring_change_is_a_23_hour_all_day_span(write_ics: IcsWriter) -> None:
    text = _event("sunday@x", "DTSTART;VALUE=DATE:20260329", "DTEND;VALUE=DATE:20260330", "Retreat")
    retreat = _read(write_ics, text)["Retreat"]
    assert (retreat.start, retreat.end) == (at(29, 0), datetime(2026, 3, 30, tzinfo=TZ))
    assert retreat.interval.minutes == 23 * 60 and retreat.blocks_time


# -- the owner's own answer -------------------------------------------------------------

COLLEAGUE = "ATTENDEE;PARTSTAT=DECLINED:mailto:pal@nordwerk.example"
ANSWERS = "\n".join(
    [
        _meeting(
            "declined-first@x",
            23,
            "Declined first",
            "ORGANIZER:mailto:ann@acme.example",
            COLLEAGUE,
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ME}",
        ),
        _meeting(
            "owner-declined@x",
            24,
            "Owner declined",
            "ORGANIZER:mailto:ann@acme.example",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:pal@nordwerk.example",
            f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}",
        ),
        _meeting(
            "owner-organizer@x",
            25,
            "Owner organizes",
            f"ORGANIZER:mailto:{ME}",
            COLLEAGUE,
        ),
        _meeting(
            "tentative@x",
            26,
            "Owner tentative",
            "ORGANIZER:mailto:ann@acme.example",
            COLLEAGUE,
            f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{ME.upper()}",
        ),
        _meeting(
            "not-listed@x",
            27,
            "Owner not listed",
            "ORGANIZER:mailto:ann@acme.example",
            COLLEAGUE,
        ),
        _meeting(
            "external-only@x",
            27,
            "Owner declined external",
            "ORGANIZER:mailto:ann@acme.example",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:lena@nordwerk.example",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@acme.example",
        ),
    ]
)


def test_a_colleague_declining_first_does_not_free_the_owners_meeting(
    write_ics: IcsWriter,
) -> None:
    meeting = _read(write_ics, ANSWERS)["Declined first"]
    assert meeting.response == "accepted" and meeting.blocks_time


def test_the_owner_declining_frees_the_meeting_whoever_accepted(write_ics: IcsWriter) -> None:
    meeting = _read(write_ics, ANSWERS)["Owner declined"]
    assert meeting.response == "declined" and not meeting.blocks_time


def test_the_owner_as_organizer_is_busy_whatever_colleagues_answered(
    write_ics: IcsWriter,
) -> None:
    meeting = _read(write_ics, ANSWERS)["Owner organizes"]
    assert meeting.response == "organizer" and meeting.blocks_time


def test_an_owner_address_not_on_the_list_keeps_the_meeting_busy(write_ics: IcsWriter) -> None:
    """Invited through a mailing list, say: the colleague's decline is not the owner's."""
    meeting = _read(write_ics, ANSWERS)["Owner not listed"]
    assert meeting.response == "none" and meeting.blocks_time


@pytest.mark.parametrize(("policy", "blocks"), [("busy", True), ("free", False)])
def test_tentative_counts_as_the_rules_say(
    write_ics: IcsWriter, policy: TentativeAs, blocks: bool
) -> None:
    read = _read(write_ics, ANSWERS, tentative=policy)
    meeting = read["Owner tentative"]
    assert meeting.response == "tentative", "addresses match case-insensitively"
    assert meeting.blocks_time is blocks
    assert meeting.transparent is not blocks
    assert read["Declined first"].blocks_time, "an accepted meeting is busy under either policy"


def test_several_owner_addresses_are_all_the_owner(write_ics: IcsWriter) -> None:
    text = _meeting(
        "alias@x",
        23,
        "Via alias",
        "ORGANIZER:mailto:ann@acme.example",
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ME}",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.berg@nordwerk.example",
    )
    both = _read(write_ics, text, emails=(ME, "L.Berg@Nordwerk.Example"))["Via alias"]
    assert both.response == "accepted" and both.blocks_time
    only_one = _read(write_ics, text)["Via alias"]
    assert only_one.response == "declined" and not only_one.blocks_time


# -- domains only (no owner.email): today's behaviour, never freed by a colleague ------------


def test_without_an_address_a_same_domain_decline_listed_first_stays_busy(
    write_ics: IcsWriter,
) -> None:
    read = _read(write_ics, ANSWERS, emails=())
    assert read["Declined first"].response == "accepted" and read["Declined first"].blocks_time
    # the owner may be the accepting colleague here: busy is the safe reading
    assert read["Owner declined"].blocks_time
    # a same-domain organizer may be the owner: a colleague's decline does not free it
    assert read["Owner organizes"].response == "organizer"
    assert read["Owner organizes"].blocks_time
    # the only same-domain line declined and an outsider called it: the owner declined
    assert read["Owner not listed"].response == "declined"
    assert not read["Owner not listed"].blocks_time
    assert not read["Owner declined external"].blocks_time


def test_the_local_calendar_reads_with_the_owner_and_policy(
    tmp_path: Path, write_ics: IcsWriter
) -> None:
    path = write_ics("team.ics", ANSWERS)
    cal = LocalCalendar(
        tmp_path / "blocks.ics",
        [path],
        owner_emails=[ME],
        owner_domains=[DOMAIN],
        tentative="free",
    )
    by_title = {e.title: e.as_busy() for e in cal.read(WINDOW).events}
    assert by_title["Declined first"].blocks_time
    assert not by_title["Owner declined"].blocks_time
    assert not by_title["Owner tentative"].blocks_time
