"""What the routes do, once: sync, preview and score a week of a calendar, save rules.

The JSON API (``routes/sync.py``, ``routes/plan.py``, ``routes/scorecard.py``) and
the pages (``routes/dashboard.py``, the trend) call these functions, never one
another, so a page and the API cannot drift apart and a route stays a thin
translation of HTTP into a call. Inputs arrive validated (the week parsed, the
calendar one of the rules'); errors are the domain's, the routes word them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from blocker.actuals import measure
from blocker.auth.signin import SignInService
from blocker.connect import Connector
from blocker.core.errors import BlockerError, Problem, RulesError
from blocker.core.weeks import week_window
from blocker.expansion import domain_index
from blocker.report import scorecard, scorecard_to_dict
from blocker.runtime import Preview, Runtime
from blocker.web.schemas import CalendarSyncOut, OpOut, SyncResponse

log = logging.getLogger(__name__)

__all__ = [
    "WeekView",
    "connector_of",
    "offers_calendar",
    "plan_card",
    "provider_buttons",
    "read_week",
    "rules_name",
    "sync_calendars",
    "update_rules",
    "week_card",
]


def rules_name(runtime: Runtime) -> str:
    """The rules file as located errors name it."""
    return runtime.rules_document


def update_rules(runtime: Runtime, text: str) -> int:
    """``runtime.update_rules``, with YAML nested too deep to parse as a located
    RulesError (PyYAML recurses once per level) instead of a server error."""
    try:
        return runtime.update_rules(text)
    except RecursionError:
        raise RulesError(
            [Problem(rules_name(runtime), 1, 1, "the YAML is nested too deeply to read")]
        ) from None


def sync_calendars(
    runtime: Runtime, week: str, calendars: list[str], *, dry_run: bool, trigger: str = "api"
) -> SyncResponse:
    """Reconcile each of ``calendars`` with the plan of ``week`` (``dry_run``: list only).

    A calendar that fails is reported in its ``errors`` and the others still run.
    """
    results = []
    for calendar in calendars:
        try:
            outcome = runtime.sync(None, calendar, week, trigger=trigger, dry_run=dry_run)
        except BlockerError as exc:
            results.append(
                CalendarSyncOut(
                    calendar=calendar,
                    week=week,
                    dry_run=dry_run,
                    ops=[],
                    errors=[exc.user_message()],
                )
            )
            continue
        results.append(
            CalendarSyncOut(
                calendar=calendar,
                week=week,
                dry_run=dry_run,
                ops=[OpOut.of(op) for op in outcome.ops],
                errors=list(outcome.errors),
                notices=list(outcome.notices),
            )
        )
    return SyncResponse(results=results)


def week_card(runtime: Runtime, calendar: str, week: str, preview: Preview) -> dict[str, Any]:
    """The report dict (``GET /api/report``) from ``preview``'s own read; the plan
    alone, counted like for like, when the actual side cannot be read."""
    try:
        return runtime.report(calendar, week, preview=preview)
    except BlockerError as exc:
        log.warning("actual figures of %s not read: %s", calendar, exc.user_message())
        return plan_card(runtime, week, preview)


def plan_card(runtime: Runtime, week: str, preview: Preview) -> dict[str, Any]:
    """The planned scorecard as the report counts it: the blocks plus the week's known
    meetings with the accounts (not the blocks alone), so ``/api/plan`` and the
    report's planned side give the same shares."""
    rules = runtime.rules
    span = week_window(week, rules.timezone)
    index = domain_index(rules, span.start)
    mapping = rules.eisenhower.mapping()
    planned = measure(span, preview.plan.blocks, preview.busy, index, mapping)
    return scorecard_to_dict(scorecard(preview.plan, preview.spec, planned))


@dataclass(frozen=True, slots=True)
class WeekView:
    """One read of a calendar's week: the preview and its scorecard, or why not."""

    preview: Preview | None
    card: dict[str, Any] | None
    error: BlockerError | None


def read_week(runtime: Runtime, calendar: str, week: str) -> WeekView:
    """Preview ``week`` and score it from that one read (the page's only calendar read)."""
    try:
        preview = runtime.preview(calendar, week)
    except BlockerError as exc:
        return WeekView(None, None, exc)
    return WeekView(preview, week_card(runtime, calendar, week, preview), None)


def provider_buttons(request: Request) -> list[tuple[str, str]]:
    """(name, label) of the providers the sign-in page offers."""
    service: SignInService | None = getattr(request.app.state, "signin", None)
    return service.labels() if service is not None else []


def offers_calendar(request: Request, provider: str) -> bool:
    """Whether signing in with ``provider`` can also grant the calendar (one consent)."""
    service: SignInService | None = getattr(request.app.state, "signin", None)
    return service is not None and service.offers_calendar(provider)


_CONNECTOR_GUARD = threading.Lock()


def connector_of(request: Request) -> Connector:
    """The app's one connector (one map of pending calendar sign-ins), on the shared
    runtime: each sign-in remembers the scope that started it."""
    runtime: Runtime = request.app.state.runtime
    with _CONNECTOR_GUARD:
        connector: Connector | None = getattr(request.app.state, "connector", None)
        if connector is None or connector.runtime is not runtime:
            connector = Connector(runtime)
            request.app.state.connector = connector
        return connector
