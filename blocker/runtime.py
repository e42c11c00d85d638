"""The service container: settings, store, current rules, providers, locks, clock.

One object the CLI, the web app and the job functions share, so "which rules are
in force", "which provider serves calendar X" and "is calendar X being synced
right now" each have exactly one answer per process.

Rules: the YAML file is the source of truth at start-up (it is saved as a new
version in the store when it differs from the stored current one); an edit
through the API is validated first, then written back to the file atomically and
saved as a version, so the CLI and a restarted service see the same rules.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blocker.connections import build_provider, require_settings
from blocker.core.clock import Clock, system_clock
from blocker.core.errors import (
    BlockerError,
    ReconnectRequired,
    SettingsError,
)
from blocker.core.files import inside
from blocker.core.models import WeekSpec
from blocker.expansion import week_expansion
from blocker.locks import calendar_lock
from blocker.metrics import CountingProvider, Metrics
from blocker.outcomes import Preview, RunOutcome
from blocker.provider_cache import ProviderCache
from blocker.rules_file import read_rules_file, write_rules_file
from blocker.run_log import observe_run
from blocker.scope_hooks import ScopeHooks
from blocker.settings import Settings
from blocker.state import SyncState
from blocker.store import Store, TokenCipher, open_store
from blocker.sync import sync_calendar
from blocker.week_report import week_report
from providers.base import CalendarProvider
from rules import Rules, parse_rules
from rules.engine import expand_week


class Runtime(ScopeHooks):
    """Shared state of one service process (see module docstring)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        rules_path: Path | None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.rules_path = rules_path
        self.clock: Clock = clock or system_clock
        self.metrics = Metrics()
        self._rules: Rules | None = None
        self._rules_text = ""
        self._rules_lock = threading.RLock()
        self._providers = ProviderCache()
        self._rules_listeners: list[Callable[[Rules], None]] = []

    # -- construction -----------------------------------------------------------

    @classmethod
    def open(
        cls, settings: Settings, config_path: Path | None = None, *, clock: Clock | None = None
    ) -> Runtime:
        """Open the store and load the rules (file first, else the store's current version)."""

        path = config_path or settings.rules_path
        # Without a key (only local/memory calendars: settings enforce one for remote
        # ones) an ephemeral key is used; nothing secret is stored in that case.
        key = (
            settings.encryption_key.get_secret_value()
            if settings.encryption_key is not None
            else TokenCipher.generate_key()
        )
        cipher = TokenCipher(key)
        store = open_store(settings.database_url, cipher, clock=clock or system_clock)
        runtime = cls(settings, store, rules_path=Path(path) if path else None, clock=clock)
        try:
            runtime._load_initial_rules()
        except BaseException:
            runtime.close()
            raise
        return runtime

    def _load_initial_rules(self) -> None:
        if self.rules_path is not None:
            text = read_rules_file(self.rules_path)
            rules = self._parse(text)
            current = self.store.current_rules()
            if current is None or current.text != text:
                self.store.save_rules_version(text, keep=self.settings.rules_versions_kept)
        else:
            current = self.store.current_rules()
            if current is None:
                raise SettingsError(
                    "no rules: pass --config FILE or set BLOCKER_RULES_PATH",
                )
            text = current.text
            rules = self._parse(text)
        self._install(rules, text)

    def _parse(self, text: str) -> Rules:

        limits = self.settings.rules_limits()
        if self.rules_path is not None:
            return parse_rules(
                text, filename=str(self.rules_path), base_dir=self.rules_path.parent, limits=limits
            )
        return parse_rules(text, limits=limits)

    def _install(self, rules: Rules, text: str) -> None:
        require_settings(self.settings, (cal.provider for cal in rules.calendars))
        with self._rules_lock:
            self._rules = rules
            self._rules_text = text
        for cal in rules.calendars:
            self._ensure_connection(cal)
        for listener in list(self._rules_listeners):
            listener(rules)

    def owner_email(self) -> str:
        """Whose calendars these are: the setting, else one derived from the rules."""
        if self.settings.owner_email:
            return self.settings.owner_email
        if self.rules.owner.email:
            return self.rules.owner.email[0]
        domains = self.rules.owner.email_domains
        return f"owner@{domains[0]}" if domains else "owner@localhost"

    def _ensure_connection(self, cal: Any) -> None:
        """A connection row per calendar, so its status can be shown and marked."""
        if self.store.get_connection(cal.id) is None:
            self.store.upsert_connection(
                cal.id,
                user_email=self.owner_email(),
                provider=cal.provider,
                provider_calendar_id=cal.calendar,
                user_timezone=self.rules.timezone,
            )

    # -- rules ------------------------------------------------------------------

    @property
    def rules(self) -> Rules:
        with self._rules_lock:
            if self._rules is None:
                raise SettingsError("rules not loaded")
            return self._rules

    @property
    def rules_text(self) -> str:
        with self._rules_lock:
            return self._rules_text

    def on_rules_change(self, listener: Callable[[Rules], None]) -> None:
        """Call ``listener`` after every successful rules change (the scheduler re-plans)."""
        self._rules_listeners.append(listener)

    def update_rules(self, text: str) -> int:
        """Validate ``text``; only when valid write it, save a version and put it in force.

        Raises :class:`~blocker.core.errors.RulesError` with every problem otherwise, and the
        rules in force do not change.
        """
        with self._rules_lock:
            rules = self._parse(text)
            require_settings(self.settings, (cal.provider for cal in rules.calendars))
            self._write_rules_file(text)
            version: int = self.store.save_rules_version(
                text, keep=self.settings.rules_versions_kept
            )
            self._install(rules, text)
            return version

    def restore_rules(self, version_id: int) -> int:
        """Put an earlier saved version back in force (validated again: paths may be gone)."""
        with self._rules_lock:
            saved = self.store.get_rules_version(version_id)
            if saved is None:
                raise KeyError(version_id)
            text = saved.text
            rules = self._parse(text)
            self._write_rules_file(text)
            self.store.restore_rules_version(version_id)
            self._install(rules, text)
            return version_id

    def _write_rules_file(self, text: str) -> None:
        if self.rules_path is not None:
            write_rules_file(self.rules_path, text)

    # -- time -------------------------------------------------------------------

    def now(self) -> datetime:
        value = self.clock()
        if value.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return value

    def today(self) -> date:
        return self.now().astimezone(ZoneInfo(self.rules.timezone)).date()

    # -- calendars and providers ---------------------------------------------------

    def calendar(self, calendar_id: str) -> Any:
        for cal in self.rules.calendars:
            if cal.id == calendar_id:
                return cal
        raise BlockerError(
            f"unknown calendar {calendar_id!r}",
            hint="use one of the ids under `calendars:` in the rules",
        )

    def calendar_ids(self) -> list[str]:
        return [cal.id for cal in self.rules.calendars]

    def provider(self, calendar_id: str) -> CalendarProvider:
        """The provider of a calendar, built once per configuration and reused."""
        cal = self.calendar(calendar_id)
        owner = self.rules.owner
        signature = (
            cal.provider,
            str(getattr(cal, "path", "")),
            tuple(str(b) for b in getattr(cal, "busy", ()) or ()),
            getattr(cal, "calendar", None),
            # providers read the owner's answer with these: a change rebuilds them
            (tuple(owner.email), tuple(owner.email_domains), owner.tentative),
        )
        return self._providers.get(
            calendar_id,
            signature,
            lambda: CountingProvider(build_provider(self, cal), self.metrics),
        )

    def resolve(self, path: str | Path) -> Path:
        """A file named in the rules, inside the data directory (``BLOCKER_DATA_DIR``,
        default: the rules file's folder); :class:`~blocker.core.files.UnsafePath` if it
        leaves it (the rules loader refuses such names already)."""

        return inside(self.data_dir, path)

    @property
    def data_dir(self) -> Path:
        """Where the files named in the rules live."""
        if self.settings.data_dir is not None:
            return self.settings.data_dir
        return self.rules_path.parent if self.rules_path is not None else Path.cwd()

    def lock(self, calendar_id: str) -> AbstractContextManager[None]:
        """Serialise runs of one calendar (waits; never skips a run): the process's
        one lock registry, which the sync engine takes too (:mod:`blocker.locks`)."""
        return calendar_lock(calendar_id)

    # -- planning and syncing ---------------------------------------------------------

    def expand(
        self,
        week: str,
        contacts: Mapping[str, date] | None = None,
        meetings: Mapping[str, int] | None = None,
    ) -> WeekSpec:

        spec: WeekSpec = expand_week(
            self.rules, week, today=self.today(), contacts=contacts, meetings=meetings
        )
        return spec

    def preview(
        self, calendar_id: str, week: str, *, reader: CalendarProvider | None = None
    ) -> Preview:
        """Plan ``week`` exactly as a sync would, writing nothing anywhere.

        A dry run of :meth:`sync` without a run record, so the preview and the
        next sync agree: same read, same user edits, same blocks kept where they
        are now, same stability horizon for today. ``reader``: where the read comes
        from instead of the calendar's provider (the lead's view: one read of the
        whole trend, :mod:`blocker.team.trend_read`).
        """
        outcome = self.sync(
            None, calendar_id, week, trigger="preview", dry_run=True, record=False, reader=reader
        )
        return Preview(
            plan=outcome.plan,
            spec=outcome.spec,
            busy=outcome.busy,
            seen=outcome.seen,
            window=outcome.window,
            ops=tuple(outcome.ops),
        )

    def report(
        self, calendar_id: str, week: str, *, preview: Preview | None = None
    ) -> dict[str, Any]:
        """The scorecard JSON: planned (a preview, as ``GET /api/plan``) with, under
        ``actual``, the same figures counted from what the calendar holds (issue 11);
        see :mod:`blocker.week_report`."""
        return week_report(
            self.rules,
            week,
            preview or self.preview(calendar_id, week),
            now=self.now(),
            applied=self.store.previous_blocks(calendar_id, week),
            provider=self.provider(calendar_id),
        )

    def sync(
        self,
        rules: Rules | None,
        calendar_id: str,
        week: str,
        *,
        trigger: str,
        dry_run: bool = False,
        record: bool = True,
        state: SyncState | None = None,
        reader: CalendarProvider | None = None,
    ) -> RunOutcome:
        """One sync run of one calendar and week, under the calendar's lock: the one
        entry point of every caller (CLI, API, jobs, previews, benchmarks).
        ``state``: the store as this run should see it (default: the store itself).

        One read: the week and the history its last contacts come from are read
        together (:class:`blocker.sync.Expansion`), incrementally from the week's
        snapshot when it is fresh. ``record=False`` (dry runs only: previews) leaves
        no run record. Provider errors are re-raised after being counted and logged
        (the sync engine records a failed read once); :class:`ReconnectRequired`
        also marks the connection so the dashboard asks the user to reconnect.
        ``reader`` (dry runs only) replaces the calendar's provider. Errors leave as
        :meth:`run_errors` says (a worker's runtime: transient ones as retries).
        """
        if reader is not None and not dry_run:
            raise ValueError("only a dry run may read through another reader")

        rules = rules or self.rules
        cal = self.calendar(calendar_id)
        started = time.monotonic()
        error: BaseException | None = None
        outcome: RunOutcome | None = None
        with self.run_errors():
            try:
                with self.lock(calendar_id):
                    now = self.now()
                    result = sync_calendar(
                        calendar_id=calendar_id,
                        provider=reader or self.provider(calendar_id),
                        state=state or self.store,
                        spec=week_expansion(rules, week, now),
                        now=now,
                        clock=self.now,
                        trigger=trigger,
                        dry_run=dry_run,
                        private_titles=bool(getattr(cal, "private_titles", False)),
                        record=record,
                    )
                    outcome = RunOutcome(
                        calendar_id=calendar_id,
                        week=week,
                        plan=result.plan,
                        spec=result.spec,
                        ops=tuple(result.ops),
                        errors=tuple(result.errors),
                        busy=tuple(result.busy),
                        run=result.run if record else None,
                        dry_run=dry_run,
                        notices=tuple(result.notices),
                        seen=result.seen,
                        window=result.window,
                    )
            except ReconnectRequired as exc:
                error = exc
                self.store.mark_needs_reconnect(calendar_id, exc.user_message())
                raise
            except BaseException as exc:
                error = exc
                raise
            finally:
                if record:  # metrics and the one structured log line per run
                    observe_run(
                        self.metrics,
                        calendar_id=calendar_id,
                        trigger=trigger,
                        week=week,
                        dry_run=dry_run,
                        ops=outcome.ops if outcome else (),
                        run_errors=outcome.errors if outcome else (),
                        error=error,
                        duration=time.monotonic() - started,
                    )
            return outcome

    def close(self) -> None:
        self._providers.close()
        close = getattr(self.store, "close", None)
        if callable(close):
            close()


__all__ = ["Clock", "Preview", "RunOutcome", "Runtime", "system_clock"]
