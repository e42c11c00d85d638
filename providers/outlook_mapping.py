"""Graph event JSON <-> the product's value objects, and rule colours -> Outlook presets.

Pure functions only, so the wire format is tested without a server. Privacy rule
of the product: attendee and organizer addresses are reduced to lowercase domains
here, at the boundary; full addresses never reach the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from blocker.core.keys import TAG_NAMESPACE, OwnershipTag
from blocker.core.models import EventDraft, RemoteEvent, Response, TentativeAs

PROPERTY_ID = "String {0c62d3b6-3b98-4b27-bf84-72f246ab232f} Name csmBlockerTag"
"""Our one single-value extended property: holds ``csm-blocker:v1:<hash>:<key>``."""

EXPAND = f"singleValueExtendedProperties($filter=id eq '{PROPERTY_ID}')"

CATEGORY_PREFIX = "csm-blocker"

# Outlook's category presets, approximately as Outlook on the web paints them.
PRESETS: dict[str, tuple[str, str]] = {
    "preset0": ("Red", "#E74856"),
    "preset1": ("Orange", "#FF8C00"),
    "preset2": ("Brown", "#AB7B48"),
    "preset3": ("Yellow", "#FFF100"),
    "preset4": ("Green", "#47D041"),
    "preset5": ("Teal", "#30C6CC"),
    "preset6": ("Olive", "#73AA24"),
    "preset7": ("Blue", "#00BCF2"),
    "preset8": ("Purple", "#8764B8"),
    "preset9": ("Cranberry", "#F495BF"),
    "preset10": ("Steel", "#A0AEB2"),
    "preset11": ("DarkSteel", "#004B60"),
    "preset12": ("Gray", "#B1ADAB"),
    "preset13": ("DarkGray", "#5D5A58"),
    "preset14": ("Black", "#000000"),
    "preset15": ("DarkRed", "#750B1C"),
    "preset16": ("DarkOrange", "#CA5010"),
    "preset17": ("DarkBrown", "#603D30"),
    "preset18": ("DarkYellow", "#C19C00"),
    "preset19": ("DarkGreen", "#0B6A0B"),
    "preset20": ("DarkTeal", "#038387"),
    "preset21": ("DarkOlive", "#386304"),
    "preset22": ("DarkBlue", "#004E8C"),
    "preset23": ("DarkPurple", "#5C2E91"),
    "preset24": ("DarkCranberry", "#960B3C"),
}

_RESPONSES: dict[str, Response] = {
    "organizer": "organizer",
    "accepted": "accepted",
    "tentativelyaccepted": "tentative",
    "declined": "declined",
    "notresponded": "needs_action",
}

# showAs values that leave the owner available; ``busy``, ``oof`` and ``unknown`` block,
# ``tentative`` as the rules' ``owner.tentative`` says (busy by default).
_TRANSPARENT = frozenset({"free", "workingelsewhere"})


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        raise ValueError(f"not a #RRGGBB colour: {color!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def nearest_preset(color: str) -> str:
    """The ``presetN`` closest to ``color`` (a named preset like ``preset7`` passes through).

    Distance is the "redmean" weighted RGB metric: plain RGB distance sends Google's
    blue (#4285F4) to teal, this one to blue, at no cost in dependencies.
    """
    if color in PRESETS:
        return color
    tr, tg, tb = _rgb(color)

    def distance(item: tuple[str, tuple[str, str]]) -> float:
        r, g, b = _rgb(item[1][1])
        mean = (r + tr) / 2
        return (
            (2 + mean / 256) * (r - tr) ** 2
            + 4 * (g - tg) ** 2
            + (2 + (255 - mean) / 256) * (b - tb) ** 2
        )

    return min(PRESETS.items(), key=distance)[0]


def category_for(color: str) -> tuple[str, str]:
    """(category display name, preset) used for blocks of ``color``."""
    preset = nearest_preset(color)
    return f"{CATEGORY_PREFIX} {PRESETS[preset][0]}", preset


def tag_value(tag: OwnershipTag) -> str:
    """``csm-blocker:v<version>:<hash>:<key>`` (the key may itself contain colons)."""
    return f"{TAG_NAMESPACE}:v{tag.version}:{tag.content_hash}:{tag.key}"


def parse_tag(value: str) -> OwnershipTag | None:
    parts = value.split(":", 3)
    if len(parts) != 4 or parts[0] != TAG_NAMESPACE:
        return None
    version = parts[1].removeprefix("v")
    if not parts[1].startswith("v") or not version.isdigit():
        return None
    return OwnershipTag(key=parts[3], content_hash=parts[2], version=int(version))


def graph_time(value: datetime) -> dict[str, str]:
    """Aware datetime -> Graph dateTimeTimeZone, always in UTC (no Windows zone names)."""
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _all_day_time(value: datetime) -> dict[str, str]:
    """All-day events are floating dates: midnight of the local date, stated as UTC."""
    return {"dateTime": f"{value.date().isoformat()}T00:00:00", "timeZone": "UTC"}


def parse_graph_time(value: Mapping[str, Any], *, all_day: bool, zone: tzinfo) -> datetime:
    raw = str(value["dateTime"])
    if "." in raw:
        head, frac = raw.split(".", 1)
        raw = f"{head}.{frac[:6]}"
    naive = datetime.fromisoformat(raw).replace(tzinfo=None)
    if all_day:
        return datetime.combine(naive.date(), time(0), tzinfo=zone)
    name = str(value.get("timeZone") or "UTC")
    source: tzinfo = UTC if name.upper() in {"UTC", "Z", "ETC/UTC"} else ZoneInfo(name)
    return naive.replace(tzinfo=source).astimezone(UTC)


def draft_body(draft: EventDraft, category: str | None) -> dict[str, Any]:
    """The JSON for POST/PATCH of one block: quiet, no attendees, tagged as ours."""
    timing = _all_day_time if draft.all_day else graph_time
    body: dict[str, Any] = {
        "subject": draft.title,
        "body": {"contentType": "text", "content": draft.description},
        "start": timing(draft.start),
        "end": timing(draft.end),
        "isAllDay": draft.all_day,
        "showAs": draft.show_as,
        "isReminderOn": False,
        "responseRequested": False,
        "allowNewTimeProposals": False,
        "attendees": [],
        "sensitivity": "private" if draft.private else "normal",
        "categories": [category] if category else [],
        "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": tag_value(draft.tag)}],
    }
    return body


def _domain(address: Any) -> str | None:
    text = str(address or "").strip().lower()
    if "@" not in text:
        return None
    return text.rsplit("@", 1)[1] or None


def _response(item: Mapping[str, Any]) -> Response:
    """The owner's answer: the event's own ``responseStatus`` (the mailbox owner's)."""
    raw = str((item.get("responseStatus") or {}).get("response", "none")).lower()
    if raw in _RESPONSES:
        return _RESPONSES[raw]
    if item.get("isOrganizer") is False and item.get("attendees"):
        return "needs_action"
    return "none"


def find_tag(item: Mapping[str, Any]) -> OwnershipTag | None:
    for prop in item.get("singleValueExtendedProperties") or []:
        if str(prop.get("id", "")).lower() == PROPERTY_ID.lower():
            return parse_tag(str(prop.get("value", "")))
    return None


def _transparent(item: Mapping[str, Any], response: Response, tentative: TentativeAs) -> bool:
    """Shown as free: ``showAs`` free/workingElsewhere, all-day (``isAllDay``) or not;
    a tentative hold (``showAs: tentative`` or the owner's tentative answer) only when
    ``tentative`` is ``free``."""
    show_as = str(item.get("showAs") or "busy").lower()
    if show_as in _TRANSPARENT:
        return True
    held = show_as == "tentative" or response == "tentative"
    return held and tentative == "free"


def event_from_graph(
    item: Mapping[str, Any],
    *,
    zone: tzinfo = UTC,
    categories: Mapping[str, str] | None = None,
    tentative: TentativeAs = "busy",
) -> RemoteEvent:
    """One Graph event -> RemoteEvent; ``categories`` maps category name -> preset,
    ``tentative`` is how a tentative hold counts (rules ``owner.tentative``)."""
    all_day = bool(item.get("isAllDay"))
    attendees = [(a.get("emailAddress") or {}).get("address") for a in item.get("attendees") or []]
    domains = sorted({d for d in (_domain(a) for a in attendees) if d})
    organizer = _domain(((item.get("organizer") or {}).get("emailAddress") or {}).get("address"))
    color = None
    for name in item.get("categories") or []:
        preset = (categories or {}).get(str(name))
        if preset in PRESETS:
            color = PRESETS[preset][1]
            break
    response = _response(item)
    return RemoteEvent(
        event_id=str(item["id"]),
        start=parse_graph_time(item["start"], all_day=all_day, zone=zone),
        end=parse_graph_time(item["end"], all_day=all_day, zone=zone),
        title=str(item.get("subject") or ""),
        etag=item.get("@odata.etag"),
        tag=find_tag(item),
        all_day=all_day,
        transparent=_transparent(item, response, tentative),
        cancelled=bool(item.get("isCancelled")),
        response=response,
        attendee_domains=tuple(domains),
        organizer_domain=organizer,
        color=color,
    )


__all__ = [
    "EXPAND",
    "PRESETS",
    "PROPERTY_ID",
    "category_for",
    "draft_body",
    "event_from_graph",
    "find_tag",
    "graph_time",
    "nearest_preset",
    "parse_tag",
    "tag_value",
]
