"""Section 3: API requests counted at the fake Google and Microsoft servers.

Through the product's own path: the connection is made as the product makes it
(the stored refresh token on Google; msal's sign-in against the identity fake on
Graph), then every run is a new :class:`~blocker.runtime.Runtime` on one SQLite
store (separate CLI processes or workers would be) calling what the CLI, the API
and the scheduler call: the weekly job :func:`blocker.jobs.generate_next_week`
for the first sync, ``Runtime.sync`` for the others. Every read is counted,
the history last contacts come from included. The real providers
(google-api-python-client over httplib2; httpx to Graph) talk to the
protocol-faithful fakes of tests/fakes on loopback.

Runs on the example rules (config.example.yaml, week 2026-W49, planned the
Sunday before): the first sync of the week, a no-op resync, a rebalance after
one meeting lands on a block; then, with a busy history (an account meeting on
each working day of the 92 days before), the no-op and the next morning's first
run, when the daily full read of the week and its history is due.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from math import ceil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import ROOT, Options, save, table
from blocker.core.models import Block

WEEK = "2026-W49"
ZONE = ZoneInfo("America/New_York")
SUNDAY = datetime(2026, 11, 29, 12, 0, tzinfo=ZONE)  # the Sunday before the week
TARGETS = {"Google": (3, 1, 2), "Microsoft Graph": (5, 1, 3)}
BATCH = {"Google": 50, "Microsoft Graph": 20}
CALLBACK = "http://127.0.0.1:9/oauth/microsoft/callback"


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    requests: int
    writes: int
    floor: int
    detail: str


@dataclass(slots=True)
class Harness:
    """One deployment on one provider's fake: count requests, book meetings."""

    name: str
    settings: Any
    rules: Path
    count: Callable[[], int]
    clear: Callable[[], None]
    add_meeting: Callable[[datetime, datetime, str, str], None]
    detail: Callable[[], str]
    clock: list[datetime] = field(default_factory=lambda: [SUNDAY])

    def runtime(self, at: datetime | None = None) -> Any:
        """A new process's runtime, a minute after the last one (or at ``at``)."""
        from blocker.core.clock import fixed_clock
        from blocker.runtime import Runtime

        self.clock[0] = at or self.clock[0] + timedelta(minutes=1)
        return Runtime.open(self.settings, self.rules, clock=fixed_clock(self.clock[0]))


def _rules(folder: Path, provider: str) -> Path:
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\ncalendars:")]
    (folder / "rules.yaml").write_text(
        head + f"\ncalendars:\n  - {{id: work, provider: {provider}}}\n", encoding="utf-8"
    )
    (folder / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "accounts.csv", folder / "examples" / "accounts.csv")
    return folder / "rules.yaml"


def _common(folder: Path) -> dict[str, Any]:
    from blocker.store import TokenCipher

    return {
        "database_url": f"sqlite:///{folder / 'blocker.db'}",
        "encryption_key": TokenCipher.generate_key(),
        "public_base_url": "http://127.0.0.1:9",  # unreachable: no push channel
    }


@contextlib.contextmanager
def google() -> Iterator[Harness]:
    from blocker.connect import Connector
    from blocker.settings import Settings
    from providers.google_client import EVENTS_SCOPE
    from tests.fakes.google import run_fake_google

    with tempfile.TemporaryDirectory() as tmp, run_fake_google(time_zone=ZONE.key) as fake:
        folder = Path(tmp)
        settings = Settings(
            **_common(folder),
            google_client_id=fake.oauth.client_id,
            google_client_secret=fake.oauth.client_secret,
            google_token_uri=f"{fake.base_url}/token",
            google_api_root=f"{fake.base_url}/",
        )

        def detail() -> str:
            return ", ".join(
                f"{r.method} {r.path.rsplit('/', 1)[-1]}"
                + (f" ({r.parts} parts)" if r.parts else "")
                for r in fake.requests()
            )

        def add(start: datetime, end: datetime, title: str, organizer: str) -> None:
            fake.add_event(
                {
                    "summary": title,
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": end.isoformat()},
                    "organizer": {"email": organizer},
                    "attendees": [{"email": organizer, "responseStatus": "accepted"}],
                }
            )

        harness = Harness(
            "Google",
            settings,
            _rules(folder, "google"),
            lambda: len(fake.requests()),
            fake.clear_log,
            add,
            detail,
        )
        runtime = harness.runtime()
        try:
            blob = {
                "refresh_token": fake.oauth.issue_refresh_token(EVENTS_SCOPE),
                "scopes": [EVENTS_SCOPE],
                "token_uri": f"{fake.base_url}/token",
            }
            Connector(runtime).store("work", "google", json.dumps(blob).encode(), "")
        finally:
            runtime.close()
        yield harness


@contextlib.contextmanager
def graph() -> Iterator[Harness]:
    import requests

    from blocker.connect import Connector
    from blocker.settings import Settings
    from tests.fakes.microsoft.graph import FakeGraph
    from tests.fakes.microsoft.identity import FakeIdentity, form_fields
    from tests.fakes.microsoft.server import TLSFiles, serve

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        tls = TLSFiles(folder)
        identity = FakeIdentity()
        identity.base_url = stack.enter_context(serve(identity.app, tls=tls))
        fake = FakeGraph()
        fake.base_url = stack.enter_context(serve(fake.app))
        fake.token_ok = identity.state.token_valid
        fake.token_scopes = identity.state.token_scopes
        session = stack.enter_context(requests.Session())
        session.trust_env = False
        session.verify = str(tls.ca_file)
        settings = Settings(
            **_common(folder),
            microsoft_client_id=identity.state.client_id,
            microsoft_client_secret=identity.state.client_secret,
            microsoft_authority=identity.authority(),
            microsoft_graph_root=fake.root,
            microsoft_ca_bundle=tls.ca_file,
        )

        def detail() -> str:
            top = [f"{m} {p.rsplit('/', 1)[-1]}" for m, p, b in fake.log.entries if not b]
            return ", ".join(top) + f" ({fake.log.batched()} batched parts)"

        def add(start: datetime, end: datetime, title: str, organizer: str) -> None:
            fake.mailbox.add_foreign(title, start, end, organizer=organizer)

        harness = Harness(
            "Microsoft Graph",
            settings,
            _rules(folder, "outlook"),
            fake.log.http,
            fake.log.clear,
            add,
            detail,
        )
        runtime = harness.runtime()
        try:
            connector = Connector(runtime)
            url = connector.start("outlook", "work", CALLBACK)
            _, fields = form_fields(session.get(url).text)
            connector.finish("outlook", fields)
        finally:
            runtime.close()
        yield harness


def _meetings() -> list[tuple[datetime, datetime, str]]:
    """Five ordinary meetings of the week (a colleague books them before the run)."""
    out = []
    for day in range(5):
        start = datetime(2026, 11, 30, 11 + day % 3, 0, tzinfo=ZONE) + timedelta(days=day)
        out.append((start, start + timedelta(minutes=30), f"Customer call {day}"))
    return out


def _history(harness: Harness, domains: list[str]) -> int:
    """An account meeting at 14:00 on every working day of the 92 days before the week."""
    monday = datetime(2026, 11, 30, 14, 0, tzinfo=ZONE)
    booked = 0
    for back in range(1, 93):
        day = monday - timedelta(days=back)
        if day.weekday() < 5:
            domain = domains[booked % len(domains)]
            harness.add_meeting(
                day, day + timedelta(minutes=45), f"Check-in {back}", f"cs@{domain}"
            )
            booked += 1
    return booked


def _sync(harness: Harness, *, at: datetime | None = None, job: bool = False) -> Any:
    """One run in a new process: the weekly job, or ``Runtime.sync`` as the CLI/API call it."""
    from blocker.jobs import generate_next_week

    runtime = harness.runtime(at)
    try:
        if job:
            [outcome] = generate_next_week(runtime, "work")
            return outcome
        return runtime.sync(None, "work", WEEK, trigger="benchmark")
    finally:
        runtime.close()


def _run(harness: Harness, name: str, outcome: Any) -> Run:
    if outcome.errors:
        raise RuntimeError(f"{harness.name} {name}: {outcome.errors}")
    writes = len(outcome.ops)
    floor = 1 + ceil(writes / BATCH[harness.name])
    return Run(name, harness.count(), writes, floor, harness.detail())


def measure(harness: Harness) -> list[Run]:
    for start, end, title in _meetings():
        harness.add_meeting(start, end, title, "colleague@example.com")
    runs: list[Run] = []
    harness.clear()
    first = _sync(harness, job=True)
    runs.append(_run(harness, "first sync of the week (weekly job)", first))
    harness.clear()
    runs.append(_run(harness, "no-op resync", _sync(harness)))
    target = _a_movable_block(first.plan.blocks)
    harness.add_meeting(target.start, target.end, "Encroaching QBR", "colleague@example.com")
    harness.clear()
    runs.append(_run(harness, "rebalance after one meeting", _sync(harness)))

    runtime = harness.runtime()
    try:
        domains = [a.domains[0] for a in runtime.rules.accounts if a.domains]
    finally:
        runtime.close()
    booked = _history(harness, domains)
    harness.clear()
    runs.append(_run(harness, f"{booked} past meetings booked: their changes read", _sync(harness)))
    harness.clear()
    runs.append(_run(harness, "no-op resync with that busy history", _sync(harness)))
    harness.clear()
    morning = SUNDAY + timedelta(days=1) - timedelta(hours=5)  # Monday 07:00
    runs.append(
        _run(
            harness,
            "next morning: the daily full read (week + 92 days)",
            _sync(harness, at=morning),
        )
    )
    return runs


def _a_movable_block(blocks: tuple[Block, ...]) -> Block:
    """A flexible, unprotected block mid-week: where an encroaching meeting lands."""
    candidates = [b for b in blocks if b.flexible and not b.protected and not b.all_day]
    return candidates[len(candidates) // 2]


def main(options: Options, sections: set[str]) -> None:
    del sections
    results: dict[str, list[Run]] = {}
    for factory in (google, graph):
        with factory() as harness:
            results[harness.name] = measure(harness)
    rows: list[list[str]] = []
    for provider, runs in results.items():
        targets = TARGETS[provider]
        for i, run in enumerate(runs):
            target = targets[i] if i < len(targets) else 1 if i == 4 else None
            ok = "-" if target is None else "yes" if run.requests <= target else "**no**"
            rows.append(
                [
                    provider,
                    run.name,
                    str(run.writes),
                    str(run.requests),
                    str(run.floor),
                    "-" if target is None else f"<= {target}",
                    ok,
                ]
            )
    details = "\n".join(
        f"- {provider}, {run.name}: {run.detail}"
        for provider, runs in results.items()
        for run in runs
    )
    markdown = "\n".join(
        [
            "## 3. API requests per sync",
            "",
            "Counted at the fakes (tests/fakes) through the product's own path: a new "
            "`Runtime` per run on one SQLite store (as separate CLI processes or workers), "
            "the first sync by the weekly job `generate_next_week`, the others by "
            "`Runtime.sync` as `blocker sync`, `POST /api/sync` and the webhook job call it; "
            "connections made as the product makes them (stored Google refresh token; msal "
            "sign-in against the identity fake). Every read counted, the 92 days of history "
            f"last contacts come from included. config.example.yaml, week {WEEK}, five "
            "meetings booked beforehand, planning time the Sunday before. Requests = "
            "top-level HTTP requests to the calendar API (a batch is one; OAuth token calls "
            "not counted). Floor = 1 read + ceil(writes / batch size) (Google batches 50, "
            "Graph 20).",
            "",
            table(
                ["provider", "run", "writes", "requests", "floor", "target", "met"],
                rows,
            ),
            "",
            "Requests seen:",
            "",
            details,
        ]
    )
    figures: dict[str, Any] = {p: [asdict(run) for run in runs] for p, runs in results.items()}
    save("requests", markdown, {"quick": options.quick, "runs": figures})
