"""A real service for the tests: uvicorn on a loopback port in a thread, a real
APScheduler on a SQLite file job store, a local .ics (or memory) calendar.

The clock is injected (Friday 2026-11-27 noon, New York) so "next week" is
2026-W49 whatever day the suite runs; the scheduler still fires on real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from blocker.settings import Settings
from blocker.web.app import create_app
from tests.support.app_state import AppStateAccess
from tests.support.rules import rules_yaml as shared_rules_yaml
from tests.support.server import RunningServer, start_server
from tests.support.waiting import wait_for as shared_wait_for

TOKEN = "t0ken-for-the-service-tests"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("America/New_York"))
NEXT_WEEK = "2026-W49"

BUSY_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//EN
BEGIN:VEVENT
UID:standup@example.test
DTSTAMP:20261101T000000Z
DTSTART;TZID=America/New_York:20261130T100000
DTEND;TZID=America/New_York:20261130T110000
RRULE:FREQ=WEEKLY;COUNT=8
SUMMARY:Team standup
END:VEVENT
END:VCALENDAR
"""


def rules_yaml(
    *,
    provider: str = "local",
    debounce: int = 1,
    max_wait: int = 5,
    lunch_at: str = "12:00",
    extra_rules: str = "",
) -> str:
    """A small valid rules file: lunch, a weekly focus block, a daily wrap-up."""
    calendar = (
        "{id: local, provider: local, path: out/calendar.ics, busy: [busy.ics]}"
        if provider == "local"
        else "{id: mem, provider: memory}"
    )
    return shared_rules_yaml(
        [calendar],
        lunch_at=lunch_at,
        extra_rules=extra_rules,
        debounce=debounce,
        max_wait=max_wait,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "busy.ics").write_text(BUSY_ICS)
    (tmp_path / "rules.yaml").write_text(rules_yaml())
    return tmp_path


def make_settings(workdir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{workdir / 'blocker.db'}",
        "api_token": TOKEN,
        "rules_path": workdir / "rules.yaml",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class LiveService(AppStateAccess):
    """One running app: its base URL, an authorised client, and its parts."""

    app: FastAPI
    base_url: str
    client: httpx.Client
    server: RunningServer

    def stop(self) -> None:
        self.client.close()
        self.server.stop()


def start_service(settings: Settings, *, start_scheduler: bool = True) -> LiveService:
    app = create_app(settings, clock=lambda: NOW, start_scheduler=start_scheduler)
    server = start_server(app)
    base = server.base_url
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    return LiveService(app=app, base_url=base, client=client, server=server)


wait_for = partial(shared_wait_for, limit=20.0)


@pytest.fixture
def service(workdir: Path) -> Iterator[LiveService]:
    live = start_service(make_settings(workdir))
    try:
        yield live
    finally:
        live.stop()
