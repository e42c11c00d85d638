"""A member's weeks from the store: their scope on the shared runtime (issue 20.5).

The lead's view of a deployment reads each member through
:func:`blocker.members.scope_for_user`: their effective rules (template + overlay),
their calendars through the runtime's providers, their runs. A week is the same
preview a sync would plan and the same report the member's own week page serves
(``Runtime.preview`` then ``Runtime.report``), so what the lead sees and what the
member sees of themselves come from one function and cannot differ.

A member who cannot be read (no address known yet, disabled, rules that no longer
fit the template, no calendar, a calendar that fails) gets a row with no data and
the class of the reason, never the provider's message (which may name a meeting),
and never fails the team's view.

Each week is kept per process by :mod:`blocker.team.week_cache` (keyed on the user,
calendar, week, rules and the calendar's last run; at most its TTL old), so a
repeated view reads no calendar. The weeks a view must compute are read from the
calendar once, together (:mod:`blocker.team.trend_read`: the same events each
week's own read would give), and a team's members are read a few at a time
(:data:`READERS` threads: for Google/Outlook a read is HTTP round trips; each
calendar's reads still take its lock, so one provider is never used by two).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from blocker.core.errors import (
    BlockerError,
    ReconnectRequired,
    RulesError,
    StoreError,
    TransientError,
)
from blocker.core.weeks import shift_week
from blocker.members import scope_for_user
from blocker.runtime import Runtime
from blocker.store.team_groups import TeamGroup
from blocker.store.teams import TeamUser
from blocker.team.summary import MemberSummary, MemberWeek, TeamSummary, member_summary
from blocker.team.summary import team_summary as _team_summary
from blocker.team.trend_read import TrendReader, trend_window
from blocker.team.week_cache import WeekKey, cached_week, week_cache, week_keys

__all__ = [
    "READERS",
    "TREND_WEEKS",
    "member_label",
    "member_view",
    "scored_week",
    "team_view",
    "trend_reader",
    "trend_weeks",
    "visible_teams",
]

TREND_WEEKS = 8
READERS = 4
"""Members of a team read at once: calendar reads wait on the network, and a few in
flight cut a first view's wall time without a burst of requests to one provider."""
log = logging.getLogger(__name__)


def trend_weeks(week: str) -> list[str]:
    """The eight weeks up to and including ``week``, oldest first."""
    return [shift_week(week, i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]


def member_label(base: Runtime, user: TeamUser) -> str:
    """How a member is named to their lead: their address, else domain and fingerprint."""
    return base.store.user_email(user.id) or f"user {user.fingerprint} at {user.domain}"


def _reason(exc: BlockerError) -> str:
    """A class of reason a lead may read (the message itself may quote a meeting)."""
    if isinstance(exc, ReconnectRequired):
        return "calendar needs reconnecting"
    if isinstance(exc, TransientError):
        return "calendar not reachable right now"
    if isinstance(exc, RulesError):
        return "rules do not fit the team template"
    if isinstance(exc, StoreError):
        return "store not readable"
    return "calendar not readable"


def scored_week(
    scope: Runtime, calendar: str, week: str, reader: TrendReader | None = None
) -> MemberWeek:
    """One week as the member's own week page scores it (raises BlockerError);
    ``reader``: the trend's one read, which answers as the calendar would."""
    preview = scope.preview(calendar, week, reader=reader)
    card = scope.report(calendar, week, preview=preview)
    asked = sum(r.minutes for r in preview.spec.requests if r.protected and not r.all_day)
    return MemberWeek(week=week, card=card, focus_asked=asked)


def _none(weeks: Sequence[str]) -> list[MemberWeek]:
    return [MemberWeek(week=w, card=None) for w in weeks]


def member_view(base: Runtime, user: TeamUser, week: str) -> MemberSummary:
    """What a lead sees of ``user``'s ``week``, with its eight-week trend."""
    weeks = trend_weeks(week)
    label = member_label(base, user)
    if user.disabled:
        return member_summary(label, _none(weeks), "member disabled")
    try:
        scope = scope_for_user(base, user)
    except RulesError:
        return member_summary(label, _none(weeks), "rules do not fit the team template")
    if scope is None:
        return member_summary(label, _none(weeks), "address not known yet (signs in again)")
    calendars = scope.calendar_ids()
    if not calendars:
        return member_summary(label, _none(weeks), "no calendar in their rules")
    cards: list[MemberWeek] = []
    note: str | None = None
    keys = week_keys(base, scope, user.id, calendars[0], weeks)
    reader = trend_reader(base, scope, calendars[0], keys)
    for each, key in zip(weeks, keys, strict=True):
        try:
            compute = partial(scored_week, scope, calendars[0], each, reader)
            cards.append(cached_week(base, key, compute))
        except BlockerError as exc:
            log.warning("user %s, week %s not read: %s", user.id, each, type(exc).__name__)
            cards.append(MemberWeek(week=each, card=None))
            if each == week:
                note = _reason(exc)
    return member_summary(label, cards, note)


def trend_reader(
    base: Runtime, scope: Runtime, calendar: str, keys: Sequence[WeekKey]
) -> TrendReader | None:
    """One read of ``calendar`` for the weeks of ``keys`` the cache does not hold;
    None when fewer than two must be read, or when that read fails (each week is then
    read on its own, as the member's week page would, and fails or not as it would)."""
    cache, now = week_cache(base), base.now()
    missing = [key.week for key in keys if cache.get(key, now) is None]
    if len(missing) < 2:
        return None
    window = trend_window(missing, scope.rules.timezone, scope.now())
    provider = scope.provider(calendar)
    try:
        with scope.lock(calendar):
            read = provider.read(window)
    except BlockerError as exc:
        log.warning("%s: the trend's read failed (%s); weeks read one by one", calendar, exc)
        return None
    return TrendReader(provider, window, read)


def team_view(base: Runtime, team: TeamGroup, week: str) -> TeamSummary:
    """Each member of ``team`` (not its leads, unless they are members too), up to
    :data:`READERS` of them read at once."""
    users = [base.store.team_user_by_id(user_id) for user_id in team.members]
    present = [user for user in users if user is not None]
    if len(present) < 2:
        members = [member_view(base, user, week) for user in present]
    else:
        with ThreadPoolExecutor(min(READERS, len(present)), "team-view") as pool:
            members = list(pool.map(lambda user: member_view(base, user, week), present))
    return _team_summary(week, members, team.name)


def visible_teams(base: Runtime, viewer: TeamUser) -> list[TeamGroup]:
    """The teams ``viewer`` may see: every team for an admin, the teams they lead for a
    lead, none for anyone else (a lead demoted to member loses them at once)."""
    if viewer.disabled:
        return []
    if viewer.role == "admin":
        return base.store.team_groups()
    if viewer.role == "lead":
        return base.store.teams_led_by(viewer.id)
    return []
