"""The ``eisenhower:`` section of the rules: how real meetings map to quadrants.

Validated here, applied by :mod:`blocker.core.eisenhower` (the report's actual side
and the plan's known meetings alike). Its own base model keeps this module free
of ``rules.spec`` (which imports it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from blocker.core.eisenhower import MeetingKind, MeetingMapping, MeetingRule
from blocker.core.models import Category, Quadrant

__all__ = ["EisenhowerSpec", "MeetingRuleSpec"]

_CATEGORY_OF: dict[int, Category] = {1: "reactive", 2: "proactive", 3: "admin", 4: "admin"}


def _one_or_many(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Words = Annotated[
    tuple[Annotated[str, Field(min_length=1, max_length=200)], ...],
    BeforeValidator(_one_or_many),
    Field(max_length=100),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class MeetingRuleSpec(_Strict):
    """One mapping rule: every condition given must hold; the first match wins."""

    quadrant: Quadrant
    category: Category | None = None
    """Default: Q1 reactive, Q2 proactive, Q3/Q4 admin."""
    title: Words = ()
    domains: Words = ()
    organizer: Words = ()
    kind: Annotated[
        tuple[MeetingKind, ...], BeforeValidator(_one_or_many), Field(max_length=4)
    ] = ()
    called_by: Literal["customer", "owner"] | None = None
    account: Literal["at_risk_or_renewing", "other"] | None = None

    @model_validator(mode="after")
    def _some_condition(self) -> MeetingRuleSpec:
        if not (
            self.title
            or self.domains
            or self.organizer
            or self.kind
            or self.called_by
            or self.account
        ):
            raise ValueError(
                "a meeting rule needs at least one condition "
                "(title, domains, organizer, kind, called_by or account)"
            )
        return self

    def rule(self) -> MeetingRule:
        return MeetingRule(
            quadrant=self.quadrant,
            category=self.category or _CATEGORY_OF[self.quadrant],
            titles=self.title,
            domains=tuple(d.strip().lower().lstrip("@") for d in self.domains),
            organizers=tuple(d.strip().lower().lstrip("@") for d in self.organizer),
            kinds=self.kind,
            called_by=self.called_by,
            urgent_account=None if self.account is None else self.account == "at_risk_or_renewing",
        )


class EisenhowerSpec(_Strict):
    """How meetings count in the quadrant and category splits of the report."""

    at_risk_health: int = Field(default=60, ge=0, le=100)
    """An account with a health score below this is at risk."""
    renewal_within_days: int = Field(default=90, ge=0, le=730)
    """An account renewing within this many days of the week's Monday is renewing."""
    defaults: bool = True
    """Apply the documented default rules after the user's own."""
    meetings: tuple[MeetingRuleSpec, ...] = Field(default=(), max_length=200)

    def mapping(self) -> MeetingMapping:
        return MeetingMapping(tuple(r.rule() for r in self.meetings), self.defaults)
