"""Reading iCalendar: our blocks back as events, foreign VEVENTs as events and busy
times (``blocker plan --busy FILE.ics`` and the local .ics provider).

Attendee addresses are reduced to their domains here, at the boundary: full
addresses never reach the value objects. The owner's own attendee line decides
whether a meeting is busy (:class:`Owner`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from blocker.core.errors import ProviderError
from blocker.core.files import UnsafePath, clean_text, read_limited, shown
from blocker.core.keys import OwnershipTag
from blocker.core.models import Busy, Interval, RemoteEvent, Response, TentativeAs
from providers.ics_expand import DEFAULT_ICS_LIMITS, READ_ERRORS, IcsLimits, describe, expand
from providers.ics_format import COLOR_PROP, HASH_PROP, KEY_PROP, TZID_PROP, UID_SUFFIX, etag_of

_PARTSTAT: dict[str, Response] = {
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
    "NEEDS-ACTION": "needs_action",
    "DELEGATED": "declined",
}


@dataclass(frozen=True, slots=True)
class Owner:
    """Who the calendar belongs to, to find their attendee line and its PARTSTAT.

    ``tentative`` is the rules' ``owner.tentative``: with ``free`` a meeting the
    owner answered TENTATIVE reads as transparent.
    """

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    tentative: TentativeAs = "busy"

    @classmethod
    def of(
        cls,
        emails: Iterable[str] = (),
        domains: Iterable[str] = (),
        tentative: TentativeAs = "busy",
    ) -> Owner:
        return cls(
            frozenset(e.strip().lower().removeprefix("mailto:") for e in emails),
            frozenset(d.strip().lower().lstrip("@") for d in domains),
            tentative,
        )


def is_owned(component: icalendar.Component) -> bool:
    return component.get(KEY_PROP) is not None


def owned_event(component: icalendar.Component, etag: str, zone: tzinfo) -> RemoteEvent:
    """One of our VEVENTs back as a RemoteEvent (tag from the X- properties)."""
    uid = str(component.get("UID", ""))
    tz_name = component.get(TZID_PROP)
    own_zone = _zone(str(tz_name)) if tz_name is not None else None
    start, end, all_day = _span(component, own_zone or zone)
    color = component.get(COLOR_PROP)
    return RemoteEvent(
        event_id=uid.removesuffix(UID_SUFFIX),
        start=start,
        end=end,
        title=str(component.get("SUMMARY", "")),
        etag=etag,
        tag=OwnershipTag.parse(str(component.get(KEY_PROP)), str(component.get(HASH_PROP, ""))),
        all_day=all_day,
        transparent=_transparent(component),
        color=str(color) if color is not None else None,
    )


def foreign_events(
    calendar: icalendar.Calendar,
    window: Interval,
    zone: tzinfo,
    owner: Owner = Owner(),
    etags: Mapping[str, str] | None = None,
    *,
    limits: IcsLimits = DEFAULT_ICS_LIMITS,
    skipped: list[str] | None = None,
) -> list[RemoteEvent]:
    """Foreign events overlapping ``window``, recurring ones expanded (cancelled skipped).

    An event that cannot be read, or recurs beyond ``limits``, is left out and
    named in ``skipped`` (:mod:`providers.ics_expand`): it never fails the read.

    ``zone`` gives floating times and all-day dates their instants. Occurrences
    of a recurring series get ids ``{uid}_{original start}`` like Google's
    instances, so each stays identifiable when moved. Busyness follows the data:
    TRANSP (absent means OPAQUE, RFC 5545 3.8.2.7, all-day events included) and
    the owner's own PARTSTAT (see :func:`_response`).
    """
    recurring = _recurring_uids(calendar)
    found = expand(
        calendar, window.start - timedelta(days=1), window.end + timedelta(days=1), limits
    )
    left_out = found.skipped
    events: list[RemoteEvent] = []
    for component in found.components:
        if is_owned(component) or str(component.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            event = _foreign(component, zone, owner, recurring, etags or {})
        except READ_ERRORS:
            left_out.append(f"{describe(component)} skipped: it cannot be read")
            continue
        if Interval(event.start, max(event.start, event.end)).overlaps(window):
            events.append(event)
    if skipped is not None:
        skipped.extend(left_out)
    events.sort(key=lambda e: (e.start, e.end, e.event_id))
    return events


def _foreign(
    component: icalendar.Component,
    zone: tzinfo,
    owner: Owner,
    recurring: set[str],
    etags: Mapping[str, str],
) -> RemoteEvent:
    """One foreign occurrence as a RemoteEvent (READ_ERRORS if it is malformed)."""
    start, end, all_day = _span(component, zone)
    uid = str(component.get("UID", "")) or _anonymous_uid(component)
    event_id = uid
    if uid in recurring:
        event_id = f"{uid}_{_instance_suffix(component, zone)}"
    attendees = _addresses(component.get("ATTENDEE"))
    organizer = _addresses(component.get("ORGANIZER"))
    response = _response(attendees, organizer, owner)
    color = component.get("COLOR")
    return RemoteEvent(
        event_id=event_id,
        start=start,
        end=end,
        title=clean_text(str(component.get("SUMMARY", "Busy"))),
        etag=etags.get(uid),
        all_day=all_day,
        transparent=_transparent(component)
        or (response == "tentative" and owner.tentative == "free"),
        response=response,
        attendee_domains=tuple(sorted({a.domain for a in attendees})),
        organizer_domain=organizer[0].domain if organizer else None,
        color=str(color) if color is not None else None,
    )


def read_busy(
    paths: Sequence[Path],
    window: Interval,
    *,
    owner_domains: Sequence[str] = (),
    owner_emails: Sequence[str] = (),
    tentative: TentativeAs = "busy",
    timezone: str | None = None,
    limits: IcsLimits = DEFAULT_ICS_LIMITS,
    skipped: list[str] | None = None,
) -> list[Busy]:
    """Foreign events of .ics files as busy times (``blocker plan --busy FILE.ics``).

    Our own blocks found in those files are skipped: the planner must not avoid
    the blocks it is about to place. Floating times and dates are read in
    ``timezone`` (default: the window start's zone). Each file is read within
    ``limits`` (a missing, oversized or non-regular file is a ProviderError naming
    it); events that cannot be read are named in ``skipped`` ("FILE: event ...").
    """
    zone = _zone(timezone) if timezone else window.start.tzinfo or UTC
    owner = Owner.of(owner_emails, owner_domains, tentative)
    busy: list[Busy] = []
    for path in paths:
        left_out: list[str] = []
        try:
            calendar = parse_calendar(read_limited(path, limits.max_bytes), source=shown(path))
            found = foreign_events(calendar, window, zone, owner, limits=limits, skipped=left_out)
        except (UnsafePath, ValueError) as exc:
            raise ProviderError(
                f"cannot read busy times: {exc}",
                provider="ics",
                hint="export the calendar again as .ics or leave the file out",
            ) from exc
        busy.extend(e.as_busy() for e in found)
        if skipped is not None:
            skipped.extend(f"{shown(path)}: {line}" for line in left_out)
    busy.sort(key=lambda b: (b.start, b.end, b.event_id or ""))
    return busy


def parse_calendar(data: bytes, *, source: str) -> icalendar.Calendar:
    """Parse iCalendar bytes; ValueError naming the file when they are not iCalendar.

    The message never quotes the file (icalendar's own errors do: a ``.env`` named
    as a calendar would show its secrets).
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (*READ_ERRORS, RecursionError) as exc:
        raise ValueError(f"{source}: not a valid iCalendar file") from exc
    if not isinstance(calendar, icalendar.Calendar):
        raise ValueError(f"{source}: not a VCALENDAR")
    return calendar


# -- internals ----------------------------------------------------------------------


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _as_instant(value: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def _span(component: icalendar.Component, zone: tzinfo) -> tuple[datetime, datetime, bool]:
    """(start, end, all_day) with aware datetimes; DURATION or a default length if no DTEND."""
    raw_start = component.decoded("DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = _as_instant(raw_start, zone)
    if component.get("DTEND") is not None:
        end = _as_instant(component.decoded("DTEND"), zone)
    elif component.get("DURATION") is not None:
        duration: timedelta = component.decoded("DURATION")
        end = _as_instant(raw_start + duration, zone)
    else:
        end = _as_instant(raw_start + timedelta(days=1), zone) if all_day else start
    return start, end, all_day


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    uids: set[str] = set()
    for component in calendar.walk("VEVENT"):
        if any(component.get(p) is not None for p in ("RRULE", "RDATE", "RECURRENCE-ID")):
            uids.add(str(component.get("UID", "")))
    return uids


def _instance_suffix(component: icalendar.Component, zone: tzinfo) -> str:
    raw = component.decoded("RECURRENCE-ID", None) or component.decoded("DTSTART")
    if not isinstance(raw, datetime):
        return f"{raw:%Y%m%d}"
    return f"{_as_instant(raw, zone).astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _anonymous_uid(component: icalendar.Component) -> str:
    return "anon-" + etag_of(component.to_ical().decode())


@dataclass(frozen=True, slots=True)
class _Address:
    """A calendar address, kept only inside this module for matching the owner."""

    address: str
    domain: str
    partstat: str


def _addresses(value: Any) -> list[_Address]:
    """Parsed ATTENDEE/ORGANIZER values (lowercased); entries without a domain dropped."""
    if value is None:
        return []
    found: list[_Address] = []
    for item in value if isinstance(value, list) else [value]:
        text = str(item).strip()
        if text.lower().startswith("mailto:"):
            text = text[7:]
        text = text.lower()
        if "@" not in text:
            continue
        partstat = str(getattr(item, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper()
        found.append(_Address(text, text.rsplit("@", 1)[1], partstat))
    return found


_BUSIEST: tuple[Response, ...] = ("accepted", "tentative", "needs_action")


def _busiest(lines: list[_Address]) -> Response:
    """The answer that keeps the most time: accepted, tentative, needs-action, declined."""
    answers = {_PARTSTAT.get(line.partstat, "needs_action") for line in lines}
    return next((a for a in _BUSIEST if a in answers), "declined")


def _response(attendees: list[_Address], organizer: list[_Address], owner: Owner) -> Response:
    """The owner's answer; ``none`` when there is nobody or the owner is not listed.

    With the owner's addresses known, only their own lines count: the organizer
    line makes it ``organizer``, else their ATTENDEE line's PARTSTAT (``none``, so
    busy, when they are not listed: invited through a list, say). Knowing only the
    owner's domains, every same-domain attendee may be the owner, so a colleague's
    decline must not free the owner's meeting: the busiest same-domain answer
    counts, and a same-domain organizer (possibly the owner) keeps it busy.
    """
    if not attendees and not organizer:
        return "none"
    if owner.emails:
        if organizer and organizer[0].address in owner.emails:
            return "organizer"
        own = [a for a in attendees if a.address in owner.emails]
        return _busiest(own) if own else "none"
    called_by_us = bool(organizer) and organizer[0].domain in owner.domains
    same_domain = [a for a in attendees if a.domain in owner.domains]
    if same_domain:
        answer = _busiest(same_domain)
        return "organizer" if answer == "declined" and called_by_us else answer
    return "organizer" if called_by_us else "none"


def _transparent(component: icalendar.Component) -> bool:
    """TRANSP:TRANSPARENT; a missing TRANSP is OPAQUE (RFC 5545), all-day or not."""
    return str(component.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT"


__all__ = [
    "IcsLimits",
    "Owner",
    "foreign_events",
    "is_owned",
    "owned_event",
    "parse_calendar",
    "read_busy",
]
