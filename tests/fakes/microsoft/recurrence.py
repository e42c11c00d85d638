"""Recurring series in the Graph fake: seriesMaster, occurrences, exceptions.

Followed from Microsoft's documentation:

* https://learn.microsoft.com/graph/api/resources/event -- ``type`` is one of
  ``singleInstance``, ``occurrence``, ``exception``, ``seriesMaster``; occurrences
  and exceptions carry ``seriesMasterId`` and ``originalStart``; the master holds
  ``recurrence`` (a patternedRecurrence), instances have none.
* https://learn.microsoft.com/graph/api/resources/patternedrecurrence,
  .../recurrencepattern and .../recurrencerange -- pattern types ``daily``,
  ``weekly``, ``absoluteMonthly``, ``relativeMonthly``, ``absoluteYearly``,
  ``relativeYearly`` with ``interval``, ``daysOfWeek``, ``dayOfMonth``, ``month``,
  ``index``, ``firstDayOfWeek``; range types ``endDate`` (inclusive),
  ``noEnd`` and ``numbered`` (``numberOfOccurrences``), from ``startDate``, in
  ``recurrenceTimeZone``. Expansion is python-dateutil's ``rrule``.
* https://learn.microsoft.com/graph/api/user-list-calendarview -- calendarView
  returns "the occurrences, exceptions, and single instances of events", never the
  master; https://learn.microsoft.com/graph/api/event-delta (the table comparing
  delta on events and on calendarView) -- calendarView/delta likewise returns
  occurrences and exceptions, not the master.
* https://learn.microsoft.com/graph/api/event-list-instances -- for a seriesMaster,
  "the occurrences and exceptions of the event in the specified time range";
  a cancelled occurrence is simply absent.
* https://learn.microsoft.com/graph/outlook-schedule-recurring-events and
  https://learn.microsoft.com/graph/api/event-delete -- deleting an occurrence (by
  its own id) cancels that one occurrence: it leaves calendarView and delta reports
  it ``@removed``. The master keeps the list (``cancelledOccurrences`` /
  ``exceptionOccurrences`` on beta; kept here in ``Mailbox.series``, not rendered,
  as v1.0 does not show them).
* Updating one occurrence turns it into an ``exception``; here the exception gets
  an id of its own and the occurrence's id goes ``@removed`` from delta.

Occurrence ids are opaque strings derived from the master's id and the original
start, so ``GET``/``PATCH``/``DELETE /me/events/{occurrenceId}`` find them.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekday

from tests.fakes.microsoft.graph_store import (
    Mailbox,
    StoredEvent,
    graph_time,
    new_change_key,
    new_id,
    parse_graph_time,
    parse_query_time,
)
from tests.support.clock import ticking_clock

OCCURRENCE_PREFIX = "AQMkAD"
HORIZON = timedelta(days=366)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
FREQ = {
    "daily": DAILY,
    "weekly": WEEKLY,
    "absoluteMonthly": MONTHLY,
    "relativeMonthly": MONTHLY,
    "absoluteYearly": YEARLY,
    "relativeYearly": YEARLY,
}


@dataclass
class SeriesState:
    """What the master remembers about its instances (Graph beta shows it as
    ``cancelledOccurrences`` and ``exceptionOccurrences``)."""

    cancelled: set[str] = field(default_factory=set)  # original-start stamps
    exceptions: dict[str, str] = field(default_factory=dict)  # stamp -> exception id
    deleted: tuple[int, StoredEvent] | None = None  # (change seq, the master) once deleted


def _stamp(original: datetime) -> str:
    return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def occurrence_id(master_id: str, original: datetime) -> str:
    raw = f"{master_id}|{_stamp(original)}".encode()
    return OCCURRENCE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_occurrence_id(event_id: str) -> tuple[str, str] | None:
    """(master id, stamp) of an occurrence id, or None."""
    if not event_id.startswith(OCCURRENCE_PREFIX):
        return None
    body = event_id[len(OCCURRENCE_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    master, _, stamp = text.partition("|")
    return (master, stamp) if stamp else None


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo("UTC" if name.upper() in {"UTC", "Z"} else name)


def check_recurrence(body: dict[str, Any]) -> str | None:
    """Why Graph would refuse ``body['recurrence']`` (400), or None."""
    rec = body.get("recurrence")
    if rec is None:
        return None
    try:
        _rule(rec, parse_graph_time(body["start"]), str(body["start"].get("timeZone") or "UTC"))
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        return f"Invalid recurrence: {exc}"
    return None


def _rule(rec: dict[str, Any], start_utc: datetime, start_zone: str) -> rrule:
    pattern, span = rec["pattern"], rec["range"]
    kind = pattern["type"]
    if kind not in FREQ:
        raise ValueError(f"unknown pattern type {kind!r}")
    if span["type"] not in ("endDate", "noEnd", "numbered"):
        raise ValueError(f"unknown range type {span['type']!r}")
    zone = _zone(str(span.get("recurrenceTimeZone") or start_zone))
    local_start = start_utc.astimezone(zone)
    first_day = date.fromisoformat(span["startDate"])
    dtstart = datetime.combine(first_day, local_start.time(), zone)
    options: dict[str, Any] = {"interval": int(pattern.get("interval") or 1)}
    if int(options["interval"]) < 1:
        raise ValueError("interval must be at least 1")
    days = [weekday(DAYS.index(d)) for d in pattern.get("daysOfWeek") or []]
    if kind == "weekly":
        if not days:
            raise ValueError("a weekly pattern needs daysOfWeek")
        options["byweekday"] = days
        options["wkst"] = DAYS.index(pattern.get("firstDayOfWeek") or "sunday")
    if kind in ("absoluteMonthly", "absoluteYearly"):
        options["bymonthday"] = int(pattern["dayOfMonth"])
    if kind in ("relativeMonthly", "relativeYearly"):
        if not days:
            raise ValueError(f"a {kind} pattern needs daysOfWeek")
        options["byweekday"] = days
        options["bysetpos"] = INDEX[pattern.get("index") or "first"]
    if kind in ("absoluteYearly", "relativeYearly"):
        options["bymonth"] = int(pattern["month"])
    if span["type"] == "endDate":
        last = date.fromisoformat(span["endDate"])
        options["until"] = datetime.combine(last, time(23, 59, 59), zone)
    elif span["type"] == "numbered":
        options["count"] = int(span["numberOfOccurrences"])
    return rrule(FREQ[kind], dtstart=dtstart, **options)


def is_master(event: StoredEvent) -> bool:
    return event.data.get("type") == "seriesMaster"


def state_of(box: Mailbox, master_id: str) -> SeriesState:
    state = box.series.get(master_id)
    if state is None:
        state = box.series[master_id] = SeriesState()
    assert isinstance(state, SeriesState)
    return state


def _originals(master: StoredEvent, lo: datetime | None, hi: datetime | None) -> list[datetime]:
    length = master.end - master.start
    rule = _rule(
        master.data["recurrence"], master.start, str(master.data.get("originalStartTimeZone"))
    )
    low = (lo - length) if lo is not None else master.start
    high = hi if hi is not None else max(master.start, ticking_clock()) + HORIZON
    found = []
    for moment in rule.between(low, high, inc=True):
        if lo is not None and moment + length <= lo:
            continue
        if hi is not None and moment >= hi:
            continue
        found.append(moment)
    return found


def _occurrence(master: StoredEvent, original: datetime) -> StoredEvent:
    data = copy.deepcopy(master.data)
    data.update(
        type="occurrence",
        seriesMasterId=master.id,
        originalStart=original.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        recurrence=None,
    )
    start = original.astimezone(UTC)
    return StoredEvent(
        id=occurrence_id(master.id, original),
        calendar=master.calendar,
        data=data,
        start=start,
        end=start + (master.end - master.start),
        seq=master.seq,
        change_key=master.change_key,
    )


def occurrences(
    box: Mailbox, master: StoredEvent, lo: datetime | None, hi: datetime | None
) -> list[StoredEvent]:
    """The master's unmodified, uncancelled occurrences overlapping ``[lo, hi)``."""
    state = state_of(box, master.id)
    return [
        _occurrence(master, original)
        for original in _originals(master, lo, hi)
        if _stamp(original) not in state.cancelled and _stamp(original) not in state.exceptions
    ]


def find_occurrence(box: Mailbox, event_id: str) -> StoredEvent | None:
    """The occurrence ``event_id`` names, if its master has it (and it is unmodified)."""
    parsed = parse_occurrence_id(event_id)
    if parsed is None:
        return None
    master = box.events.get(parsed[0])
    if master is None or not is_master(master):
        return None
    try:
        moment = datetime.strptime(parsed[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    for occ in occurrences(box, master, moment, moment + timedelta(seconds=1)):
        if occ.id == event_id:
            return occ
    return None


def cancel(box: Mailbox, event_id: str) -> bool:
    """DELETE of an occurrence id: the occurrence is cancelled (delta: ``@removed``)."""
    occ = find_occurrence(box, event_id)
    if occ is None:
        return False
    state_of(box, occ.data["seriesMasterId"]).cancelled.add(_stamp(occ.start))
    box.tombstones[event_id] = (box._bump(), occ.calendar)
    return True


def make_exception(box: Mailbox, event_id: str, changes: dict[str, Any]) -> StoredEvent | None:
    """PATCH of an occurrence id: an exception with an id of its own takes its place."""
    occ = find_occurrence(box, event_id)
    if occ is None:
        return None
    state = state_of(box, occ.data["seriesMasterId"])
    exception = StoredEvent(
        id=new_id(),
        calendar=occ.calendar,
        data={**occ.data, "type": "exception"},
        start=occ.start,
        end=occ.end,
        seq=occ.seq,
        change_key=new_change_key(),
    )
    box.events[exception.id] = exception
    state.exceptions[_stamp(occ.start)] = exception.id
    box.tombstones[event_id] = (box._bump(), occ.calendar)
    return box.patch(exception.id, changes)


def remove_master(box: Mailbox, master: StoredEvent) -> None:
    """Deleting the master deletes the series: every occurrence and exception goes
    (delta reports the occurrences of its window ``@removed``, see ``removed_series``)."""
    state = state_of(box, master.id)
    for exception_id in state.exceptions.values():
        if exception_id in box.events:
            box.remove(exception_id)
    state.deleted = (box._bump(), master)


def removed_series(
    box: Mailbox, calendar: str, seq: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Delta items for the occurrences in ``[start, end)`` of series deleted after ``seq``."""
    items: list[dict[str, Any]] = []
    for state in box.series.values():
        if state.deleted is None or state.deleted[0] <= seq:
            continue
        master = state.deleted[1]
        if master.calendar == calendar:
            items.extend(
                {"id": occ.id, "@removed": {"reason": "deleted"}}
                for occ in occurrences(box, master, start, end)
            )
    return items


def instances_reply(box: Mailbox, master_id: str, query: dict[str, str]) -> tuple[int, Any]:
    """``GET /me/events/{id}/instances``: occurrences and exceptions in the window."""
    master = box.events.get(master_id)
    if master is None:
        return 404, ("ErrorItemNotFound", "The specified object was not found in the store.")
    try:
        lo = parse_query_time(query["startDateTime"])
        hi = parse_query_time(query["endDateTime"])
    except (KeyError, ValueError):
        return 400, ("ErrorInvalidParameter", "startDateTime and endDateTime are required.")
    if not is_master(master):
        return 200, []
    state = state_of(box, master_id)
    found = occurrences(box, master, lo, hi)
    found += [
        e
        for i in state.exceptions.values()
        if (e := box.events.get(i)) is not None and e.overlaps(lo, hi)
    ]
    return 200, sorted(found, key=lambda e: (e.start, e.id))


# -- the back door: a colleague's recurring meeting ----------------------------------------


def add_series(
    box: Mailbox,
    subject: str,
    start: datetime,
    end: datetime,
    pattern: dict[str, Any],
    *,
    range_type: str = "noEnd",
    end_date: date | None = None,
    count: int | None = None,
    calendar: str = "primary",
    organizer: str = "lead@mycorp.example",
) -> StoredEvent:
    """A series organised by someone else (``start`` carries a ZoneInfo, the series' zone)."""
    if not isinstance(start.tzinfo, ZoneInfo):
        raise ValueError("a series needs its zone: give start a ZoneInfo")
    zone = start.tzinfo.key
    span: dict[str, Any] = {
        "type": range_type,
        "startDate": start.date().isoformat(),
        "recurrenceTimeZone": zone,
    }
    if end_date is not None:
        span["endDate"] = end_date.isoformat()
    if count is not None:
        span["numberOfOccurrences"] = count
    local = "%Y-%m-%dT%H:%M:%S.0000000"
    body = {
        "subject": subject,
        "start": {"dateTime": start.strftime(local), "timeZone": zone},
        "end": {"dateTime": end.astimezone(start.tzinfo).strftime(local), "timeZone": zone},
        "recurrence": {"pattern": {"interval": 1, **pattern}, "range": span},
        "isOrganizer": False,
        "organizer": {"emailAddress": {"name": "Lead", "address": organizer}},
        "responseStatus": {"response": "accepted", "time": "2026-01-01T00:00:00Z"},
    }
    problem = check_recurrence(body)
    if problem is not None:
        raise ValueError(problem)
    return box.insert(calendar, master_body(body))


def master_body(body: dict[str, Any]) -> dict[str, Any]:
    """A create body with ``recurrence`` as Graph stores it: a seriesMaster."""
    if not body.get("recurrence"):
        return body
    zone = str(body["start"].get("timeZone") or "UTC")
    return {**body, "type": "seriesMaster", "originalStartTimeZone": zone}


def move(box: Mailbox, occurrence: str, start: datetime, end: datetime) -> StoredEvent:
    """The user drags one occurrence elsewhere (back door)."""
    with box.lock:
        exception = make_exception(
            box, occurrence, {"start": graph_time(start), "end": graph_time(end)}
        )
    if exception is None:
        raise KeyError(occurrence)
    return exception


def occurrence_at(box: Mailbox, master: StoredEvent, original: datetime) -> str:
    """The id of ``master``'s occurrence that starts at ``original``."""
    return occurrence_id(master.id, original)
