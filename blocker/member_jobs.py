"""Scheduled jobs for every user, whichever engine runs them (issue 20, part 8).

The template owner's calendars are planned with the shared runtime, as before;
every other enabled user's calendars (store keys ``u<id>~<cal>``) with their own
scope (:mod:`blocker.members`): their effective rules, so their own time zone and
``schedule:``. Both engines share what is here:

* :func:`calendar_scope`: the scope a job of one store key runs in; None (logged)
  when no enabled, known user has that calendar any more, so the job is dropped
  instead of writing with someone else's rules;
* :func:`member_states`: one query telling, per member, whether jobs may act for
  them (enabled, address known) and which overlay version is current. The engines
  compare it with what they scheduled last and rebuild only the users that changed:
  building a scope parses that user's rules, which at 10,000 users is the cost.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_, select

from blocker.core.errors import RulesError
from blocker.members import parse_store_key, scope_for_calendar, scope_for_user
from blocker.runtime import Runtime
from blocker.store.tables import RulesOverlayRow, User

log = logging.getLogger("blocker.jobs")

__all__ = [
    "MemberState",
    "basis",
    "calendar_scope",
    "member_scope",
    "member_states",
    "template_hash",
    "user_of",
]


def calendar_scope(base: Runtime, calendar_id: str) -> Runtime | None:
    """The runtime a job for ``calendar_id`` runs in, or None (logged: the job is
    dropped) when the user is disabled, deleted, unknown or their rules no longer
    load at all. A bare id is the template owner's: the shared runtime."""
    try:
        scope = scope_for_calendar(base, calendar_id)
    except RulesError as exc:
        log.warning("job for %s dropped: the user's rules do not load: %s", calendar_id, exc)
        return None
    if scope is None:
        log.warning(
            "job for %s dropped: no enabled user with a known address has that calendar",
            calendar_id,
        )
    return scope


def user_of(calendar_id: str) -> int | None:
    """The member a store key belongs to (None: the template owner's bare id)."""
    parsed = parse_store_key(calendar_id)
    return None if parsed is None else parsed[0]


@dataclass(frozen=True, slots=True)
class MemberState:
    """What decides a member's jobs: may jobs act for them, with which overlay."""

    user_id: int
    disabled: bool
    known: bool
    """Their address is known (sealed in the store since 0013)."""
    overlay_id: int | None

    @property
    def active(self) -> bool:
        """Jobs may act for them (see :func:`blocker.members.scope_for_user`)."""
        return not self.disabled and self.known

    def why_not(self) -> str:
        """Why no jobs act for them (logged by the engines)."""
        if self.disabled:
            return f"user {self.user_id}: disabled, no jobs"
        return f"user {self.user_id}: address not known yet (signs in again to fill it), no jobs"


def member_states(base: Runtime) -> dict[int, MemberState]:
    """Every user but the template owner, in one query."""
    owner = base.store.template_owner_id()
    query = select(User.id, User.disabled, User.email_sealed, RulesOverlayRow.id).outerjoin(
        RulesOverlayRow,
        and_(RulesOverlayRow.user_id == User.id, RulesOverlayRow.is_current.is_(True)),
    )
    with base.store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        user_id: MemberState(user_id, bool(disabled), bool(sealed), overlay_id)
        for user_id, disabled, sealed, overlay_id in rows
        if user_id != owner
    }


def template_hash(base: Runtime) -> str:
    """The template's text, fingerprinted: a change re-plans every member's jobs (and
    is a new key for the lead's view's weeks, :mod:`blocker.team.week_cache`)."""
    return _text_hash(base.rules_text)


@lru_cache(maxsize=8)
def _text_hash(text: str) -> str:
    """Cached: asked once per member in a pass, of the same few template texts."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def basis(template: str, state: MemberState) -> str:
    """What a member's schedule was computed from (stored with it)."""
    return f"{template}:{state.overlay_id or 0}"


def member_scope(base: Runtime, user_id: int) -> Runtime | None:
    """The scope of one member for scheduling; None when jobs may not act for them.

    Raises :class:`RulesError` when their overlay does not fit the template and no
    earlier valid scope exists in this process (callers keep what they scheduled).
    """
    user = base.store.team_user_by_id(user_id)
    if user is None:
        return None
    return scope_for_user(base, user)
