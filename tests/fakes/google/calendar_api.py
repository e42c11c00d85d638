"""Calendar v3 resources in memory: events, sync tokens, channels, calendars, colours.

Behaviour follows the public API reference where our client depends on it:
client-chosen base32hex ids (409 on reuse, even of a deleted event), etags and
``If-Match`` (412), deleted events kept as ``status: cancelled`` (410 on a second
delete), ``nextSyncToken`` only on the last page, 410 for a stale sync token,
and the parameters that cannot be combined with ``syncToken``. Recurring series,
their instances and exceptions live in ``tests.fakes.google.recurrence``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.google import recurrence
from tests.fakes.google.errors import Reply, empty_reply, error_reply, json_reply
from tests.fakes.google.labels import LabelRegistry
from tests.support.clock import ticking_clock

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
EVENT_COLORS = {
    "1": "#a4bdfc", "2": "#7ae7bf", "3": "#dbadff", "4": "#ff887c", "5": "#fbd75b",
    "6": "#ffb878", "7": "#46d6db", "8": "#e1e1e1", "9": "#5484ed", "10": "#51b749",
    "11": "#dc2127",
}  # fmt: skip


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _unb64(token: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeCalendar:
    id: str
    summary: str
    time_zone: str = "UTC"
    primary: bool = False
    access_role: str = "owner"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)


@dataclass
class FakeChannel:
    id: str
    resource_id: str
    calendar_id: str
    address: str
    token: str | None
    expiration_ms: int
    stopped: bool = False


class CalendarApi:
    """The resource logic, independent of HTTP framing (shared by plain and batch requests)."""

    def __init__(self, owner: str = "owner@example.com", time_zone: str = "UTC") -> None:
        self.owner = owner
        self.seq = 0
        self.min_sync_seq = 0
        self.refuse_focus_time = False
        self.calendars: dict[str, FakeCalendar] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.labels = LabelRegistry()
        primary = FakeCalendar(owner, owner, time_zone, primary=True)
        self.calendars["primary"] = primary
        self.calendars[owner] = primary

    # -- helpers ---------------------------------------------------------------

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def expire_sync_tokens(self) -> None:
        """Make every sync token issued so far stale, and only those.

        Tokens carry the change sequence they were issued at, so the expiry takes a
        sequence number of its own: older tokens fall below it, while a token issued
        after it (even with no change since) carries it and stays valid.
        """
        self.min_sync_seq = self._next_seq()

    def _now(self) -> str:
        return _rfc3339(ticking_clock())

    def _bounds(self, cal: FakeCalendar, ev: dict[str, Any]) -> tuple[datetime, datetime]:
        def one(part: dict[str, Any]) -> datetime:
            if "dateTime" in part:
                return datetime.fromisoformat(part["dateTime"])
            return datetime.combine(
                date.fromisoformat(part["date"]), time(), ZoneInfo(cal.time_zone)
            )

        return one(ev["start"]), one(ev["end"])

    def store(self, cal: FakeCalendar, ev: dict[str, Any]) -> dict[str, Any]:
        """Save ``ev`` as a new revision: new etag, ``updated`` and change sequence."""
        seq = self._next_seq()
        ev["etag"] = f'"{3000000000000000 + seq}"'
        ev["updated"] = self._now()
        if not ev.get("eventLabelId"):
            ev.pop("eventLabelId", None)  # "" removes the label (see labels.py)
        cal.events[ev["id"]] = ev
        cal.seqs[ev["id"]] = seq
        return ev

    def new_event(self, cal: FakeCalendar, body: dict[str, Any]) -> dict[str, Any]:
        ev = copy.deepcopy(body)
        ev.setdefault("id", uuid.uuid4().hex.translate(str.maketrans("wxyz", "0123")))
        ev.update(
            kind="calendar#event",
            status=ev.get("status", "confirmed"),
            created=self._now(),
            htmlLink=f"https://calendar.example/event?eid={ev['id']}",
            iCalUID=f"{ev['id']}@google.com",
            sequence=0,
            creator=ev.get("creator", {"email": self.owner, "self": True}),
            organizer=ev.get("organizer", {"email": self.owner, "self": True}),
            eventType=ev.get("eventType", "default"),
            reminders=ev.get("reminders", {"useDefault": True}),
        )
        return ev

    def calendar(self, calendar_id: str) -> FakeCalendar | None:
        return self.calendars.get(calendar_id)

    # -- events ------------------------------------------------------------------

    def list_events(self, cal: FakeCalendar, q: dict[str, list[str]]) -> Reply:
        one = {k: v[0] for k, v in q.items()}
        page = _unb64(one["pageToken"]) if "pageToken" in one else {}
        if page is None:
            return error_reply(400, "invalid", "Invalid page token value.")
        as_of = int(page.get("asOf", self.seq))
        sync_token = one.get("syncToken")
        single = one.get("singleEvents") == "true"
        if sync_token is not None:
            clash = [name for name in NOT_WITH_SYNC_TOKEN if name in one]
            if clash:
                return error_reply(400, "invalid", f"Invalid combination: syncToken and {clash}")
            decoded = _unb64(sync_token)
            if decoded is None or decoded.get("cal") != cal.id:
                return error_reply(400, "invalid", "Invalid sync token value.")
            since = int(decoded["seq"])
            if since < self.min_sync_seq:
                return error_reply(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                )
            items = [
                item
                for i, e in cal.events.items()
                if since < cal.seqs[i] <= as_of
                for item in recurrence.changed(cal, e, single=single)
            ]
        else:
            if one.get("orderBy") == "startTime" and not single:
                return error_reply(400, "invalid", "The requested ordering is not available.")
            show_deleted = one.get("showDeleted") == "true"
            lo = datetime.fromisoformat(one["timeMin"]) if "timeMin" in one else None
            hi = datetime.fromisoformat(one["timeMax"]) if "timeMax" in one else None
            wanted = [p.split("=", 1) for p in q.get("privateExtendedProperty", [])]
            items = []
            for ev_id, stored in cal.events.items():
                if cal.seqs[ev_id] > as_of:
                    continue
                for ev in recurrence.listed(cal, stored, single=single, lo=lo, hi=hi):
                    if ev["status"] == "cancelled" and not (
                        show_deleted or recurrence.cancelled_shown(ev, single=single)
                    ):
                        continue
                    start, end = self._bounds(cal, ev)
                    outside = (lo is not None and end <= lo) or (hi is not None and start >= hi)
                    if outside and not recurrence.is_series(ev):
                        continue
                    private = ev.get("extendedProperties", {}).get("private", {})
                    if any(private.get(k) != v for k, v in wanted):
                        continue
                    items.append(ev)
        if one.get("orderBy") == "startTime":
            items.sort(key=lambda e: self._bounds(cal, e)[0])
        else:  # change order; unmodified instances share their series' place, in time order
            items.sort(key=lambda e: (self._seq(cal, e), self._bounds(cal, e)[0]))
        items = [self.visible(e) for e in items]
        size = min(int(one.get("maxResults", "250")), 2500)
        offset = int(page.get("offset", 0))
        chunk = items[offset : offset + size]
        payload: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"p{as_of}"',
            "summary": cal.summary,
            "updated": self._now(),
            "timeZone": cal.time_zone,
            "accessRole": cal.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": chunk,
        }
        if offset + size < len(items):
            payload["nextPageToken"] = _b64({"offset": offset + size, "asOf": as_of})
        elif not any(name in one for name in ("privateExtendedProperty", "q", "iCalUID")):
            payload["nextSyncToken"] = _b64({"cal": cal.id, "seq": as_of})
        return json_reply(200, payload)

    @staticmethod
    def _seq(cal: FakeCalendar, ev: dict[str, Any]) -> int:
        if ev["id"] in cal.seqs:
            return cal.seqs[ev["id"]]
        return cal.seqs.get(str(ev.get("recurringEventId")), 0)

    @staticmethod
    def visible(ev: dict[str, Any]) -> dict[str, Any]:
        """What the API shows: deleted events shrink to their id and status."""
        if ev["status"] == "cancelled":
            keep = ("kind", "etag", "id", "status", "updated", "recurringEventId",
                    "originalStartTime")  # fmt: skip
            return {k: ev[k] for k in keep if k in ev}
        return ev

    def get_event(self, cal: FakeCalendar, event_id: str) -> Reply:
        ev = cal.events.get(event_id) or recurrence.virtual(cal, event_id)
        if ev is None:
            return error_reply(404, "notFound", "Not Found")
        return json_reply(200, ev)

    def insert_event(self, cal: FakeCalendar, body: dict[str, Any]) -> Reply:
        if "id" in body and not EVENT_ID.match(str(body["id"])):
            return error_reply(400, "invalid", "Invalid resource id value.")
        if "id" in body and body["id"] in cal.events:
            return error_reply(409, "duplicate", "The requested identifier already exists.")
        if "start" not in body or "end" not in body:
            return error_reply(400, "required", "Missing end time.")
        # https://developers.google.com/calendar/api/guides/calendar-status: focus time is
        # a timed event on the user's primary calendar; an all-day one is refused too.
        refused = recurrence.check_series(body)
        if refused is not None:
            return refused
        if body.get("eventType") == "focusTime" and "date" in body.get("start", {}):
            return error_reply(400, "invalid", "Focus time events cannot be all-day events.")
        if body.get("eventType") == "focusTime" and (self.refuse_focus_time or not cal.primary):
            return error_reply(
                400, "invalid", "Focus time events cannot be created on this calendar."
            )
        ev = self.new_event(cal, body)
        start, end = self._bounds(cal, ev)
        if end < start:
            return error_reply(400, "timeRangeEmpty", "The specified time range is empty.")
        return json_reply(200, self.store(cal, ev))

    def patch_event(
        self, cal: FakeCalendar, event_id: str, body: dict[str, Any], if_match: str | None
    ) -> Reply:
        ev = cal.events.get(event_id) or recurrence.virtual(cal, event_id)
        if ev is None:
            return error_reply(404, "notFound", "Not Found")
        if if_match is not None and if_match != ev["etag"]:
            return error_reply(412, "conditionNotMet", "Precondition Failed")
        if "eventType" in body and body["eventType"] != ev.get("eventType", "default"):
            return error_reply(400, "eventTypeRestriction", "The event type cannot be changed.")
        merged = _merge(copy.deepcopy(ev), body)
        merged["sequence"] = ev.get("sequence", 0) + 1
        return json_reply(200, self.store(cal, merged))

    def delete_event(self, cal: FakeCalendar, event_id: str, if_match: str | None) -> Reply:
        ev = cal.events.get(event_id) or recurrence.virtual(cal, event_id)
        if ev is None:
            return error_reply(404, "notFound", "Not Found")
        if ev["status"] == "cancelled":
            return error_reply(410, "deleted", "Resource has been deleted")
        if if_match is not None and if_match != ev["etag"]:
            return error_reply(412, "conditionNotMet", "Precondition Failed")
        ev = copy.deepcopy(ev)
        ev["status"] = "cancelled"
        self.store(cal, ev)
        return empty_reply(204)

    # -- push channels ------------------------------------------------------------

    def watch(self, cal: FakeCalendar, body: dict[str, Any]) -> Reply:
        if body.get("type") not in ("web_hook", "webhook") or not body.get("address"):
            return error_reply(400, "invalid", "Invalid channel type or address.")
        if not str(body["address"]).startswith("https://"):
            return error_reply(400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS.")
        if body.get("id") in self.channels:
            return error_reply(400, "channelIdNotUnique", "Channel id not unique.")
        ttl = int(body.get("params", {}).get("ttl", 604800))
        expiration = ticking_clock() + timedelta(seconds=min(ttl, 2592000))
        channel = FakeChannel(
            id=str(body["id"]),
            resource_id=f"res-{cal.id}-{uuid.uuid4().hex[:8]}",
            calendar_id=cal.id,
            address=str(body["address"]),
            token=body.get("token"),
            expiration_ms=int(expiration.timestamp() * 1000),
        )
        self.channels[channel.id] = channel
        payload = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{cal.id}/events",
            "expiration": str(channel.expiration_ms),
        }
        if channel.token is not None:
            payload["token"] = channel.token
        return json_reply(200, payload)

    def stop(self, body: dict[str, Any]) -> Reply:
        channel = self.channels.get(str(body.get("id")))
        if channel is None or channel.resource_id != body.get("resourceId") or channel.stopped:
            return error_reply(404, "notFound", "Channel not found.")
        channel.stopped = True
        return empty_reply(204)

    # -- calendars and colours ------------------------------------------------------

    def insert_calendar(self, body: dict[str, Any]) -> Reply:
        if not body.get("summary"):
            return error_reply(400, "required", "Missing title.")
        cal_id = f"{uuid.uuid4().hex}@group.calendar.google.com"
        cal = FakeCalendar(cal_id, str(body["summary"]), str(body.get("timeZone", "UTC")))
        self.calendars[cal_id] = cal
        return json_reply(200, self.calendar_resource(cal))

    def calendar_resource(self, cal: FakeCalendar) -> dict[str, Any]:
        resource = {
            "kind": "calendar#calendar",
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
        }
        resource.update(self.labels.view(cal.id))  # etag and labelProperties
        return resource

    def calendar_list(self) -> Reply:
        seen: dict[str, FakeCalendar] = {c.id: c for c in self.calendars.values()}
        # a CalendarListEntry has no labelProperties (discovery document)
        items = [
            dict(self.calendar_resource(c), kind="calendar#calendarListEntry",
                 accessRole=c.access_role, primary=c.primary)
            for c in seen.values()
        ]  # fmt: skip
        for item in items:
            item.pop("labelProperties", None)
        return json_reply(200, {"kind": "calendar#calendarList", "items": items})

    def colors(self) -> Reply:
        event = {k: {"background": v, "foreground": "#1d1d1d"} for k, v in EVENT_COLORS.items()}
        return json_reply(
            200,
            {"kind": "calendar#colors", "updated": self._now(), "calendar": {}, "event": event},
        )


def _merge(target: dict[str, Any], patch: dict[str, Any], deep: bool = False) -> dict[str, Any]:
    """PATCH semantics: extended properties merge key by key, everything else replaces."""
    for key, value in patch.items():
        if (
            (deep or key == "extendedProperties")
            and isinstance(value, dict)
            and isinstance(target.get(key), dict)
        ):
            _merge(target[key], value, deep=True)
        else:
            target[key] = copy.deepcopy(value)
    return target
