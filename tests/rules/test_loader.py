"""Loading: the example config, accounts (inline and CSV), YAML quirks, paths."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from rules import load_rules
from rules.kinds.email_batches import EmailBatches
from rules.kinds.lunch import Lunch
from rules.timeparse import TimeRange, WeeklyTime
from tests.rules.util import EXAMPLE, REPO, problems_of, rules_from


def test_example_config_loads_with_everything_the_cli_reads() -> None:
    rules = load_rules(EXAMPLE)
    assert rules.timezone == "America/New_York"
    assert rules.owner.email_domains == ("brightpath.example",)
    assert rules.schedule.generate_at == WeeklyTime("fri", time(15, 0))
    assert rules.schedule.daily_rebalance_at == time(7, 0)
    assert [c.id for c in rules.calendars] == ["local"]
    local = rules.calendars[0]
    assert local.provider == "local" and local.path == "out/calendar.ics"
    assert rules.resolve_path(local.busy[0]) == REPO / "examples" / "busy.ics"
    assert rules.resolve_path(local.busy[0]).is_file()
    assert rules.working_hours.mon == TimeRange(time(8, 30), time(17, 30))
    assert rules.working_hours.sat is None


def test_example_accounts_cover_three_tiers_with_triggers() -> None:
    rules = load_rules(EXAMPLE)
    assert 70 <= len(rules.accounts) <= 100
    by_tier: dict[str | None, int] = {}
    for account in rules.accounts:
        by_tier[account.tier] = by_tier.get(account.tier, 0) + 1
    assert set(by_tier) == {"high", "mid", "low"}
    assert all(count >= 5 for count in by_tier.values())
    assert any(a.go_live and a.go_live.year == 2026 for a in rules.accounts)
    assert any(
        a.previous_health is not None
        and a.health is not None
        and a.previous_health - a.health >= 15
        for a in rules.accounts
    )
    soon = [a for a in rules.accounts if a.renewal_date and a.renewal_date < date(2027, 3, 1)]
    assert len(soon) >= 5
    acme = next(a for a in rules.accounts if a.name == "Acme Corp")
    assert acme.domains == ("acme.example", "acme-corp.example")


def test_tier_by_arr_and_override(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        'name,arr,tier\nBig,$250K,\nMiddle,"60,000",\nSmall,9000,\nStrategic,9000,high\n'
    )
    rules = rules_from("accounts_file: accounts.csv\n", base="timezone: UTC\n", base_dir=tmp_path)
    assert {a.name: a.tier for a in rules.accounts} == {
        "Big": "high",
        "Middle": "mid",
        "Small": "low",
        "Strategic": "high",
    }
    assert {a.name: a.arr for a in rules.accounts}["Middle"] == 60000


def test_unquoted_times_are_times_not_base_60_integers() -> None:
    rules = rules_from(
        """\
        rules:
          - kind: email_batches
            times: [9:00, 13:00]
          - kind: lunch
            at: 11:30
        """
    )
    email, lunch = rules.rules
    assert isinstance(email, EmailBatches) and email.times == (time(9, 0), time(13, 0))
    assert isinstance(lunch, Lunch) and lunch.at == time(11, 30)


def test_norway_is_a_country_not_false() -> None:
    rules = rules_from("", base="timezone: Europe/Oslo\nholidays: {country: NO}\n")
    assert rules.holidays is not None and rules.holidays.country == "NO"


def test_rule_defaults_and_ids() -> None:
    rules = rules_from(
        """\
        rules:
          - kind: block
            id: training
            title: Training
            at: 10:00
          - kind: lunch
        """
    )
    assert [r.rule_id for r in rules.rules] == ["training", "lunch"]


def test_minimal_file_gets_default_tiers_and_working_week() -> None:
    rules = rules_from("", base="timezone: Europe/Berlin\n")
    assert list(rules.tiers) == ["high", "mid", "low"]
    assert rules.tiers["high"].share == (50, 60)
    assert rules.working_hours.fri is not None and rules.working_hours.sun is None
    assert rules.rules == () and rules.accounts == ()


def test_the_file_must_be_a_mapping() -> None:
    problems = problems_of("- just\n- a list\n")
    assert [(p.line, p.column) for p in problems] == [(1, 1)]
    assert "mapping" in problems[0].message


def test_missing_rules_file_is_a_rules_error(tmp_path: Path) -> None:
    from blocker.core.errors import RulesError

    try:
        load_rules(tmp_path / "nope.yaml")
    except RulesError as exc:
        assert "cannot read" in exc.problems[0].message
    else:
        raise AssertionError("expected RulesError")
