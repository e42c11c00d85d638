"""Each user's overlay versions and the template owner (issue 20, slice 2), on SQLite
and PostgreSQL, and the upgrade from 0009 that gives existing calendars to the first
admin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.rules_versions import RulesVersionNotFound
from tests.support.clock import TEST_NOW


@pytest.fixture
def store(db_url: str, key: str) -> Iterator[Store]:
    st = Store(make_engine(db_url), TokenCipher(key), clock=lambda: TEST_NOW)
    try:
        yield st
    finally:
        st.close()


def test_overlays_are_versioned_per_user_and_restorable(store: Store) -> None:
    ann = store.add_team_user("ann@team.example", "member").id
    bob = store.add_team_user("bob@team.example", "member").id
    first = store.save_overlay(ann, "timezone: UTC\n")
    assert store.save_overlay(ann, "timezone: UTC\n") == first  # same text: nothing new
    second = store.save_overlay(ann, "timezone: Europe/Paris\n", keep=5)
    store.save_overlay(bob, "timezone: Asia/Tokyo\n")
    current = store.current_overlay(ann)
    assert current is not None and (current.id, current.text) == (
        second,
        "timezone: Europe/Paris\n",
    )
    assert [v.id for v in store.overlay_versions(ann)] == [second, first]
    restored = store.restore_overlay(ann, first)
    assert restored.is_current and restored.text == "timezone: UTC\n"
    bob_current = store.current_overlay(bob)
    assert bob_current is not None and bob_current.text == "timezone: Asia/Tokyo\n"


def test_another_users_overlay_version_is_not_found(store: Store) -> None:
    ann = store.add_team_user("ann@team.example", "member").id
    bob = store.add_team_user("bob@team.example", "member").id
    secret = store.save_overlay(ann, "owner: {name: Ann}\n")
    assert store.get_overlay_version(bob, secret) is None
    with pytest.raises(RulesVersionNotFound):
        store.restore_overlay(bob, secret)
    assert store.current_overlay(bob) is None
    assert store.overlay_versions(bob) == []


def test_keep_bounds_each_users_history_only(store: Store) -> None:
    ann = store.add_team_user("ann@team.example", "member").id
    bob = store.add_team_user("bob@team.example", "member").id
    bobs = store.save_overlay(bob, "timezone: UTC\n")
    for n in range(4):
        store.save_overlay(ann, f"# {n}\n", keep=2)
    assert len(store.overlay_versions(ann)) == 2
    assert [v.id for v in store.overlay_versions(bob)] == [bobs]


def test_the_first_admin_owns_the_template_and_its_connections(store: Store) -> None:
    store.upsert_connection("work", user_email="owner@team.example", provider="memory")
    assert store.template_owner_id() is None  # no admin yet: nobody claims it
    store.add_team_user("mem@team.example", "member")
    admin = store.add_team_user("boss@team.example", "admin").id
    store.add_team_user("later@team.example", "admin")
    assert store.template_owner_id() == admin
    assert store.template_owner_id() == admin  # claimed once, kept
    connection = store.get_connection("work")
    assert connection is not None
    assert connection.user_hash == store.user_key("boss@team.example")


def test_upgrade_from_0009_gives_existing_calendars_to_the_first_admin(
    empty_engine: Engine, key: str
) -> None:
    migrate(empty_engine, "0009")
    # rows as 0009 wrote them (the models already have 0010's column)
    rows = [
        "INSERT INTO users (id, email_hash, email_domain, timezone, created_at, role, disabled)"
        " VALUES (1, 'h-csm', 'team.example', 'UTC', :at, 'member', false),"
        " (2, 'h-first', 'team.example', 'UTC', :at, 'admin', false),"
        " (3, 'h-second', 'team.example', 'UTC', :at, 'admin', false)",
        "INSERT INTO calendar_connections (calendar_id, user_id, provider, account_label,"
        " status, status_reason, created_at, updated_at)"
        " VALUES ('work', 1, 'memory', '', 'connected', '', :at, :at)",
        "INSERT INTO rules_versions (text, created_at, is_current)"
        " VALUES ('timezone: UTC', :at, true)",
    ]
    with empty_engine.begin() as connection:
        for statement in rows:
            connection.execute(text(statement), {"at": TEST_NOW})
    migrate(empty_engine)
    store = Store(empty_engine, TokenCipher(key), clock=lambda: TEST_NOW)
    with empty_engine.connect() as connection:
        owner = connection.execute(text("SELECT id FROM users WHERE owns_template")).scalar()
    assert owner == 2 == store.template_owner_id()
    connection_row = store.get_connection("work")
    assert connection_row is not None and connection_row.user_hash == "h-first"
    current = store.current_rules()
    assert current is not None and current.text == "timezone: UTC"
