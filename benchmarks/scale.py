"""Section 5: weekly generation for 1,000 and 10,000 simulated users on one node.

Each user's weekly job is what the service runs on Friday, through the product's
own path: the job function :func:`blocker.jobs.generate_next_week`, which calls
``Runtime.sync``: one read of the week and the 92 days before it (last contacts),
expand the user's rules, plan, diff, apply, record in the store. The calendar is
the in-memory provider holding the user's meetings (it stands for Google or
Outlook; it is dropped after the user's run, as the real calendar lives
elsewhere). The store is the real one (SQLAlchemy) on SQLite or on PostgreSQL
(a database created for the run and dropped after it).

Users are spread over ``PROCESSES`` worker processes (the node's 2 cores); each
worker builds a pool of 20 generated users' rules once (parsing is not part of
the weekly job: the service keeps rules loaded) and cycles through it with
distinct calendar ids. Peak memory is each worker's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Options, save, table

PROCESSES = 2
POOL = 20
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def _worker(url: str, first: int, count: int, seed: int) -> dict[str, Any]:
    """Run ``count`` users' weekly jobs from user number ``first``; report figures.

    Each user's job is the product's: :func:`blocker.jobs.generate_next_week` on a
    :class:`~blocker.runtime.Runtime` holding that user's rules, which calls
    ``Runtime.sync`` (one read of the week and its history, expand, plan, diff,
    apply, record). The runtime is built as ``Runtime.open`` builds it once the
    rules are parsed (the service keeps them loaded), on the worker's one store.
    """
    from benchmarks.generator import generate
    from blocker.core.clock import fixed_clock
    from blocker.core.weeks import week_dates
    from blocker.jobs import generate_next_week
    from blocker.metrics import CountingProvider
    from blocker.runtime import Runtime
    from blocker.settings import Settings
    from blocker.store.crypto import TokenCipher
    from blocker.store.db import open_store
    from providers.memory import MemoryCalendar
    from rules.spec import CalendarSpec

    store = open_store(url, TokenCipher(TokenCipher.generate_key()), migrate_schema=False)
    settings = Settings(database_url=url)
    pool = [generate(seed + i) for i in range(POOL)]
    errors = 0
    blocks = 0
    began = time.perf_counter()
    for n in range(first, first + count):
        user = pool[n % POOL]
        calendar_id = f"user-{n:06d}"
        monday = week_dates(user.spec.week)[0]
        now = datetime.combine(monday - timedelta(days=3), dtime(15, 0), tzinfo=user.rules.tz)
        rules = user.rules.model_copy(
            update={"calendars": (CalendarSpec(id=calendar_id, provider="memory"),)}
        )
        runtime = Runtime(settings, store, rules_path=None, clock=fixed_clock(now))
        runtime._install(rules, "")
        provider = runtime.provider(calendar_id)
        assert isinstance(provider, CountingProvider)
        calendar = provider.inner
        assert isinstance(calendar, MemoryCalendar)
        for b in user.busy:
            calendar.add_foreign(b.start, b.end, b.title, all_day=b.all_day)
        [outcome] = generate_next_week(runtime, calendar_id)
        if outcome.week != user.spec.week:
            raise RuntimeError(f"{calendar_id}: generated {outcome.week}, not {user.spec.week}")
        errors += bool(outcome.errors)
        blocks += len(outcome.plan.blocks)
    elapsed = time.perf_counter() - began
    store.close()
    return {
        "users": count,
        "seconds": elapsed,
        "errors": errors,
        "blocks": blocks,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _create_database(backend: str, folder: Path) -> tuple[str, str | None]:
    """The store URL for ``backend`` (schema migrated) and the PG database name."""
    from blocker.store.db import migrate

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'scale.db'}"
        migrate(url)
        return url, None
    import psycopg

    name = f"blocker_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    migrate(url)
    return url, name


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(backend: str, users: int, seed: int, processes: int = PROCESSES) -> dict[str, Any]:
    """Generate ``users`` weeks on ``backend`` with PROCESSES workers; wall time, memory."""
    with tempfile.TemporaryDirectory() as tmp:
        url, database = _create_database(backend, Path(tmp))
        try:
            share = -(-users // processes)
            began = time.perf_counter()
            children = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.scale",
                        "--worker",
                        url,
                        str(i * share),
                        str(min(share, users - i * share)),
                        str(seed),
                    ],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                for i in range(processes)
            ]
            results = []
            for child in children:
                out, _ = child.communicate()
                if child.returncode != 0:
                    raise RuntimeError(f"scale worker failed ({child.returncode})")
                results.append(json.loads(out.decode().strip().splitlines()[-1]))
            wall = time.perf_counter() - began
        finally:
            if database is not None:
                _drop_database(database)
    return {
        "backend": backend,
        "users": users,
        "wall_seconds": wall,
        "job_seconds": max(r["seconds"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "blocks": sum(r["blocks"] for r in results),
        "peak_mb_per_process": max(r["maxrss_mb"] for r in results),
        "peak_mb_total": sum(r["maxrss_mb"] for r in results),
    }


def main(options: Options, sections: set[str]) -> None:
    del sections
    sizes = (100, 1000) if options.quick else (1000, 10000)
    figures: list[dict[str, Any]] = []
    for backend in ("sqlite", "postgresql"):
        for users in sizes:
            print(f"  scale: {backend}, {users} users", flush=True)
            figures.append(run(backend, users, options.seed))
    rows = []
    for f in figures:
        small = next(g for g in figures if g["backend"] == f["backend"])
        growth = (
            f"{f['wall_seconds'] / small['wall_seconds']:.1f}x time, "
            f"{f['peak_mb_per_process'] / small['peak_mb_per_process']:.2f}x memory"
            if f is not small
            else "-"
        )
        rows.append(
            [
                f["backend"],
                f"{f['users']:,}",
                f"{f['wall_seconds']:.0f} s",
                f"{f['users'] / f['wall_seconds']:.0f}",
                f"{f['peak_mb_per_process']:.0f} MB",
                f"{f['peak_mb_total']:.0f} MB",
                str(f["errors"]),
                growth,
            ]
        )
    big = [f for f in figures if f["users"] == max(sizes)]
    met = all(f["wall_seconds"] < 300 and f["peak_mb_total"] < 1024 for f in big)
    markdown = "\n".join(
        [
            "## 5. Scale on one node",
            "",
            "Weekly generation per simulated user through the product's path: the weekly job "
            "`generate_next_week` -> `Runtime.sync` (one read of the week and its 92 days of "
            "history, expand rules, plan, diff, apply, record), memory calendar, the real "
            f"store; {PROCESSES} worker "
            f"processes on the {os.cpu_count()}-core machine, each over its share of the users "
            f"(a pool of {POOL} generated users' rules, seeds {options.seed}.., cycled with "
            "distinct calendar ids). Total = wall time from starting the workers to the last "
            "one done (their start-up and rules loading included).",
            "",
            table(
                [
                    "store",
                    "users",
                    "total",
                    "users/s",
                    "peak / process",
                    "peak, all processes",
                    "runs with errors",
                    "growth from the smaller run",
                ],
                rows,
            ),
            "",
            (
                f"Target: {max(sizes):,} users in < 5 minutes and < 1 GB peak: "
                + ("met." if met else "**not met**.")
            )
            if not options.quick
            else "A `--quick` run (100 and 1,000 users): the target, 10,000 users in < 5 "
            "minutes and < 1 GB peak, is **not measured** by it.",
        ]
    )
    save("scale", markdown, {"runs": figures})


def _cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=4, metavar=("URL", "FIRST", "COUNT", "SEED"))
    args = parser.parse_args()
    url, first, count, seed = args.worker
    print(json.dumps(_worker(url, int(first), int(count), int(seed))), flush=True)


if __name__ == "__main__":
    _cli()
