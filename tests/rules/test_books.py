"""Books of business (issue 20.4): the rules plan only the owner's own accounts.

An account's ``owner`` (YAML or the CSV ``owner`` column) says whose book it is in;
``owner.email`` says who the rules are for. Accounts without an owner are in every
book, so files without the column plan as before.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from blocker.core.errors import Problem
from rules import Rules, expand_week, parse_rules
from tests.rules.util import problems_of

WEEK = "2026-W49"
MONDAY = date(2026, 11, 30)

TIERS = """\
tiers:
  high: {min_arr: 100000, share: [50, 60], cadence: weekly}
  mid: {min_arr: 25000, max_arr: 100000, share: [30, 35]}
  low: {min_arr: 0, max_arr: 25000, share: [10, 15], cadence: quarterly}
"""

RULES = """\
timezone: America/New_York
owner:
  email: [Dana@Corp.example, dana.alias@corp.example]
  email_domains: [corp.example]
accounts:
  - {name: Acme, arr: 200000, owner: dana@corp.example, renewal_date: 2026-12-31,
     domains: acme.example}
  - {name: Globex, arr: 150000, owner: MAILTO:Sam@Corp.example, renewal_date: 2027-01-01,
     domains: globex.example}
  - {name: Initech, arr: 50000, renewal_date: 2027-01-02, domains: initech.example}
  - {name: Umbrella, arr: 10000, owner: dana.alias@corp.example, domains: umbrella.example}
  - {name: Hooli, arr: 30000, owner: sam@corp.example, domains: hooli.example}
rules:
  - kind: renewal_prep
  - kind: account_time
"""


def load(text: str, tmp: Path | None = None) -> Rules:
    return parse_rules(textwrap.dedent(text) + TIERS, filename="t.yaml", base_dir=tmp)


def names(accounts: object) -> list[str]:
    return sorted(a.name for a in accounts)  # type: ignore[attr-defined]


def test_the_book_is_the_owners_accounts_and_the_unowned_ones() -> None:
    rules = load(RULES)
    assert names(rules.accounts) == ["Acme", "Initech", "Umbrella"]
    assert names(rules.colleague_accounts) == ["Globex", "Hooli"]
    globex = rules.colleague_accounts[0]
    assert globex.owner == "sam@corp.example"  # lower-cased, mailto: dropped
    assert rules.warnings == ()


def test_triggers_and_account_time_fire_only_for_the_book() -> None:
    spec = expand_week(load(RULES), WEEK, today=MONDAY)
    planned = {r.account for r in spec.requests if r.account}
    assert planned and planned <= {"Acme", "Initech", "Umbrella"}
    preps = {r.account for r in spec.requests if r.kind == "renewal_prep"}
    assert preps == {"Acme", "Initech"}  # Globex renews too, but it is Sam's


def test_reassigning_an_account_moves_its_requests_and_keeps_every_key() -> None:
    before = load(RULES)
    after = load(RULES.replace("MAILTO:Sam@Corp.example", "dana@corp.example"))
    assert "Globex" in names(after.accounts)
    spec = expand_week(after, WEEK, today=MONDAY)
    assert "Globex" in {r.account for r in spec.requests if r.kind == "renewal_prep"}
    keys_before = {a.name: a.slug for a in (*before.accounts, *before.colleague_accounts)}
    keys_after = {a.name: a.slug for a in (*after.accounts, *after.colleague_accounts)}
    assert keys_before == keys_after


def test_without_owner_email_every_account_is_yours_and_validate_says_why() -> None:
    text = RULES.replace(
        "  email: [Dana@Corp.example, dana.alias@corp.example]\n", "  name: Dana\n"
    )
    rules = load(text)
    assert len(rules.accounts) == 5 and rules.colleague_accounts == ()
    [warning] = rules.warnings
    assert "4 account(s) name an owner but owner.email is not set" in warning.message
    assert (warning.file, warning.line) == ("t.yaml", 2)


def test_a_book_with_none_of_the_accounts_is_warned_about() -> None:
    text = RULES.replace("[Dana@Corp.example, dana.alias@corp.example]", "nobody@corp.example")
    text = text.replace(
        "renewal_date: 2027-01-02, domains: initech.example", "owner: a@corp.example"
    )
    rules = load(text)
    assert rules.accounts == ()
    [warning] = rules.warnings
    assert warning.message == "none of the 5 accounts is yours: no owner matches owner.email"
    assert (warning.line, warning.column) == (3, 3)


def test_an_owner_outside_your_domains_is_a_located_warning() -> None:
    text = RULES.replace("owner: sam@corp.example", "owner: sam@corp.exmaple")
    rules = load(text)
    [warning] = rules.warnings
    assert warning == Problem(
        "t.yaml",
        12,
        38,
        "owner: the address is outside owner.email_domains; a typo puts the account "
        "in nobody's book",
    )
    # a sub-domain of yours is yours
    assert load(text.replace("corp.exmaple", "eu.corp.example")).warnings == ()


def test_a_bad_owner_is_a_located_error() -> None:
    text = textwrap.dedent(RULES).replace("owner: dana@corp.example,", "owner: dana at corp,")
    [problem] = problems_of(text + TIERS)
    assert (problem.line, problem.column) == (6, 38)
    assert "expected an email address" in problem.message


def test_the_owner_column_of_the_accounts_csv(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "name,arr,owner,domains\n"
        "Acme,200000,dana@corp.example,acme.example\n"
        "Globex,150000,sam@corp.example,globex.example\n"
        "Initech,50000,,initech.example\n"
        "Umbrella,10000,sam@elsewhere.example,umbrella.example\n"
    )
    text = RULES.split("accounts:")[0] + "accounts_file: accounts.csv\n"
    rules = load(text, tmp_path)
    assert names(rules.accounts) == ["Acme", "Initech"]
    assert names(rules.colleague_accounts) == ["Globex", "Umbrella"]
    warning, no_low = rules.warnings  # Umbrella was the book's only low-tier account
    assert (Path(warning.file).name, warning.line, warning.column) == ("accounts.csv", 5, 16)
    assert no_low.message.startswith("tier 'low' has no accounts in your book")
    assert "elsewhere" not in warning.message  # a cell of the file is never quoted


def test_a_bad_owner_cell_is_located_in_the_csv_without_its_value(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("name,arr,owner\nAcme,200000,SECRET-VALUE\n")
    text = RULES.split("accounts:")[0] + "accounts_file: accounts.csv\n" + TIERS
    problems = problems_of(text, base_dir=tmp_path)
    owner = [p for p in problems if p.message.startswith("owner:")]
    assert [(Path(p.file).name, p.line, p.column) for p in owner] == [("accounts.csv", 2, 13)]
    assert all("SECRET" not in p.message for p in problems)


def test_a_goal_naming_a_colleagues_account_is_warned_about_and_planned_unattributed() -> None:
    text = RULES + (
        "  - kind: goals\n"
        "    goals:\n"
        "      - {title: Globex QBR deck, hours: 1, account: Globex}\n"
        "      - {title: Acme QBR deck, hours: 1, account: acme}\n"
    )
    rules = load(text)
    [warning] = rules.warnings
    assert (warning.line, warning.column) == (18, 53)
    assert warning.message.startswith("goal account: in another owner's book")
    goals = [r for r in expand_week(rules, WEEK, today=MONDAY).requests if r.kind == "goals"]
    assert sorted((r.title, r.account) for r in goals) == [
        ("Busy · Goal: Acme QBR deck", "Acme"),
        ("Busy · Goal: Globex QBR deck", None),
    ]


def test_a_tier_with_no_account_in_your_book_is_not_your_target() -> None:
    text = RULES.replace("owner: dana.alias@corp.example", "owner: sam@corp.example")
    rules = load(text)  # Umbrella, the only low-tier account, is Sam's now
    [warning] = rules.warnings
    assert (warning.file, warning.line, warning.column) == ("t.yaml", 19, 3)
    assert warning.message.startswith("tier 'low' has no accounts in your book")
    targets = {
        t.name: (t.target_min, t.target_max) for t in expand_week(rules, WEEK, today=MONDAY).tiers
    }
    assert targets["low"] == (0.0, 0.0)
    # high and mid had midpoints 55 + 32.5 of 100: scaled so that they add up again
    assert targets["high"] == pytest.approx((50 / 87.5, 60 / 87.5))
    assert targets["mid"] == pytest.approx((30 / 87.5, 35 / 87.5))


def test_a_book_holding_every_tier_keeps_the_teams_targets() -> None:
    targets = {
        t.name: (t.target_min, t.target_max)
        for t in expand_week(load(RULES), WEEK, today=MONDAY).tiers
    }
    assert targets == {"high": (0.5, 0.6), "mid": (0.3, 0.35), "low": (0.1, 0.15)}
