"""``blocker token ...`` and ``blocker audit list``: personal API tokens and the log.

Whoever runs these commands has the server's database, so they act for any user:
``token create`` makes a token for a person named by address (printed once, never
stored: only its prefix and a hash are), ``token revoke`` ends anyone's. Every
change is written to the audit log as done by "cli". ``audit list`` prints the log,
newest first; people appear by fingerprint and domain, as everywhere.

Exit codes as for every ``blocker`` command: 0 done, 1 the store failed, 2 invalid
input (an unknown scope or user, a token id that does not exist).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from blocker.cli_users import _run
from blocker.core.clock import system_clock
from blocker.core.errors import InvalidInput

tokens_app = typer.Typer(no_args_is_help=True, help="Personal API tokens: create, list, revoke.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit log of changes.")
console = Console()
CLI_ACTOR = "cli"

__all__ = ["CLI_ACTOR", "audit_app", "tokens_app"]


def _when(moment: datetime | None, empty: str = "never") -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else empty


@tokens_app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", help="The person's email address.")],
    scope: Annotated[str, typer.Option("--scope", help="read (GET only) or write.")] = "read",
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "token",
    expires: Annotated[
        int | None, typer.Option("--expires", help="Days until it expires (default: never).")
    ] = None,
) -> None:
    """Make a token for a person; it is printed once and cannot be shown again."""
    from blocker.auth.tokens import issue

    def act(store: Any) -> Any:
        from blocker.store.teams import UnknownUser

        person = store.team_user(user)
        if person is None:
            raise UnknownUser("no user with that address")
        if person.disabled:
            raise InvalidInput("that user is disabled: enable them first")
        made = issue(store, person.id, scope=scope, name=name, days=expires, now=system_clock())
        record = made.record
        until = f"expires {record.expires_at:%Y-%m-%d}" if record.expires_at else "never expires"
        target = f"token {record.prefix} of {record.owner}"
        store.record_audit(CLI_ACTOR, "token.create", target, f"scope {record.scope}, {until}")
        return made

    made = _run(act)
    console.print(made.text, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"token {made.record.id} ({made.record.scope}) for {made.record.owner}: "
        "copy it now, it is not shown again",
        markup=False,
        highlight=False,
    )


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this person's.")] = None,
) -> None:
    """Tokens (revoked and expired ones too), newest first; never their secrets."""

    def act(store: Any) -> Any:
        person = store.team_user(user) if user is not None else None
        if user is not None and person is None:
            from blocker.store.teams import UnknownUser

            raise UnknownUser("no user with that address")
        return store.api_tokens(person.id if person is not None else None)

    tokens = _run(act)
    now = system_clock()
    table = Table("id", "starts with", "user", "name", "scope", "state", "expires", "last used")
    for t in tokens:
        table.add_row(
            str(t.id),
            f"cbt_{t.prefix}",
            f"{t.user_fingerprint} at {t.user_domain}",
            t.name,
            t.scope,
            t.state(now),
            _when(t.expires_at),
            _when(t.last_used_at),
        )
    console.print(table)
    console.print(f"{len(tokens)} token(s)", markup=False)


@tokens_app.command("revoke")
def revoke(
    token: Annotated[
        str, typer.Argument(help="The token's id or its cbt_ prefix (list shows both).")
    ],
) -> None:
    """Revoke a token at once (anyone's)."""

    def act(store: Any) -> Any:
        token_id = _token_id(store, token)
        record = store.revoke_api_token(token_id) if token_id is not None else None
        if record is None:
            raise InvalidInput(f"no token {token!r}: `blocker token list` shows them")
        store.record_audit(CLI_ACTOR, "token.revoke", f"token {record.prefix} of {record.owner}")
        return record

    record = _run(act)
    console.print(f"revoked token {record.id} (cbt_{record.prefix})", markup=False)


def _token_id(store: Any, given: str) -> int | None:
    if given.isdigit():
        return int(given)
    prefix = given.removeprefix("cbt_").split("_", 1)[0]
    found = store.api_token_for_check(prefix)
    return found[0].id if found is not None else None


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str | None, typer.Option("--since", help="ISO date or time, e.g. 2026-12-01.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
) -> None:
    """The newest changes first: when, who, what, on what."""
    moment = _parse_since(since)
    entries = _run(lambda store: store.audit_entries(since=moment, limit=limit))
    table = Table("when", "who", "what", "on", "detail")
    for e in entries:
        table.add_row(_when(e.at), e.actor, e.action, e.target, e.detail)
    console.print(table)
    console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}", markup=False)


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    from datetime import UTC

    from blocker.cli import _fail

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(InvalidInput(f"--since: not an ISO date or time: {text!r}")) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
