"""Section 5: weekly generation for 1,000 to 10,000 team members through the job path.

Everything a deployment on PostgreSQL does for its members' Friday, in the real
code: N team users with their own overlay in the store (:mod:`benchmarks.team`);
the members' schedule (:func:`blocker.distributed.members.schedule_members`: each
member's generation time from their own rules and zone); the dispatcher
(:func:`blocker.distributed.app.dispatch_once`) queueing the due generations; and
``blocker worker`` processes (:func:`blocker.distributed.worker.run_worker`, the
real procrastinate worker and tasks) consuming them: each job resolves the
member's scope from its store key and runs ``jobs.generate_next_week`` ->
``Runtime.sync`` on the member's local calendar (their meetings in ``busy.ics``;
our blocks written to ``work.ics``). Calendars are local files: there is no
network and no Google or Graph latency (section 3 counts those requests).

The clock is pinned (Saturday 12 December 2026, 12:00 UTC: every member's
generation of that week is past due), so all N generations are queued at once:
the figures are throughput, not the spread of Friday afternoons over time zones.
Polling is switched off in the schedule table for the measurement (rules cannot
turn it off; push channels are assumed), so only weekly generations run.

Run it as ``python -m benchmarks scale`` (1,000 and 10,000 members, each with 1 and 2
workers: about an hour and a half on 2 cores), ``--quick``, or with
``BLOCKER_BENCH_SCALE_SIZES=2000,5000`` (sizes not listed above get 2 workers).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Options, save, table
from benchmarks.scale_report import markdown

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CONCURRENCY = 4
SYNC_TABLES = "event_mappings, applied_blocks, runs, sync_snapshots, pins, event_tags"


def _settings(url: str, folder: Path, key: str) -> Any:
    from blocker.settings import Settings

    return Settings(
        database_url=url,
        jobs_backend="procrastinate",
        rules_path=folder / "rules.yaml",
        data_dir=folder,
        encryption_key=key,
    )


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- child processes ---------------------------------------------------------------


def _setup(url: str, folder: Path, key: str, first: int, count: int, seed: int) -> dict[str, Any]:
    """Add members ``first..`` (team users, overlays, busy files)."""
    from benchmarks.team import TEMPLATE, build_team
    from blocker.runtime import Runtime

    settings = _settings(url, folder, key)
    if first == 0:
        (folder / "rules.yaml").write_text(TEMPLATE, encoding="utf-8")
    runtime = Runtime.open(settings, settings.rules_path)
    try:
        if first == 0:
            runtime.store.add_team_user("lead@bench.example", "admin")
            runtime.store.template_owner_id()
        began = time.perf_counter()
        build_team(runtime.store, folder, first, count, seed)
        return {"seconds": time.perf_counter() - began}
    finally:
        runtime.close()


def _schedule(url: str, folder: Path, key: str, *, again: bool = False) -> dict[str, Any]:
    """The members' schedule (kept for the next run), then the dispatcher at the pinned
    clock; ``again``: the schedule is already there (put back by ``_reset``)."""
    from procrastinate import SyncPsycopgConnector
    from procrastinate.manager import JobManager
    from sqlalchemy import text

    from benchmarks.team import RUN_AT, SCHEDULED_AT
    from blocker.core.clock import fixed_clock
    from blocker.distributed.app import dispatch_once
    from blocker.distributed.worker import schedule_calendars
    from blocker.runtime import Runtime

    settings = _settings(url, folder, key)
    runtime = Runtime.open(settings, settings.rules_path, clock=fixed_clock(SCHEDULED_AT))
    try:
        began = time.perf_counter()
        if not again:
            schedule_calendars(runtime, SCHEDULED_AT)
            with runtime.store.engine.begin() as conn:
                conn.execute(text("UPDATE calendar_schedules SET next_poll_at = NULL"))
                conn.execute(
                    text("CREATE TABLE bench_schedules AS SELECT * FROM calendar_schedules")
                )
        scheduled = time.perf_counter() - began
        manager = JobManager(SyncPsycopgConnector())
        began = time.perf_counter()
        queued = 0
        while batch := dispatch_once(runtime, manager, RUN_AT, limit=1000)["generate"]:
            queued += len(batch)
        dispatched = time.perf_counter() - began
    finally:
        runtime.close()
    return {
        "schedule_s": scheduled,
        "dispatch_s": dispatched,
        "queued": queued,
        "maxrss_mb": _rss_mb(),
    }


def _work(url: str, folder: Path, key: str, name: str) -> None:
    """One ``blocker worker`` (the real loop) with the pinned clock; runs until SIGTERM."""
    from benchmarks.team import RUN_AT
    from blocker.core.clock import fixed_clock
    from blocker.distributed import app as papp
    from blocker.distributed.worker import run_worker

    def factory(settings: Any, path: Path | None) -> Any:
        return papp.WorkerRuntime.open(settings, path, clock=fixed_clock(RUN_AT))

    settings = _settings(url, folder, key)
    options = papp.WorkerOptions(concurrency=CONCURRENCY)
    run_worker(settings, settings.rules_path, options=options, runtime_factory=factory, name=name)


# -- the parent ----------------------------------------------------------------------


def _child(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    """A child process; a worker's output goes to ``log`` (nothing reads its pipe)."""
    command = [sys.executable, "-m", "benchmarks.scale", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if log is None:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, env=env)
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)


def _wait(child: subprocess.Popen[bytes]) -> tuple[dict[str, Any], float]:
    """The child's JSON answer and its peak RSS (MB) from wait4."""
    out = b""
    if child.stdout is not None:
        with child.stdout:
            out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"scale child failed ({child.returncode})")
    lines = out.decode().strip().splitlines()
    return (json.loads(lines[-1]) if lines else {}), usage.ru_maxrss / 1024


def _sql(url: str, query: str) -> Any:
    import psycopg

    from blocker.distributed.app import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return None if row is None else row[0] if len(row) == 1 else row


def _sql_do(url: str, statement: str) -> None:
    import psycopg

    from blocker.distributed.app import conninfo

    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute(statement)


def _run_workers(url: str, folder: Path, key: str, workers: int, users: int) -> dict[str, Any]:
    began = time.perf_counter()
    children = [
        _child("--work", url, str(folder), key, f"bench-{i}", log=folder / f"worker{i}.log")
        for i in range(workers)
    ]
    waiting = (
        "SELECT count(*) FILTER (WHERE status = 'todo'), count(*) FILTER (WHERE status = 'doing') "
        "FROM procrastinate.procrastinate_jobs WHERE queue_name = 'calendars'"
    )
    done = "SELECT count(*) FROM runs WHERE calendar_id LIKE 'u%' AND trigger = 'weekly'"
    queued = _sql(url, waiting)[0]
    first: float | None = None  # the runs' own times are the pinned clock's: timed here
    while True:
        todo, doing = _sql(url, waiting)
        now = time.perf_counter()
        if first is None and (doing or todo < queued):
            first = now
        if not todo and not doing and _sql(url, done) >= users:
            break
        if any(c.poll() is not None for c in children):
            raise RuntimeError("a worker stopped before the queue was empty")
        time.sleep(0.2)
    wall = now - began
    span = now - (first or began)
    for child in children:
        child.send_signal(signal.SIGTERM)
    peaks = [_wait(child)[1] for child in children]
    errors, blocks = _sql(
        url,
        "SELECT count(*) FILTER (WHERE json_array_length(errors) > 0), "
        "coalesce(sum(json_array_length(ops)), 0) "
        "FROM runs WHERE calendar_id LIKE 'u%' AND trigger = 'weekly'",
    )
    return {
        "workers": workers,
        "wall_s": wall,
        "span_s": span,
        "per_s": users / span,
        "peak_mb": peaks,
        "errors": int(errors),
        "writes": int(blocks),
    }


def _reset(url: str, folder: Path) -> None:
    """Forget the generated week (store and files) and put the members' schedule back
    as it was before the dispatcher ran, so the next run does the same work."""
    _sql_do(url, f"TRUNCATE {SYNC_TABLES} RESTART IDENTITY")
    _sql_do(url, "DELETE FROM calendar_schedules")
    _sql_do(url, "INSERT INTO calendar_schedules SELECT * FROM bench_schedules")
    for path in (folder / "members").glob("u*/work.ics"):
        path.unlink()


def run(users: int, seed: int, workers: tuple[int, ...]) -> dict[str, Any]:
    """A fresh database with ``users`` members; generation by each worker count."""
    import psycopg

    from blocker.store import migrate
    from blocker.store.crypto import TokenCipher

    name = f"blocker_bench_{os.getpid()}_{users}"
    key = TokenCipher.generate_key()
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    size = f"SELECT pg_database_size('{name}')"
    try:
        migrate(url)
        empty_mb = _sql(url, size) / 2**20
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            began = time.perf_counter()
            setup, _ = _wait(_child("--setup", url, str(folder), key, "0", str(users), str(seed)))
            setup_s = time.perf_counter() - began
            members_mb = _sql(url, size) / 2**20
            runs: list[dict[str, Any]] = []
            for count in workers:
                if runs:
                    _reset(url, folder)
                    sched, sched_peak = _wait(_child("--dispatch", url, str(folder), key))
                else:
                    sched, sched_peak = _wait(_child("--schedule", url, str(folder), key))
                if sched["queued"] != users + 1:  # the members and the lead
                    raise RuntimeError(f"queued {sched['queued']} of {users + 1}")
                result = _run_workers(url, folder, key, count, users)
                result.update(schedule=sched, schedule_peak_mb=sched_peak)
                result["db_mb"] = _sql(url, size) / 2**20
                runs.append(result)
                print(f"    {users} users, {count} worker(s): {result['span_s']:.0f} s", flush=True)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "users": users,
        "setup_s": setup_s,
        "setup_inner_s": setup["seconds"],
        "empty_db_mb": empty_mb,
        "members_db_mb": members_mb,
        "runs": runs,
    }


SIZES = ((1000, (1, 2)), (10000, (1, 2)))
QUICK = ((10, (1, 2)),)


def main(options: Options, sections: set[str]) -> None:
    del sections
    sizes = QUICK if options.quick else SIZES
    only = os.environ.get("BLOCKER_BENCH_SCALE_SIZES")  # e.g. "5000,10000"
    if only:
        known = dict(SIZES + QUICK)
        sizes = tuple((n, known.get(n, (2,))) for n in (int(v) for v in only.split(",")))
    figures = []
    for users, workers in sizes:
        print(f"  scale: {users} members", flush=True)
        figures.append(run(users, options.seed, workers))
        save("scale", markdown(figures, quick=options.quick, table=table), {"sizes": figures})


def _cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", nargs=6, metavar=("URL", "DIR", "KEY", "FIRST", "COUNT", "SEED"))
    parser.add_argument("--schedule", nargs=3, metavar=("URL", "DIR", "KEY"))
    parser.add_argument("--dispatch", nargs=3, metavar=("URL", "DIR", "KEY"))
    parser.add_argument("--work", nargs=4, metavar=("URL", "DIR", "KEY", "NAME"))
    args = parser.parse_args()
    if args.setup:
        url, folder, key, first, count, seed = args.setup
        answer = _setup(url, Path(folder), key, int(first), int(count), int(seed))
    elif args.schedule or args.dispatch:
        url, folder, key = args.schedule or args.dispatch
        answer = _schedule(url, Path(folder), key, again=bool(args.dispatch))
    else:
        url, folder, key, name = args.work
        _work(url, Path(folder), key, name)
        answer = {}
    print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _cli()
