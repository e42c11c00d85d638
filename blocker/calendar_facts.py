"""What the calendar already says about a week's accounts, as the rules expand it.

Each account's last contact (fed to the silent-account trigger) and the minutes of
meetings per tier in the seven days before the week's generation (what the account
time budget counts): ``blocker plan`` from .ics files and the sync engine's
expansion judge a week alike only if they compute these one way, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from blocker.actuals import DomainIndex, last_contacts, tier_meetings
from blocker.core.models import Busy, Interval
from rules import Rules

__all__ = ["calendar_facts"]


def calendar_facts(
    rules: Rules, past: Sequence[Busy], *, before: datetime, generated: datetime
) -> tuple[dict[str, date], dict[str, int]]:
    """(last contact per account, meeting minutes per tier) from the ``past`` meetings.

    ``before``: contacts are counted up to then (the week's Monday at the latest);
    ``generated``: when the week is generated (``runtime.generation_of``): the tier
    budget counts the seven days before it, frozen once it has passed.
    """
    index = DomainIndex(rules.accounts, tuple(rules.owner.email_domains))
    recent = Interval(generated - timedelta(days=7), generated)
    return (
        last_contacts(past, index, before=before, timezone=rules.timezone),
        tier_meetings(past, index, recent),
    )
