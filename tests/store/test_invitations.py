"""Cancelling invitations at the store (SQLite and PostgreSQL): by address or by key,
audited with the actor in the cancel's own transaction (no entry, no cancel); one
already taken by its sign-in is refused and says what to do; an unknown one is
refused; an expired one can still be cleared."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from blocker.core.errors import StoreError
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.invitations import InvitationUsed, UnknownInvitation
from tests.support.clock import TEST_NOW

LATER = TEST_NOW + timedelta(days=3)


def test_cancel_by_address_or_key_and_the_audit_names_neither(store: Store) -> None:
    store.invite("lee@partner.org", "lead", LATER)
    store.invite("max@partner.org", "member", LATER)
    lee, max_key = store.user_key("lee@partner.org"), store.user_key("max@partner.org")
    assert {(i.key, i.domain, i.role) for i in store.open_invitations()} == {
        (lee, "partner.org", "lead"),
        (max_key, "partner.org", "member"),
    }
    gone = store.cancel_invitation("Lee@Partner.org", actor="cli")
    assert (gone.key, gone.role) == (lee, "lead")
    assert store.cancel_invitation(max_key, actor="user abc at example.com").role == "member"
    assert store.open_invitations() == [] and store.invitations() == []
    entries = [(e.actor, e.action, e.target) for e in reversed(store.audit_entries())]
    assert entries == [
        ("cli", "invitation.cancel", f"user {lee[:10]} at partner.org"),
        ("user abc at example.com", "invitation.cancel", f"user {max_key[:10]} at partner.org"),
    ]
    assert store.audit_entries()[0].detail == f"role member, was open until {LATER:%Y-%m-%d}"
    assert store.admit("lee@partner.org", "google", "lee-sub").refusal == "not_allowed"


def test_a_taken_invitation_and_an_unknown_one_are_refused(store: Store) -> None:
    store.invite("lee@partner.org", "lead", LATER)
    assert store.admit("lee@partner.org", "google", "lee-sub").invited
    with pytest.raises(InvitationUsed, match=r"at partner.org has joined already \(as lead\)"):
        store.cancel_invitation("lee@partner.org", actor="cli")
    with pytest.raises(InvitationUsed) as used:
        store.cancel_invitation(store.user_key("lee@partner.org"), actor="cli")
    assert "disable" in used.value.user_message()
    with pytest.raises(UnknownInvitation, match=r"no open invitation for user \w+ at nowhere\.org"):
        store.cancel_invitation("who@nowhere.org", actor="cli")
    with pytest.raises(UnknownInvitation, match="no open invitation with that key"):
        store.cancel_invitation("0" * 64, actor="cli")
    with pytest.raises(UnknownInvitation, match=re.escape("no invitation with the key 'x/../y'")):
        store.cancel_invitation("x/../y", actor="cli")
    assert store.audit_entries() == []


def test_an_expired_invitation_can_still_be_cleared(store: Store) -> None:
    store.invite("old@partner.org", "member", TEST_NOW - timedelta(days=1))
    assert store.open_invitations() == []  # not open: listed nowhere
    assert store.cancel_invitation("old@partner.org", actor="cli").domain == "partner.org"
    with pytest.raises(UnknownInvitation):
        store.cancel_invitation("old@partner.org", actor="cli")


def test_a_cancel_whose_audit_entry_fails_does_not_happen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    migrate(url)
    engine = make_engine(url)
    store = Store(engine, TokenCipher(TokenCipher.generate_key()))
    try:
        store.invite("lee@partner.org", "lead", LATER)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
        with pytest.raises(StoreError):
            store.cancel_invitation("lee@partner.org", actor="cli")
        assert [i.domain for i in store.open_invitations()] == ["partner.org"]
    finally:
        store.close()
