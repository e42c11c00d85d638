"""Amounts as CRMs write them (issue 15.6): number formats, currencies, K/M suffixes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal, parse_decimal
from hypothesis import given
from hypothesis import strategies as st

from rules.money import (
    NUMBER_FORMATS,
    Amount,
    AmountError,
    _separators,
    format_amount,
    number_locale,
    parse_amount,
)


@pytest.mark.parametrize(
    ("text", "number_format", "value", "currency"),
    [
        ("120000", None, "120000", None),
        ("120,000", None, "120000", None),
        ("$120,000", None, "120000", "USD"),
        ("$1.2M", None, "1200000", "USD"),
        ("£40K", None, "40000", "GBP"),
        ("EUR 40k", None, "40000", "EUR"),
        ("40k EUR", None, "40000", "EUR"),
        ("¥15,000,000", None, "15000000", "JPY"),
        ("CN¥ 2,000,000", None, "2000000", "CNY"),
        ("USD 1,234.56", None, "1234.56", "USD"),
        ("5 MXN", None, "5", "MXN"),
        ("120_000", None, "120000", None),
        ("1.2E+06", None, "1.2E+6", None),
        ("15.000 €", "1.234,56", "15000", "EUR"),
        ("1.234,56 €", "1.234,56", "1234.56", "EUR"),
        ("512.000", "1.234,56", "512000", None),
        ("1 234 567,5", "1 234,56", "1234567.5", None),
        ("1\u00a0234,56 €", "1 234,56", "1234.56", "EUR"),
        ("₹1,20,00,000", "1,23,456.78", "12000000", "INR"),
        ("120 000 $US", "fr_FR", "120000", "USD"),
    ],
)
def test_amounts_as_crms_write_them(
    text: str, number_format: str | None, value: str, currency: str | None
) -> None:
    assert parse_amount(text, number_format) == Amount(Decimal(value), currency)


def test_a_bare_dollar_is_the_declared_dollar() -> None:
    assert parse_amount("$120K", book="CAD").currency == "CAD"
    assert parse_amount("$120K", book="EUR").currency == "USD"
    assert parse_amount("¥1M", book="CNY").currency == "CNY"


@pytest.mark.parametrize(
    ("text", "number_format", "says"),
    [
        ("512.000", None, "ambiguous amount: '.' before three digits"),
        ("15.000 €", None, "declare number_format: '1.234,56'"),
        ("512,000", "1.234,56", "declare number_format: '1,234.56'"),
        ("9,876,54", None, "not an amount in the number format 1,234.56"),
        ("9 876", None, "spaces inside an amount, but the number format is 1,234.56"),
        ("$5 EUR", None, "two currency markers"),
        ("5 dollars", None, "unknown currency or suffix"),
        ("1e5 EUR", None, "unknown currency or suffix"),
        ("lots", None, "no digits found"),
        ("12_3.5", None, "'_' inside an amount"),
    ],
)
def test_ambiguous_or_unreadable_amounts_are_refused(
    text: str, number_format: str | None, says: str
) -> None:
    with pytest.raises(AmountError, match=None) as caught:
        parse_amount(text, number_format)
    assert says in str(caught.value)
    assert text not in str(caught.value)  # an accounts cell is never echoed


def test_an_unknown_number_format_says_which_are_known() -> None:
    with pytest.raises(AmountError) as caught:
        number_locale("1_234.56")
    assert "'1.234,56'" in str(caught.value)
    assert "de_CH" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "currency", "number_format", "shown"),
    [
        (120000, "USD", None, "$120,000"),
        (1234.5, "GBP", None, "£1,234.5"),
        (15000000, "JPY", None, "¥15,000,000"),
        (15000, "EUR", "1.234,56", "15.000\u00a0€"),
        (120000, None, None, "120,000"),
    ],
)
def test_amounts_are_shown_with_their_currency(
    value: float, currency: str | None, number_format: str | None, shown: str
) -> None:
    assert format_amount(value, currency, number_format) == shown


_whole = st.integers(min_value=0, max_value=10**12).map(Decimal)
_cents = st.integers(min_value=0, max_value=10**12).map(lambda c: Decimal(c) / 100)


@given(
    amount=st.one_of(_whole, _cents),
    number_format=st.sampled_from(sorted(NUMBER_FORMATS)),
    grouped=st.booleans(),
)
def test_round_trip_of_numbers_formatted_in_each_format(
    amount: Decimal, number_format: str, grouped: bool
) -> None:
    """What CLDR writes in a format (its own grouping: 1,23,456 in India) reads back as
    the same number in that format."""
    locale = number_locale(number_format)
    text = format_decimal(amount, None if grouped else "0.##", locale=locale)
    assert parse_amount(text, number_format).value == amount


@given(
    amount=st.one_of(_whole, _cents),
    number_format=st.sampled_from(sorted(NUMBER_FORMATS)),
    currency=st.sampled_from(["USD", "EUR", "GBP", "JPY", "CHF", "INR", "CAD", "BRL"]),
)
def test_round_trip_of_amounts_as_the_product_shows_them(
    amount: Decimal, number_format: str, currency: str
) -> None:
    """Every amount the product prints can be pasted back into the rules."""
    text = format_amount(float(amount), currency, number_format)
    assert parse_amount(text, number_format) == Amount(amount, currency)


@given(
    amount=st.integers(min_value=1, max_value=999_999),
    suffix=st.sampled_from(["K", "k", "M", "m", "B", "b"]),
    tenths=st.integers(min_value=0, max_value=9),
)
def test_magnitude_suffixes(amount: int, suffix: str, tenths: int) -> None:
    scale = {"K": 10**3, "M": 10**6, "B": 10**9}[suffix.upper()]
    parsed = parse_amount(f"${amount}.{tenths}{suffix}")
    assert parsed == Amount((Decimal(amount) + Decimal(tenths) / 10) * scale, "USD")


@given(
    number_format=st.sampled_from(["1,234.56", "1.234,56", "1 234,56"]),
    text=st.text(alphabet="0123456789.,\u202f", min_size=1, max_size=16),
)
def test_the_fast_path_reads_exactly_what_babel_reads(number_format: str, text: str) -> None:
    """Correctly grouped numbers skip babel's (slow) strict parse: same result."""
    locale, _, _, canonical = _separators(number_format)
    assert canonical is not None
    if not canonical.match(text):
        return
    try:
        ours = parse_amount(text, number_format).value
    except AmountError as refused:  # refused before either path: "0.000" is ambiguous
        assert str(refused).startswith("ambiguous amount")
        return
    assert parse_decimal(text, locale, strict=True) == ours
