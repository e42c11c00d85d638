"""`blocker validate` on the rules fields for weeks that are not ordinary: every
mistake located as FILE:LINE:COL, a misspelt choice with "did you mean"."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run

BROKEN = """\
timezone: America/New_York
rules:
  - kind: meeting_free_day
    fallback: next_workday
  - kind: weekly_review
    day: last_workingday
  - kind: focus_time
    preferred: ["09:00-11:00", "10:30-12:00"]
  - kind: goals
    goals:
      - {title: Deck, hours: 2, per: quartr}
      - {title: Memo, hours: 1, month: 2026-13}
"""


def test_validate_locates_every_new_field_mistake(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(BROKEN)
    result = run(tmp_path, "validate", "--config", "rules.yaml")
    assert result.returncode == 2
    located = [line for line in result.stderr.splitlines() if line.startswith("rules.yaml:")]
    assert len(located) == 5, result.stderr
    fallback, day, preferred, per, month = located
    assert fallback.startswith("rules.yaml:4:15: ")
    assert fallback.endswith("did you mean 'next_working_day'?)")
    assert day.startswith("rules.yaml:6:10: ")
    assert day.endswith("did you mean 'last_working_day'?)")
    assert preferred.startswith("rules.yaml:8:16: ")
    assert "window #2 10:30-12:00 overlaps 09:00-11:00" in preferred
    assert per.startswith("rules.yaml:11:38: ") and per.endswith("did you mean 'quarter'?)")
    assert month.startswith("rules.yaml:12:40: ") and "invalid month '2026-13'" in month
