"""How a real meeting counts in the Eisenhower quadrants and the 50/30/20 split.

A meeting's kind (with an account, internal, external) is not its urgency: a
call with an account that is renewing or at risk is urgent and important (Q1),
a QBR or a planning session is important but not urgent (Q2), a routine
internal sync is Q3. So the mapping is an ordered list of rules, first match
wins: the user's own (``eisenhower.meetings`` in the rules YAML) and then
:data:`DEFAULT_RULES` (unless the user turns them off). Only titles, domains and
account names are looked at: full addresses never reach this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from blocker.core.models import Category, Quadrant

__all__ = [
    "DEFAULT_RULES",
    "MeetingFacts",
    "MeetingKind",
    "MeetingMapping",
    "MeetingRule",
    "urgent_accounts",
]

MeetingKind = Literal["account", "internal", "solo", "external"]
CalledBy = Literal["customer", "owner"]


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    """What the mapping may look at of one counted meeting."""

    title: str
    kind: MeetingKind
    domains: tuple[str, ...] = ()
    """Attendee and organiser domains, lower case."""
    organizer: str | None = None
    customer_called: bool = False
    urgent: bool = False
    """One of its accounts is renewing soon or at risk (:func:`urgent_accounts`)."""


def _under(domain: str, wanted: str) -> bool:
    """``eu.acme.com`` is under ``acme.com``; ``notacme.com`` is not."""
    return domain == wanted or domain.endswith("." + wanted)


@dataclass(frozen=True, slots=True)
class MeetingRule:
    """Every condition given must hold (an empty tuple / None is no condition)."""

    quadrant: Quadrant
    category: Category
    titles: tuple[str, ...] = ()
    """Any of these words or phrases in the title (case-insensitive, whole words)."""
    domains: tuple[str, ...] = ()
    """Any attendee or the organiser from one of these domains (or a sub-domain)."""
    organizers: tuple[str, ...] = ()
    """The organiser's domain is one of these (or a sub-domain)."""
    kinds: tuple[MeetingKind, ...] = ()
    called_by: CalledBy | None = None
    urgent_account: bool | None = None

    def matches(self, facts: MeetingFacts) -> bool:
        if self.kinds and facts.kind not in self.kinds:
            return False
        if self.called_by is not None:
            if facts.kind != "account":
                return False
            if facts.customer_called != (self.called_by == "customer"):
                return False
        if self.urgent_account is not None and facts.urgent != self.urgent_account:
            return False
        if self.titles and not any(_has_phrase(facts.title, t) for t in self.titles):
            return False
        if self.domains and not any(
            _under(d, w.lower()) for d in facts.domains for w in self.domains
        ):
            return False
        if self.organizers:
            org = facts.organizer
            if org is None or not any(_under(org, w.lower()) for w in self.organizers):
                return False
        return True


def _has_phrase(title: str, phrase: str) -> bool:
    """Whole-word, case-insensitive: "planning" is in "Q3 planning", "QBR" not in "QBRX"."""
    pattern = r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)"
    return re.search(pattern, title, flags=re.IGNORECASE) is not None


DEFAULT_RULES: tuple[MeetingRule, ...] = (
    # a customer renewing soon or at risk: whatever the call, it is urgent and important
    MeetingRule(1, "reactive", kinds=("account",), urgent_account=True),
    # fires inside the company are urgent too
    MeetingRule(
        1,
        "reactive",
        kinds=("internal",),
        titles=("escalation", "incident", "outage", "urgent", "sev1", "sev 1", "p1"),
    ),
    # reviews and planning are the method's Q2, whoever takes part
    MeetingRule(
        2,
        "proactive",
        titles=(
            "qbr",
            "ebr",
            "business review",
            "quarterly review",
            "planning",
            "roadmap",
            "success plan",
            "strategy",
            "kickoff",
            "kick-off",
            "onboarding",
        ),
    ),
    # growing oneself and the team is important, not urgent
    MeetingRule(
        2,
        "admin",
        kinds=("internal",),
        titles=("1:1", "1-1", "one on one", "coaching", "training", "enablement", "mentoring"),
    ),
    MeetingRule(1, "reactive", kinds=("account",), called_by="customer"),
    MeetingRule(2, "proactive", kinds=("account",), called_by="owner"),
    MeetingRule(3, "admin", kinds=("internal", "external")),
)
"""The documented defaults (config.example.yaml, ``eisenhower:``), in order."""


@dataclass(frozen=True, slots=True)
class MeetingMapping:
    """The user's rules first, then the defaults; a solo event matches nothing
    unless a user rule names it (a dentist appointment is in no split)."""

    rules: tuple[MeetingRule, ...] = ()
    defaults: bool = True

    def of(self, facts: MeetingFacts) -> tuple[Quadrant, Category] | None:
        chain = self.rules + (DEFAULT_RULES if self.defaults else ())
        for rule in chain:
            if rule.matches(facts):
                return rule.quadrant, rule.category
        if facts.kind == "solo":
            return None
        # no rule matched and the defaults are off: the kind's plain reading
        if facts.kind == "account":
            return (1, "reactive") if facts.customer_called else (2, "proactive")
        return 3, "admin"


class _Account(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def renewal_date(self) -> date | None: ...
    @property
    def health(self) -> int | None: ...


def urgent_accounts(
    accounts: Iterable[_Account], on: date, *, at_risk_health: int, renewal_within_days: int
) -> frozenset[str]:
    """Accounts renewing within ``renewal_within_days`` of ``on`` (not yet past) or
    with a health score below ``at_risk_health``: their meetings are Q1."""
    horizon = on + timedelta(days=renewal_within_days)
    out: set[str] = set()
    for account in accounts:
        renewal = account.renewal_date
        renewing = renewal is not None and on <= renewal <= horizon
        at_risk = account.health is not None and account.health < at_risk_health
        if renewing or at_risk:
            out.add(account.name)
    return frozenset(out)
