"""What a sync run or a preview hands back to the CLI, the API and the jobs."""

from __future__ import annotations

from dataclasses import dataclass

from blocker.core.models import Busy, Interval, Op, Plan, ReadResult, RunRecord, WeekSpec


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one sync of one calendar and week produced, for the CLI and the API."""

    calendar_id: str
    week: str
    plan: Plan
    spec: WeekSpec
    ops: tuple[Op, ...]
    errors: tuple[str, ...]
    busy: tuple[Busy, ...]
    run: RunRecord | None
    dry_run: bool
    notices: tuple[str, ...] = ()
    """Said, not failed: e.g. events left out as unreadable."""
    seen: ReadResult | None = None
    """The run's one read: the week and the history before it (``window``)."""
    window: Interval | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """A plan computed without writing anything anywhere, and the read it came from."""

    plan: Plan
    spec: WeekSpec
    busy: tuple[Busy, ...]
    seen: ReadResult | None = None
    window: Interval | None = None
    ops: tuple[Op, ...] = ()
    """What a sync would write now: the dashboard tells synced blocks from pending ones."""


__all__ = ["Preview", "RunOutcome"]
