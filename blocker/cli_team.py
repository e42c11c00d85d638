"""``blocker team ...``: the deployment's named teams, and what a team lead sees of
each member's week (issue 20.5).

``create``/``delete``/``add``/``remove``/``list`` manage the store's teams (run by
whoever runs the deployment, i.e. an admin; each change is in the audit log as done
by "cli"). ``report --team NAME`` summarises each member of a team from the store
(their scope: rules, calendars, runs); with ``--member FILE`` (repeated) each member
is a rules file with its own local .ics calendar instead, no store involved. The
summary API (:mod:`blocker.team.summary`) does not care where a scorecard comes from.
``blocker report --as-lead-sees`` renders a member's own summary the same way, so
anyone can see exactly what their lead sees of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from blocker.core.errors import BlockerError, InvalidInput
from blocker.core.weeks import shift_week
from blocker.settings import Settings
from blocker.team.summary import TeamSummary

team_app = typer.Typer(no_args_is_help=True, help="The team lead's summary of members' weeks.")

FORMATS = ("table", "json", "html")
T = TypeVar("T")


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
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Rules YAML (files: the lead's; store: template)."),
    ] = None,
    week: Annotated[str | None, typer.Option(help="ISO week (default: next week).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    member: Annotated[
        list[Path] | None, typer.Option("--member", help="A member's rules file (repeat).")
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", help="A team of the store (without --member).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    now: Annotated[str | None, typer.Option(help="Run as if it were this moment.")] = None,
) -> None:
    """Each member's week as their lead sees it: shares, focus, flags, missed touchpoints."""
    from blocker.cli import _clock, _emit, _fail, _load, _settings, _week, err

    if fmt not in FORMATS:
        err.print(f"error: unknown format {fmt!r}: use table, json or html")
        raise typer.Exit(2)
    if member and team:
        err.print("error: --member files or --team from the store, not both")
        raise typer.Exit(2)
    try:
        clock = _clock(now)
        if team is not None:
            summary = _store_report(config, team, week, clock)
        else:
            if config is None and not member:
                raise InvalidInput("give --team NAME (the store) or --member FILE (repeat)")
            first = config or (member or [])[0]
            wk = _week(_load(first), week, clock)
            summary = team_view(list(member or [first]), wk, clock(), _settings())
    except BlockerError as exc:
        raise _fail(exc) from exc
    _emit(render_team(summary, fmt).encode(), out)


def _store_report(config: Path | None, name: str, week: str | None, clock: Any) -> TeamSummary:
    """The team ``name`` of the store, each member from their own scope."""
    from blocker.cli import _settings, _week
    from blocker.runtime import Runtime
    from blocker.store.team_groups import UnknownTeam
    from blocker.team.store_source import team_view as store_team_view

    runtime = Runtime.open(_settings(), config, clock=clock)
    try:
        group = runtime.store.team_group(name)
        if group is None:
            raise UnknownTeam(f"no team named {name.strip()!r}")
        return store_team_view(runtime, group, _week(runtime.rules, week, clock))
    finally:
        runtime.close()


# -- the store's teams (admins: whoever runs the deployment) ---------------------------

NameArg = Annotated[str, typer.Argument(help="The team's name.", show_default=False)]
EmailArg = Annotated[str, typer.Argument(help="The person's email address.", show_default=False)]


def _with_store(action: Callable[[Any], T]) -> T:
    from blocker.cli_users import _run

    return _run(action)


def _user_id(store: Any, email: str) -> Any:
    from blocker.store.teams import UnknownUser

    user = store.team_user(email)
    if user is None:
        raise UnknownUser("no user with that address: `blocker user add EMAIL` first")
    return user


@team_app.command("create")
def create(name: NameArg) -> None:
    """A new, empty team."""
    group = _with_store(lambda store: store.create_team(name, actor="cli"))
    typer.echo(f"team {group.name!r} created")


@team_app.command("delete")
def delete(name: NameArg) -> None:
    """Forget a team (its people stay users, in no team)."""
    _with_store(lambda store: store.delete_team(name, actor="cli"))
    typer.echo(f"team {name.strip()!r} deleted")


@team_app.command("add")
def add(
    name: NameArg,
    email: EmailArg,
    lead: Annotated[bool, typer.Option("--lead", help="As one of its leads.")] = False,
) -> None:
    """Put a user in a team (a member is in one team), or make them one of its leads."""

    def act(store: Any) -> Any:
        user = _user_id(store, email)
        store.add_to_team(name, user.id, lead=lead, actor="cli")
        return user

    user = _with_store(act)
    what = "leads" if lead else "is in"
    typer.echo(f"user {user.fingerprint} at {user.domain} {what} team {name.strip()!r}")


@team_app.command("remove")
def remove(name: NameArg, email: EmailArg) -> None:
    """Take a user out of a team (as a member and as a lead)."""

    def act(store: Any) -> bool:
        gone: bool = store.remove_from_team(name, _user_id(store, email).id, actor="cli")
        return gone

    if not _with_store(act):
        typer.echo(f"that user was not in team {name.strip()!r}")
        raise typer.Exit(1)
    typer.echo(f"removed from team {name.strip()!r}")


@team_app.command("list")
def list_teams(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The teams, their leads and members (by domain and fingerprint)."""
    import json

    def act(store: Any) -> list[dict[str, Any]]:
        users = {u.id: f"{u.fingerprint} at {u.domain}" for u in store.team_users()}
        return [
            {
                "name": g.name,
                "leads": [users.get(i, str(i)) for i in g.leads],
                "members": [users.get(i, str(i)) for i in g.members],
            }
            for g in store.team_groups()
        ]

    rows = _with_store(act)
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no teams yet: `blocker team create NAME`")
    for row in rows:
        typer.echo(f"{row['name']}: {len(row['members'])} member(s)")
        typer.echo("  leads: " + (", ".join(row["leads"]) or "none"))
        typer.echo("  members: " + (", ".join(row["members"]) or "none"))


__all__ = ["render_team", "team_app", "team_view"]
