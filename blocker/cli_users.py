"""``blocker user ...``: the team's members, their roles, and who may join.

The first admin is made here (``blocker user add --admin EMAIL``); later ones too,
or by an invitation with the admin role. People are named by address on the
command line, and only the address's keyed hash and its domain are stored
(:mod:`blocker.store.identity`), so ``list`` shows each user by domain and a short
fingerprint; ``show EMAIL`` finds one person by address.

Exit codes as for every ``blocker`` command: 0 done, 1 the store failed, 2 invalid
input (an unknown role, a person not known, a malformed address, a change that
would leave no enabled admin). Each change and its audit entry (actor "cli") are
one transaction, the same store methods the admin page uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from blocker.core.clock import system_clock
from blocker.core.errors import BlockerError, InvalidInput

users_app = typer.Typer(
    no_args_is_help=True, help="Team members, roles, invitations and allowed domains."
)
domains_app = typer.Typer(no_args_is_help=True, help="Email domains whose people may join.")
users_app.add_typer(domains_app, name="domain")
console = Console()

T = TypeVar("T")
ROLES = ("member", "lead", "admin")
"""For help texts only (the store checks roles); importing the store here would load
SQLAlchemy and Alembic for every `blocker` command."""
EmailArg = Annotated[str, typer.Argument(help="The person's email address.", show_default=False)]
RoleOpt = Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")]


@contextmanager
def _store() -> Iterator[Any]:
    """The store of ``BLOCKER_DATABASE_URL`` (migrated first, like every command)."""
    from blocker.cli import _settings
    from blocker.store import TokenCipher, open_store

    settings = _settings()
    key = settings.encryption_key
    # Nothing these commands write is encrypted; a store needs a cipher all the same.
    cipher = TokenCipher(key.get_secret_value() if key else TokenCipher.generate_key())
    store = open_store(settings.database_url, cipher)
    try:
        yield store
    finally:
        store.close()


def _run(action: Callable[[Any], T]) -> T:
    """Run ``action(store)``; errors print what to do and exit 1 or 2."""
    from blocker.cli import _fail

    try:
        with _store() as store:
            return action(store)
    except ValueError as exc:  # a malformed address, from the identity helpers
        raise _fail(InvalidInput(str(exc))) from exc
    except BlockerError as exc:
        raise _fail(exc) from exc


CLI_ACTOR = "cli"
"""How the audit log names changes made here (the store writes the entry in the
change's own transaction)."""


def _describe(user: Any) -> str:
    state = "disabled" if user.disabled else "active"
    return f"{user.role}, {state} (user {user.fingerprint} at {user.domain})"


@users_app.command("add")
def add(
    email: EmailArg,
    admin: Annotated[bool, typer.Option("--admin", help="Same as --role admin.")] = False,
    role: Annotated[
        str | None,
        typer.Option("--role", help=f"One of {', '.join(ROLES)} (new people: member)."),
    ] = None,
) -> None:
    """Add a person (or enable them again) with a role; the first admin starts here."""
    chosen = "admin" if admin else role

    user = _run(lambda store: store.add_team_user(email, chosen, actor=CLI_ACTOR))
    console.print(f"{email.strip().lower()}: {_describe(user)}", markup=False, highlight=False)


@users_app.command("list")
def list_users() -> None:
    """Everyone known, by domain and fingerprint (addresses are not stored)."""
    users = _run(lambda store: store.team_users())
    table = Table("fingerprint", "domain", "role", "status", "last sign-in")
    for user in users:
        last = f"{user.last_sign_in_at:%Y-%m-%d %H:%M} UTC" if user.last_sign_in_at else "never"
        status = "disabled" if user.disabled else "active"
        table.add_row(user.fingerprint, user.domain, user.role, status, last)
    console.print(table)
    console.print(f"{len(users)} user(s)", markup=False)


@users_app.command("show")
def show(email: EmailArg) -> None:
    """One person, found by address."""

    def find(store: Any) -> Any:
        from blocker.store.teams import UnknownUser

        user = store.team_user(email)
        if user is None:
            raise UnknownUser("no user with that address")
        return user

    console.print(f"{email.strip().lower()}: {_describe(_run(find))}", markup=False)


@users_app.command("disable")
def disable(email: EmailArg) -> None:
    """Refuse the person from now on; their sessions end and their API tokens are revoked."""
    user = _run(lambda store: store.set_user_disabled(email, True, actor=CLI_ACTOR))
    console.print(f"{email.strip().lower()}: {_describe(user)}", markup=False, highlight=False)


@users_app.command("enable")
def enable(email: EmailArg) -> None:
    """Let a disabled person sign in again."""
    user = _run(lambda store: store.set_user_disabled(email, False, actor=CLI_ACTOR))
    console.print(f"{email.strip().lower()}: {_describe(user)}", markup=False, highlight=False)


@users_app.command("forget-accounts")
def forget_accounts(email: EmailArg) -> None:
    """Forget which Google/Microsoft account the person signed in with: the next one
    they sign in with is theirs (after an address changed hands, or an account was
    recreated)."""

    count = _run(lambda store: store.forget_accounts(email, actor=CLI_ACTOR))
    console.print(f"{email.strip().lower()}: {count} account(s) forgotten", markup=False)


@users_app.command("role")
def set_role(
    email: EmailArg,
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.", show_default=False)],
) -> None:
    """Change a person's role."""
    user = _run(lambda store: store.set_user_role(email, role, actor=CLI_ACTOR))
    console.print(f"{email.strip().lower()}: {_describe(user)}", markup=False, highlight=False)


@users_app.command("invite")
def invite(
    email: EmailArg,
    role: RoleOpt = "member",
    days: Annotated[
        int | None, typer.Option(help="Days it stays open (default BLOCKER_INVITATION_DAYS).")
    ] = None,
) -> None:
    """Let one person join with a role on their first sign-in (whatever their domain)."""
    from blocker.cli import _settings

    if days is not None and not 1 <= days <= 365:
        from blocker.cli import _fail

        raise _fail(InvalidInput("--days takes 1 to 365"))

    def act(store: Any) -> Any:
        length = days if days is not None else _settings().invitation_days
        until = system_clock() + timedelta(days=length)
        store.invite(email, role, until, actor=CLI_ACTOR)
        return until

    until = _run(act)
    console.print(
        f"invited {email.strip().lower()} as {role} until {until:%Y-%m-%d %H:%M} UTC",
        markup=False,
        highlight=False,
    )


@users_app.command("uninvite")
def uninvite(email: EmailArg) -> None:
    """Cancel a person's open invitation (one already used is refused: disable them)."""

    def act(store: Any) -> Any:
        if "@" not in email:  # the store would take it for an invitation's key
            raise InvalidInput(f"not an email address: {email.strip()!r}")
        return store.cancel_invitation(email, actor=CLI_ACTOR)

    cancelled = _run(act)
    console.print(
        f"cancelled the invitation of {email.strip().lower()} ({cancelled.role})",
        markup=False,
        highlight=False,
    )


@users_app.command("invitations")
def invitations() -> None:
    """Open invitations (by domain: addresses are not stored)."""
    rows = _run(lambda store: store.invitations())
    for domain, role, until in rows:
        console.print(f"someone at {domain}: {role}, until {until:%Y-%m-%d %H:%M} UTC")
    console.print(f"{len(rows)} open invitation(s)", markup=False)


@domains_app.command("add")
def domain_add(domain: Annotated[str, typer.Argument(help="e.g. example.com")]) -> None:
    """Anyone with a verified address at DOMAIN may join as a member."""

    name = _run(lambda store: store.allow_domain(domain, actor=CLI_ACTOR))
    console.print(f"allowed: {name}", markup=False, highlight=False)


@domains_app.command("remove")
def domain_remove(domain: Annotated[str, typer.Argument(help="e.g. example.com")]) -> None:
    """Stop new people of DOMAIN joining (those who joined stay: disable them one by one)."""

    gone = _run(lambda store: store.disallow_domain(domain, actor=CLI_ACTOR))
    console.print("removed" if gone else "was not allowed", markup=False)


@domains_app.command("list")
def domain_list() -> None:
    """The allowed domains."""
    names = _run(lambda store: store.allowed_domains())
    for name in names:
        console.print(name, markup=False, highlight=False)
    console.print(f"{len(names)} allowed domain(s)", markup=False)


__all__ = ["users_app"]
