"""Personal API tokens and the audit log in the store, on SQLite and PostgreSQL, and
migration 0011 up and down on both: the secret is never stored, tokens expire and are
revoked on the store's clock, the log pages newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, text

from blocker.auth.tokens import check, issue
from blocker.core.errors import InvalidInput
from blocker.store import Store, migrate
from blocker.store.db import downgrade
from tests.store.test_teams import _dump
from tests.support.clock import TEST_NOW, SettableClock


@pytest.fixture
def team(timed_store: Store) -> Store:
    return timed_store


def test_a_token_is_kept_as_prefix_and_hash_only(team: Store, clock: SettableClock) -> None:
    ann = team.add_team_user("ann@example.com", "admin")
    made = issue(team, ann.id, scope="write", name="cron", days=30, now=clock())
    secret = made.text.split("_", 2)[2]
    assert len(secret) == 43  # 32 random bytes
    stored = _dump(team)
    assert secret not in stored and made.text not in stored
    assert made.record.prefix in stored
    assert made.record.expires_at == TEST_NOW + timedelta(days=30)
    good = check(team, made.text, clock())
    assert good.record is not None and good.record.user_role == "admin"
    assert good.record.scope == "write"


def test_expiry_revocation_and_disabled_users(team: Store, clock: SettableClock) -> None:
    ann = team.add_team_user("ann@example.com")
    made = issue(team, ann.id, scope="read", name="", days=1, now=clock())
    assert made.record.name == "token"
    clock.now = TEST_NOW + timedelta(days=1)
    assert check(team, made.text, clock()).refusal == "expired"
    clock.now = TEST_NOW
    team.set_user_disabled("ann@example.com", True)  # revokes her tokens
    assert check(team, made.text, clock()).refusal == "revoked"
    later = issue(team, ann.id, scope="read", name="", days=1, now=clock())
    assert check(team, later.text, clock()).refusal == "disabled"  # made while disabled
    team.set_user_disabled("ann@example.com", False)
    assert check(team, made.text, clock()).refusal == "revoked"  # stays revoked
    assert check(team, later.text, clock()).record is not None
    made = later
    lee = team.add_team_user("lee@example.com")
    assert team.revoke_api_token(made.record.id, lee.id) is None  # not Lee's
    revoked = team.revoke_api_token(made.record.id, ann.id)
    assert revoked is not None and revoked.state(clock()) == "revoked"
    assert check(team, made.text, clock()).refusal == "revoked"
    forever = issue(team, ann.id, scope="read", name="x", days=None, now=clock())
    clock.now = TEST_NOW + timedelta(days=3650)
    assert check(team, forever.text, clock()).record is not None


@pytest.mark.parametrize(
    "given", ["", "Bearer", "cbt_", "cbt_0123456789ab_short", "xyz_0123456789ab_" + "a" * 43]
)
def test_malformed_and_unknown_tokens_are_refused(team: Store, given: str) -> None:
    assert check(team, given, TEST_NOW).refusal == "malformed"
    assert check(team, "cbt_0123456789ab_" + "a" * 43, TEST_NOW).refusal == "unknown"


def test_bad_scopes_and_lengths_are_refused(team: Store) -> None:
    ann = team.add_team_user("ann@example.com")
    with pytest.raises(InvalidInput):
        issue(team, ann.id, scope="admin", name="x", days=1, now=TEST_NOW)
    for days in (0, 367):
        with pytest.raises(InvalidInput):
            issue(team, ann.id, scope="read", name="x", days=days, now=TEST_NOW)
    assert team.api_tokens() == []


def test_last_used_is_written_at_most_once_a_minute(team: Store, clock: SettableClock) -> None:
    ann = team.add_team_user("ann@example.com")
    made = issue(team, ann.id, scope="read", name="x", days=None, now=clock())
    check(team, made.text, clock())
    assert team.api_tokens()[0].last_used_at == TEST_NOW
    clock.now = TEST_NOW + timedelta(seconds=30)
    check(team, made.text, clock())
    assert team.api_tokens()[0].last_used_at == TEST_NOW
    clock.now = TEST_NOW + timedelta(minutes=2)
    check(team, made.text, clock())
    assert team.api_tokens()[0].last_used_at == clock.now


def test_the_audit_log_pages_newest_first(team: Store, clock: SettableClock) -> None:
    for n in range(5):
        clock.now = TEST_NOW + timedelta(minutes=n)
        team.record_audit("cli", "domain.allow", f"d{n}.example", "x" * 5000)
    page = team.audit_entries(limit=2)
    assert [e.target for e in page] == ["d4.example", "d3.example"]
    assert len(page[0].detail) == 1000  # capped
    older = team.audit_entries(limit=2, before_id=page[-1].id)
    assert [e.target for e in older] == ["d2.example", "d1.example"]
    since = team.audit_entries(since=TEST_NOW + timedelta(minutes=3))
    assert [e.target for e in since] == ["d4.example", "d3.example"]
    assert since[0].at == TEST_NOW + timedelta(minutes=4)


def test_migration_0011_goes_up_and_down_keeping_users(empty_engine: Engine) -> None:
    migrate(empty_engine, "0009")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (email_hash, email_domain, timezone, created_at) "
                "VALUES ('h', 'example.com', 'UTC', :at)"
            ),
            {"at": TEST_NOW},
        )
    migrate(empty_engine, "0011")
    tables = set(inspect(empty_engine).get_table_names())
    assert {"api_tokens", "audit_log"} <= tables
    downgrade(empty_engine, "0009")
    tables = set(inspect(empty_engine).get_table_names())
    assert not {"api_tokens", "audit_log"} & tables
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1
    migrate(empty_engine)
    assert {"api_tokens", "audit_log"} <= set(inspect(empty_engine).get_table_names())
