"""``blocker team create|add|remove|list|delete`` and ``blocker team report --team`` in
a real process (issue 20.5): the store's teams, each member from their own scope,
no meeting detail in any format, bad input refused with nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from blocker.core.weeks import week_dates
from blocker.members import store_key
from blocker.store import TokenCipher, open_store
from tests.members.conftest import OVERLAY, WEEK, Person, ics
from tests.support.clock import now_arg, subprocess_env
from tests.support.rules import rules_yaml
from tests.team.conftest import FOCUS, MARK, calendar

BLOCKER = Path(sys.executable).parent / "blocker"


@dataclass
class Deployment:
    root: Path
    key: str
    bob: Person
    cara: Person

    def run(self, *args: str, code: int = 0, stdout: bool = False) -> str:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")},
            **subprocess_env(),
            "BLOCKER_DATABASE_URL": f"sqlite:///{self.root / 'blocker.db'}",
            "BLOCKER_ENCRYPTION_KEY": self.key,
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            [str(BLOCKER), *args], cwd=self.root, env=env, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        out = done.stdout + done.stderr
        assert done.returncode == code, out
        return done.stdout if stdout else out

    def report(self, fmt: str, team: str = "Alpha") -> str:
        return self.run(
            "team", "report", "--team", team, "--config", "rules.yaml", "--week", WEEK,
            "--now", now_arg(), "--format", fmt, stdout=True,
        )  # fmt: skip


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    """Ann (admin, the template's calendar), Bob and Cara (members, own calendars),
    Lee (a lead); users made with ``blocker user add``, overlays in the store."""
    tuesday = week_dates(WEEK)[1]
    (tmp_path / "rules.yaml").write_text(
        rules_yaml(["{id: work, provider: local, path: team.ics}"]), encoding="utf-8"
    )
    (tmp_path / "team.ics").write_text(ics("Ann team sync", tuesday, 14), encoding="utf-8")
    deployment = Deployment(
        tmp_path,
        TokenCipher.generate_key(),
        Person("bob@team.example", "Bob", "Bob renewal with Acme"),
        Person("cara@team.example", "Cara", "Cara escalation with Globex"),
    )
    deployment.run("user", "add", "--admin", "ann@team.example")
    deployment.run("user", "add", "--role", "lead", "lee@team.example")
    store = open_store(f"sqlite:///{tmp_path / 'blocker.db'}", TokenCipher(deployment.key))
    try:
        for person in (deployment.bob, deployment.cara):
            person.user_id = store.add_team_user(person.email, "member").id
            overlay = OVERLAY.format(name=person.name, email=person.email) + FOCUS
            store.save_overlay(person.user_id, overlay)
            folder = tmp_path / "members" / f"u{person.user_id}"
            folder.mkdir(parents=True)
            (folder / "work.ics").write_text(calendar(person, tuesday, 10), encoding="utf-8")
    finally:
        store.close()
    return deployment


def test_manage_teams_and_report_from_the_store(deployment: Deployment) -> None:
    run = deployment.run
    assert "team 'Alpha' created" in run("team", "create", "Alpha")
    run("team", "create", "Beta")
    run("team", "add", "Alpha", deployment.bob.email)
    run("team", "add", "Alpha", deployment.cara.email)
    assert "leads team 'Alpha'" in run("team", "add", "Alpha", "lee@team.example", "--lead")
    teams = json.loads(run("team", "list", "--format", "json"))
    assert [t["name"] for t in teams] == ["Alpha", "Beta"]
    assert len(teams[0]["members"]) == 2 and len(teams[0]["leads"]) == 1
    assert all("@" not in who for t in teams for who in t["members"] + t["leads"])

    data = json.loads(deployment.report("json"))
    assert data["team"] == "Alpha" and data["week"] == WEEK
    rows = {m["member"]: m for m in data["members"]}
    assert set(rows) == {deployment.bob.email, deployment.cara.email}
    for row in rows.values():
        assert row["no_data"] is None and row["focus"]["asked_minutes"] > 0
        assert len(row["trend"]) == 8
    for fmt in ("json", "table", "html"):
        text = deployment.report(fmt)
        assert MARK not in text.lower(), fmt
        for title in (deployment.bob.meeting, deployment.cara.meeting, "Ann team sync"):
            assert title not in text, fmt
        assert deployment.bob.email in text and "Alpha" in text
    empty = json.loads(deployment.report("json", "Beta"))
    assert empty["members"] == []

    assert "removed" in run("team", "remove", "Alpha", deployment.cara.email)
    rows = json.loads(deployment.report("json"))["members"]
    assert [m["member"] for m in rows] == [deployment.bob.email]
    run("team", "delete", "Beta")
    assert [t["name"] for t in json.loads(run("team", "list", "--format", "json"))] == ["Alpha"]

    store = open_store(f"sqlite:///{deployment.root / 'blocker.db'}", TokenCipher(deployment.key))
    try:
        actions = [e.action for e in reversed(store.audit_entries()) if e.actor == "cli"]
    finally:
        store.close()
    assert [a for a in actions if a.startswith("team.")] == [
        "team.create",
        "team.create",
        "team.member.add",
        "team.member.add",
        "team.lead.add",
        "team.remove",
        "team.delete",
    ]


def test_bad_input_is_refused_and_changes_nothing(deployment: Deployment) -> None:
    run = deployment.run
    run("team", "create", "Alpha")
    run("team", "create", "Beta")
    run("team", "add", "Alpha", deployment.bob.email)
    assert "exists already" in run("team", "create", "Alpha", code=2)
    assert "in team 'Alpha' already" in run("team", "add", "Beta", deployment.bob.email, code=2)
    assert "only a lead or an admin" in run(
        "team", "add", "Beta", deployment.cara.email, "--lead", code=2
    )
    assert "no team named 'Gamma'" in run("team", "add", "Gamma", deployment.bob.email, code=2)
    assert "no user with that address" in run("team", "add", "Beta", "nobody@team.example", code=2)
    assert "no team named 'Gamma'" in run(
        "team", "report", "--team", "Gamma", "--config", "rules.yaml", "--week", WEEK, code=2
    )
    assert "not both" in run("team", "report", "--team", "Alpha", "--member", "rules.yaml", code=2)
    assert "was not in team" in run("team", "remove", "Beta", deployment.bob.email, code=1)
    teams = json.loads(run("team", "list", "--format", "json"))
    assert [(t["name"], len(t["members"]), len(t["leads"])) for t in teams] == [
        ("Alpha", 1, 0),
        ("Beta", 0, 0),
    ]


def test_a_member_not_readable_is_a_row_without_data(deployment: Deployment) -> None:
    deployment.run("team", "create", "Alpha")
    deployment.run("team", "add", "Alpha", deployment.bob.email)
    deployment.run("team", "add", "Alpha", deployment.cara.email)
    folder = deployment.root / "members" / f"u{deployment.cara.user_id}"
    (folder / "work.ics").write_bytes(b"\x00 not a calendar")
    rows = {m["member"]: m for m in json.loads(deployment.report("json"))["members"]}
    assert rows[deployment.cara.email]["no_data"] == "calendar not readable"
    assert rows[deployment.bob.email]["no_data"] is None
    table = deployment.report("table")
    assert "no data: calendar not readable" in table
    assert store_key(deployment.cara.user_id, "work") not in table
