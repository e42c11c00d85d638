"""The store's teams (migration 0014) on SQLite and PostgreSQL: one team per member,
leads need the role, every change audited in its own transaction, bad input refused
with nothing changed."""

from __future__ import annotations

import pytest

from blocker.core.errors import InvalidInput
from blocker.store import Store
from blocker.store.team_groups import UnknownTeam


def _people(store: Store) -> tuple[int, int, int]:
    lead = store.add_team_user("lee@corp.example", "lead").id
    bob = store.add_team_user("bob@corp.example", "member").id
    cara = store.add_team_user("cara@corp.example", "member").id
    return lead, bob, cara


def test_teams_members_and_leads(store: Store) -> None:
    lead, bob, cara = _people(store)
    alpha = store.create_team("  Alpha ", actor="cli")
    assert alpha.name == "Alpha" and alpha.members == () and alpha.leads == ()
    store.create_team("Beta", actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")  # again: no change
    store.add_to_team("Beta", cara, lead=False, actor="cli")
    store.add_to_team("Alpha", lead, lead=True, actor="cli")
    store.add_to_team("Beta", lead, lead=True, actor="cli")  # one lead, two teams
    groups = {g.name: g for g in store.team_groups()}
    assert list(groups) == ["Alpha", "Beta"]
    assert groups["Alpha"].members == (bob,) and groups["Alpha"].leads == (lead,)
    assert groups["Beta"].members == (cara,)
    assert [g.name for g in store.teams_led_by(lead)] == ["Alpha", "Beta"]
    assert store.teams_led_by(bob) == []
    team = store.team_of_member(bob)
    assert team is not None and team.name == "Alpha"
    assert store.team_of_member(lead) is None
    assert store.team_group("Nope") is None


def test_a_member_is_in_one_team_and_a_lead_needs_the_role(store: Store) -> None:
    lead, bob, cara = _people(store)
    store.create_team("Alpha", actor="cli")
    store.create_team("Beta", actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")
    with pytest.raises(InvalidInput, match="in team 'Alpha' already"):
        store.add_to_team("Beta", bob, lead=False, actor="cli")
    with pytest.raises(InvalidInput, match="only a lead or an admin"):
        store.add_to_team("Beta", cara, lead=True, actor="cli")
    with pytest.raises(UnknownTeam):
        store.add_to_team("Gamma", cara, lead=False, actor="cli")
    with pytest.raises(InvalidInput, match="exists already"):
        store.create_team("Alpha", actor="cli")
    for bad in ("", "   ", "x" * 65, "tab\there"):
        with pytest.raises(InvalidInput):
            store.create_team(bad, actor="cli")
    groups = {g.name: g for g in store.team_groups()}
    assert list(groups) == ["Alpha", "Beta"]  # nothing changed by the refusals
    assert groups["Alpha"].members == (bob,) and groups["Beta"].members == ()
    assert groups["Beta"].leads == ()
    assert store.add_to_team("Beta", lead, lead=True, actor="cli").leads == (lead,)


def test_remove_delete_and_cascades(store: Store) -> None:
    lead, bob, cara = _people(store)
    store.create_team("Alpha", actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")
    store.add_to_team("Alpha", lead, lead=True, actor="cli")
    assert store.remove_from_team("Alpha", lead, actor="cli")
    assert not store.remove_from_team("Alpha", cara, actor="cli")
    assert store.teams_led_by(lead) == []
    store.add_to_team("Alpha", cara, lead=False, actor="cli")
    store.delete_team("Alpha", actor="cli")
    assert store.team_groups() == [] and store.team_of_member(bob) is None
    with pytest.raises(UnknownTeam):
        store.delete_team("Alpha", actor="cli")
    store.create_team("Beta", actor="cli")
    store.add_to_team("Beta", bob, lead=False, actor="cli")  # free to join another now
    assert store.team_of_member(bob) is not None


def test_every_change_is_audited_and_refusals_are_not(store: Store) -> None:
    lead, bob, cara = _people(store)
    store.create_team("Alpha", actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")
    store.add_to_team("Alpha", bob, lead=False, actor="cli")  # no change, no entry
    store.add_to_team("Alpha", lead, lead=True, actor="admin x")
    with pytest.raises(InvalidInput):
        store.add_to_team("Alpha", cara, lead=True, actor="cli")
    store.remove_from_team("Alpha", bob, actor="cli")
    store.delete_team("Alpha", actor="cli")
    entries = list(reversed(store.audit_entries()))
    assert [(e.actor, e.action) for e in entries] == [
        ("cli", "team.create"),
        ("cli", "team.member.add"),
        ("admin x", "team.lead.add"),
        ("cli", "team.remove"),
        ("cli", "team.delete"),
    ]
    bob_user = store.team_user_by_id(bob)
    assert bob_user is not None
    assert entries[1].target == f"user {bob_user.fingerprint} at corp.example"
    assert entries[1].detail == "team Alpha"
    assert all("@" not in e.target + e.detail for e in entries)  # no address kept


class _AuditFails(Store):
    """The store with an audit log that fails after the change was made."""

    def record_audit(self, actor: str, action: str, target: str = "", detail: str = "") -> int:
        super().record_audit(actor, action, target, detail)
        raise RuntimeError("the audit write failed")


def test_a_change_and_its_entry_commit_together(store: Store) -> None:
    """The audit entry is written in the change's transaction: when it fails, the
    change is rolled back with it (and a change is never left unaudited)."""
    lead, bob, _ = _people(store)
    store.create_team("Alpha", actor="cli")
    failing = _AuditFails(store.engine, store._cipher)
    with pytest.raises(RuntimeError, match="audit write failed"):
        failing.create_team("Beta", actor="cli")
    with pytest.raises(RuntimeError):
        failing.add_to_team("Alpha", bob, lead=False, actor="cli")
    with pytest.raises(RuntimeError):
        failing.add_to_team("Alpha", lead, lead=True, actor="cli")
    assert [g.name for g in store.team_groups()] == ["Alpha"]
    assert store.team_of_member(bob) is None and store.teams_led_by(lead) == []
    assert [e.action for e in store.audit_entries()] == ["team.create"]
