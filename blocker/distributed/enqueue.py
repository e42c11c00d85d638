"""Enqueueing, whichever engine runs the jobs.

The web process (webhooks, rules changes) only needs "rebalance this calendar
soon, once per burst". :class:`Enqueuer` is that interface; APScheduler (one
node, default) and procrastinate (several workers, PostgreSQL) implement it, and
:func:`build_enqueuer` picks one from ``BLOCKER_JOBS_BACKEND``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from procrastinate import App
from procrastinate.exceptions import AlreadyEnqueued

from blocker.distributed import app as papp
from blocker.distributed.dispatch import calendar_lock, rebalance_queueing_lock
from blocker.distributed.worker import (
    check_queue_schema,
    require_procrastinate,
    schedule_template_calendars,
)
from blocker.member_jobs import calendar_scope, user_of
from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler, ScheduleConfig

log = logging.getLogger("blocker.enqueue")


class Enqueuer(Protocol):
    """What the web layer calls; the same shape as :class:`BlockerScheduler`'s methods."""

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...

    def trigger_rebalance(self, calendar_id: str, reason: str = "webhook") -> None: ...


class APSchedulerEnqueuer:
    """The default: the in-process APScheduler (debounce by a replaced ``date`` job)."""

    def __init__(self, runtime: Runtime) -> None:
        self.scheduler = BlockerScheduler(runtime)

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        self.scheduler.shutdown(wait=wait)

    def trigger_rebalance(self, calendar_id: str, reason: str = "webhook") -> None:
        self.scheduler.trigger_rebalance(calendar_id, reason)


class ProcrastinateEnqueuer:
    """Defers jobs for ``blocker worker`` processes; runs nothing itself.

    Debounce: the first trigger of a burst defers a rebalance ``debounce_seconds``
    ahead under ``queueing_lock=rebalance:{id}``; the rest of the burst hits
    :class:`AlreadyEnqueued` and is dropped, so the burst is served once, at most
    ``debounce_seconds`` after it began (within ``max_wait_seconds`` by construction).
    A trigger that arrives while that job runs queues a new one, which waits for
    the running one through ``lock=calendar:{id}``.
    """

    def __init__(self, runtime: Runtime, app: App | None = None) -> None:
        require_procrastinate(runtime.settings)
        self.runtime = runtime
        self.app = app or papp.deferring_app(runtime.settings.database_url)
        self._open = False

    @property
    def running(self) -> bool:
        return self._open

    def start(self) -> None:
        check_queue_schema(self.runtime)
        self.app.open()
        self._open = True
        schedule_template_calendars(self.runtime)
        self.runtime.on_rules_change(self._rules_changed)

    def shutdown(self, wait: bool = True) -> None:
        if self._open:
            self.app.close()
            self._open = False

    def trigger_rebalance(self, calendar_id: str, reason: str = "webhook") -> None:
        """Defer one debounced rebalance (any user's store key: the task resolves the
        scope), after that user's ``schedule: debounce_seconds``; a trigger inside a
        waiting burst is a no-op."""
        scope = calendar_scope(self.runtime, calendar_id) if user_of(calendar_id) else None
        cfg = ScheduleConfig.from_rules((scope or self.runtime).rules)
        task = self.app.tasks[papp.REBALANCE]
        try:
            task.configure(
                lock=calendar_lock(calendar_id),
                queueing_lock=rebalance_queueing_lock(calendar_id),
                schedule_in={"seconds": int(cfg.debounce_seconds)},
            ).defer(calendar_id=calendar_id, trigger=reason)
        except AlreadyEnqueued:
            log.debug("rebalance of %s already waiting; trigger folded in", calendar_id)

    def _rules_changed(self, _rules: object) -> None:
        if not self._open:
            return
        schedule_template_calendars(self.runtime)
        for calendar_id in self.runtime.calendar_ids():
            self.trigger_rebalance(calendar_id, "rules")


def build_enqueuer(runtime: Runtime) -> Enqueuer:
    """The enqueuer ``BLOCKER_JOBS_BACKEND`` asks for (procrastinate refuses SQLite)."""
    if runtime.settings.jobs_backend == "procrastinate":
        return ProcrastinateEnqueuer(runtime)
    return APSchedulerEnqueuer(runtime)


__all__ = ["APSchedulerEnqueuer", "Enqueuer", "ProcrastinateEnqueuer", "build_enqueuer"]
