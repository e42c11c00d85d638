"""``blocker team report``: what a team lead sees of each member's week (issue 20.5).

Today each member is a rules file with its own local .ics calendar (``--member``,
repeated; without one the ``--config`` file alone); the summary API
(:mod:`blocker.team.summary`) does not care where a member's scorecard comes from.
``blocker report --as-lead-sees`` renders a member's own summary the same way, so
anyone can see exactly what their lead sees of them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from blocker.core.errors import BlockerError
from blocker.core.weeks import shift_week
from blocker.settings import Settings
from blocker.team.summary import TeamSummary

team_app = typer.Typer(no_args_is_help=True, help="The team lead's summary of members' weeks.")

FORMATS = ("table", "json", "html")


def team_view(configs: list[Path], week: str, now: datetime, settings: Settings) -> TeamSummary:
    """The summary of ``week`` for each member rules file, with its eight-week trend."""
    from blocker.team.local import TREND_WEEKS, member_weeks
    from blocker.team.summary import member_summary, team_summary

    weeks = [shift_week(week, i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    members = []
    for config in configs:
        name, cards = member_weeks(config, weeks, now, settings)
        members.append(member_summary(name, cards))
    return team_summary(week, members)


def render_team(team: TeamSummary, fmt: str) -> str:
    import json

    from blocker.team.render import team_html, team_table, team_to_dict

    if fmt == "json":
        return json.dumps(team_to_dict(team), indent=2) + "\n"
    if fmt == "html":
        return team_html(team)
    return team_table(team)


@team_app.command("report")
def report(
    config: Annotated[Path, typer.Option("--config", "-c", help="The lead's rules YAML file.")],
    week: Annotated[str | None, typer.Option(help="ISO week (default: next week).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    member: Annotated[
        list[Path] | None, typer.Option("--member", help="A member's rules file (repeat).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    now: Annotated[str | None, typer.Option(help="Run as if it were this moment.")] = None,
) -> None:
    """Each member's week as their lead sees it: shares, focus, flags, missed touchpoints."""
    from blocker.cli import _clock, _emit, _fail, _load, _settings, _week, err

    if fmt not in FORMATS:
        err.print(f"error: unknown format {fmt!r}: use table, json or html")
        raise typer.Exit(2)
    try:
        clock = _clock(now)
        rules = _load(config)
        wk = _week(rules, week, clock)
        team = team_view(list(member or [config]), wk, clock(), _settings())
    except BlockerError as exc:
        raise _fail(exc) from exc
    _emit(render_team(team, fmt).encode(), out)


__all__ = ["render_team", "team_app", "team_view"]
