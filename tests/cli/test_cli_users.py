"""``blocker user ...``: the first admin from the command line, roles, invitations, domains.

In-process through typer's runner (the store and clock are the real ones), plus one
real subprocess for the bootstrap an operator runs first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blocker.cli import app
from blocker.store import TokenCipher, open_store

BLOCKER = Path(sys.executable).parent / "blocker"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'team.db'}"


def run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["user", *args], env={"BLOCKER_DATABASE_URL": db})
    return result.exit_code, result.output


def test_bootstrap_the_first_admin_in_a_real_process(db: str) -> None:
    env = {**os.environ, "BLOCKER_DATABASE_URL": db}
    done = subprocess.run(
        [str(BLOCKER), "user", "add", "--admin", "Boss@Example.com"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "boss@example.com: admin, active" in done.stdout
    store = open_store(db, TokenCipher(TokenCipher.generate_key()))
    try:
        user = store.team_user("boss@example.com")
        assert user is not None and user.role == "admin"
    finally:
        store.close()


def test_roles_disable_invite_and_domains(db: str) -> None:
    assert run(db, "add", "ann@example.com")[0] == 0
    code, out = run(db, "role", "ann@example.com", "lead")
    assert code == 0 and "lead, active" in out
    code, out = run(db, "disable", "ann@example.com")
    assert code == 0 and "lead, disabled" in out
    code, out = run(db, "list")
    assert code == 0 and "example.com" in out and "disabled" in out and "1 user(s)" in out
    assert "ann@example.com" not in out  # listed by domain and fingerprint only
    assert "lead, active" in run(db, "enable", "ann@example.com")[1]
    assert "0 account(s) forgotten" in run(db, "forget-accounts", "ann@example.com")[1]
    code, out = run(db, "invite", "lee@partner.org", "--role", "admin", "--days", "3")
    assert code == 0 and "invited lee@partner.org as admin" in out
    assert "someone at partner.org: admin" in run(db, "invitations")[1]
    assert "allowed: example.com" in run(db, "domain", "add", "@Example.COM")[1]
    assert run(db, "domain", "list")[1].splitlines()[0] == "example.com"
    assert "removed" in run(db, "domain", "remove", "example.com")[1]


def test_uninvite_cancels_an_open_invitation_and_refuses_a_used_one(db: str) -> None:
    assert run(db, "invite", "lee@partner.org", "--role", "lead")[0] == 0
    code, out = run(db, "uninvite", "Lee@Partner.org")
    assert code == 0 and "cancelled the invitation of lee@partner.org (lead)" in out
    assert "0 open invitation(s)" in run(db, "invitations")[1]
    code, out = run(db, "uninvite", "lee@partner.org")
    assert code == 2 and "no open invitation for user" in out and "at partner.org" in out
    assert run(db, "add", "ann@example.com")[0] == 0  # joined: nothing left to cancel
    code, out = run(db, "uninvite", "ann@example.com")
    assert code == 2 and "has joined already (as member)" in out and "disable" in out
    store = open_store(db, TokenCipher(TokenCipher.generate_key()))
    try:
        actions = [(e.actor, e.action) for e in reversed(store.audit_entries())]
    finally:
        store.close()
    assert actions == [
        ("cli", "invitation.create"),
        ("cli", "invitation.cancel"),
        ("cli", "user.add"),
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("role", "ann@example.com", "wizard"), "unknown role"),
        (("disable", "nobody@example.com"), "no user with that address"),
        (("add", "not-an-address"), "not an email address"),
        (("domain", "add", "nodot"), "not an email domain"),
        (("invite", "x@example.com", "--days", "0"), "1 to 365"),
        (("uninvite", "nobody"), "not an email address"),
    ],
)
def test_bad_input_exits_2_with_what_to_do(db: str, args: tuple[str, ...], words: str) -> None:
    run(db, "add", "ann@example.com")
    code, out = run(db, *args)
    assert code == 2
    assert words in out


def test_the_help_names_the_roles_the_store_knows() -> None:
    from blocker.cli_users import ROLES as HELP_ROLES
    from blocker.store.tables import ROLES

    assert HELP_ROLES == ROLES


def test_each_change_is_audited_by_cli_and_the_last_admin_stays(db: str) -> None:
    assert run(db, "add", "--admin", "boss@example.com")[0] == 0
    code, out = run(db, "role", "boss@example.com", "member")
    assert code == 2 and "last enabled admin" in out and "make someone else an admin" in out
    assert run(db, "disable", "boss@example.com")[0] == 2
    assert run(db, "add", "ann@example.com")[0] == 0
    assert run(db, "disable", "ann@example.com")[0] == 0
    assert run(db, "domain", "add", "example.com")[0] == 0
    store = open_store(db, TokenCipher(TokenCipher.generate_key()))
    try:
        boss = store.team_user("boss@example.com")
        assert boss is not None and boss.role == "admin" and not boss.disabled
        entries = [(e.actor, e.action) for e in reversed(store.audit_entries())]
    finally:
        store.close()
    assert entries == [
        ("cli", "user.add"),
        ("cli", "user.add"),
        ("cli", "user.disable"),
        ("cli", "domain.allow"),
    ]
