"""Amounts in the rules YAML and the accounts CSV: located refusals, number_format,
one currency per book (issue 15.6)."""

from __future__ import annotations

from pathlib import Path

from tests.rules.util import problems_of, rules_from

TIERS = """\
timezone: UTC
tiers:
  high: {min_arr: 100000, share: [50, 60]}
  low: {min_arr: 0, max_arr: 100000, share: [40, 50]}
"""


def test_512_000_in_the_yaml_is_refused_where_it_is_written() -> None:
    problems = problems_of(TIERS + "accounts:\n  - {name: Acme, arr: 512.000}\n")
    assert [(p.file, p.line, p.column) for p in problems] == [("t.yaml", 6, 23)]
    message = problems[0].message
    assert message.startswith("arr: ambiguous amount: '.' before three digits")
    assert "declare number_format: '1.234,56'" in message


def test_a_threshold_written_512_000_is_refused_too() -> None:
    text = TIERS.replace("min_arr: 100000", "min_arr: 100.000")
    problems = problems_of(text + "accounts:\n  - {name: Acme, arr: 5}\n")
    assert [(p.line, p.column) for p in problems] == [(3, 19)]
    assert "ambiguous amount" in problems[0].message


def test_yaml_floats_with_cents_still_load() -> None:
    rules = rules_from(
        TIERS + "accounts:\n  - {name: A, arr: 512.50}\n  - {name: B, arr: 1e6}\n", base=""
    )
    assert [a.arr for a in rules.accounts] == [512.5, 1_000_000]


def test_512_000_in_a_csv_is_refused_at_its_cell_without_echoing_it(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text('name,arr\nAcme,512.000\nGlobex,"120,000"\nInitech,"20,000"\n')
    problems = problems_of(TIERS + "accounts_file: a.csv\n", base_dir=tmp_path)
    assert [(Path(p.file).name, p.line, p.column) for p in problems] == [("a.csv", 2, 6)]
    assert "ambiguous amount" in problems[0].message
    assert "512.000" not in problems[0].message


def test_number_format_reads_a_european_export(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        'name,arr\nAcme,"512.000 €"\nGlobex,"EUR 1.250,50"\nInitech,40k €\n'
    )
    rules = rules_from(
        TIERS.replace("100000", "€100.000") + "number_format: '1.234,56'\naccounts_file: a.csv\n",
        base="",
        base_dir=tmp_path,
    )
    assert rules.currency == "EUR"
    assert [(a.name, a.arr, a.currency, a.tier) for a in rules.accounts] == [
        ("Acme", 512_000, "EUR", "high"),
        ("Globex", 1250.5, "EUR", "low"),
        ("Initech", 40_000, "EUR", "low"),
    ]
    assert rules.tiers["high"].currency == "EUR"
    assert rules.tiers["high"].min_arr == 100_000


def test_yen_thresholds_sort_yen_accounts() -> None:
    rules = rules_from(
        """\
        timezone: Asia/Tokyo
        tiers:
          high: {min_arr: "¥15,000,000", share: [50, 60]}
          low: {min_arr: 0, max_arr: "¥15,000,000", share: [40, 50]}
        accounts:
          - {name: 株式会社テスト, arr: "¥15,000,000"}
          - {name: Small KK, arr: "¥14,999,999"}
        """,
        base="",
    )
    assert rules.currency == "JPY"
    assert [(a.tier, a.currency) for a in rules.accounts] == [("high", "JPY"), ("low", "JPY")]


def test_a_book_that_mixes_currencies_is_refused_at_each_odd_amount() -> None:
    problems = problems_of(
        TIERS
        + "accounts:\n"
        + "  - {name: A, arr: $200K}\n"
        + "  - {name: B, arr: $20K}\n"
        + "  - {name: C, arr: £40K}\n"
    )
    assert [(p.line, p.column, p.message) for p in problems] == [
        (
            8,
            20,
            "ARR of 'C' is in GBP but most amounts of the book are in USD; one book has one "
            "currency: declare 'currency: USD' and convert the others in the CRM export",
        )
    ]


def test_a_declared_currency_refuses_amounts_in_another() -> None:
    problems = problems_of(
        TIERS + "currency: EUR\naccounts:\n  - {name: A, arr: 200000}\n  - {name: B, arr: $20K}\n"
    )
    assert [(p.line, p.message) for p in problems] == [
        (
            8,
            "ARR of 'B' is in USD but the book is in EUR; one book has one currency: "
            "convert it in the CRM export (or change 'currency:')",
        )
    ]


def test_thresholds_in_another_currency_than_the_accounts_are_refused() -> None:
    text = TIERS.replace("min_arr: 100000", "min_arr: $100K")
    problems = problems_of(
        text + "accounts:\n  - {name: A, arr: 200000 EUR}\n  - {name: B, arr: 5}\n"
    )
    assert {(p.line, p.message.split(";")[0]) for p in problems} == {
        (3, "tier 'high' is in USD but most amounts of the book are in EUR"),
    }


def test_a_declared_dollar_is_what_a_bare_dollar_means() -> None:
    rules = rules_from(
        TIERS + "currency: CAD\naccounts:\n  - {name: A, arr: $200K}\n  - {name: B, arr: 5}\n",
        base="",
    )
    assert [a.currency for a in rules.accounts] == ["CAD", "CAD"]


def test_an_account_row_with_two_currencies_is_refused_at_the_amount() -> None:
    problems = problems_of(TIERS + "accounts:\n  - {name: A, arr: £40K, currency: EUR}\n")
    assert [(p.line, p.column) for p in problems] == [(6, 20)]
    assert problems[0].message.startswith("arr: written in GBP but the currency here is EUR")


def test_a_declared_currency_is_an_iso_code() -> None:
    two = "accounts:\n  - {name: A, arr: 5}\n  - {name: B, arr: 500000}\n"
    problems = problems_of(TIERS + "currency: $\n" + two)
    assert [p.message for p in problems] == [
        "currency: unknown currency; use an ISO 4217 code like USD, EUR, GBP or JPY"
    ]
    rules = rules_from(TIERS + "currency: chf\n" + two, base="")
    assert rules.currency == "CHF"


def test_an_unknown_number_format_or_currency_is_one_clear_problem() -> None:
    problems = problems_of(
        TIERS
        + "number_format: '1_234.56'\ncurrency: dollars\n"
        + "accounts:\n  - {name: A, arr: 5}\n  - {name: B, arr: 500000}\n"
    )
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (5, "number_format: unknown number_format"),
        (6, "currency: unknown currency"),
    ]


def test_the_amount_that_fits_no_tier_is_shown_in_its_currency() -> None:
    text = TIERS.replace("min_arr: 0,", "min_arr: 1000,")
    problems = problems_of(
        text
        + "accounts:\n  - {name: A, arr: €500}\n  - {name: B, arr: €1M}\n  - {name: C, arr: €5K}\n"
    )
    assert [p.message for p in problems] == ["ARR €500 of 'A' fits no tier's min_arr/max_arr"]


def test_a_currency_column_of_the_export_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        "name,arr,currency\nAcme,250000,GBP\nGlobex,£20K,\nInitech,30000,EUR\n"
    )
    problems = problems_of(TIERS + "accounts_file: a.csv\n", base_dir=tmp_path)
    assert [(Path(p.file).name, p.line, p.column) for p in problems] == [("a.csv", 4, 9)]
    assert problems[0].message.startswith("ARR of 'Initech' is in EUR but most amounts")
