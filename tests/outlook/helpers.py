"""Small builders shared by the Outlook tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from blocker.core.keys import content_hash, event_id_for
from blocker.core.models import EventDraft, Interval
from providers.outlook import OutlookCalendar
from tests.fakes.microsoft.graph import FakeGraph

TZ = ZoneInfo("America/New_York")
WEEK = Interval(datetime(2026, 12, 7, tzinfo=TZ), datetime(2026, 12, 14, tzinfo=TZ))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def draft(key: str, start: datetime, minutes: int = 60, **kw: object) -> EventDraft:
    title = str(kw.pop("title", f"Block {key}"))
    end = start + timedelta(minutes=minutes)
    return EventDraft(
        event_id=event_id_for("outlook-test", key),
        key=key,
        title=title,
        start=start,
        end=end,
        content_hash=content_hash(title, start, end),
        **kw,  # type: ignore[arg-type]
    )


def week_of_drafts(count: int = 40) -> list[EventDraft]:
    """``count`` half-hour blocks, eight a day across Monday..Friday."""
    drafts = []
    for i in range(count):
        day, slot = divmod(i, 8)
        drafts.append(draft(f"rule{i}:2026-12-{7 + day:02d}:{slot}", at(7 + day, 9 + slot), 30))
    return drafts


class Sleeps(list[float]):
    """An injected sleeper that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def calendar(graph: FakeGraph, client: httpx.Client, **kw: object) -> OutlookCalendar:
    kw.setdefault("sleeper", Sleeps())
    return OutlookCalendar(
        lambda: "static-test-token",
        graph_root=graph.root,
        client=client,
        zone=TZ,
        **kw,  # type: ignore[arg-type]
    )
