"""The rules language: YAML -> validated ``Rules`` -> a week's ``WeekSpec``.

Public API::

    load_rules(path) -> Rules
    parse_rules(text, *, filename="rules.yaml", base_dir=None) -> Rules
    expand_week(rules, week, *, today, contacts=None) -> WeekSpec
    tier_targets(rules) -> tuple[TierTarget, ...]

Invalid files raise ``blocker.core.errors.RulesError`` with every problem located.
"""

from rules.engine import expand_week, tier_targets, working_intervals
from rules.loader import load_rules, parse_rules
from rules.registry import KINDS, kind_names
from rules.spec import (
    Account,
    CalendarSpec,
    Categories,
    HolidaySpec,
    Owner,
    Rules,
    RuleSpec,
    Schedule,
    Tier,
    WorkingHours,
)
from rules.timeparse import TimeRange, WeeklyTime

__all__ = [
    "KINDS",
    "Account",
    "CalendarSpec",
    "Categories",
    "HolidaySpec",
    "Owner",
    "RuleSpec",
    "Rules",
    "Schedule",
    "Tier",
    "TimeRange",
    "WeeklyTime",
    "WorkingHours",
    "expand_week",
    "kind_names",
    "load_rules",
    "parse_rules",
    "tier_targets",
    "working_intervals",
]
