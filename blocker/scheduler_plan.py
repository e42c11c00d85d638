"""Which APScheduler jobs a set of rules asks for, as plain data (no scheduler here).

:class:`ScheduleConfig` normalises a ``schedule:`` section; :func:`calendar_jobs`
turns one scope's rules (the template's, or a member's effective rules: their own
zone and schedule) into :class:`JobSpec` values keyed by job id. The scheduler
compares a spec's :attr:`~JobSpec.signature` with the stored job's and rewrites
only jobs that differ, so reconciling 10,000 members' unchanged jobs writes nothing
and keeps every job's next run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, time
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from blocker.core.errors import SettingsError
from blocker.job_rows import job_kwargs
from rules import Rules

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_DAILY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")

CALENDAR_KINDS = ("generate", "daily", "poll", "rebalance")
"""Job id prefixes of per-calendar jobs: ``<kind>:<store key>``."""


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


def signature(trigger: BaseTrigger, kwargs: dict[str, Any]) -> tuple[str, ...]:
    """What makes two jobs the same job: trigger (with its zone) and what it does."""
    zone = str(getattr(trigger, "timezone", ""))
    return (
        type(trigger).__name__,
        str(trigger),
        zone,
        *sorted(f"{k}={v}" for k, v in kwargs.items()),
    )


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job as the scheduler should hold it."""

    id: str
    name: str
    trigger: BaseTrigger
    kwargs: dict[str, str]
    misfire_grace_time: int | None = None

    @property
    def signature(self) -> tuple[str, ...]:
        return signature(self.trigger, self.kwargs)


def calendar_of(job_id: str) -> str | None:
    """The store key a per-calendar job id names (None: a global job)."""
    kind, sep, calendar_id = job_id.partition(":")
    return calendar_id if sep and kind in CALENDAR_KINDS else None


def calendar_jobs(rules: Rules, scope: str) -> dict[str, JobSpec]:
    """Weekly generation, daily rebalance and poll of every calendar of ``rules``,
    at the times of its ``schedule:`` in its ``timezone``."""
    cfg = ScheduleConfig.from_rules(rules)
    zone = ZoneInfo(rules.timezone)
    specs: list[JobSpec] = []
    for cal in rules.calendars:
        cid = cal.id
        specs.append(
            JobSpec(
                f"generate:{cid}",
                f"weekly generation of {cid}",
                # every day: jobs.generate_if_due runs it on the generation day (the
                # named weekday, or the last working day before it when that is a holiday)
                CronTrigger(
                    hour=cfg.generate_at.hour, minute=cfg.generate_at.minute, timezone=zone
                ),
                job_kwargs("generate", scope, cid),
                24 * 3600,
            )
        )
        specs.append(
            JobSpec(
                f"daily:{cid}",
                f"daily rebalance of {cid}",
                CronTrigger(hour=cfg.daily_at.hour, minute=cfg.daily_at.minute, timezone=zone),
                job_kwargs("rebalance", scope, cid, "daily"),
                6 * 3600,
            )
        )
        if cfg.poll_minutes > 0:
            specs.append(
                JobSpec(
                    f"poll:{cid}",
                    f"poll of {cid}",
                    IntervalTrigger(minutes=cfg.poll_minutes, timezone=UTC),
                    job_kwargs("poll", scope, cid),
                    cfg.poll_minutes * 60,
                )
            )
    return {spec.id: spec for spec in specs}


GLOBAL_JOBS = ("renew:channels", "refresh:tokens")


def global_jobs(scope: str) -> dict[str, JobSpec]:
    """Channel renewal and token refresh: one job each, for every user's calendars."""
    return {
        "renew:channels": JobSpec(
            "renew:channels",
            "renew push channels",
            IntervalTrigger(hours=1, timezone=UTC),
            job_kwargs("renew", scope),
        ),
        "refresh:tokens": JobSpec(
            "refresh:tokens",
            "refresh access tokens",
            IntervalTrigger(minutes=30, timezone=UTC),
            job_kwargs("refresh", scope),
        ),
    }


__all__ = [
    "CALENDAR_KINDS",
    "GLOBAL_JOBS",
    "JobSpec",
    "ScheduleConfig",
    "calendar_jobs",
    "calendar_of",
    "global_jobs",
    "parse_daily",
    "parse_weekly",
    "signature",
]
