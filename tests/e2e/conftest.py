"""End to end: the real app under uvicorn on loopback, the real scheduler, a SQLite store
in tmp_path, and the protocol-faithful Google / Microsoft fakes.

The service runs on the real clock (the fakes expire channels and subscriptions on
real time), so the tests sync *next* week, which is whole and in the future
whatever day the suite runs. A :class:`Browser` plays the user's browser: it
follows redirects itself, sends the API token only to the service, and maps the
service's public URL onto its loopback address (a TLS-terminating proxy would).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler
from blocker.settings import Settings
from blocker.store import TokenCipher
from blocker.web.app import create_app
from blocker.weeks import next_week
from tests.fakes.microsoft.fixtures import ms_graph, ms_identity, ms_session, ms_tls

__all__ = ["ms_graph", "ms_identity", "ms_session", "ms_tls"]

TOKEN = "e2e-api-t0ken-for-the-tests"
TIMEZONE = "America/New_York"


def rules_yaml(provider: str) -> str:
    """A small week: lunch, two hours of deep work, a daily wrap-up, on one remote calendar."""
    return f"""\
timezone: {TIMEZONE}
owner:
  name: Test CSM
  email_domains: [mycorp.example]
accounts:
  - {{name: Acme, arr: 150000, domains: acme.example}}
  - {{name: Globex, arr: 50000, domains: globex.example}}
  - {{name: Initech, arr: 10000, domains: initech.example}}
rules:
  - kind: lunch
    at: "12:00"
  - kind: block
    id: focus
    title: Deep work
    per: week
    minutes: 120
    window: "09:00-12:00"
  - kind: wrap_up
schedule:
  generate_at: "fri 15:00"
  poll_minutes: 60
  debounce_seconds: 1
  max_wait_seconds: 3
  daily_rebalance_at: "07:00"
calendars:
  - {{id: work, provider: {provider}, calendar: primary}}
"""


def wait_for(condition: Callable[[], Any], *, what: str, limit: float = 30.0) -> Any:
    """Poll ``condition`` until truthy; fails (never measures) after ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Service:
    """One running app and how to reach it."""

    app: FastAPI
    base_url: str
    public_url: str
    workdir: Path
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

    @property
    def week(self) -> str:
        return next_week(self.runtime.today())

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
            trust_env=False,
        )

    def sync(self) -> dict[str, Any]:
        with self.api() as client:
            reply = client.post("/api/sync", json={"calendar": "work", "week": self.week})
        assert reply.status_code == 200, reply.text
        [result] = reply.json()["results"]
        return dict(result)

    def runs(self, trigger: str | None = None) -> list[Any]:
        runs = self.runtime.store.runs("work", 200)
        return [r for r in runs if trigger is None or r.trigger == trigger]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "server did not stop"


class Browser:
    """Follows redirects like a browser would, through the service's public URL."""

    def __init__(self, service: Service, verify: Any = True) -> None:
        self.service = service
        self.client = httpx.Client(timeout=60, trust_env=False, verify=verify)

    def _local(self, url: str) -> tuple[str, dict[str, str]]:
        svc = self.service
        for base in (svc.public_url, svc.base_url):
            if url.startswith(base):
                local = svc.base_url + url[len(base) :]
                return local, {"Authorization": f"Bearer {TOKEN}"}
        return url, {}

    def go(
        self, url: str, *, method: str = "GET", data: Any = None, hops: int = 10
    ) -> httpx.Response:
        """Request ``url`` and follow redirects; returns the first non-redirect answer."""
        for _ in range(hops):
            target, headers = self._local(url)
            reply = self.client.request(method, target, headers=headers, data=data)
            if reply.status_code not in (301, 302, 303, 307) or reply.headers.get(
                "location", ""
            ) in ("/", ""):
                return reply
            url = str(httpx.URL(target).join(reply.headers["location"]))
            method, data = "GET", None
        raise AssertionError("too many redirects")

    def close(self) -> None:
        self.client.close()


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def start_service(
    workdir: Path, provider: str, *, public_url: str | None = None, **settings: Any
) -> Service:
    """Write the rules, bind a port, build the app for it, serve it in a thread."""
    (workdir / "rules.yaml").write_text(rules_yaml(provider))
    sock = free_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{workdir / 'blocker.db'}",
        "api_token": TOKEN,
        "encryption_key": TokenCipher.generate_key(),
        "rules_path": workdir / "rules.yaml",
        "public_base_url": public_url or base,
    }
    values.update(settings)
    try:
        app = create_app(Settings(**values))
    except BaseException:
        sock.close()
        raise
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="server start")
    return Service(app, base, public_url or base, workdir, server, thread)


@pytest.fixture
def insecure_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Google fake speaks plain http on loopback; oauthlib refuses that unless told."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def db_bytes(workdir: Path) -> bytes:
    """Every byte the SQLite database holds on disk (main file, WAL and journal)."""
    data = b""
    for name in ("blocker.db", "blocker.db-wal", "blocker.db-journal"):
        path = workdir / name
        if path.exists():
            data += path.read_bytes()
    return data
