"""Pydantic request and response models of the HTTP API (they make the OpenAPI schema).

Converters from the core's value objects live next to the models so every route
answers in exactly one shape; plan and scorecard follow DESIGN.md section 6.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from blocker.core.errors import Problem
from blocker.core.models import Block, Op, Plan, RunRecord

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
"""Ids and names from a URL: no control characters (PostgreSQL refuses NUL in text)."""


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready", "unavailable"]
    store: str
    scheduler: Literal["running", "stopped"]
    rules_loaded: bool


class ProblemOut(BaseModel):
    file: str
    line: int
    column: int
    message: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(
            file=problem.file, line=problem.line, column=problem.column, message=problem.message
        )


class RulesProblems(BaseModel):
    """422 body of an invalid rules edit: every problem, located."""

    detail: str = "invalid rules; the rules in force did not change"
    problems: list[ProblemOut]


class RulesSaved(BaseModel):
    version: int
    calendars: list[str]


class RulesVersionOut(BaseModel):
    id: int
    created_at: datetime
    is_current: bool


class BlockOut(BaseModel):
    key: str
    kind: str
    title: str
    start: datetime
    end: datetime
    show_as: str
    color: str
    tier: str | None
    account: str | None
    quadrant: int
    category: str
    flexible: bool
    protected: bool
    all_day: bool
    reason: str

    @classmethod
    def of(cls, block: Block) -> BlockOut:
        return cls(
            key=block.key,
            kind=block.kind,
            title=block.title,
            start=block.start,
            end=block.end,
            show_as=block.show_as,
            color=block.color,
            tier=block.tier,
            account=block.account,
            quadrant=block.quadrant,
            category=block.category,
            flexible=block.flexible,
            protected=block.protected,
            all_day=block.all_day,
            reason=block.reason,
        )


class ShortfallOut(BaseModel):
    rule: str
    key: str
    requested_minutes: int
    placed_minutes: int
    reason: str


class ConflictOut(BaseModel):
    key: str
    meeting: str
    start: datetime
    end: datetime


class TierScore(BaseModel):
    model_config = ConfigDict(extra="allow")

    minutes: int
    share: float
    target_min: float
    target_max: float
    ok: bool | None
    """None: no account-facing time at all, nothing to judge (never a green tick)."""
    arr: str | None = Field(default=None, examples=["$100,000 and up"])
    """The tier's ARR band in the book's currency."""


class ScorecardOut(BaseModel):
    """The scorecard of DESIGN.md section 6 (extra keys pass through as the report grows)."""

    model_config = ConfigDict(extra="allow")

    tiers: dict[str, TierScore] = Field(default_factory=dict)
    quadrants: dict[str, float] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)


class PlanOut(BaseModel):
    calendar: str
    week: str
    timezone: str
    blocks: list[BlockOut]
    shortfall: list[ShortfallOut]
    conflicts: list[ConflictOut]
    scorecard: ScorecardOut

    @classmethod
    def of(cls, calendar: str, plan: Plan, card: dict[str, Any]) -> PlanOut:
        blocks = sorted(plan.blocks, key=lambda b: (b.start, b.key))
        return cls(
            calendar=calendar,
            week=plan.week,
            timezone=plan.timezone,
            blocks=[BlockOut.of(b) for b in blocks],
            shortfall=[
                ShortfallOut(
                    rule=s.rule,
                    key=s.key,
                    requested_minutes=s.requested_minutes,
                    placed_minutes=s.placed_minutes,
                    reason=s.reason,
                )
                for s in plan.shortfall
            ],
            conflicts=[
                ConflictOut(key=c.key, meeting=c.meeting, start=c.start, end=c.end)
                for c in plan.conflicts
            ],
            scorecard=ScorecardOut.model_validate(card),
        )


class ReportOut(ScorecardOut):
    calendar: str
    week: str


class OpOut(BaseModel):
    action: Literal["create", "update", "delete"]
    key: str
    title: str | None
    start: datetime | None
    end: datetime | None
    reason: str

    @classmethod
    def of(cls, op: Op) -> OpOut:
        target = op.block or op.current
        return cls(
            action=op.action,
            key=op.key,
            title=target.title if target else None,
            start=target.start if target else None,
            end=target.end if target else None,
            reason=op.reason,
        )


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = False
    week: str | None = Field(default=None, examples=["2026-W49"], max_length=16)
    calendar: str | None = Field(default=None, max_length=255, pattern=PRINTABLE)


class CalendarSyncOut(BaseModel):
    calendar: str
    week: str
    dry_run: bool
    ops: list[OpOut]
    errors: list[str]
    notices: list[str] = Field(default_factory=list)


class SyncResponse(BaseModel):
    results: list[CalendarSyncOut]


class RunOut(BaseModel):
    calendar: str
    trigger: str
    week: str
    started_at: datetime
    finished_at: datetime
    dry_run: bool
    ops: list[OpOut]
    errors: list[str]
    notices: list[str] = Field(
        default_factory=list,
        description="What the run tells without having failed (an event left out, "
        "a colour fallback); a run with notices only did what it meant to.",
    )
    extra: dict[str, int]

    @classmethod
    def of(cls, run: RunRecord) -> RunOut:
        return cls(
            calendar=run.calendar_id,
            trigger=run.trigger,
            week=run.week,
            started_at=run.started_at,
            finished_at=run.finished_at,
            dry_run=run.dry_run,
            ops=[OpOut.of(op) for op in run.ops],
            errors=list(run.errors),
            notices=list(run.notices),
            extra=dict(run.extra),
        )


class ErrorOut(BaseModel):
    """Every error answer other than 422: one sentence saying what to do."""

    detail: str


__all__ = [
    "PRINTABLE",
    "BlockOut",
    "CalendarSyncOut",
    "ErrorOut",
    "Health",
    "OpOut",
    "PlanOut",
    "ProblemOut",
    "Ready",
    "ReportOut",
    "RulesProblems",
    "RulesSaved",
    "RulesVersionOut",
    "RunOut",
    "ScorecardOut",
    "SyncRequest",
    "SyncResponse",
]
