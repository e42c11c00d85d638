"""Members' weeks as the lead's view computed them, kept per process (issue 20.5).

Why: a view of a team of 10 is 80 weeks (8 of trend each), each a full calendar
read, a plan and a report; a lead who reloads the page, opens a member and comes
back pays that each time. The cache keeps each :class:`MemberWeek` so a repeated
view reads no calendar.

What an answer depends on, and so what it is keyed on (:class:`WeekKey`): the
user, the calendar's store key and the week (two members with a calendar ``work``
have different keys, and the user id is in the key besides); the rules in force
for them (their overlay's version, a hash of the team template's text); and the
store's state of that calendar (the id of the last run recorded for it: a sync
changes the blocks applied, the pins and the snapshot the next preview starts
from). A key that differs in any part is a miss, and its entry is replaced. One
cache per shared runtime: two runtimes in one process (two stores, whose user and
run ids overlap) never share an answer.

What no key can see: the calendar's live events. A report's actual figures
(``blocker.week_report``) count what the calendar holds now, for past weeks too,
and a member who edits or deletes a past meeting makes no run. Rather than key
past weeks on something that does not move (the store's window snapshot changes
only with runs), every entry, past weeks included, expires after :data:`TTL` on
the runtime's clock: what a lead sees is never older than that, and a repeated
view within it reads nothing. The current and future weeks need the TTL anyway
(their actual figures run up to "now"; the plan's stability horizon is today).
An entry dated after the clock (a clock set back) is expired too.

Failed reads are never kept (the error propagates; the next view tries again).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from blocker.member_jobs import template_hash
from blocker.members import MemberRuntime
from blocker.runtime import Runtime
from blocker.team.summary import MemberWeek

__all__ = [
    "MAX_CACHED_WEEKS",
    "TTL",
    "WeekCache",
    "WeekKey",
    "cached_week",
    "week_cache",
    "week_keys",
]

TTL = timedelta(minutes=5)
"""How long a member's week is served without reading their calendar again."""

MAX_CACHED_WEEKS = 8 * 512
"""Weeks kept per shared runtime, least recently used evicted first: the eight-week
trends of as many members as :data:`blocker.members.MAX_CACHED_SCOPES` keeps scopes
(a week's card is a few kB)."""


@dataclass(frozen=True, slots=True)
class WeekKey:
    """Everything a member's week is computed from that the store can tell."""

    user_id: int
    calendar_id: str
    """The calendar's store key (``u<id>~work`` for a member's ``work``)."""
    week: str
    overlay_version: int | None
    """The id of the overlay version the scope was built from (None: no overlay)."""
    template: str
    """The team template's text in force, fingerprinted
    (:func:`blocker.member_jobs.template_hash`)."""
    latest_run: int | None
    """The id of the last run recorded for the calendar (None: none yet)."""

    @property
    def slot(self) -> tuple[int, str, str]:
        """One entry per user, calendar and week: a newer key replaces the older."""
        return (self.user_id, self.calendar_id, self.week)


@dataclass(frozen=True, slots=True)
class _Entry:
    key: WeekKey
    value: MemberWeek
    stored_at: datetime


class WeekCache:
    """Bounded, thread-safe: slot -> the week computed for its latest key."""

    def __init__(self, max_entries: int = MAX_CACHED_WEEKS, ttl: timedelta = TTL) -> None:
        if max_entries < 1:
            raise ValueError(f"a week cache keeps at least one week, not {max_entries}")
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: OrderedDict[tuple[int, str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: WeekKey, now: datetime) -> MemberWeek | None:
        """The week kept for exactly ``key``, if it is still fresh at ``now``."""
        with self._lock:
            entry = self._entries.get(key.slot)
            if entry is None:
                return None
            if entry.key != key or not entry.stored_at <= now < entry.stored_at + self.ttl:
                del self._entries[key.slot]
                return None
            self._entries.move_to_end(key.slot)
            return entry.value

    def put(self, key: WeekKey, value: MemberWeek, now: datetime) -> None:
        """Keep ``value`` for ``key`` (its card read-only: every view shares it)."""
        if value.card is not None:
            card = MappingProxyType(dict(value.card))
            value = MemberWeek(week=value.week, card=card, focus_asked=value.focus_asked)
        with self._lock:
            self._entries[key.slot] = _Entry(key, value, now)
            self._entries.move_to_end(key.slot)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_CACHES: weakref.WeakKeyDictionary[Runtime, WeekCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def week_cache(base: Runtime) -> WeekCache:
    """The cache of the shared runtime ``base`` (made on first use)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(base)
        if cache is None:
            cache = _CACHES[base] = WeekCache()
        return cache


def week_keys(
    base: Runtime, scope: Runtime, user_id: int, calendar_id: str, weeks: Sequence[str]
) -> list[WeekKey]:
    """The keys of ``user_id``'s ``weeks`` on ``calendar_id`` as ``scope`` computes them
    now (one store query: the calendar's last run)."""
    overlay = scope.overlay_id if isinstance(scope, MemberRuntime) else None
    template = template_hash(base)
    latest_run = base.store.latest_run_id(calendar_id)
    return [WeekKey(user_id, calendar_id, week, overlay, template, latest_run) for week in weeks]


def cached_week(
    base: Runtime,
    key: WeekKey,
    compute: Callable[[], MemberWeek],
) -> MemberWeek:
    """The week for ``key``: kept, or ``compute()``d and kept (an error raised by
    ``compute`` propagates and nothing is kept)."""
    cache = week_cache(base)
    now = base.now()  # an entry's age counts from before its read
    kept = cache.get(key, now)
    if kept is not None:
        return kept
    value = compute()
    cache.put(key, value, now)
    return value
