"""iCalendar helpers: our blocks as VEVENTs, foreign VEVENTs as events and busy times.

Shared by the local .ics provider, ``blocker plan --busy FILE.ics`` and
``plan --format ics``. Our VEVENTs carry the ownership tag as ``X-CSM-BLOCKER-*``
properties and a UID ``{event_id}@csm-blocker``; they are rendered
deterministically (times in UTC, DTSTAMP derived from DTSTART, no "now"), so the
same block always gives the same bytes. Attendee addresses are reduced to their
domains here, at the boundary: full addresses never reach the value objects.
"""

from __future__ import annotations

import hashlib
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
from blocker.core.models import Busy, EventDraft, Interval, Plan, RemoteEvent, Response, TentativeAs
from providers.ics_expand import DEFAULT_ICS_LIMITS, READ_ERRORS, IcsLimits, describe, expand

UID_SUFFIX = "@csm-blocker"
KEY_PROP = "X-CSM-BLOCKER-KEY"
HASH_PROP = "X-CSM-BLOCKER-HASH"
COLOR_PROP = "X-CSM-BLOCKER-COLOR"
TZID_PROP = "X-CSM-BLOCKER-TZID"
"""Time zone of an all-day block, so its DATE values read back as the same instants."""
PRODID = "-//csm-blocker//csm-blocker//EN"

_CSS3_TABLE = (
    "aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff "
    "beige f5f5dc bisque ffe4c4 black 000000 blanchedalmond ffebcd blue 0000ff "
    "blueviolet 8a2be2 brown a52a2a burlywood deb887 cadetblue 5f9ea0 chartreuse 7fff00 "
    "chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc crimson dc143c "
    "cyan 00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9 "
    "darkgreen 006400 darkgrey a9a9a9 darkkhaki bdb76b darkmagenta 8b008b "
    "darkolivegreen 556b2f darkorange ff8c00 darkorchid 9932cc darkred 8b0000 "
    "darksalmon e9967a darkseagreen 8fbc8f darkslateblue 483d8b darkslategray 2f4f4f "
    "darkslategrey 2f4f4f darkturquoise 00ced1 darkviolet 9400d3 deeppink ff1493 "
    "deepskyblue 00bfff dimgray 696969 dimgrey 696969 dodgerblue 1e90ff firebrick b22222 "
    "floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc "
    "ghostwhite f8f8ff gold ffd700 goldenrod daa520 gray 808080 green 008000 "
    "greenyellow adff2f grey 808080 honeydew f0fff0 hotpink ff69b4 indianred cd5c5c "
    "indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa lavenderblush fff0f5 "
    "lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080 "
    "lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90 "
    "lightgrey d3d3d3 lightpink ffb6c1 lightsalmon ffa07a lightseagreen 20b2aa "
    "lightskyblue 87cefa lightslategray 778899 lightslategrey 778899 "
    "lightsteelblue b0c4de lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 "
    "magenta ff00ff maroon 800000 mediumaquamarine 66cdaa mediumblue 0000cd "
    "mediumorchid ba55d3 mediumpurple 9370db mediumseagreen 3cb371 "
    "mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc "
    "mediumvioletred c71585 midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 "
    "moccasin ffe4b5 navajowhite ffdead navy 000080 oldlace fdf5e6 olive 808000 "
    "olivedrab 6b8e23 orange ffa500 orangered ff4500 orchid da70d6 palegoldenrod eee8aa "
    "palegreen 98fb98 paleturquoise afeeee palevioletred db7093 papayawhip ffefd5 "
    "peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd powderblue b0e0e6 "
    "purple 800080 red ff0000 rosybrown bc8f8f royalblue 4169e1 saddlebrown 8b4513 "
    "salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee sienna a0522d "
    "silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090 "
    "snow fffafa springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080 "
    "thistle d8bfd8 tomato ff6347 turquoise 40e0d0 violet ee82ee wheat f5deb3 "
    "white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32"
)
_CSS3 = _CSS3_TABLE.split()
CSS3_COLORS: dict[str, tuple[int, int, int]] = {
    name: (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
    for name, value in zip(_CSS3[0::2], _CSS3[1::2], strict=True)
}
"""The 147 CSS3 colour names RFC 7986 ``COLOR`` takes."""

_PARTSTAT: dict[str, Response] = {
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
    "NEEDS-ACTION": "needs_action",
    "DELEGATED": "declined",
}


def normalize_hex(color: str) -> str:
    """``#ABC`` / ``abc`` / ``#aabbcc`` -> ``#aabbcc``; ValueError for anything else."""
    value = color.strip().lstrip("#").lower()
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a hex colour: {color!r}")
    return f"#{value}"


def nearest_css_color(color: str) -> str:
    """The CSS3 colour name closest (RGB distance) to a hex colour, for ``COLOR``."""
    value = normalize_hex(color)
    rgb = (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    return min(
        CSS3_COLORS,
        key=lambda name: sum((a - b) ** 2 for a, b in zip(CSS3_COLORS[name], rgb, strict=True)),
    )


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


# -- rendering our blocks ---------------------------------------------------------


def render_vevent(draft: EventDraft, *, sequence: int = 0) -> str:
    """One of our blocks as VEVENT text (CRLF lines, folded), the same for the same input."""
    event = icalendar.Event()
    event.add("UID", f"{draft.event_id}{UID_SUFFIX}")
    start_utc = draft.start.astimezone(UTC)
    if draft.all_day:
        start_day, end_day = draft.start.date(), draft.end.date()
        if end_day <= start_day:
            end_day = start_day + timedelta(days=1)
        event.add("DTSTAMP", datetime.combine(start_day, time(0), tzinfo=UTC))
        event.add("DTSTART", start_day)
        event.add("DTEND", end_day)
    else:
        event.add("DTSTAMP", start_utc)
        event.add("DTSTART", start_utc)
        event.add("DTEND", draft.end.astimezone(UTC))
    event.add("SEQUENCE", sequence)
    event.add("SUMMARY", draft.title)
    if draft.description:
        event.add("DESCRIPTION", draft.description)
    event.add("TRANSP", "TRANSPARENT" if draft.show_as == "free" else "OPAQUE")
    if draft.private:
        event.add("CLASS", "PRIVATE")
    hex_color = normalize_hex(draft.color)
    event.add("COLOR", nearest_css_color(hex_color))
    event.add(COLOR_PROP, hex_color)
    event.add(KEY_PROP, draft.key)
    event.add(HASH_PROP, draft.tag.stored_hash)
    zone = getattr(draft.start.tzinfo, "key", None)
    if draft.all_day and isinstance(zone, str):
        event.add(TZID_PROP, zone)
    return str(event.to_ical().decode())


def etag_of(text: str) -> str:
    """Short hash of a component's text: changes whenever anything in it changes."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def calendar_text(header: Sequence[str], components: Iterable[str]) -> str:
    """A VCALENDAR from header lines (without BEGIN/END) and component texts."""
    parts = ["BEGIN:VCALENDAR\r\n", *(f"{line}\r\n" for line in header), *components]
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def default_header(name: str, timezone: str | None = None) -> list[str]:
    lines = ["VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append(_folded_text_line("X-WR-CALNAME", name))
    if timezone:
        lines.append(_folded_text_line("X-WR-TIMEZONE", timezone))
    return lines


def plan_to_ics(plan: Plan, calendar_id: str) -> bytes:
    """The plan's blocks as an importable calendar (``blocker plan --format ics``)."""
    header = default_header(f"csm-blocker {plan.week}", plan.timezone)
    events = (render_vevent(EventDraft.from_block(b, calendar_id)) for b in plan.blocks)
    return calendar_text(header, events).encode()


# -- reading ----------------------------------------------------------------------


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


def _folded_text_line(name: str, value: str) -> str:
    """A single property line as icalendar would write it (escaped, folded), no CRLF."""
    prop = icalendar.Event()
    prop.add(name, value)
    lines = prop.to_ical().decode().split("\r\n")
    body = [line for line in lines if line and not line.startswith(("BEGIN:", "END:"))]
    return "\r\n".join(body)


__all__ = [
    "COLOR_PROP",
    "CSS3_COLORS",
    "HASH_PROP",
    "KEY_PROP",
    "UID_SUFFIX",
    "IcsLimits",
    "Owner",
    "calendar_text",
    "default_header",
    "etag_of",
    "foreign_events",
    "is_owned",
    "nearest_css_color",
    "normalize_hex",
    "owned_event",
    "parse_calendar",
    "plan_to_ics",
    "read_busy",
    "render_vevent",
]
