"""Section 3: API requests counted at the fake Google and Microsoft servers.

The real providers (google-api-python-client over httplib2; httpx to Graph) and
the real sync engine run against the protocol-faithful fakes of tests/fakes on
loopback, started with the same helpers the tests use. Three runs per
provider on the example rules (config.example.yaml, week 2026-W49, with a few
meetings): the first sync of the week, a no-op resync, and a rebalance after
one meeting lands on a block. The floor is 1 read + ceil(writes / batch size).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from math import ceil
from typing import Any

from benchmarks.common import ROOT, Options, save, table
from blocker.core.models import Block, WeekSpec
from blocker.state_memory import MemoryState
from blocker.sync import SyncOutcome, sync_calendar
from providers.base import CalendarProvider
from rules import expand_week, load_rules

WEEK = "2026-W49"
TARGETS = {"Google": (3, 1, 3), "Microsoft Graph": (4, 1, 3)}


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    requests: int
    writes: int
    floor: int
    detail: str


@dataclass(slots=True)
class Harness:
    """One provider against its fake: count requests, add a meeting as a colleague."""

    name: str
    provider: CalendarProvider
    batch_size: int
    count: Callable[[], int]
    clear: Callable[[], None]
    add_meeting: Callable[[datetime, datetime, str], None]
    detail: Callable[[], str]


def example_week() -> tuple[WeekSpec, datetime]:
    rules = load_rules(ROOT / "config.example.yaml")
    spec = expand_week(rules, WEEK, today=date(2026, 11, 30))
    now = datetime(2026, 11, 29, 12, 0, tzinfo=rules.tz)  # the Sunday before
    return spec, now


def _meetings(spec: WeekSpec) -> list[tuple[datetime, datetime, str]]:
    """Five ordinary meetings of the week (a colleague books them before the run)."""
    out = []
    for i, span in enumerate(spec.working[:5]):
        start = span.start + timedelta(hours=2 + (i % 3))
        out.append((start, start + timedelta(minutes=30), f"Customer call {i}"))
    return out


@contextlib.contextmanager
def google() -> Iterator[Harness]:
    import httplib2

    from providers.google import GoogleCalendar
    from providers.google_client import EVENTS_SCOPE, GoogleSettings
    from providers.google_retry import Backoff
    from tests.fakes.google import run_fake_google

    with run_fake_google(time_zone="America/New_York") as fake:
        settings = GoogleSettings(
            client_id=fake.oauth.client_id,
            client_secret=fake.oauth.client_secret,
            auth_uri=f"{fake.base_url}/o/oauth2/auth",
            token_uri=f"{fake.base_url}/token",
            api_root=f"{fake.base_url}/",
            timeout=10,
        )
        token = fake.oauth.issue_refresh_token(EVENTS_SCOPE)
        provider = GoogleCalendar(
            settings,
            token,
            http=httplib2.Http(timeout=10, proxy_info=None),
            backoff=Backoff(attempts=4, sleep=lambda s: None, jitter=lambda: 1.0),
        )

        def detail() -> str:
            return ", ".join(
                f"{r.method} {r.path.rsplit('/', 1)[-1]}"
                + (f" ({r.parts} parts)" if r.parts else "")
                for r in fake.requests()
            )

        def add(start: datetime, end: datetime, title: str) -> None:
            fake.add_meeting(start, end, title)

        try:
            yield Harness(
                "Google",
                provider,
                50,
                lambda: len(fake.requests()),
                fake.clear_log,
                add,
                detail,
            )
        finally:
            provider.close()


@contextlib.contextmanager
def graph() -> Iterator[Harness]:
    import httpx

    from providers.outlook import OutlookCalendar
    from tests.fakes.microsoft.graph import FakeGraph
    from tests.fakes.microsoft.server import serve

    fake = FakeGraph()
    with serve(fake.app) as url, httpx.Client(trust_env=False, timeout=20) as client:
        fake.base_url = url
        spec, _ = example_week()
        from zoneinfo import ZoneInfo

        provider = OutlookCalendar(
            lambda: "static-bench-token",
            graph_root=fake.root,
            client=client,
            zone=ZoneInfo(spec.timezone),
            sleeper=lambda s: None,
        )

        def detail() -> str:
            counts = fake.log.counts()
            top = [f"{m} {p.rsplit('/', 1)[-1]}" for m, p, b in fake.log.entries if not b]
            return ", ".join(top) + f" ({fake.log.batched()} batched parts)" * bool(counts)

        def add(start: datetime, end: datetime, title: str) -> None:
            fake.mailbox.add_foreign(title, start, end)

        yield Harness(
            "Microsoft Graph",
            provider,
            20,
            lambda: fake.log.http(),
            fake.log.clear,
            add,
            detail,
        )


def _writes(outcome: SyncOutcome) -> int:
    return outcome.applied


def measure(harness: Harness) -> list[Run]:
    spec, now = example_week()
    state = MemoryState()
    for start, end, title in _meetings(spec):
        harness.add_meeting(start, end, title)

    def sync() -> SyncOutcome:
        return sync_calendar(
            calendar_id=f"bench-{harness.name}",
            provider=harness.provider,
            state=state,
            spec=spec,
            now=now,
            trigger="benchmark",
        )

    runs: list[Run] = []
    last: tuple[Block, ...] = ()
    for name in ("first sync of the week", "no-op resync", "rebalance after one meeting"):
        if name.startswith("rebalance"):
            target = _a_movable_block(last)
            harness.add_meeting(target.start, target.end, "Encroaching QBR")
        harness.clear()
        outcome = sync()
        if outcome.errors:
            raise RuntimeError(f"{harness.name} {name}: {outcome.errors}")
        writes = _writes(outcome)
        floor = 1 + ceil(writes / harness.batch_size)
        runs.append(Run(name, harness.count(), writes, floor, harness.detail()))
        last = outcome.plan.blocks
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
        for run, target in zip(runs, TARGETS[provider], strict=True):
            ok = "yes" if run.requests <= target else "**no**"
            rows.append(
                [
                    provider,
                    run.name,
                    str(run.writes),
                    str(run.requests),
                    str(run.floor),
                    f"<= {target}",
                    ok,
                ]
            )
    details = "\n".join(
        f"- {provider}, {run.name}: {run.detail}"
        for provider, runs in results.items()
        for run in runs
    )
    spec, _ = example_week()
    markdown = "\n".join(
        [
            "## 3. API requests per sync",
            "",
            f"Counted at the fakes (tests/fakes) through the real providers and sync engine: "
            f"config.example.yaml, week {WEEK} ({len(spec.requests)} requests), five meetings "
            "booked beforehand, planning time the Sunday before. Requests = top-level HTTP "
            "requests to the calendar API (a batch is one; OAuth token calls not counted). "
            "Floor = 1 read + ceil(writes / batch size) (Google batches 50, Graph 20).",
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
