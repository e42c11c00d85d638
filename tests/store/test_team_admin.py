"""The admin's changes to people at the store (SQLite and PostgreSQL): each writes
its audit entry naming the actor in its own transaction (a change whose entry
cannot be written does not happen), the last enabled admin stays, disabling ends
sessions and revokes personal tokens, and the roster shows addresses and counts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from blocker.auth.tokens import issue
from blocker.core.errors import StoreError
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.teams import LastAdmin, UnknownUser
from tests.support.clock import TEST_NOW


def test_changes_told_their_actor_are_audited_with_it(store: Store) -> None:
    ann = store.add_team_user("ann@example.com", "admin", actor="cli")
    bob = store.add_team_user("bob@example.com")
    store.set_user_role(bob.id, "lead", actor="user abc at example.com")
    store.set_user_disabled("bob@example.com", True, actor="cli")
    store.invite("lee@partner.org", "member", TEST_NOW + timedelta(days=2), actor="cli")
    store.allow_domain("Example.com", actor="cli")
    assert store.disallow_domain("example.com", actor="cli")
    assert not store.disallow_domain("example.com", actor="cli")  # nothing changed
    assert store.forget_accounts(bob.id, actor="cli") == 0
    entries = [(e.actor, e.action, e.target) for e in reversed(store.audit_entries())]
    ann_is, bob_is = ann.audit_name, bob.audit_name
    assert entries == [
        ("cli", "user.add", ann_is),
        ("user abc at example.com", "user.role", bob_is),
        ("cli", "user.disable", bob_is),
        (
            "cli",
            "invitation.create",
            f"user {store.user_key('lee@partner.org')[:10]} at partner.org",
        ),
        ("cli", "domain.allow", "example.com"),
        ("cli", "domain.disallow", "example.com"),
        ("cli", "user.forget_accounts", bob_is),
    ]
    # no actor: no entry (sign-in and tests' set-up are not an admin's change)
    store.set_user_role(bob.id, "member")
    assert len(store.audit_entries()) == len(entries)


def test_the_last_enabled_admin_stays(store: Store) -> None:
    ann = store.add_team_user("ann@example.com", "admin")
    for change in (
        lambda: store.set_user_role(ann.id, "lead", actor="cli"),
        lambda: store.set_user_disabled(ann.id, True, actor="cli"),
        lambda: store.add_team_user("ann@example.com", "member", actor="cli"),
    ):
        with pytest.raises(LastAdmin, match="last enabled admin"):
            change()
    assert store.audit_entries() == []
    bea = store.add_team_user("bea@example.com", "admin")
    store.set_user_disabled(bea.id, True)
    with pytest.raises(LastAdmin):  # a disabled admin does not count
        store.set_user_role(ann.id, "member")
    store.set_user_disabled(bea.id, False)
    assert store.set_user_role(ann.id, "member").role == "member"
    with pytest.raises(LastAdmin):
        store.set_user_disabled(bea.id, True)
    with pytest.raises(UnknownUser):
        store.set_user_role(99999, "lead")


def test_disabling_ends_sessions_and_revokes_tokens_once(store: Store) -> None:
    store.add_team_user("ann@example.com", "admin")
    bob = store.add_team_user("bob@example.com", "member")
    store.open_user_session(
        "s1", bob.id, "google", "bob@example.com", TEST_NOW + timedelta(hours=1)
    )
    issue(store, bob.id, scope="read", name="a", days=30, now=TEST_NOW)
    issue(store, bob.id, scope="write", name="b", days=None, now=TEST_NOW)
    store.set_user_disabled(bob.id, True, actor="cli")
    assert store.user_session_count(bob.id) == 0
    assert all(t.revoked_at is not None for t in store.api_tokens(bob.id))
    store.set_user_disabled(bob.id, False, actor="cli")
    assert all(t.revoked_at is not None for t in store.api_tokens(bob.id))
    details = [e.detail for e in reversed(store.audit_entries())]
    assert details == ["1 session(s) ended, 2 token(s) revoked", "enabled"]


def test_the_roster_shows_addresses_and_connected_calendars(store: Store) -> None:
    ann = store.add_team_user("ann@example.com", "admin")
    bob = store.add_team_user("bob@other.org")
    store.upsert_connection("work", user_email="ann@example.com", provider="memory")
    store.upsert_connection(f"u{bob.id}~a", user_email="bob@other.org", provider="memory")
    store.upsert_connection(f"u{bob.id}~b", user_email="bob@other.org", provider="memory")
    rows = store.team_roster()
    assert [(r.user.id, r.email, r.connected) for r in rows] == [
        (ann.id, "ann@example.com", 1),
        (bob.id, "bob@other.org", 2),
    ]
    assert [r.user.id for r in store.team_roster(limit=1, offset=1)] == [bob.id]


def test_a_change_whose_audit_entry_fails_does_not_happen(tmp_path: Path) -> None:
    """One transaction: with the audit table gone the role change rolls back too."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    migrate(url)
    engine = make_engine(url)
    store = Store(engine, TokenCipher(TokenCipher.generate_key()))
    try:
        store.add_team_user("ann@example.com", "admin")
        bob = store.add_team_user("bob@example.com")
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
        with pytest.raises(StoreError):
            store.set_user_role(bob.id, "lead", actor="cli")
        with pytest.raises(StoreError):
            store.allow_domain("example.com", actor="cli")
        bob_now = store.team_user_by_id(bob.id)
        assert bob_now is not None and bob_now.role == "member"
        assert store.allowed_domains() == []
    finally:
        store.close()
