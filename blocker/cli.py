"""The ``blocker`` command (DESIGN.md section 6): validate, plan, sync, report, connect, serve.

Thin by design: every command loads the rules, calls the pure core or the sync
engine, and renders. Errors from the error tree are printed with what to do, and
map to exit codes: 2 for invalid input (rules, week, settings), 1 for anything a
calendar or the store said.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from blocker.cli_rules import rules_app
from blocker.cli_team import team_app
from blocker.cli_tokens import audit_app, tokens_app
from blocker.cli_users import users_app
from blocker.core.clock import Clock, fixed_clock, parse_now, system_clock
from blocker.core.errors import BlockerError, InvalidInput, ProviderError, RulesError, SettingsError
from blocker.core.files import check_regular, clean_text
from blocker.core.models import Busy
from blocker.core.weeks import next_week, parse_week, week_window

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn a CSM's time-allocation rules into calendar blocks, and defend them.",
)
app.add_typer(users_app, name="user")  # blocker user add|list|disable|role|invite|domain
app.add_typer(tokens_app, name="token")  # blocker token create|list|revoke
app.add_typer(audit_app, name="audit")  # blocker audit list
app.add_typer(team_app, name="team")  # blocker team report
app.add_typer(rules_app, name="rules")  # blocker rules export|import --user EMAIL
console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The rules YAML file.", show_default=False)
]
WeekOpt = Annotated[
    str | None, typer.Option("--week", help="ISO week, e.g. 2026-W49 (default: next week).")
]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Run as if it were this moment (ISO 8601 with a UTC offset, e.g. "
        "2026-12-04T15:00:00-05:00): what is past, today's stability, which triggers fire, "
        "which week is next and the run record all follow it. Default: the system clock.",
        show_default=False,
    ),
]


def _fail(exc: BlockerError) -> typer.Exit:
    if isinstance(exc, RulesError):
        for problem in exc.problems:
            err.print(clean_text(str(problem)), markup=False, highlight=False)
        err.print(f"{len(exc.problems)} problem(s); {exc.hint}.", markup=False)
        return typer.Exit(2)
    message = "\n".join(clean_text(line) for line in exc.user_message().split("\n"))
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(2 if isinstance(exc, SettingsError | InvalidInput) else 1)


def _settings() -> Any:
    """The settings from the environment; a bad value is a SettingsError naming it."""
    from pydantic import ValidationError

    from blocker.settings import Settings, env_name

    try:
        return Settings()
    except ValidationError as exc:
        names = sorted({env_name(str(e["loc"][0])) for e in exc.errors() if e["loc"]})
        raise SettingsError(f"invalid setting(s): {', '.join(names) or 'unknown'}") from None


def _load(config: Path) -> Any:
    from rules import load_rules

    return load_rules(config, limits=_settings().rules_limits())


def _clock(now: str | None) -> Clock:
    """The run's clock: ``--now`` pinned, else the system clock."""
    return system_clock if now is None else fixed_clock(parse_now(now))


def _today(clock: Clock, timezone: str) -> date:
    return clock().astimezone(ZoneInfo(timezone)).date()


def _week(rules: Any, week: str | None, clock: Clock) -> str:
    if week is None:
        return next_week(_today(clock, rules.timezone))
    try:
        parse_week(week)
    except ValueError as exc:
        raise InvalidInput(clean_text(str(exc), limit=200)) from exc
    from rules.spec import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= int(week[:4]) <= LAST_YEAR:
        raise InvalidInput(f"--week {week}: plan weeks of {FIRST_YEAR} to {LAST_YEAR}")
    return week


def _ics_files(rules: Any, given: list[Path]) -> list[Path]:
    """The .ics files to read: ``--busy`` files (each must be a regular file: a
    missing one is named, not ignored), else the local calendars of the rules,
    inside the data directory (a calendar file not written yet is skipped)."""
    if given:
        for path in given:
            check_regular(path)
        return given
    files: list[Path] = []
    for cal in rules.calendars:
        if cal.provider == "local":
            files.extend(rules.resolve_path(b) for b in cal.busy)
            if cal.path:
                path = rules.resolve_path(cal.path)
                if check_regular(path, missing_ok=True):
                    files.append(path)
    return files


_warned: set[str] = set()


def _read_ics(rules: Any, files: list[Path], window: Any) -> list[Busy]:
    """Busy times of ``files``; an unreadable file is bad input (exit 2), an
    unreadable event a warning naming it (once)."""
    from providers.ics import read_busy

    skipped: list[str] = []
    limits = _settings().ics_limits()
    try:
        found: list[Busy] = read_busy(
            files, window, limits=limits, skipped=skipped, **_owner(rules)
        )
    except ProviderError as exc:
        raise InvalidInput(str(exc), hint=exc.hint) from exc
    for line in skipped:
        if line not in _warned:
            _warned.add(line)
            err.print(f"warning: {clean_text(line)}", markup=False, highlight=False)
    return found


def _busy(config: Path, rules: Any, week: str, files: list[Path]) -> list[Busy]:
    window = week_window(week, rules.timezone)
    return [b for b in _read_ics(rules, _ics_files(rules, files), window) if b.blocks_time]


def _owner(rules: Any) -> dict[str, Any]:
    """How .ics reads find the owner's own answer (rules ``owner``)."""
    owner = rules.owner
    return {
        "owner_emails": tuple(owner.email),
        "owner_domains": tuple(owner.email_domains),
        "tentative": owner.tentative,
    }


def _contacts(
    config: Path, rules: Any, week: str, files: list[Path], clock: Clock
) -> tuple[dict[str, date], dict[str, int]]:
    """Last contact per account and the recent meetings per tier, from the .ics files,
    judged as a sync judges them (:func:`blocker.expansion.calendar_facts`)."""
    from blocker.actuals import HISTORY_DAYS
    from blocker.core.models import Interval
    from blocker.expansion import calendar_facts, generation_of

    # up to the week's Monday at the latest, as a sync judges it (blocker.sync.Expansion)
    start = week_window(week, rules.timezone).start
    now = min(clock(), start)
    window = Interval(now - timedelta(days=HISTORY_DAYS), now)
    past = _read_ics(rules, _ics_files(rules, files), window)
    return calendar_facts(rules, past, before=now, generated=generation_of(rules, start))


@app.command()
def validate(config: ConfigOpt, now: NowOpt = None) -> None:
    """Check the rules file; list every problem as FILE:LINE:COL: message (exit 2).

    Colours two rules share are warned about (exit 0): judged on next week's blocks;
    so are account owners outside your domains (``rules.books``).
    """
    try:
        rules = _load(config)
    except BlockerError as exc:
        raise _fail(exc) from exc
    others = len(rules.colleague_accounts)
    book = f" ({len(rules.accounts)} in your book)" if others else ""
    console.print(
        f"{config}: OK — {len(rules.accounts) + others} accounts{book}, {len(rules.rules)} rules, "
        f"time zone {rules.timezone}" + (f", amounts in {rules.currency}" if rules.currency else "")
    )
    for problem in rules.warnings:
        err.print(f"warning: {clean_text(str(problem))}", markup=False, highlight=False)
    from rules.colours import colour_collisions
    from rules.engine import expand_week

    # Colours are judged on next week's requests: tiers and kinds give colours per block.
    today = _today(_clock(now), rules.timezone)
    spec = expand_week(rules, next_week(today), today=today)
    for line in colour_collisions(spec.requests):
        err.print(f"warning: {clean_text(line)}", markup=False, highlight=False)


@app.command()
def plan(
    config: ConfigOpt,
    week: WeekOpt = None,
    busy: Annotated[
        list[Path] | None, typer.Option("--busy", help=".ics file(s) of existing meetings.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or ics.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    now: NowOpt = None,
) -> None:
    """Plan a week (no calendar is written) and print it."""
    from blocker.actuals import measure
    from blocker.expansion import domain_index
    from blocker.planner import plan_week
    from blocker.render import plan_to_dict, scorecard_tables, week_table
    from blocker.report import scorecard, scorecard_to_dict
    from rules.engine import expand_week

    if fmt not in ("table", "json", "ics"):
        err.print(f"error: unknown format {fmt!r}: use table, json or ics")
        raise typer.Exit(2)
    try:
        clock = _clock(now)
        rules = _load(config)
        wk = _week(rules, week, clock)
        events = _busy(config, rules, wk, list(busy or []))
        contacts, meetings = _contacts(config, rules, wk, list(busy or []), clock)
        span = week_window(wk, rules.timezone)
        index = domain_index(rules, span.start)
        spec = expand_week(
            rules, wk, today=_today(clock, rules.timezone), contacts=contacts, meetings=meetings
        )
        result = plan_week(spec, busy=events, now=clock())
        # like for like with the report: the blocks plus the week's known meetings
        known = measure(span, result.blocks, events, index, rules.eisenhower.mapping())
        card = scorecard_to_dict(scorecard(result, spec, known))
    except BlockerError as exc:
        raise _fail(exc) from exc
    if fmt == "json":
        text = json.dumps(plan_to_dict(result, card), indent=2)
        _emit(text.encode(), out)
    elif fmt == "ics":
        from providers.ics import plan_to_ics

        _emit(plan_to_ics(result, "plan"), out)
    else:
        target = Console(file=out.open("w"), width=120) if out else console
        target.print(f"[bold]Week {result.week}[/bold] ({result.timezone})")
        target.print(week_table(result, events))
        _print_shortfall(target, result, spec, events)
        target.print(scorecard_tables(card))


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        err.print(f"wrote {out}")


def _print_shortfall(target: Console, result: Any, spec: Any, busy: Any) -> None:
    from blocker.render import print_problems

    print_problems(target, result, spec.requests, busy)


@app.command()
def sync(
    config: ConfigOpt,
    week: WeekOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the ops, write nothing.")
    ] = False,
    calendar: Annotated[str | None, typer.Option(help="Only this calendar id.")] = None,
    now: NowOpt = None,
) -> None:
    """Reconcile the configured calendars with the plan (the main job)."""
    from blocker.render import print_ops, scorecard_tables, week_table
    from blocker.report import scorecard, scorecard_to_dict
    from blocker.runtime import Runtime

    try:
        clock = _clock(now)
        rules = _load(config)
        wk = _week(rules, week, clock)
        runtime = Runtime.open(_settings(), config, clock=clock)
    except BlockerError as exc:
        raise _fail(exc) from exc
    failed = False
    try:
        for cal in rules.calendars:
            if calendar and cal.id != calendar:
                continue
            try:
                outcome = runtime.sync(rules, cal.id, wk, trigger="cli", dry_run=dry_run)
            except BlockerError as exc:
                err.print(f"{cal.id}: {exc.user_message()}", markup=False)
                failed = True
                continue
            console.print(f"[bold]{cal.id}[/bold] ({cal.provider}) — week {wk}")
            console.print(week_table(outcome.plan, outcome.busy))
            _print_shortfall(console, outcome.plan, outcome.spec, outcome.busy)
            print_ops(console, outcome.ops, dry_run=dry_run, timezone=outcome.plan.timezone)
            for problem in outcome.errors:
                err.print(f"  {problem}", markup=False)
                failed = True
            for notice in outcome.notices:
                err.print(f"  notice: {notice}", markup=False)
            card = scorecard_to_dict(
                scorecard(outcome.plan, outcome.spec, _known(rules, wk, outcome))
            )
            console.print(scorecard_tables(card))
    finally:
        runtime.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def report(
    config: ConfigOpt,
    week: WeekOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    calendar: Annotated[str | None, typer.Option(help="Calendar id (default: the first).")] = None,
    now: NowOpt = None,
    as_lead_sees: Annotated[
        bool, typer.Option("--as-lead-sees", help="Only what your team lead sees of your week.")
    ] = False,
) -> None:
    """The scorecard, planned beside actual: per tier, account, quadrant, category; red flags."""
    from blocker.render import scorecard_tables
    from blocker.runtime import Runtime

    try:
        clock = _clock(now)
        rules = _load(config)
        wk = _week(rules, week, clock)
        if as_lead_sees:  # exactly `blocker team report --member` of this file
            from blocker.cli_team import render_team, team_view

            team = team_view([config], wk, clock(), _settings())
            _emit(render_team(team, fmt).encode(), out)
            return
        if not rules.calendars:
            raise BlockerError("no calendar to report on", hint="add one under `calendars:`")
        runtime = Runtime.open(_settings(), config, clock=clock)
        try:
            card = runtime.report(calendar or rules.calendars[0].id, wk)
        finally:
            runtime.close()
    except BlockerError as exc:
        raise _fail(exc) from exc
    if fmt == "json":
        _emit(json.dumps({"week": wk, **card}, indent=2).encode(), out)
    elif fmt == "html":
        from blocker.web.report_html import render_report_html

        _emit(render_report_html(wk, card).encode(), out)
    else:
        target = Console(file=out.open("w"), width=120) if out else console
        target.print(f"[bold]Scorecard, week {wk}[/bold] (planned)")
        target.print(scorecard_tables(card))
        target.print(f"[bold]Planned vs actual, week {wk}[/bold]")
        said = _ACTUAL_STATE.get(card["actual"].get("state", ""))
        if said:
            target.print(said)
        for table in _actual_tables(card["actual"]):
            target.print(table)


_ACTUAL_STATE = {
    "future": "This week has not begun: planned figures only, nothing to compare yet.",
    "no_data": "Nothing counted on the calendar yet: no data, nothing judged.",
    "in_progress": "The week is under way: actual counts what happened up to now.",
}


def _known(rules: Any, week: str, outcome: Any) -> Any:
    """The plan as account-facing time (its blocks plus the week's meetings), so the
    sync's scorecard judges the tiers as the report does."""
    from blocker.actuals import measure
    from blocker.expansion import domain_index

    span = week_window(week, rules.timezone)
    index = domain_index(rules, span.start)
    return measure(span, outcome.plan.blocks, outcome.busy, index, rules.eisenhower.mapping())


def _actual_tables(actual: dict[str, Any]) -> list[Any]:
    """The ``actual`` part of the report as rich tables (hours side by side)."""
    from rich.table import Table
    from rich.text import Text

    def hours(minutes: int) -> str:
        return f"{minutes / 60:.1f}"

    def rows(title: str, data: dict[str, Any]) -> Table:
        table = Table(title=title, title_justify="left")
        for col in ("", "planned h", "planned %", "actual h", "actual %", "ok"):
            table.add_column(col)
        for name, r in data.items():
            ok = r.get("ok")
            shown = "actual_minutes" in r  # a future week has no actual side yet
            table.add_row(
                str(name),
                hours(r["planned_minutes"]),
                f"{r['planned_share']:.0%}",
                hours(r["actual_minutes"]) if shown else "-",
                f"{r['actual_share']:.0%}" if shown else "-",
                "" if ok is None else ("yes" if ok else "no"),
            )
        return table

    tables: list[Any] = [
        rows("Per tier", actual["tiers"]),
        rows("Per quadrant", {f"Q{q}": r for q, r in actual["quadrants"].items()}),
        rows("Proactive / reactive / admin", actual["categories"]),
    ]
    for part in ("top", "bottom"):
        table = Table(title=f"Accounts, {part} ten by actual time", title_justify="left")
        for col in ("account", "tier", "planned h", "actual h"):
            table.add_column(col)
        for r in actual["accounts"][part]:
            table.add_row(
                r["account"],
                r["tier"] or "",
                hours(r["planned_minutes"]),
                hours(r["actual_minutes"]),
            )
        tables.append(table)
    meetings = ", ".join(f"{k} {hours(v)} h" for k, v in actual["meetings"].items())
    lines = [f"Real meetings: {meetings}"]
    missed = actual["missed_touchpoints"]
    lines.append(f"No touchpoint this cadence ({len(missed)}):")
    for m in missed:
        last = m["last_contact"] or "never"
        lines.append(f"  {m['account']} ({m['tier']}, {m['cadence']}; last contact {last})")
    flags = actual["flags"]
    lines.append("Red flags (actual): " + ("; ".join(flags) if flags else "none"))
    tables.extend(Text(line) for line in lines)
    return tables


@app.command()
def connect(
    provider: Annotated[
        str,
        typer.Argument(
            help="The calendar kind to sign in to, as the rules' `provider:` names it "
            "(a kind with a sign-in; a wrong one is answered with the list)."
        ),
    ],
    config: ConfigOpt = Path("config.example.yaml"),
    calendar: Annotated[str | None, typer.Option(help="Calendar id from the rules.")] = None,
    port: Annotated[
        int,
        typer.Option(
            help="Loopback port for the OAuth redirect (0: any free port). Set it when the "
            "OAuth client registers an exact redirect URI such as http://127.0.0.1:8765/."
        ),
    ] = 0,
) -> None:
    """Connect a calendar once via OAuth (opens the browser)."""
    from blocker.connect import connect_from_terminal
    from blocker.connections import connectable

    kinds = [kind.name for kind in connectable()]
    if provider not in kinds:
        err.print(f"error: provider must be {' or '.join(kinds)}")
        raise typer.Exit(2)
    try:
        connect_from_terminal(_settings(), config, provider, calendar, port=port)
    except BlockerError as exc:
        raise _fail(exc) from exc


@app.command()
def serve(
    config: ConfigOpt,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Run the web app and the scheduler (procrastinate backend: web only, see `worker`)."""
    from blocker.web.server import serve as run_server

    try:
        run_server(_settings(), config, host=host, port=port)
    except BlockerError as exc:
        raise _fail(exc) from exc


@app.command()
def worker(
    config: ConfigOpt,
    concurrency: Annotated[int, typer.Option(help="Jobs run at once in this process.")] = 4,
    name: Annotated[str | None, typer.Option(help="Worker name in the jobs table.")] = None,
) -> None:
    """Run a jobs worker (BLOCKER_JOBS_BACKEND=procrastinate, PostgreSQL only)."""
    import logging

    from blocker.distributed.app import WorkerOptions
    from blocker.distributed.worker import require_procrastinate, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = _settings()
        if settings.jobs_backend != "procrastinate":
            raise SettingsError(
                "`blocker worker` runs procrastinate jobs: set BLOCKER_JOBS_BACKEND=procrastinate "
                "(the default apscheduler backend runs its jobs inside `blocker serve`)",
            )
        require_procrastinate(settings)
        run_worker(settings, config, options=WorkerOptions(concurrency=concurrency), name=name)
    except BlockerError as exc:
        raise _fail(exc) from exc


def main() -> None:
    app()


__all__ = ["app", "main"]
