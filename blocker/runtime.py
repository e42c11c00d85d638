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

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from blocker.actuals import (
    DomainIndex,
    history_window,
    last_contacts,
    measure,
    missed_touchpoints,
    observe,
    on_calendar,
)
from blocker.connections import build_provider
from blocker.core.clock import Clock, system_clock
from blocker.core.errors import (
    BlockerError,
    Problem,
    ProviderError,
    ReconnectRequired,
    RulesError,
    SettingsError,
)
from blocker.core.files import inside
from blocker.core.models import Busy, Interval, Op, Plan, ReadResult, RunRecord, WeekSpec
from blocker.core.weeks import week_window
from blocker.locks import calendar_lock
from blocker.metrics import CountingProvider, Metrics
from blocker.settings import Settings
from blocker.store import Store, TokenCipher, open_store
from blocker.sync import Expansion, sync_calendar
from providers.base import CalendarProvider
from rules import Rules, parse_rules
from rules.engine import expand_week

log = logging.getLogger("blocker.runtime")


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What one sync of one calendar and week produced, for the CLI and the API."""

    calendar_id: str
    week: str
    plan: Plan
    spec: WeekSpec
    ops: tuple[Op, ...]
    errors: tuple[str, ...]
    busy: tuple[Busy, ...]
    run: RunRecord | None
    dry_run: bool
    notices: tuple[str, ...] = ()
    """Said, not failed: e.g. events left out as unreadable."""
    seen: ReadResult | None = None
    """The run's one read: the week and the history before it (``window``)."""
    window: Interval | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """A plan computed without writing anything anywhere, and the read it came from."""

    plan: Plan
    spec: WeekSpec
    busy: tuple[Busy, ...]
    seen: ReadResult | None = None
    window: Interval | None = None
    ops: tuple[Op, ...] = ()
    """What a sync would write now: the dashboard tells synced blocks from pending ones."""


def _read_rules_file(path: Path) -> str:
    """The rules file's text; one that is not UTF-8 is a located error, not a traceback."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RulesError(
            [Problem(str(path), line, col, "the file is not UTF-8 text: save it as UTF-8")]
        ) from exc


class Runtime:
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
        self._providers: dict[str, tuple[tuple[Any, ...], CalendarProvider]] = {}
        self._providers_guard = threading.Lock()
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
            text = _read_rules_file(self.rules_path)
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
        self.settings.require_for_providers(cal.provider for cal in rules.calendars)
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
            self.settings.require_for_providers(cal.provider for cal in rules.calendars)
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
        if self.rules_path is None:
            return
        target = self.rules_path
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

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

        # Scheduler threads and request handlers ask at once: build (and close the
        # outdated one) under a lock so no provider is built twice and leaked.
        with self._providers_guard:
            cached = self._providers.get(calendar_id)
            if cached is not None and cached[0] == signature:
                return cached[1]
            if cached is not None:
                cached[1].close()
            provider = CountingProvider(build_provider(self, cal), self.metrics)
            self._providers[calendar_id] = (signature, provider)
            return provider

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

    def _expansion(self, rules: Rules, week: str, now: datetime) -> Expansion:
        """How the sync engine expands ``week`` from the run's one read: the foreign
        meetings before the week give each account's last contact (issue 11), fed to
        the silent-account trigger; ``today`` is the planning day in the rules' zone."""
        from blocker.actuals import DomainIndex, tier_meetings
        from blocker.sync import Expansion

        today = now.astimezone(ZoneInfo(rules.timezone)).date()
        index = DomainIndex(rules.accounts, rules.owner.email_domains)
        # the tier budget counts the seven days of meetings before the week's
        # generation (frozen once it has passed: no change without a cause, issue 15.1)
        generated = generation_of(rules, week_window(week, rules.timezone).start)
        recent = Interval(generated - timedelta(days=7), generated)

        def expand(past: Sequence[Busy], before: datetime) -> WeekSpec:
            contacts = last_contacts(past, index, before=before, timezone=rules.timezone)
            meetings = tier_meetings(past, index, recent)
            spec: WeekSpec = expand_week(
                rules, week, today=today, contacts=contacts, meetings=meetings
            )
            return spec

        return Expansion(week=week, timezone=rules.timezone, expand=expand)

    def preview(self, calendar_id: str, week: str) -> Preview:
        """Plan ``week`` exactly as a sync would, writing nothing anywhere.

        A dry run of :meth:`sync` without a run record, so the preview and the
        next sync agree: same read, same user edits, same blocks kept where they
        are now, same stability horizon for today.
        """
        outcome = self.sync(None, calendar_id, week, trigger="preview", dry_run=True, record=False)
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
        ``actual``, the same figures counted from what the calendar holds (issue 11).

        The actuals need the week and the cadence history before it; meetings
        scheduled later in the week count as this period's touchpoints. The preview's
        own read holds both (:meth:`sync` reads the history with the week), so the
        scorecard costs no read of its own; only a preview whose read was narrower
        (a past week's history starts before it) reads that window again.
        """
        from blocker.actuals import (
            observed,
        )
        from blocker.report import (
            actual_state,
            actual_to_dict,
            compare,
            scorecard,
            scorecard_to_dict,
        )

        rules = self.rules
        preview = preview or self.preview(calendar_id, week)
        wanted = history_window(week, rules.timezone)
        if preview.seen is not None and preview.window is not None:
            held = preview.window.contains(wanted)
        else:
            held = False
        if held and preview.seen is not None:
            seen = observed(preview.seen, within=wanted)
        else:
            seen = observe(self.provider(calendar_id), wanted)
        span = week_window(week, rules.timezone)
        now = self.now()
        index = domain_index(rules, span.start)
        mapping = rules.eisenhower.mapping()
        # like for like: the plan as time is its blocks plus the week's known meetings
        planned = measure(span, preview.plan.blocks, preview.busy, index, mapping)
        known = [*self.store.previous_blocks(calendar_id, week), *preview.plan.blocks]
        # what happened: up to now, never the rest of the week as if it were done
        upto = Interval(span.start, min(span.end, max(now, span.start), key=_ts))
        actuals = measure(upto, on_calendar(seen.owned, known), seen.foreign, index, mapping)
        state = actual_state(span, now, sum(e.minutes for e in actuals.entries))
        contacts = last_contacts(seen.foreign, index, before=span.end, timezone=rules.timezone)
        last_day = (span.end - timedelta(seconds=1)).astimezone(rules.tz).date()
        missed = missed_touchpoints(
            rules.accounts, {n: t.cadence for n, t in rules.tiers.items()}, contacts, last_day
        )
        card = compare(
            preview.plan,
            preview.spec,
            actuals,
            planned=planned,
            state=state,
            accounts=[(a.name, a.tier) for a in rules.accounts],
            missed=missed,
        )
        return {
            **scorecard_to_dict(scorecard(preview.plan, preview.spec, planned)),
            "actual": actual_to_dict(card),
        }

    def sync(
        self,
        rules: Rules | None,
        calendar_id: str,
        week: str,
        *,
        trigger: str,
        dry_run: bool = False,
        record: bool = True,
    ) -> RunOutcome:
        """One sync run of one calendar and week, under the calendar's lock: the one
        entry point of every caller (CLI, API, jobs, previews, benchmarks).

        One read: the week and the history its last contacts come from are read
        together (:class:`blocker.sync.Expansion`), incrementally from the week's
        snapshot when it is fresh. ``record=False`` (dry runs only: previews) leaves
        no run record. Provider errors are re-raised after being counted and logged
        (the sync engine records a failed read once); :class:`ReconnectRequired`
        also marks the connection so the dashboard asks the user to reconnect.
        """

        rules = rules or self.rules
        cal = self.calendar(calendar_id)
        started = time.monotonic()
        error: BaseException | None = None
        outcome: RunOutcome | None = None
        try:
            with self.lock(calendar_id):
                now = self.now()
                result = sync_calendar(
                    calendar_id=calendar_id,
                    provider=self.provider(calendar_id),
                    state=self.store,
                    spec=self._expansion(rules, week, now),
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
            if record:
                self._observe(calendar_id, trigger, week, dry_run, outcome, error, started)
        return outcome

    def _observe(
        self,
        calendar_id: str,
        trigger: str,
        week: str,
        dry_run: bool,
        outcome: RunOutcome | None,
        error: BaseException | None,
        started: float,
    ) -> None:
        """Metrics and the one structured log line per run."""
        duration = time.monotonic() - started
        m = self.metrics
        m.run_latency.labels(calendar_id).observe(duration)
        failed = error is not None or bool(outcome and outcome.errors)
        m.runs.labels(calendar_id, trigger, "error" if failed else "ok").inc()
        if error is not None:
            m.errors.labels(calendar_id, type(error).__name__).inc()
        elif outcome is not None and outcome.errors:
            m.errors.labels(calendar_id, "run").inc(len(outcome.errors))
        ops = outcome.ops if outcome else ()
        for op in ops:
            m.ops.labels(calendar_id, op.action, str(dry_run).lower()).inc()
        line: dict[str, Any] = {
            "event": "sync_run",
            "calendar": calendar_id,
            "trigger": trigger,
            "week": week,
            "dry_run": dry_run,
            "ops": len(ops),
            "creates": sum(op.action == "create" for op in ops),
            "updates": sum(op.action == "update" for op in ops),
            "deletes": sum(op.action == "delete" for op in ops),
            "duration_ms": round(duration * 1000, 1),
            "error": (
                error.user_message()
                if isinstance(error, BlockerError)
                else (repr(error) if error is not None else None)
            ),
            "run_errors": list(outcome.errors) if outcome else [],
        }
        level = logging.WARNING if failed else logging.INFO
        log.log(level, json.dumps(line, sort_keys=True))

    def close(self) -> None:
        for _, provider in self._providers.values():
            try:
                provider.close()
            except ProviderError:
                log.exception("closing provider failed")
        self._providers.clear()
        close = getattr(self.store, "close", None)
        if callable(close):
            close()


def domain_index(rules: Rules, week_start: datetime) -> DomainIndex:
    """Accounts by domain, with those renewing soon or at risk on the week's Monday
    (their meetings are Q1 in the report, see blocker.core.eisenhower)."""
    from blocker.actuals import DomainIndex
    from blocker.core.eisenhower import urgent_accounts

    mood = rules.eisenhower
    urgent = urgent_accounts(
        rules.accounts,
        week_start.astimezone(rules.tz).date(),
        at_risk_health=mood.at_risk_health,
        renewal_within_days=mood.renewal_within_days,
    )
    return DomainIndex(rules.accounts, rules.owner.email_domains, urgent)


def generation_of(rules: Rules, week_start: datetime) -> datetime:
    """When ``schedule.generate_at`` generates the week starting ``week_start``: that
    weekday and time in the seven days before it (``fri 15:00``: the Friday before)."""
    from rules.timeparse import WEEKDAYS

    when = rules.schedule.generate_at
    monday = week_start.astimezone(rules.tz).date()
    day = monday - timedelta(days=7 - WEEKDAYS.index(when.day))
    return datetime.combine(day, when.at, tzinfo=rules.tz)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


__all__ = ["Clock", "Preview", "RunOutcome", "Runtime", "system_clock"]
