"""One read per run, counted at the fakes through the product's three entry points.

The CLI (``blocker sync --now``, a real subprocess), the API (``POST /api/sync`` on the
real app) and the job a webhook schedules (:func:`blocker.jobs.rebalance`, as the
scheduler runs it) all go through ``Runtime.sync``: the week and the 92 days of
history its last contacts come from are one read. A no-op is one request on
Google and on Graph from any of them, right after a first sync made elsewhere,
and a busy history costs no request of its own (issue 16 item 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from pydantic import SecretStr

from blocker.core.clock import fixed_clock
from blocker.core.errors import ProviderError
from blocker.jobs import rebalance
from blocker.runtime import Runtime
from blocker.settings import Settings, env_name
from blocker.web.app import create_app
from tests.fakes.google import run_fake_google
from tests.fakes.microsoft.fixtures import ms_graph, ms_identity, ms_session, ms_tls
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.server import TLSFiles
from tests.support.clock import TEST_NOW, next_week, subprocess_env, this_week
from tests.support.deployment import (
    add_google_meeting,
    connect_google,
    connect_graph,
    example_rules,
    google_settings,
    graph_settings,
    store_settings,
)
from tests.support.server import base_url_of, loopback_socket, start_server

__all__ = ["ms_graph", "ms_identity", "ms_session", "ms_tls"]

BLOCKER = Path(sys.executable).parent / "blocker"
TOKEN = "one-read-api-t0ken"


@dataclass
class Deployment:
    """One calendar ``work`` on a remote provider, a SQLite store, and the fake's counter."""

    settings: Settings
    rules: Path
    week: str
    requests: Callable[[], int]
    clear: Callable[[], None]
    add_meeting: Callable[[datetime, datetime, str, str], None]
    batch: int
    minutes: int = 0

    def runtime(self) -> Runtime:
        """A new process's runtime, a minute later than the last."""
        self.minutes += 1
        clock = fixed_clock(TEST_NOW + timedelta(minutes=self.minutes))
        return Runtime.open(self.settings, self.rules, clock=clock)

    def cli(self) -> str:
        """``blocker sync`` in its own process; its stdout."""
        self.minutes += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")}
        env.update(subprocess_env())
        env.update(_env(self.settings))
        env["NO_COLOR"] = "1"
        env["COLUMNS"] = "200"
        now = (TEST_NOW + timedelta(minutes=self.minutes)).isoformat()
        args = ["sync", "--config", str(self.rules), "--week", self.week, "--now", now]
        done = subprocess.run(
            [str(BLOCKER), *args], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def api(self) -> dict[str, Any]:
        """``POST /api/sync`` on the real app under uvicorn (its scheduler off)."""
        self.minutes += 1
        clock = fixed_clock(TEST_NOW + timedelta(minutes=self.minutes))
        sock = loopback_socket()
        base = base_url_of(sock)
        try:
            app = create_app(self.settings, clock=clock, start_scheduler=False)
        except BaseException:
            sock.close()
            raise
        server = start_server(app, sock=sock, limit=30.0)
        try:
            reply = httpx.post(
                f"{base}/api/sync",
                json={"calendar": "work", "week": self.week},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=60,
                trust_env=False,
            )
        finally:
            server.stop()
        assert reply.status_code == 200, reply.text
        [result] = reply.json()["results"]
        return dict(result)

    def webhook_job(self) -> list[Any]:
        """The rebalance a webhook schedules, as the scheduler runs it."""
        runtime = self.runtime()
        try:
            return rebalance(runtime, "work", trigger="webhook")
        finally:
            runtime.close()


def _env(settings: Settings) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in settings.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        out[env_name(name)] = str(value)
    return out


def _common(tmp_path: Path) -> dict[str, Any]:
    return {**store_settings(tmp_path), "api_token": TOKEN}


@pytest.fixture
def google(tmp_path: Path) -> Iterator[Deployment]:
    with run_fake_google(time_zone="America/New_York") as fake:
        settings = Settings(**_common(tmp_path), **google_settings(fake))
        deployment = Deployment(
            settings,
            example_rules(tmp_path, "google"),
            this_week(),
            lambda: len(fake.requests()),
            fake.clear_log,
            lambda start, end, title, organizer: add_google_meeting(
                fake, start, end, title, organizer
            ),
            50,
        )
        runtime = deployment.runtime()
        try:
            connect_google(runtime, fake)
        finally:
            runtime.close()
        yield deployment


@pytest.fixture
def graph(
    tmp_path: Path,
    ms_identity: FakeIdentity,
    ms_graph: FakeGraph,
    ms_tls: TLSFiles,
    ms_session: requests.Session,
) -> Deployment:
    settings = Settings(
        **_common(tmp_path), **graph_settings(ms_identity, ms_graph, ms_tls.ca_file)
    )

    def meeting(start: datetime, end: datetime, title: str, organizer: str) -> None:
        ms_graph.mailbox.add_foreign(title, start, end, organizer=organizer)

    deployment = Deployment(
        settings,
        example_rules(tmp_path, "outlook"),
        this_week(),
        ms_graph.log.http,
        ms_graph.log.clear,
        meeting,
        20,
    )
    runtime = deployment.runtime()
    try:
        connect_graph(runtime, ms_session)
    finally:
        runtime.close()
    return deployment


def _busy_history(deployment: Deployment, domains: list[str], filler: int) -> None:
    """A meeting with each of ``domains`` in the week before the week's Monday, and
    ``filler`` vendor meetings spread over the 90 days before it."""
    year, number = (int(part) for part in deployment.week.split("-W"))
    monday = datetime.fromisocalendar(year, number, 1).replace(hour=10, tzinfo=TEST_NOW.tzinfo)
    for i, domain in enumerate(domains):
        day = monday - timedelta(days=1 + i % 7, minutes=-(i // 7) * 30)
        deployment.add_meeting(day, day + timedelta(minutes=30), f"Check-in {i}", f"cfo@{domain}")
    for i in range(filler):
        day = monday - timedelta(days=8 + i % 82, hours=-4)
        deployment.add_meeting(day, day + timedelta(minutes=30), f"Vendor {i}", "am@vendor.example")


def _silent(outcome: Any) -> set[str]:
    return {r.account for r in outcome.spec.requests if r.kind == "silent_account" and r.account}


@pytest.mark.parametrize("provider", ["google", "graph"])
def test_a_no_op_is_one_request_from_the_cli_the_api_and_a_webhook_job(
    provider: str, request: pytest.FixtureRequest
) -> None:
    deployment: Deployment = request.getfixturevalue(provider)
    runtime = deployment.runtime()
    try:
        silent = _silent(runtime.preview("work", deployment.week))
        domains = [a.domains[0] for a in runtime.rules.accounts if a.name in silent]
    finally:
        runtime.close()
    assert silent and len(domains) == len(silent)
    _busy_history(deployment, domains, filler=60)

    deployment.clear()
    runtime = deployment.runtime()
    try:
        first = runtime.sync(None, "work", deployment.week, trigger="cli")
    finally:
        runtime.close()
    writes = len(first.ops)
    assert first.errors == () and writes > 0
    # the week and its history in one read, then the write batches: no history request
    assert deployment.requests() == 1 + ceil(writes / deployment.batch)
    # the history came with it: every account met last week is silent no more
    assert not _silent(first) & silent, _silent(first) & silent

    deployment.clear()
    out = deployment.cli()
    assert "Calendar already matches the plan: nothing to write." in out, out
    assert deployment.requests() == 1

    deployment.clear()
    result = deployment.api()
    assert result["ops"] == [] and result["errors"] == []
    assert deployment.requests() == 1

    deployment.clear()
    outcomes = deployment.webhook_job()
    assert [len(o.ops) for o in outcomes] == [0] and outcomes[0].run is not None
    assert outcomes[0].run.extra["incremental"] == 1
    assert deployment.requests() == 1


def test_a_failed_read_is_recorded_once(tmp_path: Path) -> None:
    with run_fake_google(time_zone="America/New_York") as fake:
        settings = Settings(**_common(tmp_path), **google_settings(fake))
        rules = example_rules(tmp_path, "google")
        runtime = Runtime.open(settings, rules, clock=fixed_clock(TEST_NOW))
        try:
            connect_google(runtime, fake)
            fake.fail_next(1, 404, "notFound")
            with pytest.raises(ProviderError):
                runtime.sync(None, "work", this_week(), trigger="cli")
            runs = runtime.store.runs("work")
        finally:
            runtime.close()
    assert len(runs) == 1, runs
    [failed] = runs[0].errors
    assert failed.startswith("read failed, nothing written")


def _reads(runtime: Runtime) -> float:
    return runtime.metrics.provider_calls("read")


def test_the_scorecard_reuses_the_previews_read(tmp_path: Path) -> None:
    """``GET /api/report`` and the dashboard: one read of the calendar, not two."""
    from tests.service.conftest import make_settings
    from tests.service.conftest import rules_yaml as service_rules

    (tmp_path / "rules.yaml").write_text(service_rules(provider="memory"))
    runtime = Runtime.open(make_settings(tmp_path), clock=fixed_clock(TEST_NOW))
    try:
        for week in (this_week(), next_week()):
            before = _reads(runtime)
            card = runtime.report("mem", week)
            assert "actual" in card
            assert _reads(runtime) - before == 1, week
    finally:
        runtime.close()
