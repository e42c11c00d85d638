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
from pathlib import Path

from blocker.core.errors import RulesError
from blocker.core.files import inside
from blocker.core.models import RunRecord
from blocker.runtime import Runtime
from blocker.store.records import RulesVersion
from blocker.store.teams import TeamUser
from rules import Rules
from rules.overlay import OVERLAY_NAME, effective_rules

__all__ = ["MemberRuntime", "member_dir", "scope_for", "store_key"]

NAMESPACE_MARK = "~"
log = logging.getLogger(__name__)


def store_key(user_id: int, calendar_id: str) -> str:
    """Where a (non-owner) user's calendar lives in the store."""
    return f"u{user_id}{NAMESPACE_MARK}{calendar_id}"


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


_SCOPES: weakref.WeakKeyDictionary[Runtime, dict[int, tuple[object, MemberRuntime]]] = (
    weakref.WeakKeyDictionary()
)
_SCOPES_LOCK = threading.Lock()


def scope_for(base: Runtime, user: TeamUser, email: str) -> Runtime:
    """The runtime a signed-in user acts through (built once per template text and
    overlay version, then reused). The template owner gets the shared runtime itself
    (they edit the template, which is what the scheduler plans their calendars with):
    a deployment's existing behaviour, unchanged.

    Raises :class:`RulesError` when the user's overlay no longer fits the template.
    """
    if base.store.template_owner_id() == user.id:
        return base
    current = base.store.current_overlay(user.id)
    key = (base.rules_text, current.id if current else None, email)
    with _SCOPES_LOCK:
        cached = _SCOPES.setdefault(base, {}).get(user.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        scope = MemberRuntime(base, user, email, owner=False).load()
    except RulesError as exc:
        if cached is None:
            raise
        # the template changed under the overlay: the last valid rules stay in force
        # (as a broken edit never replaces them), and the user can still reach the
        # rules page to fix their overlay
        log.warning("user %s: overlay does not fit the template: %s", user.id, exc)
        return cached[1]
    with _SCOPES_LOCK:
        _SCOPES.setdefault(base, {})[user.id] = (key, scope)
    return scope
