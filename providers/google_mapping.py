"""Google event resources <-> the product's value objects (pure, no I/O).

Writing: quiet, tagged, coloured blocks. Reading: foreign events reduced to what
the planner and the report need (times, flags, owner's response, email domains
only: full addresses never leave this module).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from blocker.core.keys import OwnershipTag
from blocker.core.models import EventDraft, RemoteEvent, Response, TentativeAs

KEY_PROPERTY = "csmBlockerKey"
HASH_PROPERTY = "csmBlockerHash"

EVENT_PALETTE: dict[str, str] = {
    "1": "#a4bdfc", "2": "#7ae7bf", "3": "#dbadff", "4": "#ff887c", "5": "#fbd75b",
    "6": "#ffb878", "7": "#46d6db", "8": "#e1e1e1", "9": "#5484ed", "10": "#51b749",
    "11": "#dc2127",
}  # fmt: skip
"""Google's fixed event colours (``colors.get`` -> ``event``)."""

_RESPONSES: dict[str, Response] = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentative",
    "needsAction": "needs_action",
}
_NOT_BUSY_TYPES = frozenset({"workingLocation", "birthday", "fromGmail"})
_BUSY_TYPES = frozenset({"outOfOffice"})
"""Always busy, whatever ``transparency`` says (out of office takes the whole span)."""


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def nearest_color_id(color: str, palette: dict[str, str] | None = None) -> str:
    """The palette entry nearest to ``color`` (squared RGB distance); "9" if unparsable."""
    colors = palette or EVENT_PALETTE
    try:
        target = _rgb(color)
    except ValueError:
        return "9"

    def distance(item: tuple[str, str]) -> int:
        rgb = _rgb(item[1])
        return sum((a - b) ** 2 for a, b in zip(rgb, target, strict=True))

    return min(colors.items(), key=distance)[0]


def _when(moment: datetime, all_day: bool, end: bool = False) -> dict[str, str]:
    if all_day:
        day = moment.date()
        if end and moment.timetz().replace(tzinfo=None) != time():
            day += timedelta(days=1)
        return {"date": day.isoformat()}
    out = {"dateTime": moment.isoformat()}
    if isinstance(moment.tzinfo, ZoneInfo):
        out["timeZone"] = moment.tzinfo.key
    return out


def draft_body(draft: EventDraft, *, focus: bool, for_patch: bool = False) -> dict[str, Any]:
    """The event resource for one block: opaque unless free, tagged, no guests, no pop-ups."""
    body: dict[str, Any] = {
        "summary": draft.title,
        "description": draft.description,
        "start": _when(draft.start, draft.all_day),
        "end": _when(draft.end, draft.all_day, end=True),
        "transparency": "transparent" if draft.show_as == "free" else "opaque",
        "colorId": nearest_color_id(draft.color),
        "visibility": "private" if draft.private else "default",
        "reminders": {"useDefault": False},
        "guestsCanInviteOthers": False,
        "extendedProperties": {
            "private": {KEY_PROPERTY: draft.key, HASH_PROPERTY: draft.tag.stored_hash}
        },
    }
    if not for_patch:
        body["id"] = draft.event_id
        body["attendees"] = []
        if focus:
            body["eventType"] = "focusTime"
            body["transparency"] = "opaque"
            body["focusTimeProperties"] = {
                "autoDeclineMode": "declineOnlyNewConflictingInvitations",
                "chatStatus": "doNotDisturb",
            }
    return body


def _parse_when(part: dict[str, Any], zone: ZoneInfo) -> tuple[datetime, bool]:
    if "dateTime" in part:
        moment = datetime.fromisoformat(str(part["dateTime"]))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(str(part.get("timeZone") or zone.key)))
        return moment, False
    day = date.fromisoformat(str(part["date"]))
    return datetime.combine(day, time(), zone), True


def _domain(email: object) -> str | None:
    text = str(email or "").strip().lower()
    if "@" not in text:
        return None
    return text.rsplit("@", 1)[1] or None


def _tag(resource: dict[str, Any]) -> OwnershipTag | None:
    private = (resource.get("extendedProperties") or {}).get("private") or {}
    key, digest = private.get(KEY_PROPERTY), private.get(HASH_PROPERTY)
    if not key or not digest:
        return None
    return OwnershipTag.parse(str(key), str(digest))


def _response(resource: dict[str, Any]) -> Response:
    """The owner's answer: the attendee marked ``self`` (never a colleague's line)."""
    attendees = resource.get("attendees") or []
    for attendee in attendees:
        if attendee.get("self"):
            if attendee.get("organizer"):
                return "organizer"
            return _RESPONSES.get(str(attendee.get("responseStatus")), "needs_action")
    if attendees and (resource.get("organizer") or {}).get("self"):
        return "organizer"
    return "none"


def _transparent(resource: dict[str, Any], response: Response, tentative: TentativeAs) -> bool:
    """Shown as free: ``transparency: transparent`` (the API omits it when opaque, its
    default, all-day events included; the UI sets it on all-day notes), a type that
    never takes time, or a tentative answer read as free. Out of office is busy."""
    event_type = str(resource.get("eventType") or "default")
    if event_type in _BUSY_TYPES:
        return False
    if resource.get("transparency") == "transparent" or event_type in _NOT_BUSY_TYPES:
        return True
    return response == "tentative" and tentative == "free"


def remote_event(
    resource: dict[str, Any], zone: ZoneInfo, *, tentative: TentativeAs = "busy"
) -> RemoteEvent:
    """A Google event as the diff and planner see it (``zone`` places all-day dates;
    ``tentative`` is how the owner's tentative answer counts)."""
    start, all_day = _parse_when(resource["start"], zone)
    end, _ = _parse_when(resource["end"], zone)
    attendees = resource.get("attendees") or []
    domains = sorted(
        {
            d
            for a in attendees
            if not a.get("self") and not a.get("resource")
            for d in [_domain(a.get("email"))]
            if d is not None
        }
    )
    response = _response(resource)
    color_id = resource.get("colorId")
    return RemoteEvent(
        event_id=str(resource["id"]),
        start=start,
        end=max(end, start),
        title=str(resource.get("summary") or ""),
        etag=resource.get("etag"),
        tag=_tag(resource),
        all_day=all_day,
        transparent=_transparent(resource, response, tentative),
        cancelled=resource.get("status") == "cancelled",
        response=response,
        attendee_domains=tuple(domains),
        organizer_domain=_domain((resource.get("organizer") or {}).get("email")),
        color=EVENT_PALETTE.get(str(color_id)) if color_id is not None else None,
    )


__all__ = [
    "EVENT_PALETTE",
    "HASH_PROPERTY",
    "KEY_PROPERTY",
    "draft_body",
    "nearest_color_id",
    "remote_event",
]
