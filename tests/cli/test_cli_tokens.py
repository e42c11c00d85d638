"""``blocker token create|list|revoke`` and ``blocker audit list``, in-process through
typer's runner on a real SQLite file; the tokens made here work at the real API's
check, and every change the CLI makes is in the audit log as "cli", without addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blocker.auth.tokens import check
from blocker.cli import app
from blocker.core.clock import system_clock
from blocker.store import Store, TokenCipher, open_store


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'team.db'}"


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    opened = open_store(db, TokenCipher(TokenCipher.generate_key()))
    try:
        yield opened
    finally:
        opened.close()


def run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"BLOCKER_DATABASE_URL": db, "COLUMNS": "200"})
    return result.exit_code, result.output


def made_token(out: str) -> str:
    found = re.search(r"^(cbt_[0-9a-f]{12}_[A-Za-z0-9_-]{43})$", out, re.MULTILINE)
    assert found, out
    return found.group(1)


def test_create_list_and_revoke_a_token(db: str, store: Store) -> None:
    assert run(db, "user", "add", "ann@example.com", "--role", "lead")[0] == 0
    code, out = run(
        db, "token", "create", "--user", "Ann@Example.com", "--scope", "write",
        "--name", "nightly", "--expires", "30",
    )  # fmt: skip
    assert code == 0, out
    token = made_token(out)
    assert "copy it now" in out
    checked = check(store, token, system_clock())
    assert checked.record is not None
    assert (checked.record.scope, checked.record.name, checked.record.user_role) == (
        "write", "nightly", "lead",
    )  # fmt: skip
    code, out = run(db, "token", "list")
    assert code == 0 and "nightly" in out and "active" in out and "1 token(s)" in out
    assert token.split("_", 2)[2] not in out  # never the secret again
    assert "ann@example.com" not in out
    code, out = run(db, "token", "revoke", f"cbt_{checked.record.prefix}")
    assert code == 0 and "revoked token" in out
    assert check(store, token, system_clock()).refusal == "revoked"
    assert "revoked" in run(db, "token", "list", "--user", "ann@example.com")[1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("create", "--user", "nobody@example.com"), "no user with that address"),
        (("create", "--user", "ann@example.com", "--scope", "admin"), "unknown scope"),
        (("create", "--user", "ann@example.com", "--expires", "0"), "1 to 366 days"),
        (("create", "--user", "off@example.com"), "disabled"),
        (("revoke", "999"), "no token '999'"),
        (("revoke", "cbt_0123456789ab"), "no token"),
    ],
)
def test_refusals_exit_2_and_say_why(db: str, args: tuple[str, ...], words: str) -> None:
    run(db, "user", "add", "ann@example.com")
    run(db, "user", "add", "off@example.com")
    run(db, "user", "disable", "off@example.com")
    code, out = run(db, "token", *args)
    assert code == 2, out
    assert words in out


def test_every_cli_change_is_in_the_audit_log_without_addresses(db: str, store: Store) -> None:
    run(db, "user", "add", "ann@example.com")
    run(db, "user", "role", "ann@example.com", "lead")  # not the last admin: disabled below
    run(db, "user", "disable", "ann@example.com")
    run(db, "user", "enable", "ann@example.com")
    run(db, "user", "forget-accounts", "ann@example.com")
    run(db, "user", "invite", "lee@partner.org", "--role", "lead")
    run(db, "user", "domain", "add", "example.com")
    run(db, "user", "domain", "remove", "example.com")
    token = made_token(run(db, "token", "create", "--user", "ann@example.com")[1])
    run(db, "token", "revoke", token.split("_")[1])
    entries = store.audit_entries()
    assert [e.action for e in reversed(entries)] == [
        "user.add",
        "user.role",
        "user.disable",
        "user.enable",
        "user.forget_accounts",
        "invitation.create",
        "domain.allow",
        "domain.disallow",
        "token.create",
        "token.revoke",
    ]
    assert {e.actor for e in entries} == {"cli"}
    assert entries[-1].detail == "role member, enabled"
    ann = store.team_user("ann@example.com")
    assert ann is not None
    assert entries[-1].target == f"user {ann.fingerprint} at example.com"
    for e in entries:
        assert "@" not in e.target + e.detail + e.actor
        assert token.split("_", 2)[2] not in e.target + e.detail
    code, out = run(db, "audit", "list")
    assert code == 0 and "10 entries" in out and "domain.disallow" in out
    code, out = run(db, "audit", "list", "--since", "2999-01-01")
    assert code == 0 and "0 entries" in out
    assert run(db, "audit", "list", "--since", "soon")[0] == 2
