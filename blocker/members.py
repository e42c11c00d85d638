"""Each CSM's own rules and calendars on one deployment (issue 20, slice 2).

A signed-in user acts through a :class:`MemberRuntime`: the shared runtime seen
through that user's *scope* (their effective rules = the team template + their
overlay, see :mod:`rules.overlay`, and their calendar namespace). Routes, the
sync engine and the store need no user ids: the scope's rules already carry the
user's calendars under store keys no other user can have.

Store keys: the template owner's calendars (the first admin's, see
:meth:`~blocker.store.overlays.OverlayStore.template_owner_id`) keep their bare
ids, so an existing deployment keeps its connections, runs and history; every
other user's calendar ``work`` is stored as ``u<user id>~work`` (``~`` is never
in a calendar id). Files a member's calendars name (``.ics`` paths) resolve in
``DATA_DIR/members/u<id>/``, so one member's rules cannot read another's files.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from blocker.core.errors import RulesError
from blocker.core.files import inside
from blocker.core.models import RunRecord
from blocker.runtime import Runtime
from blocker.store.records import RulesVersion
from blocker.store.teams import TeamUser
from rules import Rules
from rules.overlay import OVERLAY_NAME, effective_rules

__all__ = [
    "MAX_CACHED_SCOPES",
    "MemberRuntime",
    "cached_scopes",
    "member_dir",
    "member_scopes",
    "parse_store_key",
    "scope_for",
    "scope_for_calendar",
    "scope_for_user",
    "store_key",
]

NAMESPACE_MARK = "~"
log = logging.getLogger(__name__)


def store_key(user_id: int, calendar_id: str) -> str:
    """Where a (non-owner) user's calendar lives in the store."""
    return f"u{user_id}{NAMESPACE_MARK}{calendar_id}"


def parse_store_key(calendar_id: str) -> tuple[int, str] | None:
    """``u<id>~<calendar>`` -> (user id, the calendar's id in their rules); None for a
    bare id (the template owner's calendars)."""
    head, mark, rest = calendar_id.partition(NAMESPACE_MARK)
    if not mark or not rest or not head.startswith("u") or not head[1:].isdigit():
        return None
    return int(head[1:]), rest


def member_dir(base: Runtime, user_id: int) -> Path:
    """The folder a member's calendar files live in."""
    return base.data_dir / "members" / f"u{user_id}"


class MemberRuntime(Runtime):
    """The shared runtime as one user sees it: same store, providers, metrics and
    clock; their effective rules; their overlay is what "the rules" edits."""

    def __init__(self, base: Runtime, user: TeamUser, email: str, *, owner: bool) -> None:
        super().__init__(base.settings, base.store, rules_path=base.rules_path, clock=base.clock)
        self.base = base
        self.user = user
        self.email = email
        self.owner = owner
        self.metrics = base.metrics
        self._providers = base._providers
        self.overlay_id: int | None = None

    def owner_email(self) -> str:
        return self.email

    def _effective(self, overlay_text: str) -> Rules:
        rules = effective_rules(
            self.base.rules_text,
            overlay_text,
            template_name=str(self.base.rules_path or "team rules"),
            base_dir=self.base.rules_path.parent if self.base.rules_path else None,
            limits=self.settings.rules_limits(),
            inherit_calendars=self.owner,
        )
        if self.owner:
            return rules
        keyed = tuple(
            cal.model_copy(update={"id": store_key(self.user.id, cal.id)})
            for cal in rules.calendars
        )
        return rules.model_copy(update={"calendars": keyed})

    def parse_editable(self, text: str) -> Rules:
        return self._effective(text)

    def run_errors(self) -> AbstractContextManager[None]:
        return self.base.run_errors()

    def load(self) -> MemberRuntime:
        """Put the user's current overlay in force (raises RulesError, located)."""
        current = self.store.current_overlay(self.user.id)
        text = current.text if current is not None else ""
        self._install(self._effective(text), text)
        self.overlay_id = current.id if current is not None else None
        return self

    def update_rules(self, text: str) -> int:
        """``text`` is this user's overlay: validated with the template, then saved."""
        with self._rules_lock:
            rules = self._effective(text)
            version: int = self.store.save_overlay(
                self.user.id, text, keep=self.settings.rules_versions_kept
            )
            self._install(rules, text)
            self.overlay_id = version
            return version

    def restore_rules(self, version_id: int) -> int:
        """One of this user's own overlay versions (another user's id: KeyError)."""
        with self._rules_lock:
            saved = self.store.get_overlay_version(self.user.id, version_id)
            if saved is None:
                raise KeyError(version_id)
            rules = self._effective(saved.text)
            self.store.restore_overlay(self.user.id, version_id)
            self._install(rules, saved.text)
            self.overlay_id = version_id
            return version_id

    @property
    def rules_document(self) -> str:
        return OVERLAY_NAME

    def rules_versions(self, limit: int) -> list[RulesVersion]:
        return self.store.overlay_versions(self.user.id, limit=limit)

    def rules_version(self, version_id: int) -> RulesVersion | None:
        return self.store.get_overlay_version(self.user.id, version_id)

    def recent_runs(self, limit: int) -> list[RunRecord]:
        runs = [run for cal in self.calendar_ids() for run in self.store.runs(cal, limit)]
        runs.sort(key=lambda run: run.started_at, reverse=True)
        return runs[:limit]

    def _write_rules_file(self, text: str) -> None:
        """An overlay lives in the store only; the template file is not this user's."""

    @property
    def data_dir(self) -> Path:
        return self.base.data_dir if self.owner else member_dir(self.base, self.user.id)

    def resolve(self, path: str | Path) -> Path:
        return inside(self.data_dir, path)

    def close(self) -> None:
        """The store and providers are the shared runtime's: it closes them."""


MAX_CACHED_SCOPES = 512
"""Parsed scopes kept per shared runtime, least recently used evicted first. A scope
costs about 0.25 MB (a 100-account book parsed); a worker serving 10,000 members must
not keep them all. Rebuilding an evicted one is a parse (0.1-0.2 s)."""


@dataclass(slots=True)
class _Cached:
    key: object
    scope: MemberRuntime
    stale: bool = False
    """The last valid rules of an overlay the template has since broken: never evicted,
    since it cannot be rebuilt (its template text is gone)."""


class _ScopeCache:
    """Per shared runtime: user id -> scope, bounded (see MAX_CACHED_SCOPES)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[int, _Cached] = OrderedDict()

    def get(self, user_id: int) -> _Cached | None:
        entry = self._entries.get(user_id)
        if entry is not None:
            self._entries.move_to_end(user_id)
        return entry

    def put(self, user_id: int, entry: _Cached) -> None:
        self._entries[user_id] = entry
        self._entries.move_to_end(user_id)
        fresh = [uid for uid, cached in self._entries.items() if not cached.stale]
        for uid in fresh[: max(0, len(fresh) - MAX_CACHED_SCOPES)]:
            del self._entries[uid]

    def __len__(self) -> int:
        return len(self._entries)


_SCOPES: weakref.WeakKeyDictionary[Runtime, _ScopeCache] = weakref.WeakKeyDictionary()
_SCOPES_LOCK = threading.Lock()


def cached_scopes(base: Runtime) -> int:
    """How many member scopes ``base`` keeps parsed (for tests and benchmarks)."""
    with _SCOPES_LOCK:
        cache = _SCOPES.get(base)
        return len(cache) if cache is not None else 0


def scope_for(base: Runtime, user: TeamUser, email: str) -> Runtime:
    """The runtime a signed-in user acts through (built once per template text and
    overlay version, then reused while it is among the MAX_CACHED_SCOPES most recently
    used). The template owner gets the shared runtime itself (they edit the template,
    which is what the scheduler plans their calendars with): a deployment's existing
    behaviour, unchanged.

    Raises :class:`RulesError` when the user's overlay no longer fits the template.
    """
    if base.store.template_owner_id() == user.id:
        return base
    current = base.store.current_overlay(user.id)
    key = (base.rules_text, current.id if current else None, email)
    with _SCOPES_LOCK:
        cached = _SCOPES.setdefault(base, _ScopeCache()).get(user.id)
    if cached is not None and cached.key == key:
        cached.stale = False  # (a template reverted: valid again, evictable again)
        return cached.scope
    try:
        scope = MemberRuntime(base, user, email, owner=False).load()
    except RulesError as exc:
        if cached is None:
            raise
        # the template changed under the overlay: the last valid rules stay in force
        # (as a broken edit never replaces them), and the user can still reach the
        # rules page to fix their overlay
        log.warning("user %s: overlay does not fit the template: %s", user.id, exc)
        with _SCOPES_LOCK:
            cached.stale = True
        return cached.scope
    with _SCOPES_LOCK:
        _SCOPES.setdefault(base, _ScopeCache()).put(user.id, _Cached(key, scope))
    return scope


def scope_for_user(base: Runtime, user: TeamUser) -> Runtime | None:
    """The scope of ``user`` with no browser session (jobs, webhooks, the lead's view):
    None when the user is disabled or their address is not known to the store (not
    signed in since migration 0013), since their book of business is keyed by it.

    Raises :class:`RulesError` as :func:`scope_for` does.
    """
    if user.disabled:
        return None
    if base.store.template_owner_id() == user.id:
        return base
    email = base.store.user_email(user.id)
    if email is None:
        log.warning("user %s: address not known yet (signs in again to fill it)", user.id)
        return None
    return scope_for(base, user, email)


def scope_for_calendar(base: Runtime, calendar_id: str) -> Runtime | None:
    """The scope whose rules hold the store key ``calendar_id``: the shared runtime for
    a bare id, the member's scope for ``u<id>~...``; None when no enabled, known user
    has it (a disabled or deleted member's calendar is not acted on).

    Raises :class:`RulesError` as :func:`scope_for` does.
    """
    parsed = parse_store_key(calendar_id)
    if parsed is None:
        return base
    user = base.store.team_user_by_id(parsed[0])
    if user is None:
        return None
    scope = scope_for_user(base, user)
    if scope is None or calendar_id not in scope.calendar_ids():
        return None
    return scope


def member_scopes(base: Runtime) -> Iterator[Runtime]:
    """Every enabled user's scope other than the template owner's (the shared runtime,
    which callers already act on); a user whose overlay no longer fits the template
    and has no earlier valid scope is logged and skipped, not fatal to the others."""
    owner = base.store.template_owner_id()
    for user in base.store.team_users():
        if user.id == owner or user.disabled:
            continue
        try:
            scope = scope_for_user(base, user)
        except RulesError as exc:
            log.warning("user %s: rules do not fit the team template: %s", user.id, exc)
            continue
        if scope is not None:
            yield scope
