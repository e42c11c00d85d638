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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from blocker import jobs
from blocker.core.errors import SettingsError
from blocker.job_rows import ENTRY, display_url, job_kwargs, migrate_rows, store_scope
from blocker.runtime import Runtime
from rules import Rules

log = logging.getLogger("blocker.scheduler")

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_DAILY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")

_ACTIVE: dict[str, BlockerScheduler] = {}
_ACTIVE_LOCK = threading.Lock()

GLOBAL_JOBS = ("renew:channels", "refresh:tokens")


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """The ``schedule:`` section of the rules, normalised."""

    generate_day: str = "fri"
    generate_at: time = time(15, 0)
    daily_at: time = time(7, 0)
    poll_minutes: int = 5
    debounce_seconds: float = 20.0
    max_wait_seconds: float = 120.0

    @classmethod
    def from_rules(cls, rules: Rules) -> ScheduleConfig:
        sched = getattr(rules, "schedule", None)
        if sched is None:
            return cls()
        day, at = parse_weekly(getattr(sched, "generate_at", "fri 15:00"))
        return cls(
            generate_day=day,
            generate_at=at,
            daily_at=parse_daily(getattr(sched, "daily_rebalance_at", "07:00")),
            poll_minutes=int(getattr(sched, "poll_minutes", 5) or 0),
            debounce_seconds=float(getattr(sched, "debounce_seconds", 20)),
            max_wait_seconds=float(getattr(sched, "max_wait_seconds", 120)),
        )


def parse_weekly(value: Any) -> tuple[str, time]:
    """``"fri 15:00"`` -> ``("fri", time(15, 0))``."""
    match = _WEEKLY.match(str(value))
    if not match or match.group(1).lower() not in _DAYS:
        raise SettingsError(f"schedule.generate_at {value!r}: expected e.g. 'fri 15:00'")
    return match.group(1).lower(), time(int(match.group(2)), int(match.group(3)))


def parse_daily(value: Any) -> time:
    """``"07:00"`` (or a ``time``) -> ``time(7, 0)``."""
    if isinstance(value, time):
        return value
    match = _DAILY.match(str(value))
    if not match:
        raise SettingsError(f"schedule.daily_rebalance_at {value!r}: expected e.g. '07:00'")
    return time(int(match.group(1)), int(match.group(2)))


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
    jobs.generate_if_due(sched.runtime, calendar_id)


def _rebalance(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    sched.burst_done(calendar_id)
    jobs.rebalance(sched.runtime, calendar_id, trigger)


def _poll(sched: BlockerScheduler, calendar_id: str, trigger: str) -> None:
    jobs.poll(sched.runtime, calendar_id)


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
    the scheduler of the job store named ``scope``. Never rename it."""
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
            jobstores={"default": self._jobstore},
            executors={"default": ThreadPoolExecutor(max_workers=max_workers)},
            job_defaults={"coalesce": True, "misfire_grace_time": 600, "max_instances": 64},
            timezone=UTC,
        )
        self._started = False

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

    def sync_jobs(self, rules: Rules) -> None:
        """Make the stored jobs match the rules: add/replace ours, drop stale calendars'."""
        cfg = ScheduleConfig.from_rules(rules)
        zone = ZoneInfo(rules.timezone)
        wanted: set[str] = set(GLOBAL_JOBS)
        add = self._scheduler.add_job
        scope = self.scope
        for cal in rules.calendars:
            cid = cal.id
            add(
                ENTRY,
                # every day: jobs.generate_if_due runs it on the named weekday, or
                # on the last working day before it when that day is a holiday
                CronTrigger(
                    hour=cfg.generate_at.hour,
                    minute=cfg.generate_at.minute,
                    timezone=zone,
                ),
                id=f"generate:{cid}",
                name=f"weekly generation of {cid}",
                kwargs=job_kwargs("generate", scope, cid),
                replace_existing=True,
                misfire_grace_time=24 * 3600,
            )
            add(
                ENTRY,
                CronTrigger(hour=cfg.daily_at.hour, minute=cfg.daily_at.minute, timezone=zone),
                id=f"daily:{cid}",
                name=f"daily rebalance of {cid}",
                kwargs=job_kwargs("rebalance", scope, cid, "daily"),
                replace_existing=True,
                misfire_grace_time=6 * 3600,
            )
            wanted.update({f"generate:{cid}", f"daily:{cid}"})
            if cfg.poll_minutes > 0:
                add(
                    ENTRY,
                    IntervalTrigger(minutes=cfg.poll_minutes, timezone=UTC),
                    id=f"poll:{cid}",
                    name=f"poll of {cid}",
                    kwargs=job_kwargs("poll", scope, cid),
                    replace_existing=True,
                    misfire_grace_time=cfg.poll_minutes * 60,
                )
                wanted.add(f"poll:{cid}")
        add(
            ENTRY,
            IntervalTrigger(hours=1, timezone=UTC),
            id="renew:channels",
            name="renew push channels",
            kwargs=job_kwargs("renew", scope),
            replace_existing=True,
        )
        add(
            ENTRY,
            IntervalTrigger(minutes=30, timezone=UTC),
            id="refresh:tokens",
            name="refresh access tokens",
            kwargs=job_kwargs("refresh", scope),
            replace_existing=True,
        )
        calendars = {cal.id for cal in rules.calendars}
        for job in self._scheduler.get_jobs():
            pending_rebalance = job.id.startswith("rebalance:") and (
                job.id.removeprefix("rebalance:") in calendars
            )
            if job.id not in wanted and not pending_rebalance:
                log.info("removing stale job %s", job.id)
                self._scheduler.remove_job(job.id)

    def trigger_rebalance(
        self, calendar_id: str, reason: str = "webhook", *, now: datetime | None = None
    ) -> datetime:
        """Debounced rebalance of one calendar; returns when it is due to run."""
        cfg = ScheduleConfig.from_rules(self.runtime.rules)
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

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

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
    "BlockerScheduler",
    "ScheduleConfig",
    "debounce_run_at",
    "parse_daily",
    "parse_weekly",
    "run_job",
]
