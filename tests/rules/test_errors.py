"""Located errors: every problem at once, at the exact line and column."""

from __future__ import annotations

from pathlib import Path

from tests.rules.util import problems_of

BROKEN = """\
timezone: America/New_Yrok
owner:
  name: Jordan
  email_domain: [brightpath.example]
working_hours:
  mon: "08:30-17:30"
  tue: "17:30-08:30"
tiers:
  high: {min_arr: 100000, share: [50, 60], cadence: weekly}
  mid: {min_arr: 25000, max_arr: 100000, share: [30, 35], cadence: montly}
  low: {max_arr: 25000, share: [10, 15], cadence: quarterly}
accounts:
  - {name: Acme, arr: 250000}
  - {name: Beta, arr: lots}
rules:
  - kind: lunch
    at: 12:00
  - kind: email_batches
    times: [9:00, 12:30]
  - kind: focus_tme
  - kind: lunch
    id: lunch
    at: 11:00
    minutes: 30
  - kind: wrap_up
    minuts: 10
  - kind: block
    title: Training
    at: 25:00
"""


def test_every_problem_reported_together_with_exact_positions() -> None:
    problems = problems_of(BROKEN)
    assert all(p.file == "t.yaml" for p in problems)
    located = [(p.line, p.column) for p in problems]
    assert located == [
        (1, 11),  # bad zone: the value
        (4, 3),  # unknown key: the key itself
        (7, 8),  # reversed window
        (10, 68),  # bad cadence value inside a flow mapping
        (14, 23),  # bad ARR
        (18, 5),  # email batch 12:30 overlaps lunch 12:00-13:00
        (20, 11),  # unknown kind: at the kind value
        (22, 9),  # duplicate id: at the second rule's id
        (26, 5),  # typo in a rule key
        (29, 9),  # not a time of day
    ]
    messages = [p.message for p in problems]
    assert "unknown time zone 'America/New_Yrok'" in messages[0]
    assert messages[1] == "unknown key 'email_domain' (did you mean 'email_domains'?)"
    assert "ends before it starts" in messages[2]
    assert messages[3].startswith("tiers.mid.cadence:")
    assert "'lots'" in messages[4]
    assert messages[5] == (
        "email_batches: fixed window 12:30-13:00 overlaps 'lunch' on mon, tue, wed, thu, fri"
    )
    assert "unknown rule kind 'focus_tme' (did you mean 'focus_time'?)" in messages[6]
    assert messages[7].startswith("duplicate rule id 'lunch'")
    assert messages[8] == "unknown key 'minuts' (did you mean 'minutes'?)"
    assert "'25:00' is not a time of day" in messages[9]
    assert str(problems[0]).startswith("t.yaml:1:11: ")


def test_tier_shares_that_cannot_reach_100_and_empty_tiers() -> None:
    problems = problems_of(
        """\
        timezone: UTC
        tiers:
          high: {min_arr: 100000, share: [20, 30]}
          low: {share: [10, 20], max_arr: 100000}
        accounts:
          - {name: Small, arr: 1000}
        """
    )
    assert [(p.line, p.column) for p in problems] == [(3, 3), (3, 3)]
    assert {p.message for p in problems} == {
        "tier shares cannot add up to 100 %: they range from 30 to 50 %",
        "tier 'high' has no accounts",
    }


def test_categories_and_unknown_tier_names() -> None:
    problems = problems_of(
        """\
        timezone: UTC
        categories: {proactive: 60, reactive: 30, admin: 20}
        accounts:
          - {name: A, arr: 200000}
          - {name: B, arr: 50000}
          - {name: C, arr: 5000, tier: tiny}
          - {name: D, arr: 5000}
        rules:
          - kind: silent_account
            tiers: [high, medium]
        """
    )
    assert [(p.line, p.column, p.message) for p in problems] == [
        (2, 13, "proactive + reactive + admin must be 100, got 110"),
        (6, 32, "unknown tier 'tiny' (tiers: high, mid, low)"),
        (10, 12, "unknown tier 'medium' (tiers: high, mid, low)"),
    ]


def test_invalid_yaml_syntax_is_located() -> None:
    problems = problems_of("timezone: UTC\nrules:\n  - kind: lunch\n    at: [12:00\n")
    assert len(problems) == 1
    assert (problems[0].line, problems[0].column) == (5, 1)
    assert problems[0].message.startswith("invalid YAML:")


def test_tab_indentation_is_a_yaml_error() -> None:
    problems = problems_of("timezone: UTC\nowner:\n\tname: x\n")
    assert problems[0].line == 3 and problems[0].message.startswith("invalid YAML")


def test_missing_timezone_and_kind() -> None:
    problems = problems_of("rules:\n  - title: what am I\n")
    assert [(p.line, p.column) for p in problems] == [(1, 1), (2, 5)]
    assert problems[0].message == "timezone: required key is missing"
    assert problems[1].message.startswith("rule has no 'kind'")


def test_outside_working_hours_and_day_off() -> None:
    problems = problems_of(
        """\
        timezone: UTC
        working_hours: {mon: "09:00-17:00", sat: null}
        rules:
          - kind: block
            title: Early
            days: [mon, sat]
            at: 7:30
        """
    )
    assert [(p.line, p.column) for p in problems] == [(4, 5), (4, 5)]
    assert {p.message for p in problems} == {
        "block: 07:30-08:00 is outside working hours 09:00-17:00 on mon",
        "block: has no working hours on sat",
    }


def test_csv_problems_are_located_in_the_csv(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "name,arr,tier,renewal_date,health\n"
        "Acme,250000,,2027-01-01,80\n"
        'Globex,"60,000",,2027-02-30,70\n'
        "Initech,cheap,,,\n"
        "Hooli,120000,,,150\n"
        ",5000,,,\n"
        "Umbrella,20000,platinum,,\n"
        "Mid Co,50000,,,\n"
        "Tiny,1000,,,\n"
    )
    problems = problems_of("timezone: UTC\naccounts_file: accounts.csv\n", base_dir=tmp_path)
    csv_file = str(tmp_path / "accounts.csv")
    assert [(p.file, p.line, p.column) for p in problems] == [
        (csv_file, 3, 18),  # impossible date: column of renewal_date (after a quoted cell)
        (csv_file, 4, 9),  # bad ARR
        (csv_file, 5, 16),  # health over 100
        (csv_file, 6, 1),  # empty name
        (csv_file, 7, 16),  # unknown tier override, found after the tiers check
    ]
    assert problems[3].message == "name: Field required"
    assert problems[1].message == (
        "arr: expected an amount like 120000, $120K, 15.000 € or EUR 40k (no digits found)"
    )
    assert problems[4].message.startswith("unknown tier 'platinum'")


def test_csv_header_problems(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("name,revenue\nAcme,1\n")
    problems = problems_of("timezone: UTC\naccounts_file: a.csv\n", base_dir=tmp_path)
    assert [(p.line, p.column) for p in problems] == [(1, 1), (1, 6)]
    assert {p.message for p in problems} == {
        "missing column 'arr'",
        "header cell 2 is not a known column; expected name, arr, currency, tier, "
        "renewal_date, health, previous_health, last_contact, go_live, domains, owner",
    }


def test_missing_accounts_file_is_located_at_the_key(tmp_path: Path) -> None:
    problems = problems_of("timezone: UTC\naccounts_file: nope.csv\n", base_dir=tmp_path)
    assert [(p.file, p.line, p.column) for p in problems] == [("t.yaml", 2, 16)]
    assert "cannot read accounts file" in problems[0].message


def test_default_tiers_without_accounts_say_where_tiers_come_from() -> None:
    problems = problems_of("timezone: UTC\naccounts:\n  - {name: A, arr: 500000}\n")
    assert [(p.line, p.column) for p in problems] == [(1, 1), (1, 1)]
    assert [p.message for p in problems] == [
        "tier 'low' has no accounts (the default tiers; define 'tiers:' to change them)",
        "tier 'mid' has no accounts (the default tiers; define 'tiers:' to change them)",
    ]


def test_accounts_whose_keys_would_collide() -> None:
    problems = problems_of(
        "timezone: UTC\naccounts:\n  - {name: Acme Corp, arr: 500000}\n"
        "  - {name: acme-corp, arr: 50000}\n  - {name: Small, arr: 5}\n"
    )
    assert [(p.line, p.column, p.message) for p in problems] == [
        (
            4,
            12,
            "duplicate account 'acme-corp': the same name as account #1 "
            "apart from case and punctuation; merge the two rows",
        ),
    ]
