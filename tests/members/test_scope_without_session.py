"""Acting for a member without their browser (blocker.members.scope_for_calendar):
what jobs, webhooks and the lead's view use. The address is kept sealed (0013)."""

from __future__ import annotations

from sqlalchemy import select

from blocker.members import (
    MemberRuntime,
    member_scopes,
    parse_store_key,
    scope_for_calendar,
    store_key,
)
from blocker.runtime import Runtime
from blocker.store.tables import User

OVERLAY = "owner:\n  email: {email}\ncalendars:\n  - {{id: work, provider: memory}}\n"


def test_store_keys_parse_back() -> None:
    assert parse_store_key(store_key(42, "work")) == (42, "work")
    assert parse_store_key(store_key(7, "a~b")) == (7, "a~b")
    for bare in ("work", "u~work", "ux~work", "u12~", "12~work", "u-1~work"):
        assert parse_store_key(bare) is None


def test_the_address_is_sealed_and_scopes_resolve_from_a_store_key(runtime: Runtime) -> None:
    ann = runtime.store.add_team_user("ann@team.example", "admin")
    bob = runtime.store.add_team_user("bob@team.example", "member")
    runtime.store.save_overlay(bob.id, OVERLAY.format(email="bob@team.example"))
    with runtime.store._tx() as s:
        sealed = s.scalars(select(User.email_sealed).where(User.id == bob.id)).one()
    assert sealed and "bob@" not in sealed  # kept, but not in clear
    assert runtime.store.user_email(bob.id) == "bob@team.example"
    assert runtime.store.template_owner_id() in (ann.id, None)

    assert scope_for_calendar(runtime, "work") is runtime
    scope = scope_for_calendar(runtime, store_key(bob.id, "work"))
    assert isinstance(scope, MemberRuntime)
    assert scope.owner_email() == "bob@team.example"
    assert scope.calendar_ids() == [store_key(bob.id, "work")]
    planned = [s.calendar_ids() for s in member_scopes(runtime) if s.calendar_ids()]
    assert planned == [[store_key(bob.id, "work")]]
    # a calendar Bob's rules do not have, or another user's key: nobody's
    assert scope_for_calendar(runtime, store_key(bob.id, "other")) is None
    assert scope_for_calendar(runtime, store_key(999, "work")) is None


def test_a_disabled_or_unknown_address_user_is_not_acted_for(runtime: Runtime) -> None:
    runtime.store.add_team_user("ann@team.example", "admin")
    bob = runtime.store.add_team_user("bob@team.example", "member")
    runtime.store.save_overlay(bob.id, OVERLAY.format(email="bob@team.example"))
    runtime.store.set_user_disabled("bob@team.example", True)
    assert scope_for_calendar(runtime, store_key(bob.id, "work")) is None
    assert all(not s.calendar_ids() for s in member_scopes(runtime))
    runtime.store.set_user_disabled("bob@team.example", False)
    with runtime.store._tx() as s:  # a user from before 0013
        s.get(User, bob.id).email_sealed = ""  # type: ignore[union-attr]
    assert runtime.store.user_email(bob.id) is None
    assert scope_for_calendar(runtime, store_key(bob.id, "work")) is None
    # signing in again fills it
    runtime.store.admit("bob@team.example", "google", "sub-bob")
    assert runtime.store.user_email(bob.id) == "bob@team.example"
    assert scope_for_calendar(runtime, store_key(bob.id, "work")) is not None
