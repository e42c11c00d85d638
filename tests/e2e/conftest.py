"""End to end: the real app under uvicorn on loopback, the real scheduler, a SQLite store
in tmp_path, and the protocol-faithful Google / Microsoft fakes.

The service runs on the real clock (the fakes expire channels and subscriptions on
real time), so the tests sync *next* week, which is whole and in the future
whatever day the suite runs. A :class:`Browser` plays the user's browser: it
follows redirects itself, sends the API token only to the service, and maps the
service's public URL onto its loopback address (a TLS-terminating proxy would).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from blocker.core.weeks import next_week
from blocker.settings import Settings
from blocker.state import EventMapping
from blocker.store import TokenCipher
from blocker.store.records import Connection
from blocker.web.app import create_app
from tests.fakes.microsoft.fixtures import ms_graph, ms_identity, ms_session, ms_tls
from tests.support.app_state import AppStateAccess
from tests.support.rules import rules_yaml as shared_rules_yaml
from tests.support.server import RunningServer, base_url_of, loopback_socket, start_server
from tests.support.waiting import wait_for as shared_wait_for

__all__ = ["ms_graph", "ms_identity", "ms_session", "ms_tls"]

TOKEN = "e2e-api-t0ken-for-the-tests"
TIMEZONE = "America/New_York"


def rules_yaml(provider: str) -> str:
    """A small week: lunch, two hours of deep work, a daily wrap-up, on one remote calendar."""
    return shared_rules_yaml(
        [f"{{id: work, provider: {provider}, calendar: primary}}"],
        timezone=TIMEZONE,
        max_wait=3,
    )


wait_for = partial(shared_wait_for, limit=30.0)


@dataclass
class Service(AppStateAccess):
    """One running app and how to reach it."""

    app: FastAPI
    base_url: str
    public_url: str
    workdir: Path
    server: RunningServer

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
        self.server.stop()


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


def start_service(
    workdir: Path, provider: str, *, public_url: str | None = None, **settings: Any
) -> Service:
    """Write the rules, bind a port, build the app for it, serve it in a thread."""
    (workdir / "rules.yaml").write_text(rules_yaml(provider))
    sock = loopback_socket()
    base = base_url_of(sock)
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
    server = start_server(app, sock=sock, limit=30.0)
    return Service(app, base, public_url or base, workdir, server)


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


def assert_connected_and_sealed(service: Service, refresh_tokens: Iterable[str]) -> Connection:
    """Connected with tokens; the one refresh token is in the store, never on disk in clear.

    Returns the connection, for the provider-specific checks that follow.
    """
    store = service.runtime.store
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "connected" and conn.has_tokens
    [refresh] = list(refresh_tokens)
    assert refresh in (store.connection_tokens("work") or b"").decode()
    assert refresh.encode() not in db_bytes(service.workdir), "refresh token stored in clear"
    return conn


def sync_creates(service: Service) -> list[dict[str, Any]]:
    """A first sync of the week: no errors, at least ten blocks created; the create ops."""
    result = service.sync()
    assert result["errors"] == []
    creates = [op for op in result["ops"] if op["action"] == "create"]
    assert len(creates) >= 10
    return creates


def wait_until_moved(service: Service, moved: Callable[[], bool]) -> None:
    """The webhook's rebalance moves the block, and records a webhook run."""
    wait_for(moved, what="the block to move off the meeting")
    wait_for(lambda: service.runs("webhook"), what="the webhook run record")


def assert_refused_and_kept(service: Service, mapped: dict[str, EventMapping]) -> None:
    """A sync after a lost grant writes nothing, asks to reconnect, and keeps the mappings."""
    result = service.sync()
    assert result["ops"] == [] and result["errors"]
    assert "connect it again" in result["errors"][0]
    last = service.runs()[0]
    assert last.errors and "connect it again" in last.errors[0]
    assert service.runtime.store.mappings("work", service.week) == mapped


def assert_reconnected_in_step(service: Service) -> None:
    """After reconnecting: connected again, and the calendar already matches the plan."""
    conn = service.runtime.store.get_connection("work")
    assert conn is not None and conn.status == "connected"
    result = service.sync()
    assert result["errors"] == [] and result["ops"] == []
