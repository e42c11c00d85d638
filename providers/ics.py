"""iCalendar helpers: our blocks as VEVENTs, foreign VEVENTs as events and busy times.

Shared by the local .ics provider, ``blocker plan --busy FILE.ics`` and
``plan --format ics``. This module renders our blocks: deterministically (times in
UTC, DTSTAMP derived from DTSTART, no "now"), so the same block always gives the
same bytes, with the ownership tag of :mod:`providers.ics_format`. Reading is
:mod:`providers.ics_read`; its names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

import icalendar

from blocker.core.models import EventDraft, Plan
from providers.ics_expand import IcsLimits
from providers.ics_format import COLOR_PROP, HASH_PROP, KEY_PROP, TZID_PROP, UID_SUFFIX, etag_of
from providers.ics_read import (
    Owner,
    foreign_events,
    is_owned,
    owned_event,
    parse_calendar,
    read_busy,
)

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
    return _nearest_css_color(normalize_hex(color))


@lru_cache(maxsize=256)
def _nearest_css_color(value: str) -> str:
    """Cached: a week's blocks use a handful of colours, and the search over the 147
    names cost a millisecond per block written to a local calendar."""
    rgb = (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    return min(
        CSS3_COLORS,
        key=lambda name: sum((a - b) ** 2 for a, b in zip(CSS3_COLORS[name], rgb, strict=True)),
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
