"""Benchmark for BENCHMARKS.md "Past one node" (not a test: run it by hand).

    PYTHONPATH=. .venv/bin/python tests/distributed/bench_past_one_node.py --calendars 10000

Weekly generation of N simulated calendars (the in-memory provider: no network,
so this measures our side: planning, store writes, the queue) by 1 and then 2
worker processes, each the real worker loop (``run_worker``'s app and tasks,
``wait=False`` so it exits when the queue is empty). Throughput comes from the
store's own run records (first start to last finish), so process start-up is
not counted. Queue overhead: the same number of no-op jobs, each under its
calendar lock, through one worker, and the cost of the transactional dispatch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from procrastinate import SyncPsycopgConnector
from procrastinate.manager import JobManager

from blocker.distributed import app as papp
from blocker.distributed.dispatch import QUEUE, calendar_job
from blocker.distributed.worker import schedule_calendars
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import make_engine, migrate
from tests.distributed.conftest import rules_yaml
from tests.distributed.worker_main import libpq
from tests.store.pg import fresh_pg_database

EMPTY_ICS = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//bench//EN\nEND:VCALENDAR\n"
SYNC_TABLES = "event_mappings, applied_blocks, runs, sync_tokens, pins"


def write_rules(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "busy.ics").write_text(EMPTY_ICS)
    calendars = "\n".join(f"  - {{id: m{i:05d}, provider: memory}}" for i in range(n))
    text = rules_yaml(["x"]).replace(
        "  - {id: x, provider: local, path: out/x.ics, busy: [busy.ics]}", calendars
    )
    path = folder / "rules.yaml"
    path.write_text(text)
    return path


def worker_main(url: str, rules: Path, concurrency: int) -> None:
    settings = Settings(database_url=url, jobs_backend="procrastinate", rules_path=rules)
    runtime = papp.WorkerRuntime.open(settings, rules)
    papp.install(runtime, papp.WorkerOptions(concurrency=concurrency))
    try:
        papp.worker_app(url, max_size=concurrency + 4).run_worker(
            queues=[QUEUE],
            wait=False,
            concurrency=concurrency,
            delete_jobs="successful",
            install_signal_handlers=False,
        )
    finally:
        runtime.close()


def noop(calendar_id: str) -> None:
    """The cheapest job: what is left is the queue's own cost."""


def queue_overhead(url: str, n: int, concurrency: int) -> dict[str, float]:
    deferring = papp.deferring_app(url)
    deferring.task(name="bench:noop", queue=QUEUE)(noop)
    with deferring.open():
        started = time.perf_counter()
        manager = deferring.job_manager
        for start in range(0, n, 1000):
            manager.batch_defer_jobs(
                [
                    calendar_job("bench:noop", f"m{i:05d}")
                    for i in range(start, min(n, start + 1000))
                ]
            )
        defer_s = time.perf_counter() - started
    # What the dispatcher does after a big batch (see analyze_jobs_table).
    papp.analyze_jobs_table(make_engine(url))
    worker = papp.worker_app(url, max_size=concurrency + 4)
    worker.task(name="bench:noop", queue=QUEUE)(noop)
    started = time.perf_counter()
    worker.run_worker(
        queues=[QUEUE],
        wait=False,
        concurrency=concurrency,
        delete_jobs="successful",
        install_signal_handlers=False,
    )
    run_s = time.perf_counter() - started
    return {
        "jobs": n,
        "defer_ms_per_job": 1000 * defer_s / n,
        "fetch_run_finish_delete_ms_per_job": 1000 * run_s / n,
        "jobs_per_s_one_worker": n / run_s,
    }


def generation(url: str, rules: Path, workers: int, concurrency: int, n: int) -> dict[str, float]:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {SYNC_TABLES} RESTART IDENTITY")
        conn.execute("UPDATE calendar_schedules SET next_generate_at = now() - interval '1 minute'")
    settings = Settings(database_url=url, jobs_backend="procrastinate", rules_path=rules)
    runtime = Runtime.open(settings, rules)
    try:
        manager = JobManager(SyncPsycopgConnector())
        started = time.perf_counter()
        dispatched = 0
        while batch := papp.dispatch_once(runtime, manager, runtime.now(), limit=1000)["generate"]:
            dispatched += len(batch)
        dispatch_s = time.perf_counter() - started
    finally:
        runtime.close()
    assert dispatched == n, dispatched
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    wall = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, str(rules), str(concurrency)], env=env
        )
        for _ in range(workers)
    ]
    for proc in procs:
        assert proc.wait() == 0
    wall_s = time.perf_counter() - wall
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT calendar_id), "
            "extract(epoch FROM max(finished_at) - min(started_at)) FROM runs"
        ).fetchone()
        left = conn.execute(
            "SELECT count(*) FROM procrastinate.procrastinate_jobs "
            "WHERE queue_name = %s AND status <> 'succeeded'",
            (QUEUE,),
        ).fetchone()
    assert row is not None and left is not None
    runs, calendars, span = int(row[0]), int(row[1]), float(row[2])
    assert calendars == n and left[0] == 0, (runs, calendars, left)
    return {
        "workers": workers,
        "threads_per_worker": concurrency,
        "calendars": n,
        "runs": runs,
        "dispatch_s": dispatch_s,
        "processing_span_s": span,
        "calendars_per_s": n / span,
        "wall_s_including_startup": wall_s,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--calendars", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bench_past_one_node"))
    args = parser.parse_args()
    rules = write_rules(args.folder, args.calendars)
    results: dict[str, object] = {"cpus": os.cpu_count()}
    with fresh_pg_database() as url:
        migrate(url)
        started = time.perf_counter()
        settings = Settings(database_url=url, jobs_backend="procrastinate", rules_path=rules)
        runtime = Runtime.open(settings, rules)
        try:
            schedule_calendars(runtime)
        finally:
            runtime.close()
        results["setup_s"] = time.perf_counter() - started
        results["queue"] = queue_overhead(url, args.calendars, args.concurrency)
        print(json.dumps(results, indent=2), flush=True)
        for workers in (1, 2):
            results[f"generation_{workers}"] = generation(
                url, rules, workers, args.concurrency, args.calendars
            )
            print(json.dumps(results, indent=2), flush=True)
    (args.folder / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
