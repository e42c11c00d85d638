"""Everyday rules as a form: draft -> preview -> apply, writing the same rules YAML.

``GET /settings`` shows the form filled from the rules in force. ``POST /settings``
with ``step=preview`` checks the draft (field shapes, then the whole rules loader,
each problem tied to its field) and, when valid, shows the week before and after
(a dry run with the draft rules: nothing saved, nothing written); with
``step=apply`` it saves the draft as a new rules version through the same update
path as the YAML editor and the API, then syncs the shown week. ``keep=none``
re-places the week's blocks from tomorrow on under the new rules (for that one
run, blocker/web/replan.py); ``keep=placed`` is the engine's own way: blocks
already on the calendar stay unless the new rules no longer allow them there,
and only new or unsynced blocks follow the new rules. The preview follows the
same choice. An invalid draft saves nothing.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from blocker.connections import require_settings
from blocker.core.errors import BlockerError, RulesError
from blocker.core.models import Op
from blocker.runtime import Runtime
from blocker.state import SyncState
from blocker.web.api_tokens import actor_of
from blocker.web.deps import RuntimeDep, get_calendar, get_week
from blocker.web.html import page
from blocker.web.pages import build_grid, shown_title
from blocker.web.preview_notes import window_notes
from blocker.web.replan import replacing
from blocker.web.rule_form_checks import check, field_at_line, field_lines
from blocker.web.rule_forms import (
    DAY_NAMES,
    DAYS,
    FieldError,
    GoalRow,
    LayoutRefused,
    RuleForm,
    read_form,
    write_form,
)
from blocker.web.services import rules_name, update_rules
from blocker.web.sessions import check_post, csrf_of, session_of, to_login
from blocker.web.truth import block_states, plain
from rules import Rules

router = APIRouter(include_in_schema=False)

STALE = (
    "The rules changed since this form was opened (another tab, the YAML editor or the API). "
    "Nothing was saved: open the form again."
)


def fingerprint(text: str) -> str:
    """Which rules text a form was filled from (a draft of older rules is refused)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _field(data: FormData, name: str, default: str = "") -> str:
    value = data.get(name, default)
    return value.strip()[:200] if isinstance(value, str) else default


def form_of(data: FormData, base: RuleForm) -> RuleForm:
    """The posted fields, shaped like the form they were filled from; a field that was
    not sent keeps its value (an empty one sent is the user's: a day off, no goal)."""
    form = RuleForm(has=base.has)
    if "working_hours" in base.has:
        form.working_hours = {
            day: _field(data, f"wh_{day}", base.working_hours.get(day, "")) for day in DAYS
        }
    form.focus_hours = _field(data, "focus_hours", base.focus_hours)
    form.focus_window = _field(data, "focus_window", base.focus_window)
    form.email_times = _field(data, "email_times", base.email_times)
    form.meeting_free_day = _field(data, "meeting_free_day", base.meeting_free_day)
    form.shares = {tier: _field(data, f"share_{tier}", was) for tier, was in base.shares.items()}
    form.goals = [
        GoalRow(
            _field(data, f"goal_{i}_title", was.title),
            _field(data, f"goal_{i}_hours", was.hours),
            bool(data.get(f"goal_{i}_remove")),
            every_week=was.every_week,
        )
        for i, was in enumerate(base.goals)
    ]
    form.new_goal = GoalRow(_field(data, "goal_new_title"), _field(data, "goal_new_hours"))
    return form


def parse_draft(runtime: Runtime, text: str) -> Rules:
    """The draft validated exactly as a save would validate it (RulesError otherwise)."""
    rules = runtime.parse_editable(text)
    require_settings(runtime.settings, (cal.provider for cal in rules.calendars))
    return rules


def located(runtime: Runtime, exc: RulesError, draft: str, week: str) -> list[FieldError]:
    """The loader's problems tied to the fields whose YAML lines hold them."""
    spans = field_lines(draft, week)
    out = []
    for problem in exc.problems:
        here = problem.file == rules_name(runtime)
        name = field_at_line(spans, problem.line) if here else None
        where = "" if name else f"line {problem.line} of the rules: "
        out.append(FieldError(name or "", plain(where + problem.message)))
    return out


def _op_row(op: Op, tz: ZoneInfo) -> dict[str, Any]:
    target = op.block or op.current
    when = ""
    if target is not None:
        a, b = target.start.astimezone(tz), target.end.astimezone(tz)
        when = f"{a:%a %d %b %H:%M}–{b:%H:%M}"
    return {
        "action": op.action,
        "key": op.key,
        "title": shown_title(target.title) if target else "a block",
        "when": when,
        "start": target.start.isoformat() if target else "",
        "reason": plain(op.reason),
    }


def state_for(runtime: Runtime, calendar: str, week: str, keep: str) -> SyncState:
    """The store as the run under the new rules sees it (blocker/web/replan.py)."""
    if keep == "placed":
        return runtime.store
    return replacing(runtime.store, calendar, week, runtime.now(), runtime.rules.timezone)


def preview_of(
    runtime: Runtime, rules: Rules, calendar: str, week: str, keep: str
) -> dict[str, Any]:
    """The week now and with the draft rules: two dry runs, nothing saved or written."""
    tz = ZoneInfo(rules.timezone)
    before = runtime.preview(calendar, week)
    state = state_for(runtime, calendar, week, keep)
    after = runtime.sync(
        rules, calendar, week, trigger="preview", dry_run=True, record=False, state=state
    )
    return {
        "before": build_grid(
            week,
            before.plan,
            before.busy,
            before.spec.working,
            tz,
            block_states(before.plan, before.ops, {}, tz),
        ),
        "after": build_grid(
            week,
            after.plan,
            after.busy,
            after.spec.working,
            tz,
            block_states(after.plan, after.ops, {}, tz),
        ),
        "ops": [_op_row(op, tz) for op in after.ops],
        "notes": window_notes(after.spec, after.plan, after.busy, tz),
        "shortfall": [plain(s.reason) for s in after.plan.shortfall],
    }


def _last_run(runtime: Runtime, calendar: str, week: str) -> dict[str, Any] | None:
    tz = ZoneInfo(runtime.rules.timezone)
    for run in runtime.store.runs(calendar, 20):
        if run.week == week and not run.dry_run:
            return {
                "ops": [_op_row(op, tz) for op in run.ops],
                "errors": [plain(e) for e in run.errors],
            }
    return None


def render(
    runtime: Runtime,
    session: str,
    week: str,
    calendar: str,
    form: RuleForm,
    *,
    errors: list[FieldError] | None = None,
    preview: dict[str, Any] | None = None,
    saved: int | None = None,
    keep: str = "none",
    status_code: int = 200,
) -> HTMLResponse:
    errors = errors or []
    return page(
        "rule_form.html",
        status_code,
        page="settings",
        csrf=csrf_of(runtime, session),
        week=week,
        calendar=calendar,
        form=form,
        days=DAYS,
        day_names=DAY_NAMES,
        errors=errors,
        field_errors={e.field: e.message for e in errors if e.field},
        preview=preview,
        saved=saved,
        last_run=_last_run(runtime, calendar, week) if saved is not None else None,
        keep=keep,
        base=fingerprint(runtime.rules_text),
    )


@router.get("/settings", response_model=None)
def settings_form(
    request: Request,
    runtime: RuntimeDep,
    week: str | None = None,
    calendar: str | None = None,
    saved: int | None = None,
) -> Response:
    """The form, filled from the rules in force."""
    session = session_of(request, runtime)
    if session is None:
        return to_login(request)
    wk, cal = get_week(runtime, week), get_calendar(runtime, calendar)
    try:
        form = read_form(runtime.rules_text, wk)
    except LayoutRefused as exc:
        return render(runtime, session, wk, cal, RuleForm(), errors=[FieldError("", str(exc))])
    return render(runtime, session, wk, cal, form, saved=saved)


@router.post("/settings", response_model=None)
async def settings_post(request: Request, runtime: RuntimeDep) -> Response:
    """Preview or apply a draft; an invalid one is shown with its errors, nothing saved."""
    data = await request.form()
    fields = {k: v for k, v in data.items() if isinstance(v, str) and k != "csrf"}
    session = check_post(request, runtime, _field(data, "csrf"), fields)
    wk = get_week(runtime, _field(data, "week") or None)
    cal = get_calendar(runtime, _field(data, "calendar") or None)
    keep = "placed" if _field(data, "keep") == "placed" else "none"
    actor = await run_in_threadpool(actor_of, request, runtime)
    return await run_in_threadpool(_draft_step, runtime, session, wk, cal, data, keep, actor)


def _draft_step(
    runtime: Runtime,
    session: str,
    week: str,
    calendar: str,
    data: FormData,
    keep: str,
    actor: str,
) -> Response:
    text = runtime.rules_text

    def refused(form: RuleForm, errors: list[FieldError], code: int = 422) -> Response:
        return render(
            runtime, session, week, calendar, form, errors=errors, keep=keep, status_code=code
        )

    try:
        base = read_form(text, week)
    except LayoutRefused as exc:
        return refused(RuleForm(), [FieldError("", str(exc))])
    form = form_of(data, base)
    if _field(data, "base") != fingerprint(text):
        return refused(base, [FieldError("", STALE)], status.HTTP_409_CONFLICT)
    errors = check(form)
    if errors:
        return refused(form, errors)
    draft = write_form(text, form, week)
    try:
        rules = parse_draft(runtime, draft)
    except RulesError as exc:
        return refused(form, located(runtime, exc, draft, week))
    if _field(data, "step") != "apply":
        preview = preview_of(runtime, rules, calendar, week, keep)
        return render(runtime, session, week, calendar, form, preview=preview, keep=keep)
    state = state_for(runtime, calendar, week, keep)  # before the rules change
    try:
        version = update_rules(runtime, draft)
    except RulesError as exc:
        return refused(form, located(runtime, exc, draft, week))
    runtime.store.record_audit(actor, "rules.save", "rules", f"version {version} (rule settings)")
    # a failed sync is recorded as the week's last run: the page after the redirect says it
    with suppress(BlockerError):
        runtime.sync(None, calendar, week, trigger="rules", state=state)
    target = f"/settings?week={quote(week)}&calendar={quote(calendar, safe='')}&saved={version}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


__all__ = ["router"]
