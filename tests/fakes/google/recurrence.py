"""Recurring events in the Google fake: series, their instances and exceptions.

Followed from the Calendar v3 reference (the discovery document shipped with
google-api-python-client, revision 20261030, ``events.list`` / ``events.instances``
parameters and the ``Event`` schema) and the recurring-events guide
(https://developers.google.com/calendar/api/guides/recurringevents):

* A series is an event with ``recurrence`` (RRULE/EXRULE/RDATE/EXDATE lines, no
  DTSTART); its ``start.timeZone`` is required ("For recurring events this field is
  required and specifies the time zone in which the recurrence is expanded").
  Expansion is python-dateutil's ``rrulestr``, never hand-written.
* Each instance has its own id, ``<seriesId>_<original start>``: the UTC basic
  format ``YYYYMMDDTHHMMSSZ`` for timed series, ``YYYYMMDD`` for all-day ones (as
  ``events.instances`` returns them; see kuzmoyev/google-calendar-simple-api#52),
  with ``recurringEventId`` and ``originalStartTime``, which "uniquely identifies
  the instance within the recurring event series even if the instance was moved".
  All occurrences share the series' ``iCalUID``.
* Changing or deleting one instance stores an exception under the instance's id:
  a moved instance keeps its id with new times; a deleted one is ``cancelled``.
* ``singleEvents=true`` expands series into instances "but not the underlying
  recurring events themselves"; ``false`` returns the series and its exceptions,
  and "Cancelled instances of recurring events (but not the underlying recurring
  event) will still be included if showDeleted and singleEvents are both False".
* With a ``syncToken`` "All events deleted since the previous list request will
  always be in the result set": a cancelled instance comes back as
  ``status: cancelled`` with its id; a changed series comes back as all its
  instances (``singleEvents=true``) or as the series itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from tests.fakes.google.errors import Reply, error_reply, json_reply
from tests.support.clock import ticking_clock

if TYPE_CHECKING:
    from tests.fakes.google.calendar_api import CalendarApi, FakeCalendar
    from tests.fakes.google.server import FakeGoogle

HORIZON = timedelta(days=366)
"""How far past now a series without a window (sync-token reads) is expanded."""
INSTANCE_ID = re.compile(r"^(?P<series>[a-v0-9]{5,1024})_(?P<stamp>\d{8}(T\d{6}Z)?)$")


def is_series(ev: dict[str, Any]) -> bool:
    return bool(ev.get("recurrence")) and "recurringEventId" not in ev


def _zone(name: str) -> ZoneInfo:
    return UTC if name.upper() == "UTC" else ZoneInfo(name)  # type: ignore[return-value]


def _stamp(original: datetime | date) -> str:
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def instance_id(series_id: str, original: datetime | date) -> str:
    """The id Google gives the instance of ``series_id`` that starts at ``original``."""
    return f"{series_id}_{_stamp(original)}"


def check_series(body: dict[str, Any]) -> Reply | None:
    """Why Google would refuse ``body`` as a series (400), or None."""
    if not body.get("recurrence"):
        return None
    lines = body["recurrence"]
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        return error_reply(400, "invalid", "Invalid recurrence rule.")
    if any(x.upper().startswith(("DTSTART", "DTEND")) for x in lines):
        return error_reply(400, "invalid", "Invalid recurrence rule.")
    start = body.get("start") or {}
    if "dateTime" in start:
        if not start.get("timeZone"):
            return error_reply(400, "required", "Missing time zone definition for start time.")
        try:
            _zone(str(start["timeZone"]))
        except (ZoneInfoNotFoundError, ValueError):
            return error_reply(400, "timeRangeEmpty", "Invalid time zone definition.")
    try:
        _rule(body, "UTC")
    except (ValueError, TypeError):
        return error_reply(400, "invalid", "Invalid recurrence rule.")
    return None


def _first(ev: dict[str, Any], cal_zone: str) -> tuple[datetime, timedelta, bool]:
    """The series' first start in its own zone, each instance's length, whether all-day."""
    start, end = ev["start"], ev["end"]
    if "date" in start:
        first = datetime.combine(date.fromisoformat(start["date"]), time())
        last = datetime.combine(date.fromisoformat(end["date"]), time())
        return first, last - first, True
    zone = _zone(str(start.get("timeZone") or cal_zone))
    first = datetime.fromisoformat(start["dateTime"]).astimezone(zone)
    last = datetime.fromisoformat(end["dateTime"]).astimezone(zone)
    return first, last - first, False


def _rule(ev: dict[str, Any], cal_zone: str) -> Any:
    first, _, _ = _first(ev, cal_zone)
    return rrulestr("\n".join(ev["recurrence"]), dtstart=first, forceset=True, unfold=True)


def originals(
    ev: dict[str, Any], cal_zone: str, lo: datetime | None, hi: datetime | None
) -> list[datetime | date]:
    """Original starts of the series' instances that overlap ``[lo, hi)``.

    Without a window: from the first instance up to a year past now (a series
    without an end has no last instance to stop at).
    """
    first, length, all_day = _first(ev, cal_zone)
    zone = _zone(cal_zone)

    def aware(moment: datetime) -> datetime:
        return moment.replace(tzinfo=zone) if all_day else moment

    rule = _rule(ev, cal_zone)
    low = (lo - length) if lo is not None else aware(first)
    high = hi if hi is not None else max(aware(first), ticking_clock()) + HORIZON
    if all_day:  # naive local midnights: compare in the calendar's zone
        low = low.astimezone(zone).replace(tzinfo=None)
        high = high.astimezone(zone).replace(tzinfo=None)
    found: list[datetime | date] = []
    for moment in rule.between(low, high, inc=True):
        start = aware(moment)
        if lo is not None and start + length <= lo:
            continue
        if hi is not None and start >= hi:
            continue
        found.append(moment.date() if all_day else moment)
    return found


def _when(moment: datetime | date, zone_name: str | None) -> dict[str, str]:
    if isinstance(moment, datetime):
        out = {"dateTime": moment.isoformat()}
        if zone_name:
            out["timeZone"] = zone_name
        return out
    return {"date": moment.isoformat()}


def instance(series: dict[str, Any], original: datetime | date, cal_zone: str) -> dict[str, Any]:
    """The instance of ``series`` starting at ``original``, as Google shows it unmodified."""
    _, length, _ = _first(series, cal_zone)
    zone_name = series["start"].get("timeZone")
    ev = copy.deepcopy(series)
    ev.pop("recurrence", None)
    ev["id"] = instance_id(series["id"], original)
    ev["recurringEventId"] = series["id"]
    ev["originalStartTime"] = _when(original, zone_name)
    ev["start"] = _when(original, zone_name)
    if isinstance(original, datetime):
        ev["end"] = _when(original + length, zone_name)
    else:
        ev["end"] = _when(original + length, None)
    ev["htmlLink"] = f"https://calendar.example/event?eid={ev['id']}"
    return ev


def virtual(cal: FakeCalendar, event_id: str) -> dict[str, Any] | None:
    """The unmodified instance ``event_id`` names, if its series really has it."""
    match = INSTANCE_ID.match(event_id)
    if match is None:
        return None
    series = cal.events.get(match["series"])
    if series is None or not is_series(series) or series["status"] == "cancelled":
        return None
    stamp = match["stamp"]
    if "T" in stamp:
        moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        hits = originals(series, cal.time_zone, moment, moment + timedelta(seconds=1))
    else:
        day = datetime.strptime(stamp, "%Y%m%d").replace(tzinfo=_zone(cal.time_zone))
        hits = originals(series, cal.time_zone, day, day + timedelta(days=1))
    for original in hits:
        if _stamp(original) == stamp:
            return instance(series, original, cal.time_zone)
    return None


def listed(
    cal: FakeCalendar,
    ev: dict[str, Any],
    *,
    single: bool,
    lo: datetime | None,
    hi: datetime | None,
) -> Iterator[dict[str, Any]]:
    """What a full ``events.list`` shows for the stored ``ev`` (before the usual filters)."""
    if not is_series(ev):
        yield _with_series(cal, ev)
        return
    if not single:
        if originals(ev, cal.time_zone, lo, hi):
            yield ev
        return
    if ev["status"] == "cancelled":
        return
    for original in originals(ev, cal.time_zone, lo, hi):
        if instance_id(ev["id"], original) not in cal.events:  # exceptions list themselves
            yield instance(ev, original, cal.time_zone)


def _with_series(cal: FakeCalendar, ev: dict[str, Any]) -> dict[str, Any]:
    """An exception of a deleted series is deleted with it."""
    series = cal.events.get(str(ev.get("recurringEventId")))
    if series is not None and series["status"] == "cancelled" and ev["status"] != "cancelled":
        return {**ev, "status": "cancelled"}
    return ev


def changed(cal: FakeCalendar, ev: dict[str, Any], *, single: bool) -> Iterator[dict[str, Any]]:
    """What a sync-token read shows for the changed stored ``ev``: a deleted series'
    instances, exceptions included, come back cancelled."""
    if not (single and is_series(ev)):
        yield _with_series(cal, ev)
        return
    for original in originals(ev, cal.time_zone, None, None):
        own = cal.events.get(instance_id(ev["id"], original))
        if own is not None and ev["status"] != "cancelled":
            continue  # the exception reports its own changes
        item = copy.deepcopy(own) if own is not None else instance(ev, original, cal.time_zone)
        if ev["status"] == "cancelled":
            item["status"] = "cancelled"
        yield item


def cancelled_shown(item: dict[str, Any], *, single: bool) -> bool:
    """A cancelled instance shows without ``showDeleted`` when ``singleEvents`` is false."""
    return not single and "recurringEventId" in item


def list_instances(
    api: CalendarApi, cal: FakeCalendar, series_id: str, q: dict[str, list[str]]
) -> Reply:
    """``events.instances``: the series' instances, exceptions in place; cancelled ones
    only with ``showDeleted``."""
    one = {k: v[0] for k, v in q.items()}
    series = cal.events.get(series_id)
    if series is None or not is_series(series):
        # the reference names eventId "Recurring event identifier" and says nothing of
        # other ids: the fake knows no recurring event by that id
        return error_reply(404, "notFound", "Not Found")
    lo = datetime.fromisoformat(one["timeMin"]) if "timeMin" in one else None
    hi = datetime.fromisoformat(one["timeMax"]) if "timeMax" in one else None
    show_deleted = one.get("showDeleted") == "true"
    items = []
    for original in originals(series, cal.time_zone, lo, hi):
        own = cal.events.get(instance_id(series_id, original))
        item = own if own is not None else instance(series, original, cal.time_zone)
        if item["status"] == "cancelled" and not show_deleted:
            continue
        items.append(api.visible(item))
    size = min(int(one.get("maxResults", "250")), 2500)
    offset = int(one.get("pageToken", "0") or 0)
    payload: dict[str, Any] = {
        "kind": "calendar#events",
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "items": items[offset : offset + size],
    }
    if offset + size < len(items):
        payload["nextPageToken"] = str(offset + size)
    return json_reply(200, payload)


# -- the back door: the user and their colleagues ----------------------------------------------


def add_series(
    fake: FakeGoogle,
    start: datetime,
    end: datetime,
    rrule: str,
    summary: str = "Stand-up",
    calendar_id: str = "primary",
    **extra: Any,
) -> dict[str, Any]:
    """A colleague's recurring meeting on the calendar (``start`` carries a ZoneInfo)."""
    if not isinstance(start.tzinfo, ZoneInfo):
        raise ValueError("a series needs its zone: give start a ZoneInfo")
    zone = start.tzinfo.key
    body = {
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": zone},
        "end": {"dateTime": end.isoformat(), "timeZone": zone},
        "recurrence": [rrule if rrule.startswith("RRULE:") else f"RRULE:{rrule}"],
        **extra,
    }
    refused = check_series(body)
    if refused is not None:
        raise ValueError(refused[2].decode())
    return fake.add_event(body, calendar_id)


def _exception_base(fake: FakeGoogle, cal: FakeCalendar, series_id: str, original: datetime) -> Any:
    event_id = instance_id(series_id, original)
    current = cal.events.get(event_id) or virtual(cal, event_id)
    if current is None:
        raise KeyError(f"{series_id} has no instance at {original.isoformat()}")
    return copy.deepcopy(current)


def move_instance(
    fake: FakeGoogle,
    series_id: str,
    original: datetime,
    start: datetime,
    end: datetime,
    calendar_id: str = "primary",
) -> dict[str, Any]:
    """The user drags one instance elsewhere: an exception under the instance's id."""
    with fake._lock:
        cal = fake.calendar(calendar_id)
        ev = _exception_base(fake, cal, series_id, original)
        zone = ev["start"].get("timeZone")
        ev["start"] = _when(start, zone)
        ev["end"] = _when(end, zone)
        ev["sequence"] = int(ev.get("sequence", 0)) + 1
        return fake.api.store(cal, ev)


def cancel_instance(
    fake: FakeGoogle, series_id: str, original: datetime, calendar_id: str = "primary"
) -> dict[str, Any]:
    """The user deletes one instance ("this event" only): a cancelled exception."""
    with fake._lock:
        cal = fake.calendar(calendar_id)
        ev = _exception_base(fake, cal, series_id, original)
        ev["status"] = "cancelled"
        return fake.api.store(cal, ev)
