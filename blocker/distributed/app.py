"""The procrastinate app: tasks, retry policy, periodic dispatcher and housekeeping.

Tasks are thin: they resolve this process's :class:`WorkerRuntime` and call the
engine-independent functions of :mod:`blocker.jobs`. Every calendar job carries
``lock=calendar:{id}`` so two workers never run one calendar at once (procrastinate's
``queueing_lock`` alone ignores running jobs). Transient provider errors become
:class:`RetryableJobError`, which the retry strategy re-queues with exponential
backoff (at least the provider's ``Retry-After``); everything else is handled
(logged, counted) inside the job functions and ends the job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from procrastinate import jobs as pjobs
from procrastinate.job_context import JobContext
from procrastinate.manager import JobManager
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from blocker import jobs
from blocker.core.errors import RateLimited, SettingsError, TransientError
from blocker.distributed.dispatch import (
    PROCRASTINATE_SCHEMA,
    QUEUE,
    Due,
    calendar_job,
    dispatch_due,
)
from blocker.distributed.members import SAFETY_NET, reschedule, schedule_members
from blocker.distributed.timing import next_generation_at, next_poll_at
from blocker.member_jobs import calendar_scope, user_of
from blocker.runtime import RunOutcome, Runtime
from blocker.scheduler_plan import ScheduleConfig

log = logging.getLogger("blocker.distributed")

GENERATE = "blocker:generate"
REBALANCE = "blocker:rebalance"
POLL = "blocker:poll"
DISPATCH = "blocker:dispatch"
HOUSEKEEPING = "blocker:housekeeping"
RENEW_CHANNELS = "blocker:renew_channels"
REFRESH_TOKENS = "blocker:refresh_tokens"
RECONCILE = "blocker:reconcile"


class RetryableJobError(Exception):
    """A transient provider failure, raised past :mod:`blocker.jobs` so the engine retries.

    Deliberately not a :class:`~blocker.core.errors.BlockerError`: the job functions
    swallow those (one failed calendar must not stop the loop), which would turn
    a 503 into a silently skipped week.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, kw_only=True)
class ProviderBackoff(BaseRetryStrategy):
    """Exponential backoff for :class:`RetryableJobError` only; never below Retry-After."""

    max_attempts: int = 6
    base_seconds: float = 10.0
    cap_seconds: float = 1800.0

    def delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before attempt ``attempts + 1`` (``attempts`` = tries so far)."""
        wait = min(self.cap_seconds, self.base_seconds * float(2**attempts))
        return max(wait, float(retry_after or 0.0))

    def get_retry_decision(
        self, *, exception: BaseException, job: pjobs.Job
    ) -> RetryDecision | None:
        if not isinstance(exception, RetryableJobError):
            return None
        if job.attempts + 1 >= self.max_attempts:
            log.warning("job %s gave up after %d attempts: %s", job.id, job.attempts + 1, exception)
            return None
        return RetryDecision(
            retry_in={"seconds": int(self.delay(job.attempts, exception.retry_after))}
        )


class WorkerRuntime(Runtime):
    """The runtime of a worker process: transient provider errors escape as retryable
    (and so do a member's, whose scope answers :meth:`run_errors` as this runtime)."""

    @contextmanager
    def run_errors(self) -> Iterator[None]:
        try:
            yield
        except TransientError as exc:
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
            raise RetryableJobError(exc.user_message(), retry_after=retry_after) from exc


@dataclass
class WorkerOptions:
    """Knobs of the worker loop; the defaults suit production, tests shorten them."""

    concurrency: int = 4
    dispatch_every_seconds: int = 10
    dispatch_limit: int = 1000
    heartbeat_seconds: float = 10.0
    stalled_after_seconds: float = 60.0
    housekeeping_every_seconds: int = 15
    reconcile_every_seconds: int = 15
    keep_failed_hours: int = 72
    backoff: ProviderBackoff = field(default_factory=ProviderBackoff)


_context_lock = threading.Lock()
_runtime: Runtime | None = None
_options = WorkerOptions()


def install(runtime: Runtime, options: WorkerOptions) -> None:
    """Make ``runtime`` the one the tasks of this process use."""
    global _runtime, _options
    with _context_lock:
        _runtime = runtime
        _options = options


def install_defaults() -> None:
    """Forget the installed runtime (tests; a process that stops being a worker)."""
    global _runtime, _options
    with _context_lock:
        _runtime = None
        _options = WorkerOptions()


def current_runtime() -> Runtime:
    with _context_lock:
        if _runtime is None:
            raise SettingsError("no worker runtime installed in this process")
        return _runtime


# -- connections ------------------------------------------------------------------------


def conninfo(database_url: str) -> str:
    """The service's SQLAlchemy URL as a libpq conninfo (driver part dropped)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SettingsError(
            "BLOCKER_JOBS_BACKEND=procrastinate needs PostgreSQL, "
            f"but the database is {url.get_backend_name()}",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pool_args(database_url: str, max_size: int) -> dict[str, Any]:
    return {
        "conninfo": conninfo(database_url),
        "kwargs": {"options": f"-c search_path={PROCRASTINATE_SCHEMA},public"},
        "min_size": 1,
        "max_size": max_size,
    }


def worker_app(database_url: str, *, max_size: int = 10) -> App:
    """An app for a worker process (async pool; sync tasks run in threads)."""
    app = App(connector=PsycopgConnector(**_pool_args(database_url, max_size)))
    _register(app)
    return app


def deferring_app(database_url: str, *, max_size: int = 4) -> App:
    """An app for processes that only enqueue (the web process, the CLI)."""
    app = App(connector=SyncPsycopgConnector(**_pool_args(database_url, max_size)))
    _register(app)
    return app


# -- tasks --------------------------------------------------------------------------------


def _done(runs: list[RunOutcome]) -> bool:
    return bool(runs) and not any(run.errors for run in runs)


def generate(calendar_id: str) -> int:
    """Weekly generation of one calendar, in its user's scope; returns how many runs
    happened. A member's next time is then set from their rules (a failed run keeps
    the dispatcher's safety net: it is tried again a day later)."""
    ctx = calendar_scope(current_runtime(), calendar_id)
    if ctx is None:
        return 0
    runs = jobs.generate_next_week(ctx, calendar_id)
    if _done(runs):
        reschedule(ctx, calendar_id, "generate")
    return len(runs)


def rebalance(calendar_id: str, trigger: str = "rebalance") -> int:
    """Debounced or daily rebalance of one calendar, in its user's scope."""
    ctx = calendar_scope(current_runtime(), calendar_id)
    return 0 if ctx is None else len(jobs.rebalance(ctx, calendar_id, trigger))


def poll(calendar_id: str) -> int:
    """Fallback poll of one calendar, in its user's scope."""
    ctx = calendar_scope(current_runtime(), calendar_id)
    if ctx is None:
        return 0
    runs = jobs.poll(ctx, calendar_id)
    reschedule(ctx, calendar_id, "poll")
    return len(runs)


def dispatch_once(
    runtime: Runtime, job_manager: JobManager, now: datetime, limit: int
) -> dict[str, list[str]]:
    """One dispatcher pass: queue generations, then polls, due at ``now``; ids per kind."""
    cfg = ScheduleConfig.from_rules(runtime.rules)
    zone = runtime.rules.timezone
    engine = runtime.store.engine

    by_zone: dict[str, datetime] = {}  # the holiday calendar is built once per zone

    def weekly(item: Due) -> datetime:
        if user_of(item.calendar_id) is not None:
            return now + SAFETY_NET  # the task sets the member's own time
        if item.timezone not in by_zone:
            by_zone[item.timezone] = next_generation_at(now, item.timezone, runtime.rules)
        return by_zone[item.timezone]

    def polled(_item: Due) -> datetime | None:
        return next_poll_at(now, cfg.poll_minutes)

    generated = dispatch_due(
        engine,
        job_manager,
        now=now,
        kind="generate",
        task_name=GENERATE,
        next_at=weekly,
        default_timezone=zone,
        limit=limit,
    )
    polled_ids = dispatch_due(
        engine,
        job_manager,
        now=now,
        kind="poll",
        task_name=POLL,
        next_at=polled,
        default_timezone=zone,
        limit=limit,
    )
    if len(generated) + len(polled_ids) >= ANALYZE_AFTER:
        analyze_jobs_table(engine)
    return {"generate": generated, "poll": polled_ids}


ANALYZE_AFTER = 500
"""Jobs queued in one pass after which the planner's statistics are refreshed."""


def analyze_jobs_table(engine: Engine) -> None:
    """Refresh the statistics of procrastinate's jobs table right after a big batch.

    Measured (BENCHMARKS.md, "Past one node"): with 10,000 jobs inserted into a
    table the planner still believes nearly empty, procrastinate's fetch query
    (an anti-join on ``lock``) took 2.5 s per job instead of 0.4 ms, until
    autovacuum got round to analysing it. One ANALYZE costs milliseconds.
    """
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {PROCRASTINATE_SCHEMA}.procrastinate_jobs"))


_dispatch_manager: JobManager | None = None


def _external_connection_manager() -> JobManager:
    """A job manager that only defers on connections handed to it (never opens a pool)."""
    global _dispatch_manager
    with _context_lock:
        if _dispatch_manager is None:
            _dispatch_manager = JobManager(SyncPsycopgConnector())
        return _dispatch_manager


def dispatch(timestamp: int) -> int:
    """Periodic: queue the jobs of calendars whose ``next_*_at`` is due."""
    runtime = current_runtime()
    queued = dispatch_once(
        runtime, _external_connection_manager(), runtime.now(), _options.dispatch_limit
    )
    return sum(len(ids) for ids in queued.values())


def reconcile(timestamp: int) -> int:
    """Periodic: members' schedules in line with their overlays (new members, saved or
    restored overlays, disabled users); users whose rules changed get a rebalance."""
    runtime = current_runtime()
    changed = schedule_members(runtime)
    manager = _external_connection_manager()
    for first in range(0, len(changed), 1000):
        with runtime.store.engine.begin() as conn:
            conn.execute(text(f"SET LOCAL search_path TO {PROCRASTINATE_SCHEMA}, public"))
            manager.batch_defer_jobs(
                [
                    calendar_job(REBALANCE, cid, trigger="rules")
                    for cid in changed[first : first + 1000]
                ],
                connection=conn.connection.driver_connection,
            )
    return len(changed)


def renew_channels(timestamp: int) -> int:
    """Periodic (hourly, UTC is fine: not tied to the user's day): renew push channels."""
    return jobs.renew_channels(current_runtime())


def refresh_tokens(timestamp: int) -> int:
    """Periodic (every 30 min): refresh access tokens ahead of need."""
    return jobs.refresh_tokens(current_runtime())


async def housekeeping(context: JobContext, timestamp: int) -> int:
    """Periodic: re-queue jobs of dead workers; drop old failed jobs. Returns re-queued."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=_options.stalled_after_seconds)
    count = 0
    for job in stalled:
        if job.task_name == HOUSEKEEPING:
            continue
        log.warning("re-queueing job %s (%s) of a dead worker", job.id, job.task_name)
        await manager.retry_job(job, retry_at=datetime.now(UTC))
        count += 1
    await manager.delete_old_jobs(nb_hours=_options.keep_failed_hours, include_failed=True)
    return count


CONTROL_PRIORITY = 10
"""The control tasks (dispatch, reconcile, housekeeping, renewal, refresh) go before
calendar jobs: measured (BENCHMARKS.md section 5), a backlog of 1,000 generations
otherwise held every dispatch, reconcile and housekeeping pass back until it drained,
as procrastinate fetches by priority, then age."""


def _register(app: App) -> None:
    backoff = _options.backoff
    app.task(name=GENERATE, queue=QUEUE, retry=backoff)(generate)
    app.task(name=REBALANCE, queue=QUEUE, retry=backoff)(rebalance)
    app.task(name=POLL, queue=QUEUE, retry=backoff)(poll)

    def control(name: str, cron: str, func: Any) -> None:
        task = app.task(name=name, queue="control", priority=CONTROL_PRIORITY)(func)
        app.periodic(cron=cron)(task)

    control(DISPATCH, f"* * * * * */{max(1, _options.dispatch_every_seconds)}", dispatch)
    control(RECONCILE, f"* * * * * */{max(1, _options.reconcile_every_seconds)}", reconcile)
    control(RENEW_CHANNELS, "7 * * * *", renew_channels)
    control(REFRESH_TOKENS, "*/30 * * * *", refresh_tokens)
    tidy = f"* * * * * */{max(1, _options.housekeeping_every_seconds)}"
    app.periodic(cron=tidy)(
        app.task(name=HOUSEKEEPING, queue="control", priority=CONTROL_PRIORITY, pass_context=True)(
            housekeeping
        )
    )


__all__ = [
    "ANALYZE_AFTER",
    "CONTROL_PRIORITY",
    "DISPATCH",
    "GENERATE",
    "HOUSEKEEPING",
    "POLL",
    "REBALANCE",
    "RECONCILE",
    "REFRESH_TOKENS",
    "RENEW_CHANNELS",
    "ProviderBackoff",
    "RetryableJobError",
    "WorkerOptions",
    "WorkerRuntime",
    "analyze_jobs_table",
    "conninfo",
    "current_runtime",
    "deferring_app",
    "dispatch_once",
    "install",
    "install_defaults",
    "worker_app",
]
