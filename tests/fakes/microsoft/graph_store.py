"""The mailbox behind the Graph fake: events, change sequence, categories, subscriptions.

Kept separate from HTTP routing so tests can seed foreign meetings and play the user
(move, retitle, delete an event) directly.
"""

from __future__ import annotations

import base64
import copy
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

OWNER = "csm@example.com"


def new_id() -> str:
    return "AAMkAG" + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode()


def parse_graph_time(value: dict[str, Any]) -> datetime:
    """Graph's ``{"dateTime": ..., "timeZone": ...}`` -> aware UTC datetime."""
    raw = str(value["dateTime"])
    if "." in raw:
        head, frac = raw.split(".", 1)
        raw = f"{head}.{frac[:6]}"
    naive = datetime.fromisoformat(raw).replace(tzinfo=None)
    zone = str(value.get("timeZone") or "UTC")
    tz = UTC if zone.upper() in {"UTC", "Z"} else ZoneInfo(zone)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def graph_time(value: datetime) -> dict[str, str]:
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")
    return {"dateTime": text, "timeZone": "UTC"}


def floating_date(value: datetime) -> dict[str, str]:
    return {"dateTime": f"{value.date().isoformat()}T00:00:00.0000000", "timeZone": "UTC"}


def parse_query_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass
class StoredEvent:
    id: str
    calendar: str
    data: dict[str, Any]
    start: datetime
    end: datetime
    seq: int
    change_key: str = field(default_factory=new_change_key)

    @property
    def etag(self) -> str:
        return f'W/"{self.change_key}"'

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def render(self, expand_ids: set[str] | None = None) -> dict[str, Any]:
        """The JSON Graph returns; extended properties only when expanded by id."""
        body = copy.deepcopy(self.data)
        props = body.pop("singleValueExtendedProperties", [])
        body["id"] = self.id
        body["@odata.etag"] = self.etag
        body["changeKey"] = self.change_key
        body["start"] = graph_time(self.start)
        body["end"] = graph_time(self.end)
        if expand_ids is not None:
            chosen = [p for p in props if str(p["id"]).lower() in expand_ids]
            if chosen:
                body["singleValueExtendedProperties"] = chosen
        return body


@dataclass
class Mailbox:
    """One user's calendars; every mutation bumps ``seq`` so delta can replay it."""

    owner: str = OWNER
    events: dict[str, StoredEvent] = field(default_factory=dict)
    tombstones: dict[str, tuple[int, str]] = field(default_factory=dict)
    categories: list[dict[str, str]] = field(default_factory=list)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)
    """Per seriesMaster bookkeeping, owned by ``tests.fakes.microsoft.recurrence``."""
    seq: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def _bump(self) -> int:
        self.seq += 1
        return self.seq

    # -- writes (used by the HTTP layer and by tests playing the user) -----------------

    def insert(self, calendar: str, data: dict[str, Any]) -> StoredEvent:
        with self.lock:
            event_data = {
                "subject": "",
                "showAs": "busy",
                "isAllDay": False,
                "isCancelled": False,
                "isReminderOn": True,
                "reminderMinutesBeforeStart": 15,
                "sensitivity": "normal",
                "categories": [],
                "attendees": [],
                "type": "singleInstance",
                "organizer": {"emailAddress": {"name": "Fake CSM", "address": self.owner}},
                "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
                "isOrganizer": True,
            }
            event_data.update({k: v for k, v in data.items() if k not in {"start", "end"}})
            event = StoredEvent(
                id=new_id(),
                calendar=calendar,
                data=event_data,
                start=parse_graph_time(data["start"]),
                end=parse_graph_time(data["end"]),
                seq=self._bump(),
            )
            event.data["iCalUId"] = "040000008200E00074C5B7101A82E008" + secrets.token_hex(16)
            self.events[event.id] = event
            return event

    def add_foreign(
        self,
        subject: str,
        start: datetime,
        end: datetime,
        *,
        calendar: str = "primary",
        show_as: str = "busy",
        organizer: str = "boss@partner.example",
        attendees: tuple[str, ...] = (),
        response: str = "accepted",
        all_day: bool = False,
        cancelled: bool = False,
    ) -> StoredEvent:
        """A meeting someone else put on the calendar (test helper).

        All-day events are floating dates, as Graph keeps them: ``start``/``end`` are
        local midnights and only their dates count.
        """
        timing = floating_date if all_day else graph_time
        return self.insert(
            calendar,
            {
                "subject": subject,
                "start": timing(start),
                "end": timing(end),
                "showAs": show_as,
                "isAllDay": all_day,
                "isCancelled": cancelled,
                "isOrganizer": False,
                "organizer": {"emailAddress": {"name": "Someone", "address": organizer}},
                "attendees": [
                    {
                        "type": "required",
                        "emailAddress": {"name": a, "address": a},
                        "status": {"response": "none"},
                    }
                    for a in attendees
                ],
                "responseStatus": {"response": response, "time": "2026-01-01T00:00:00Z"},
            },
        )

    def patch(self, event_id: str, changes: dict[str, Any]) -> StoredEvent:
        from tests.fakes.microsoft import recurrence

        with self.lock:
            if event_id not in self.events:  # an occurrence becomes an exception
                exception = recurrence.make_exception(self, event_id, changes)
                if exception is None:
                    raise KeyError(event_id)
                return exception
            event = self.events[event_id]
            for key, value in changes.items():
                if key == "start":
                    event.start = parse_graph_time(value)
                elif key == "end":
                    event.end = parse_graph_time(value)
                elif key == "singleValueExtendedProperties":
                    props = {str(p["id"]).lower(): p for p in event.data.get(key, [])}
                    for prop in value:
                        props[str(prop["id"]).lower()] = dict(prop)
                    event.data[key] = list(props.values())
                else:
                    event.data[key] = copy.deepcopy(value)
            event.seq = self._bump()
            event.change_key = new_change_key()
            return event

    def remove(self, event_id: str) -> None:
        from tests.fakes.microsoft import recurrence

        with self.lock:
            if event_id not in self.events:  # an occurrence: cancelled
                if not recurrence.cancel(self, event_id):
                    raise KeyError(event_id)
                return
            if recurrence.is_master(self.events[event_id]):  # delta never showed it
                recurrence.remove_master(self, self.events.pop(event_id))
                return
            event = self.events.pop(event_id)
            self.tombstones[event_id] = (self._bump(), event.calendar)

    # -- reads ----------------------------------------------------------------------

    def in_window(self, calendar: str, start: datetime, end: datetime) -> list[StoredEvent]:
        from tests.fakes.microsoft import recurrence

        with self.lock:
            found = []
            for e in self.events.values():
                if e.calendar != calendar:
                    continue
                if recurrence.is_master(e):  # calendarView shows its occurrences instead
                    found.extend(recurrence.occurrences(self, e, start, end))
                elif e.overlaps(start, end):
                    found.append(e)
        return sorted(found, key=lambda e: (e.start, e.id))

    def find_transaction(self, calendar: str, transaction_id: str) -> StoredEvent | None:
        with self.lock:
            for event in self.events.values():
                if event.calendar == calendar and event.data.get("transactionId") == transaction_id:
                    return event
        return None

    def changes_since(
        self, calendar: str, seq: int, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """Delta items after ``seq``: changed events in the window, then removals."""
        from tests.fakes.microsoft import recurrence

        items: list[dict[str, Any]] = []
        with self.lock:
            for event in sorted(self.events.values(), key=lambda e: e.seq):
                if event.calendar != calendar or event.seq <= seq:
                    continue
                if recurrence.is_master(event):  # delta shows occurrences, not the master
                    items.extend(
                        o.render() for o in recurrence.occurrences(self, event, start, end)
                    )
                    continue
                if event.overlaps(start, end):
                    items.append(event.render())
                else:
                    items.append({"id": event.id, "@removed": {"reason": "changed"}})
            for event_id, (removed_seq, removed_calendar) in self.tombstones.items():
                if removed_calendar == calendar and removed_seq > seq:
                    items.append({"id": event_id, "@removed": {"reason": "deleted"}})
            items.extend(recurrence.removed_series(self, calendar, seq, start, end))
        return items

    def owned_count(self, property_id: str) -> int:
        with self.lock:
            return sum(
                1
                for e in self.events.values()
                if any(
                    str(p["id"]).lower() == property_id.lower()
                    for p in e.data.get("singleValueExtendedProperties", [])
                )
            )

    def subscription_expiry_limit(self) -> timedelta:
        return timedelta(minutes=10080)
