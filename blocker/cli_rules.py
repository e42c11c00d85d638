"""``blocker rules export|import --user EMAIL``: one CSM's overlay on the team template.

The overlay (rules.overlay) is YAML kept in the store, versioned per user; import
validates it with the template first (problems are located in the template file or
"your overlay"), then saves it as that user's overlay in force. Export prints the
overlay, or with ``--effective`` the rules that plan for that user.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from blocker.core.errors import BlockerError, InvalidInput

if TYPE_CHECKING:
    from blocker.members import MemberRuntime

rules_app = typer.Typer(no_args_is_help=True, help="A team member's rules overlay.")

UserOpt = Annotated[
    str, typer.Option("--user", help="The member's email address.", show_default=False)
]
TemplateOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="The team template (default: BLOCKER_RULES_PATH, else the store's rules).",
    ),
]


def _scope(email: str, config: Path | None) -> MemberRuntime:
    """The member's runtime scope (blocker.members), their current overlay in force."""
    from blocker.cli import _settings
    from blocker.members import MemberRuntime
    from blocker.runtime import Runtime
    from blocker.store.teams import UnknownUser

    base = Runtime.open(_settings(), config)
    try:
        user = base.store.team_user(email)
        if user is None:
            raise UnknownUser(f"no user {email!r}")
        owner = base.store.template_owner_id() == user.id
        return MemberRuntime(base, user, email, owner=owner)
    except BaseException:
        base.close()
        raise


@rules_app.command("export")
def export(
    user: UserOpt,
    config: TemplateOpt = None,
    effective: Annotated[
        bool, typer.Option("--effective", help="The merged rules, not just the overlay.")
    ] = False,
) -> None:
    """Print the member's overlay (YAML) in force."""
    from blocker.cli import _fail
    from rules.overlay import merge_text

    try:
        scope = _scope(user, config)
        try:
            current = scope.store.current_overlay(scope.user.id)
            text = current.text if current is not None else ""
            if effective:
                text, _origin = merge_text(
                    scope.base.rules_text, text, inherit_calendars=scope.owner
                )
        finally:
            scope.base.close()
    except BlockerError as exc:
        raise _fail(exc) from exc
    typer.echo(text, nl=False)


@rules_app.command("import")
def import_(
    user: UserOpt,
    file: Annotated[Path, typer.Argument(help="The overlay YAML.", show_default=False)],
    config: TemplateOpt = None,
) -> None:
    """Validate FILE with the team template, then save it as the member's overlay."""
    from blocker.cli import _fail

    try:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {file}: {exc}") from None
        scope = _scope(user, config)
        try:
            if scope.owner:
                raise InvalidInput(
                    f"{user} owns the team template: edit the rules file itself",
                )
            version = scope.update_rules(text)
        finally:
            scope.base.close()
    except BlockerError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{user}: overlay version {version} in force")


__all__ = ["rules_app"]
