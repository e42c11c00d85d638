"""Moving and dismissing a block from the week page, over plain HTTP (no browser).

The calendar is the local .ics file of the example rules, read back through the
real provider after each action: it must hold what the page then claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from blocker.core.models import Block, RemoteEvent
from blocker.core.weeks import week_window
from tests.service.conftest import NEXT_WEEK, TOKEN, LiveService

NY = ZoneInfo("America/New_York")
WEEK_PAGE = f"/?week={NEXT_WEEK}&calendar=local"


@contextmanager
def signed_in(service: LiveService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, follow_redirects=False, timeout=60) as client:
        answer = client.post("/login", data={"token": TOKEN, "next": "/"})
        assert answer.status_code == 303
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def synced(client: httpx.Client) -> str:
    """Sync the week through the page's own button; the page's CSRF token."""
    token = csrf_of(client.get(WEEK_PAGE).text)
    answer = client.post("/sync", data={"csrf": token, "week": NEXT_WEEK, "calendar": "local"})
    assert answer.status_code == 303 and "synced=ok" in answer.headers["location"]
    return token


def on_calendar(service: LiveService) -> dict[str, RemoteEvent]:
    """Our events in the calendar file now, by block key (read by the real provider)."""
    runtime = service.runtime
    read = runtime.provider("local").read(week_window(NEXT_WEEK, runtime.rules.timezone))
    return {e.tag.key: e for e in read.events if e.tag is not None and not e.cancelled}


def a_focus_block(service: LiveService) -> Block:
    blocks = service.runtime.store.previous_blocks("local", NEXT_WEEK)
    return next(b for b in blocks if b.kind == "focus_time" and not b.all_day)


def form(token: str, key: str, **extra: str) -> dict[str, str]:
    return {"csrf": token, "week": NEXT_WEEK, "calendar": "local", "key": key, **extra}


def test_a_moved_block_is_moved_on_the_calendar_and_later_syncs_keep_it(
    app_service: LiveService,
) -> None:
    with signed_in(app_service) as client:
        token = synced(client)
        block = a_focus_block(app_service)
        target = datetime(2026, 12, 2, 16, 15, tzinfo=NY)
        assert block.start.astimezone(NY) != target
        answer = client.post(
            "/grid/move", data=form(token, block.key, day="2026-12-02", at="16:15")
        )
        assert answer.status_code == 303 and "synced=moved" in answer.headers["location"]
        event = on_calendar(app_service)[block.key]
        assert (event.start, event.end) == (target, target + (block.end - block.start))
        page = client.get(WEEK_PAGE).text
        moved = re.search(rf'<li data-key="{re.escape(block.key)}">(.*?)</li>', page, re.S)
        assert moved is not None and "Wed 02 Dec 16:15" in moved.group(1)
        shown = re.search(
            rf'data-key="{re.escape(block.key)}" data-state="(\w+)"[^>]*'
            r'data-start="([^"]+)"',
            page,
        )
        assert shown is not None and shown.group(1) == "moved"
        assert datetime.fromisoformat(shown.group(2)) == target
        # the next sync writes nothing for it: the pin holds
        client.post("/sync", data={"csrf": token, "week": NEXT_WEEK, "calendar": "local"})
        last = app_service.runtime.store.runs("local", 1)[0]
        assert block.key not in {op.key for op in last.ops}
        assert on_calendar(app_service)[block.key].start == target


def test_a_dismissed_block_leaves_the_calendar_stays_gone_and_undo_brings_it_back(
    app_service: LiveService,
) -> None:
    with signed_in(app_service) as client:
        token = synced(client)
        block = a_focus_block(app_service)
        assert block.key in on_calendar(app_service)
        answer = client.post("/grid/dismiss", data=form(token, block.key))
        assert answer.status_code == 303 and "synced=dismissed" in answer.headers["location"]
        assert block.key not in on_calendar(app_service)
        client.post("/sync", data={"csrf": token, "week": NEXT_WEEK, "calendar": "local"})
        assert block.key not in on_calendar(app_service)
        page = client.get(WEEK_PAGE).text
        assert f'<li data-key="{block.key}">' in page.split('id="dismissed"', 1)[1]
        assert f'data-key="{block.key}" data-state' not in page
        answer = client.post("/grid/restore", data=form(token, block.key))
        assert answer.status_code == 303 and "synced=restored" in answer.headers["location"]
        assert block.key in on_calendar(app_service)
        assert 'id="dismissed"' not in client.get(WEEK_PAGE).text


def test_refused_actions_change_nothing(app_service: LiveService) -> None:
    with signed_in(app_service) as client:
        token = synced(client)
        block = a_focus_block(app_service)
        before = on_calendar(app_service)
        outside = client.post(
            "/grid/move", data=form(token, block.key, day="2026-12-09", at="10:00")
        )
        assert outside.status_code == 422 and "not in week" in outside.text
        forged = client.post(
            "/grid/dismiss", data=form("0" * 64, block.key), headers={"Accept": "text/html"}
        )
        assert forged.status_code == 403
        unknown = client.post("/grid/dismiss", data=form(token, "no-such-block"))
        assert unknown.status_code == 422
        undo = client.post("/grid/restore", data=form(token, block.key))
        assert undo.status_code == 422 and "nothing to undo" in undo.text
        assert on_calendar(app_service) == before
        assert app_service.runtime.store.pins("local", NEXT_WEEK) == []


def test_a_block_not_yet_on_the_calendar_is_created_where_it_was_moved(
    app_service: LiveService,
) -> None:
    with signed_in(app_service) as client:
        token = csrf_of(client.get(WEEK_PAGE).text)
        assert on_calendar(app_service) == {}  # never synced: every block is pending
        plan = app_service.runtime.preview("local", NEXT_WEEK).plan
        block = next(b for b in plan.blocks if b.kind == "focus_time" and not b.all_day)
        target = datetime(2026, 12, 4, 14, 0, tzinfo=NY)
        answer = client.post(
            "/grid/move", data=form(token, block.key, day="2026-12-04", at="14:00")
        )
        assert answer.status_code == 303 and "synced=moved" in answer.headers["location"]
        event = on_calendar(app_service)[block.key]
        assert (event.start, event.end) == (target, target + (block.end - block.start))
        assert len(on_calendar(app_service)) > 1  # the run synced the rest of the week too


def test_the_past_stays_as_it_was(app_service: LiveService) -> None:
    """The service clock is Friday 2026-11-27 12:00: its own week is half past, and
    was synced on its Monday morning."""
    this_week = "2026-W48"
    runtime = app_service.runtime
    now = runtime.now()
    runtime.clock = lambda: datetime(2026, 11, 23, 7, 0, tzinfo=NY)
    try:
        runtime.sync(None, "local", this_week, trigger="rebalance")
    finally:
        runtime.clock = lambda: now
    with signed_in(app_service) as client:
        token = csrf_of(client.get(f"/?week={this_week}&calendar=local").text)
        sent = {"csrf": token, "week": this_week, "calendar": "local"}
        blocks = app_service.runtime.store.previous_blocks("local", this_week)
        ended = next(b for b in blocks if b.end < now and not b.all_day)
        ahead = next(b for b in blocks if b.start > now and not b.all_day)
        before = app_service.runtime.store.runs("local", 1)[0]
        for path, extra in (
            ("/grid/move", {"day": "2026-11-27", "at": "16:00"}),
            ("/grid/dismiss", {}),
        ):
            answer = client.post(path, data={**sent, "key": ended.key, **extra})
            assert answer.status_code == 422 and "already ended" in answer.text
        into_the_past = {**sent, "key": ahead.key, "day": "2026-11-26", "at": "10:00"}
        answer = client.post("/grid/move", data=into_the_past)
        assert answer.status_code == 422 and "that time has passed" in answer.text
        assert app_service.runtime.store.runs("local", 1)[0] == before
        assert app_service.runtime.store.pins("local", this_week) == []
