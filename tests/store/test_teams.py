"""Users, roles, who may join and user sessions (issue 20), on SQLite and PostgreSQL.

The product's promise is checked on the tables themselves: no full address is
stored anywhere, invitations and sessions included.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from blocker.core.errors import InvalidInput
from blocker.store import Store, make_engine
from blocker.store.tables import Base
from blocker.store.teams import UnknownUser
from tests.support.clock import TEST_NOW, SettableClock


@pytest.fixture
def team(timed_store: Store) -> Store:
    return timed_store


def _dump(store: Store) -> str:
    """Every value of every table, as text (to look for addresses)."""
    out = []
    with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_add_list_role_and_disable(team: Store) -> None:
    boss = team.add_team_user("Boss@Example.com", "admin")
    ann = team.add_team_user("ann@example.com")
    assert (boss.role, ann.role) == ("admin", "member")
    assert team.set_user_role("ANN@example.com", "lead").role == "lead"
    assert [u.role for u in team.team_users()] == ["admin", "lead"]
    assert team.set_user_disabled("ann@example.com", True).disabled
    again = team.add_team_user("ann@example.com")
    assert (again.disabled, again.role) == (False, "lead")  # enabled again, role kept
    with pytest.raises(UnknownUser):
        team.set_user_role("nobody@example.com", "lead")
    with pytest.raises(InvalidInput, match="unknown role"):
        team.add_team_user("x@example.com", "owner")


def test_who_may_join(team: Store, clock: SettableClock) -> None:
    assert (
        team.admit("stranger@example.com", "google", "sub-stranger@example.com").refusal
        == "not_allowed"
    )
    assert team.team_user("stranger@example.com") is None  # refused: nothing stored

    team.allow_domain("@Example.com")
    joined = team.admit("stranger@example.com", "google", "sub-stranger@example.com")
    assert joined.user is not None and joined.user.role == "member" and not joined.invited

    team.invite("lead@partner.org", "lead", TEST_NOW + timedelta(days=1))
    invited = team.admit("lead@partner.org", "google", "sub-lead@partner.org")
    assert invited.user is not None and invited.user.role == "lead" and invited.invited
    assert team.invitations() == []  # taken once

    team.invite("late@partner.org", "admin", TEST_NOW + timedelta(days=1))
    clock.now = TEST_NOW + timedelta(days=2)
    assert (
        team.admit("late@partner.org", "google", "sub-late@partner.org").refusal == "not_allowed"
    )  # expired

    team.set_user_disabled("stranger@example.com", True)
    assert (
        team.admit("stranger@example.com", "google", "sub-stranger@example.com").refusal
        == "disabled"
    )

    assert team.disallow_domain("example.com")
    assert team.admit("new@example.com", "google", "sub-new@example.com").refusal == "not_allowed"
    assert (
        team.admit("lead@partner.org", "google", "sub-lead@partner.org").user is not None
    )  # joined people stay


def test_sessions_end_one_by_one_everywhere_and_on_disable(
    team: Store, clock: SettableClock
) -> None:
    ann = team.add_team_user("ann@example.com")
    until = TEST_NOW + timedelta(hours=12)
    for sid in ("u~one", "u~two", "u~three"):
        team.open_user_session(sid, ann.id, "google", "ann@example.com", until)
    live = team.user_session("u~one")
    assert live is not None and live.label == "ann@example.com" and live.user.id == ann.id
    assert team.user_session_count(ann.id) == 3

    team.revoke_user_session("u~one")
    assert team.user_session("u~one") is None and team.user_session("u~two") is not None
    assert team.revoke_user_sessions(ann.id) == 2
    assert team.user_session("u~two") is None and team.user_session("u~three") is None

    team.open_user_session("u~four", ann.id, "microsoft", "ann@example.com", until)
    team.set_user_disabled("ann@example.com", True)
    assert team.user_session("u~four") is None
    team.set_user_disabled("ann@example.com", False)
    assert team.user_session("u~four") is None  # enabling again does not revive it

    team.open_user_session("u~five", ann.id, "google", "ann@example.com", until)
    clock.now = until
    assert team.user_session("u~five") is None  # expired


def test_no_full_address_is_stored(team: Store) -> None:
    team.add_team_user("boss@example.com", "admin")
    team.invite("guest@partner.org", "member", TEST_NOW + timedelta(days=1))
    team.allow_domain("example.com")
    joined = team.admit("ann@example.com", "google", "sub-ann@example.com")
    assert joined.user is not None
    team.open_user_session("u~s", joined.user.id, "google", "ann@example.com", TEST_NOW)
    dump = _dump(team)
    for address in ("boss@example.com", "guest@partner.org", "ann@example.com"):
        assert address not in dump
    assert "@" not in dump


def test_a_migrated_single_user_install_keeps_its_user(team: Store) -> None:
    """Users from before 0008 (made by connecting a calendar) are enabled members."""
    user_id = team.ensure_user("solo@example.com", "America/New_York")
    user = team.team_user_by_id(user_id)
    assert user is not None and user.role == "member" and not user.disabled


def test_0009_makes_existing_users_enabled_members_and_keeps_their_calendars(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from blocker.store import migrate
    from blocker.store.db import downgrade

    url = f"sqlite:///{Path(str(tmp_path)) / 'old.db'}"
    migrate(url, "0008")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email_hash, email_domain, timezone, created_at) "
                    "VALUES (1, 'ab' , 'example.com', 'UTC', '2026-01-01 00:00:00.000000')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO calendar_connections (calendar_id, user_id, provider, "
                    "account_label, status, status_reason, created_at, updated_at) VALUES "
                    "('work', 1, 'google', '', 'connected', '', '2026-01-01 00:00:00.000000', "
                    "'2026-01-01 00:00:00.000000')"
                )
            )
        count = "SELECT count(*) FROM calendar_connections"
        migrate(engine)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT role, disabled FROM users")).one()
            # users is altered in place: no rebuild cascading to its connections
            assert connection.execute(text(count)).scalar_one() == 1
        assert (row[0], bool(row[1])) == ("member", False)
        downgrade(engine, "0008")  # and back, keeping the user and the connection
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
            assert connection.execute(text(count)).scalar_one() == 1
    finally:
        engine.dispose()


def test_an_address_that_changes_hands_does_not_hand_over_the_user(team: Store) -> None:
    team.add_team_user("ann@example.com", "admin")
    first = team.admit("ann@example.com", "google", "google-account-1")
    assert first.user is not None and first.user.role == "admin"
    assert team.admit("ann@example.com", "microsoft", "ms-account-1").user is not None
    assert team.admit("ann@example.com", "google", "google-account-1").user is not None
    assert team.admit("ann@example.com", "google", "google-account-2").refusal == "other_account"
    assert team.forget_accounts("ann@example.com") == 2
    assert team.admit("ann@example.com", "google", "google-account-2").user is not None
    assert team.admit("ann@example.com", "google", "google-account-1").refusal == "other_account"
