"""APScheduler 3 wiring, and nothing else: when the job functions of :mod:`blocker.jobs` run.

* weekly generation per calendar: daily cron in the user's zone at ``schedule.generate_at``'s
  time; the job generates on its weekday, or the last working day before it if that is a
  holiday (:func:`blocker.jobs.generate_if_due`);
* a daily rebalance at ``schedule.daily_rebalance_at`` in the user's zone;
* a fallback poll every ``schedule.poll_minutes``;
* channel renewal and token refresh on intervals;
* webhook debounce: a ``date`` job ``rebalance:{calendar}`` replaced on every trigger,
  due ``debounce_seconds`` after the latest trigger but never later than
  ``max_wait_seconds`` after the first trigger of the burst, so a steady stream of
  changes is still served.

Jobs are stored in a SQLAlchemy job store on the service's database, so they
survive a restart; stable ids with ``replace_existing`` keep a restart from
duplicating them. Every stored job calls the one entry point :func:`run_job` with a
job kind and a secret-free store scope (:mod:`blocker.job_rows`), never the
database URL; rows of earlier versions are rewritten at start. Exactly one
scheduler may use a job store (APScheduler 3 does not coordinate several), which
:func:`BlockerScheduler.start` enforces within a process. Overlapping runs of
one calendar are serialised by the runtime's lock, not by ``max_instances``
(which would silently *skip* a run).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from blocker import jobs
from blocker.core.errors import RulesError, SettingsError
from blocker.job_rows import ENTRY, display_url, job_kwargs, migrate_rows, store_scope
from blocker.member_jobs import (
    MemberState,
    calendar_scope,
    member_scope,
    member_states,
    template_hash,
    user_of,
)
from blocker.runtime import Runtime
from blocker.scheduler_plan import (
    GLOBAL_JOBS,
    JobSpec,
    ScheduleConfig,
    calendar_jobs,
    calendar_of,
    global_jobs,
    parse_daily,
    parse_weekly,
    signature,
)
from rules import Rules

log = logging.getLogger("blocker.scheduler")

_ACTIVE: dict[str, BlockerScheduler] = {}
_ACTIVE_LOCK = threading.Lock()

RECONCILE_SECONDS = 15
"""How often the members' jobs are compared with their overlays (one query when
nothing changed): a saved overlay, a new or disabled user is scheduled within this."""
RECONCILE_JOB = "reconcile:members"


def engine_now() -> datetime:
    """APScheduler's own time frame: it fires ``date`` jobs by the wall clock, so the
    times handed to it (debounce, "run now") are wall-clock times. What a job *does*
    (which week, what is past) follows the runtime's injectable clock instead."""
    return datetime.now(UTC)


def debounce_run_at(
    now: datetime, burst_start: datetime, debounce_seconds: float, max_wait_seconds: float
) -> datetime:
    """When a debounced rebalance runs: quiet period after the latest trigger, capped."""
    quiet = now + timedelta(seconds=debounce_seconds)
    cap = burst_start + timedelta(seconds=max_wait_seconds)
    return max(now, min(quiet, cap))


# -- the one job entry point (its textual reference is stored with every job) ------


def _generate(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    scope = calendar_scope(sched.runtime, calendar_id)
    if scope is not None:
        jobs.generate_if_due(scope, calendar_id)


def _rebalance(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    sched.burst_done(calendar_id)
    scope = calendar_scope(sched.runtime, calendar_id)
    if scope is not None:
        jobs.rebalance(scope, calendar_id, trigger)


def _poll(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    scope = calendar_scope(sched.runtime, calendar_id)
    if scope is not None:
        jobs.poll(scope, calendar_id)


def _renew(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    jobs.renew_channels(sched.runtime)


def _refresh(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    jobs.refresh_tokens(sched.runtime)


_HANDLERS: dict[str, Callable[[BlockerScheduler, str, str], None]] = {
    "generate": _generate,
    "rebalance": _rebalance,
    "poll": _poll,
    "renew": _renew,
    "refresh": _refresh,
}


def run_job(kind: str, scope: str, calendar_id: str = "", trigger: str = "rebalance") -> None:
    """Every stored job's callable (:data:`blocker.job_rows.ENTRY`): do ``kind`` with
    the scheduler of the job store named ``scope``, for ``calendar_id`` in the scope
    of the user that store key belongs to (:func:`blocker.member_jobs.calendar_scope`:
    a disabled, deleted or unknown user's job is logged and dropped). Never rename it."""
    with _ACTIVE_LOCK:
        sched = _ACTIVE.get(scope)
    if sched is None:
        log.warning("job %s for %s fired without an active scheduler; ignored", kind, scope)
        return
    handler = _HANDLERS.get(kind)
    if handler is None:
        log.warning("job of unknown kind %r ignored", kind)
        return
    handler(sched, calendar_id, trigger)


class BlockerScheduler:
    """One APScheduler ``BackgroundScheduler`` on the service database's job store."""

    def __init__(self, runtime: Runtime, *, max_workers: int = 8) -> None:
        self.runtime = runtime
        url = runtime.settings.database_url
        self.scope = store_scope(url)
        self._where = display_url(url)
        self._bursts: dict[str, datetime] = {}
        self._bursts_lock = threading.Lock()
        self._jobstore = SQLAlchemyJobStore(url=url)
        self._scheduler = BackgroundScheduler(
            # "volatile": the members' reconcile, a bound method: never stored
            jobstores={"default": self._jobstore, "volatile": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=max_workers)},
            job_defaults={"coalesce": True, "misfire_grace_time": 600, "max_instances": 64},
            timezone=UTC,
        )
        self._started = False
        self._members: dict[int, MemberState] | None = None
        self._template = ""
        self._reconcile_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        with _ACTIVE_LOCK:
            if self.scope in _ACTIVE:
                raise SettingsError(
                    f"a scheduler already runs on {self._where}: one scheduler per job store",
                )
            _ACTIVE[self.scope] = self
        try:
            migrate_rows(self._jobstore.engine, self._jobstore.jobs_t, self.scope)
            self._scheduler.start()
            self._started = True
            self.sync_jobs(self.runtime.rules)
            self.reconcile_members()
            self._scheduler.add_job(
                self.reconcile_members,
                IntervalTrigger(seconds=RECONCILE_SECONDS, timezone=UTC),
                id=RECONCILE_JOB,
                name="reconcile members' jobs",
                jobstore="volatile",
                replace_existing=True,
                max_instances=1,
            )
        except BaseException:
            self.shutdown(wait=False)
            raise
        self.runtime.on_rules_change(self._rules_changed)

    def shutdown(self, wait: bool = True) -> None:
        """Stop; with ``wait`` the runs in flight finish first (graceful shutdown)."""
        if self._started:
            self._scheduler.shutdown(wait=wait)
            self._started = False
        self._jobstore.engine.dispose()
        with _ACTIVE_LOCK:
            if _ACTIVE.get(self.scope) is self:
                del _ACTIVE[self.scope]

    @property
    def running(self) -> bool:
        return self._started

    # -- jobs ---------------------------------------------------------------------------

    def _apply(
        self, wanted: dict[str, JobSpec], ours: Callable[[str], bool], keep: set[str]
    ) -> int:
        """Add or rewrite the ``wanted`` jobs that differ from the stored ones; drop the
        stored jobs ``ours`` claims that are not wanted (a pending debounced rebalance
        of a calendar in ``keep`` stays). Returns how many jobs changed."""
        changed = 0
        present = {job.id: job for job in self._scheduler.get_jobs(jobstore="default")}
        for spec in wanted.values():
            job = present.get(spec.id)
            if job is not None and signature(job.trigger, job.kwargs) == spec.signature:
                continue
            self._scheduler.add_job(
                ENTRY,
                spec.trigger,
                id=spec.id,
                name=spec.name,
                kwargs=spec.kwargs,
                replace_existing=True,
                jobstore="default",
                **(
                    {}
                    if spec.misfire_grace_time is None
                    else {"misfire_grace_time": spec.misfire_grace_time}
                ),
            )
            changed += 1
        for job_id in present:
            if job_id in wanted or not ours(job_id):
                continue
            if job_id.startswith("rebalance:") and calendar_of(job_id) in keep:
                continue
            log.info("removing stale job %s", job_id)
            self._scheduler.remove_job(job_id, jobstore="default")
            changed += 1
        return changed

    def sync_jobs(self, rules: Rules) -> None:
        """Make the template owner's stored jobs (bare calendar ids) and the global
        ones match the template; members' jobs are :meth:`reconcile_members`'s."""
        wanted = {**calendar_jobs(rules, self.scope), **global_jobs(self.scope)}

        def ours(job_id: str) -> bool:
            calendar_id = calendar_of(job_id)
            return calendar_id is None or user_of(calendar_id) is None

        self._apply(wanted, ours, {cal.id for cal in rules.calendars})

    def reconcile_members(self) -> int:
        """Bring members' jobs in line with their overlays; returns how many users
        were (re)scheduled or unscheduled.

        Runs at start, every :data:`RECONCILE_SECONDS` and soon after a template
        change. One query tells what changed since the last pass (a user added,
        disabled, enabled, signed in for the first time, a new overlay version, a new
        template); only those users' scopes are built and their jobs rewritten (each
        at their own ``schedule:`` times in their own zone). Jobs of users jobs may no
        longer act for go away. A user whose overlay no longer fits the template keeps
        the jobs they have (their last valid rules keep planning, see
        :func:`blocker.members.scope_for`); it is logged.
        """
        if not self._started:
            return 0
        with self._reconcile_lock:
            base = self.runtime
            states = member_states(base)
            template = template_hash(base)
            first = self._members is None
            seen = self._members or {}
            fresh = template != self._template
            todo = [
                state for uid, state in states.items() if first or fresh or seen.get(uid) != state
            ]
            gone = set(seen) - set(states)
            if not todo and not gone:
                return 0
            kept: set[int] = set()
            scopes: dict[int, Runtime | None] = {uid: None for uid in gone}
            for state in todo:
                if not state.active:
                    if state.overlay_id is not None:
                        log.warning(state.why_not())
                    scopes[state.user_id] = None
                    continue
                try:
                    scopes[state.user_id] = member_scope(base, state.user_id)
                except RulesError as exc:
                    log.warning("user %s keeps their jobs: %s", state.user_id, exc)
                    kept.add(state.user_id)
            wanted: dict[str, JobSpec] = {}
            for scope in scopes.values():
                if scope is not None:
                    wanted.update(calendar_jobs(scope.rules, self.scope))
            known = set(states)

            def ours(job_id: str) -> bool:
                calendar_id = calendar_of(job_id)
                uid = None if calendar_id is None else user_of(calendar_id)
                if uid is None or uid in kept:
                    return False
                # a changed user's, or one no user has any more (first pass: all)
                return uid in scopes or uid not in known

            calendars = {c for scope in scopes.values() if scope for c in scope.calendar_ids()}
            self._apply(wanted, ours, calendars)
            self._members = states
            self._template = template
            for uid, scope in scopes.items():
                before = seen.get(uid)
                if scope is None or before is None or before.overlay_id is None:
                    continue  # a first overlay is planned by its weekly and daily jobs
                if fresh or before.overlay_id != states[uid].overlay_id:
                    for calendar_id in scope.calendar_ids():
                        self.trigger_rebalance(calendar_id, "rules")
            log.info("members' jobs reconciled: %d user(s) changed", len(scopes))
            return len(scopes)

    def reconcile_soon(self) -> None:
        """Run :meth:`reconcile_members` now, on the scheduler's thread pool."""
        if self._started:
            self._scheduler.modify_job(RECONCILE_JOB, "volatile", next_run_time=engine_now())

    def trigger_rebalance(
        self, calendar_id: str, reason: str = "webhook", *, now: datetime | None = None
    ) -> datetime:
        """Debounced rebalance of one calendar (any user's store key, with that user's
        ``schedule:`` debounce); returns when it is due to run."""
        scope = calendar_scope(self.runtime, calendar_id) if user_of(calendar_id) else None
        cfg = ScheduleConfig.from_rules((scope or self.runtime).rules)
        moment = now or engine_now()
        with self._bursts_lock:
            first = self._bursts.setdefault(calendar_id, moment)
            run_at = debounce_run_at(moment, first, cfg.debounce_seconds, cfg.max_wait_seconds)
            self._scheduler.add_job(
                ENTRY,
                DateTrigger(run_date=run_at, timezone=UTC),
                id=f"rebalance:{calendar_id}",
                name=f"debounced rebalance of {calendar_id} ({reason})",
                kwargs=job_kwargs("rebalance", self.scope, calendar_id, reason),
                replace_existing=True,
                misfire_grace_time=3600,
            )
        return run_at

    def burst_done(self, calendar_id: str) -> None:
        """The debounced job started: the next trigger opens a new burst."""
        with self._bursts_lock:
            self._bursts.pop(calendar_id, None)

    def _rules_changed(self, rules: Rules) -> None:
        if not self._started:
            return
        self.sync_jobs(rules)
        for cal in rules.calendars:
            self.trigger_rebalance(cal.id, "rules")
        self.reconcile_soon()  # the template changed under every member's overlay

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs(jobstore="default"))

    def next_run_time(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return None if job is None else job.next_run_time

    def run_now(self, job_id: str) -> None:
        """Make a stored job due now (its schedule resumes afterwards)."""
        job = self._scheduler.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        job.modify(next_run_time=engine_now())
        self._scheduler.wakeup()


__all__ = [
    "GLOBAL_JOBS",
    "RECONCILE_SECONDS",
    "BlockerScheduler",
    "ScheduleConfig",
    "debounce_run_at",
    "parse_daily",
    "parse_weekly",
    "run_job",
]
