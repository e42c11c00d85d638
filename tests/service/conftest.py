"""A real service for the tests: uvicorn on a loopback port in a thread, a real
APScheduler on a SQLite file job store, a local .ics (or memory) calendar.

The clock is injected (Friday 2026-11-27 noon, New York) so "next week" is
2026-W49 whatever day the suite runs; the scheduler still fires on real time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler
from blocker.settings import Settings
from blocker.web.app import create_app

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
        "  - {id: local, provider: local, path: out/calendar.ics, busy: [busy.ics]}"
        if provider == "local"
        else "  - {id: mem, provider: memory}"
    )
    return f"""\
timezone: America/New_York
owner:
  name: Test CSM
  email_domains: [mycorp.example]
accounts:
  - {{name: Acme, arr: 150000, domains: acme.example}}
  - {{name: Globex, arr: 50000, domains: globex.example}}
  - {{name: Initech, arr: 10000, domains: initech.example}}
rules:
  - kind: lunch
    at: "{lunch_at}"
  - kind: block
    id: focus
    title: Deep work
    per: week
    minutes: 120
    window: "09:00-12:00"
  - kind: wrap_up
{extra_rules}schedule:
  generate_at: "fri 15:00"
  poll_minutes: 60
  debounce_seconds: {debounce}
  max_wait_seconds: {max_wait}
  daily_rebalance_at: "07:00"
calendars:
{calendar}
"""


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
class LiveService:
    """One running app: its base URL, an authorised client, and its parts."""

    app: FastAPI
    base_url: str
    client: httpx.Client
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def scheduler(self) -> BlockerScheduler:
        scheduler: BlockerScheduler | None = self.app.state.scheduler
        assert scheduler is not None
        return scheduler

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "server did not stop"


def start_service(settings: Settings, *, start_scheduler: bool = True) -> LiveService:
    app = create_app(settings, clock=lambda: NOW, start_scheduler=start_scheduler)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="server start")
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    return LiveService(app=app, base_url=base, client=client, server=server, thread=thread)


def wait_for(condition: Callable[[], Any], *, what: str, limit: float = 20.0) -> Any:
    """Poll ``condition`` until truthy; fails (does not measure) after ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def service(workdir: Path) -> Iterator[LiveService]:
    live = start_service(make_settings(workdir))
    try:
        yield live
    finally:
        live.stop()
