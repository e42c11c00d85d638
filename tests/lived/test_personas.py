"""Personas living a week on the service's schedule (issue 15.8, DESIGN principles 13-14).

The quick scenarios of the "lived week" benchmark (benchmarks/lived.py): Jordan in
New York (week 2026-W11, generated in EST for an EDT week) and Lena in Berlin
(2026-W14, generated in CET for a CEST week, with a two-day busy offsite and Good
Friday on her meeting-free day). Each is generated on Friday 15:00, rebalanced at
07:00 Monday to Friday, with meetings arriving in the busy .ics between runs (on
blocks, on protected focus, in free time, an invitation the owner declined) and the
user dragging and deleting blocks in the calendar file the product writes; every
run goes through ``Runtime.sync`` as ``blocker sync --now`` calls it, and every run
with a cause is repeated ten minutes later.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.lived import QUICK, Lived, Persona, World, live, persona_named


@pytest.fixture(scope="module", params=QUICK, ids=lambda p: f"{p.name}-{p.first_week}")
def lived(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Lived:
    persona: Persona = request.param
    return live(persona, tmp_path_factory.mktemp(persona.name), report=False)


def test_the_scenario_is_lived(lived: Lived) -> None:
    """Generation, a rerun, five mornings; meetings and user edits really happened."""
    labels = [r.label for r in lived.runs]
    assert labels[0] == "weekly" and labels.count("daily") == 5
    assert len(lived.runs[0].created) > 15
    assert sum(lived.events.values()) >= 3, lived.log
    assert any(r.no_cause for r in lived.runs if r.label == "daily")


def test_a_run_repeated_with_nothing_changed_writes_nothing(lived: Lived) -> None:
    again = [r for r in lived.runs if r.label == "again"]
    assert len(again) >= 2
    assert [r.describe() for r in again if r.writes or r.ops] == []


def test_no_block_on_busy_time(lived: Lived) -> None:
    """Not on a meeting the owner accepted (or tentatively, counted busy), not on the
    busy all-day offsite; protected keep blocks under a meeting are reported conflicts."""
    assert [x for r in lived.runs for x in r.on_busy] == []


def test_nothing_that_has_ended_is_deleted_or_moved(lived: Lived) -> None:
    assert [f"{r.moment:%a %H:%M}: {x}" for r in lived.runs for x in r.ended] == []


def test_a_protected_keep_block_is_never_deleted_by_a_run(lived: Lived) -> None:
    """A meeting on part of a keep block is a reported conflict; only an all-day busy
    entry takes its day."""
    assert [f"{r.moment:%a %H:%M}: {x}" for r in lived.runs for x in r.keep_deleted] == []
    assert any(r.conflicts for r in lived.runs)


def test_the_users_moves_and_deletes_stand(lived: Lived) -> None:
    assert [x for r in lived.runs for x in r.undone] == []


def test_no_protected_minutes_lost_and_no_run_errors(lived: Lived) -> None:
    assert [(w.week, w.protected_lost) for w in lived.weeks] == [(lived.persona.first_week, 0)]
    assert [e for r in lived.runs for e in r.errors] == []


@pytest.mark.parametrize("persona", QUICK, ids=lambda p: p.name)
def test_a_persona_world_is_the_same_for_the_same_seed(persona: Persona, tmp_path: Path) -> None:
    first, second = World(persona, tmp_path / "a"), World(persona, tmp_path / "b")
    for name in ("config.yaml", "busy.ics"):
        assert (first.root / name).read_bytes() == (second.root / name).read_bytes()


def test_a_run_with_no_cause_writes_nothing(lived: Lived) -> None:
    """Nothing touching the week happened since its last run (an invitation the owner
    declined is not a cause): the run writes nothing (DESIGN principle 13)."""
    assert [r.describe() for r in lived.runs if r.no_cause and r.writes] == []


def test_no_renewal_prep_is_lost(lived: Lived) -> None:
    """A renewal prep on the calendar is not deleted while its renewal is ahead, unless
    another prep for that account is on the calendar at week end."""
    assert [x for w in lived.weeks for x in w.renewal_lost] == []


OTHER_WEEKS = [("noah-sydney", "2026-W40"), ("kenji-tokyo", "2026-W17")]


@pytest.fixture(scope="module", params=OTHER_WEEKS, ids=lambda p: f"{p[0]}-{p[1]}")
def other(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Lived:
    name, week = request.param
    return live(persona_named(name, week), tmp_path_factory.mktemp(name), report=False)


def test_generation_repeated_ten_minutes_later_writes_nothing(other: Lived) -> None:
    again = [r for r in other.runs if r.label == "again"]
    assert [r.describe() for r in again if r.writes or r.ops] == []


def test_a_protected_keep_block_is_never_deleted_in_other_weeks(other: Lived) -> None:
    assert [f"{r.moment:%a %H:%M}: {x}" for r in other.runs for x in r.keep_deleted] == []
