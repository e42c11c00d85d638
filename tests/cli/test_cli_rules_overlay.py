"""``blocker rules export|import --user EMAIL``: a member's overlay from the command
line, validated with the team template, in-process through typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from blocker.cli import app
from blocker.store import TokenCipher, open_store
from tests.support.rules import rules_yaml

OVERLAY = """\
owner:
  name: Bob
calendars:
  - {id: work, provider: local, path: work.ics}
rules:
  - {kind: wrap_up, disabled: true}
"""


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "BLOCKER_DATABASE_URL": f"sqlite:///{tmp_path / 'team.db'}",
        "BLOCKER_RULES_PATH": str(tmp_path / "rules.yaml"),
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_import_then_export_a_members_overlay(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(rules_yaml(["{id: work, provider: memory}"]))
    (tmp_path / "bob.yaml").write_text(OVERLAY)
    assert _run(tmp_path, "user", "add", "bob@team.example")[0] == 0
    code, out = _run(tmp_path, "rules", "import", "--user", "bob@team.example", "bob.yaml")
    assert code == 2 and "cannot read" in out  # relative to the cwd: absent
    code, out = _run(
        tmp_path, "rules", "import", "--user", "bob@team.example", str(tmp_path / "bob.yaml")
    )
    assert code == 0, out
    assert "overlay version" in out
    code, out = _run(tmp_path, "rules", "export", "--user", "bob@team.example")
    assert (code, out) == (0, OVERLAY)
    code, out = _run(tmp_path, "rules", "export", "--user", "bob@team.example", "--effective")
    assert code == 0 and "name: Bob" in out and "wrap_up" not in out and "kind: lunch" in out
    store = open_store(f"sqlite:///{tmp_path / 'team.db'}", TokenCipher(TokenCipher.generate_key()))
    try:
        bob = store.team_user("bob@team.example")
        assert bob is not None
        assert store.get_connection(f"u{bob.id}~work") is not None
    finally:
        store.close()


def test_an_invalid_overlay_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(rules_yaml(["{id: work, provider: memory}"]))
    (tmp_path / "bad.yaml").write_text("timezone: UTC\nworking_hours:\n  mon: nine to five\n")
    assert _run(tmp_path, "user", "add", "bob@team.example")[0] == 0
    code, out = _run(
        tmp_path, "rules", "import", "--user", "bob@team.example", str(tmp_path / "bad.yaml")
    )
    assert code == 2
    assert "your overlay:3:" in out
    code, out = _run(tmp_path, "rules", "export", "--user", "bob@team.example")
    assert (code, out) == (0, "")


def test_an_unknown_user_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(rules_yaml(["{id: work, provider: memory}"]))
    code, out = _run(tmp_path, "rules", "export", "--user", "nobody@team.example")
    assert code == 2 and "no user" in out


def test_the_template_owner_edits_the_template_not_an_overlay(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(rules_yaml(["{id: work, provider: memory}"]))
    (tmp_path / "mine.yaml").write_text("timezone: UTC\n")
    assert _run(tmp_path, "user", "add", "--admin", "boss@team.example")[0] == 0
    code, out = _run(
        tmp_path, "rules", "import", "--user", "boss@team.example", str(tmp_path / "mine.yaml")
    )
    assert code == 2 and "owns the team template" in out
    code, out = _run(tmp_path, "rules", "export", "--user", "boss@team.example", "--effective")
    assert code == 0 and "{id: work, provider: memory}" in out
