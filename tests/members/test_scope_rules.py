"""A user's scope when the template changes under their overlay (blocker.members)."""

from __future__ import annotations

import pytest

from blocker.core.errors import RulesError
from blocker.members import MemberRuntime, scope_for
from blocker.runtime import Runtime
from tests.support.rules import rules_yaml

LATE_DAYS = "working_hours:\n" + "".join(
    f"  {day}: '13:00-17:00'\n" for day in ("mon", "tue", "wed", "thu", "fri")
)


def test_the_last_valid_rules_stay_when_the_template_breaks_an_overlay(
    runtime: Runtime,
) -> None:
    bob = runtime.store.add_team_user("bob@team.example", "member")
    runtime.store.save_overlay(bob.id, LATE_DAYS)
    scope = scope_for(runtime, bob, "bob@team.example")
    assert isinstance(scope, MemberRuntime)
    assert scope.rules.working_hours != runtime.rules.working_hours
    assert scope.calendar_ids() == []  # the template's calendar is not Bob's
    # lunch at 12:00 is outside Bob's 13:00-17:00 days: his overlay no longer fits
    runtime.update_rules(rules_yaml(["{id: work, provider: memory}"], lunch_at="12:00"))
    assert scope_for(runtime, bob, "bob@team.example") is scope
    with pytest.raises(RulesError) as caught:
        scope.update_rules(LATE_DAYS + "# again\n")
    assert any("lunch" in p.message for p in caught.value.problems)
    fixed = scope.update_rules(LATE_DAYS.replace("13:00", "11:00"))
    again = scope_for(runtime, bob, "bob@team.example")
    assert isinstance(again, MemberRuntime) and again.overlay_id == fixed


def test_a_broken_overlay_without_a_last_valid_one_is_refused(runtime: Runtime) -> None:
    cara = runtime.store.add_team_user("cara@team.example", "member")
    runtime.store.save_overlay(cara.id, "timezone: Mars/Olympus\n")
    with pytest.raises(RulesError) as caught:
        scope_for(runtime, cara, "cara@team.example")
    assert str(caught.value.problems[0]).startswith("your overlay:1:")


def test_the_scope_cache_is_bounded_but_keeps_the_last_valid_rules(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import blocker.members as members

    monkeypatch.setattr(members, "MAX_CACHED_SCOPES", 2)
    bob = runtime.store.add_team_user("bob@team.example", "member")
    runtime.store.save_overlay(bob.id, LATE_DAYS)
    bobs = scope_for(runtime, bob, "bob@team.example")
    # the template changes under Bob's overlay: his last valid rules stay in force
    runtime.update_rules(rules_yaml(["{id: work, provider: memory}"], lunch_at="12:00"))
    assert scope_for(runtime, bob, "bob@team.example") is bobs
    others = [runtime.store.add_team_user(f"m{i}@team.example", "member") for i in range(4)]
    first = [scope_for(runtime, u, f"m{i}@team.example") for i, u in enumerate(others)]
    # two fresh scopes kept (the latest used) plus Bob's, which cannot be rebuilt
    assert members.cached_scopes(runtime) == 3
    assert scope_for(runtime, others[3], "m3@team.example") is first[3]
    assert scope_for(runtime, others[2], "m2@team.example") is first[2]
    again = scope_for(runtime, others[0], "m0@team.example")  # evicted: parsed again
    assert again is not first[0]
    assert again.rules == first[0].rules and again.calendar_ids() == first[0].calendar_ids()
    assert scope_for(runtime, bob, "bob@team.example") is bobs
    assert members.cached_scopes(runtime) == 3
