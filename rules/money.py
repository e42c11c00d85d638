"""Amounts as CRMs write them: ``$1.2M``, ``15.000 €``, ``¥15,000,000``, ``EUR 40k``.

An export says nothing about its number format, and ``512.000`` is 512 in one
convention and 512 thousand in another. The rules may declare ``number_format``
(a sample like ``1.234,56`` or a locale like ``de_CH``); the default is
``1,234.56``. Digits and separators are read by babel's strict CLDR parser (it
refuses misplaced grouping); by hand here is only what no library reads: the
currency marker around the number and a K/M/B magnitude suffix. A decimal
separator followed by exactly three digits, with no grouping, is refused in every
format: money has 0 or 2 decimals, so that is a thousands separator from the
other convention, and guessing would put an account in the wrong tier.

Messages never quote the amount: an accounts file may be any file of the data
directory (see ``rules.accounts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
    parse_pattern,
)

NUMBER_FORMATS: dict[str, str] = {
    "1,234.56": "en_US",
    "1.234,56": "de_DE",
    "1 234,56": "fr_FR",
    "1,23,456.78": "en_IN",
}
"""The ``number_format`` samples the rules accept, and the CLDR locale of each."""

DEFAULT_FORMAT = "1,234.56"

_MAGNITUDES = {"K": Decimal(1_000), "M": Decimal(1_000_000), "B": Decimal(1_000_000_000)}
_SPACES = " \u00a0\u202f\u2009"
_APOSTROPHES = "'\u2019"
_AMOUNT = re.compile(
    r"^(?P<pre>[^\d+\-.,]*?)\s*"
    r"(?P<num>[+-]?[\d.,'\u2019 \u00a0\u202f\u2009_]*\d[.,]?)\s*"
    r"(?P<post>.*)$",
    re.DOTALL,
)
_PLAIN = re.compile(r"^[+-]?\d+(?:_\d+)*$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d{1,2}$")
"""``1.2E+06``: how a spreadsheet writes a large cell it was not told to format."""


class AmountError(ValueError):
    """An amount that cannot be read safely; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Amount:
    """A parsed amount and the ISO 4217 code it was written with (None: unmarked)."""

    value: Decimal
    currency: str | None


def number_locale(number_format: str | None) -> Locale:
    """The babel locale of a ``number_format`` sample or locale identifier."""
    name = NUMBER_FORMATS.get(number_format or DEFAULT_FORMAT)
    if name is not None:
        return _locale(name)
    try:
        return _locale(str(number_format))
    except (UnknownLocaleError, ValueError, TypeError):
        samples = ", ".join(repr(s) for s in NUMBER_FORMATS)
        raise AmountError(
            f"unknown number_format; write how your CRM prints one thousand two hundred "
            f"and thirty-four and a half: one of {samples}, or a locale like 'de_CH'"
        ) from None


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def check_number_format(value: str | None) -> str | None:
    """Validator for the rules' ``number_format``."""
    if value is not None:
        number_locale(value)
    return value


def usable_number_format(value: object) -> str | None:
    """The declared number format, or None (the default) when it is not one: the
    rules model reports that once, instead of every amount failing with it."""
    try:
        return check_number_format(value) if isinstance(value, str) else None
    except AmountError:
        return None


def usable_currency(value: object) -> str | None:
    """The declared currency, or None when it is not one (reported by the model)."""
    try:
        return check_currency(value) if isinstance(value, str) else None
    except AmountError:
        return None


@cache
def _symbols(locale: str = "en") -> dict[str, str]:
    """Currency symbol -> ISO code, from CLDR's English symbols (``$`` USD, ``CA$``
    CAD, ``¥`` JPY, ``CN¥`` CNY, ``€`` EUR), then those of the number format's locale
    (``$US`` in French); ISO codes map to themselves."""
    table: dict[str, str] = {}
    codes = sorted(list_currencies())
    for code in codes:
        table[code] = code
    for name in dict.fromkeys(("en", locale)):
        for code in codes:
            symbol = get_currency_symbol(code, name).replace("\u202f", " ")
            table.setdefault(symbol, code)
    return table


def currency_code(text: str, book: str | None = None, locale: str = "en") -> str | None:
    """The ISO code of a currency marker (``€``, ``eur``, ``US$``), or None if unknown.

    A bare symbol that ends the book's own symbol means the book's currency: with
    ``currency: CAD``, ``$`` is CA$; with ``currency: CNY``, ``¥`` is CN¥.
    """
    marker = text.strip()
    if not marker:
        return None
    if book is not None and marker in {"$", "¥", "£", "kr"}:
        own = get_currency_symbol(book, "en")
        if own.endswith(marker):
            return book
    symbols = _symbols(locale)
    if marker.upper() in symbols and marker.upper() == symbols[marker.upper()]:
        return marker.upper()
    if marker == "US$":
        return "USD"
    return symbols.get(marker)


def check_currency(value: str | None) -> str | None:
    """Validator for a declared ISO 4217 currency code."""
    if value is None:
        return None
    code = value.strip().upper()
    if _symbols().get(code) != code:  # a code, not a symbol ("$" is refused: which one?)
        raise AmountError("unknown currency; use an ISO 4217 code like USD, EUR, GBP or JPY")
    return code


def parse_amount(text: str, number_format: str | None = None, book: str | None = None) -> Amount:
    """Read one amount as a CRM writes it; :class:`AmountError` says why not.

    ``book`` is the declared currency (``$`` means it when it is a dollar)."""
    if _PLAIN.match(text.strip()):
        return Amount(Decimal(text.strip().replace("_", "")), None)
    if _SCIENTIFIC.match(text.strip()):
        return Amount(Decimal(text.strip()), None)
    match = _AMOUNT.match(text.strip())
    if match is None:
        raise AmountError(
            "expected an amount like 120000, $120K, 15.000 € or EUR 40k (no digits found)"
        )
    pre, num, post = match["pre"].strip(), match["num"], match["post"].strip()
    where = NUMBER_FORMATS.get(number_format or DEFAULT_FORMAT) or str(number_format)
    magnitude = Decimal(1)
    currency: str | None = None
    if post:
        currency = currency_code(post, book, where)
        if currency is None and post[0].upper() in _MAGNITUDES:
            magnitude = _MAGNITUDES[post[0].upper()]
            rest = post[1:].strip()
            currency = currency_code(rest, book, where) if rest else None
            if rest and currency is None:
                raise _unknown_currency()
        elif currency is None:
            raise _unknown_currency()
    if pre:
        if currency is not None:
            raise AmountError("two currency markers around one amount; keep one")
        currency = currency_code(pre, book, where)
        if currency is None:
            raise _unknown_currency()
    value = _number(num, number_format) * magnitude
    return Amount(value, currency)


def _unknown_currency() -> AmountError:
    return AmountError(
        "unknown currency or suffix; write a symbol ($, €, £, ¥), an ISO 4217 code "
        "(EUR 40k, 15000 JPY) and K, M or B for thousands, millions, billions"
    )


@cache
def _separators(number_format: str | None) -> tuple[Locale, str, str, re.Pattern[str] | None]:
    """The format's locale, group and decimal symbols, and (for the usual grouping by
    threes) a pattern of the numbers it writes with correct grouping."""
    locale = number_locale(number_format)
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    pattern = locale.decimal_formats.get(None)
    canonical = None
    if pattern is not None and tuple(pattern.grouping)[:2] == (3, 3):
        g, d = re.escape(group), re.escape(decimal)
        canonical = re.compile(rf"^[+-]?(?:[1-9]\d{{0,2}}(?:{g}\d{{3}})+|0|[1-9]\d*)(?:{d}\d+)?$")
    return locale, group, decimal, canonical


def _number(num: str, number_format: str | None) -> Decimal:
    """Digits and separators in the declared format (babel, strict)."""
    shown = number_format or DEFAULT_FORMAT
    if _PLAIN.match(num):
        return Decimal(num.replace("_", ""))
    if "_" in num:
        raise AmountError("'_' inside an amount is only allowed between plain digits (120_000)")
    locale, group, decimal, canonical = _separators(number_format)
    if group in _SPACES:
        num = re.sub(f"[{_SPACES}]", group, num)
    elif group in _APOSTROPHES:
        num = re.sub(f"[{_APOSTROPHES}]", group, num)
    if re.search(f"[{_SPACES}]", num) and group not in _SPACES:
        raise AmountError(
            f"spaces inside an amount, but the number format is {shown}; "
            "remove them, or declare number_format: '1 234,56' in the rules"
        )
    whole, sep, fraction = num.rpartition(decimal)
    if sep and group not in whole and len(fraction) == 3 and fraction.isdigit():
        other = "1.234,56" if decimal == "." else "1,234.56"
        raise AmountError(
            f"ambiguous amount: {decimal!r} before three digits is a decimal point in "
            f"{shown} but a thousands separator in {other}; write it without the "
            f"separator (512000) or with two decimals (512.00), or declare "
            f"number_format: '{other}' in the rules"
        )
    if canonical is not None and canonical.match(num):
        # What babel's strict parse accepts, read without its format-back check
        # (ten times slower, and a book has thousands of amounts; a property test
        # holds the two equal).
        return Decimal(num.replace(group, "").replace(decimal, "."))
    try:
        return Decimal(parse_decimal(num, locale, strict=True))
    except (NumberFormatError, InvalidOperation, ValueError):
        raise AmountError(
            f"not an amount in the number format {shown} (like "
            f"{format_decimal(Decimal('1234567.5'), '#,##0.00', locale=locale)}); "
            "fix the separators, or declare the CRM's number_format in the rules"
        ) from None


def format_amount(value: float, currency: str | None, number_format: str | None = None) -> str:
    """An amount for people in the book's number format: ``$120,000``, ``15.000 €``,
    ``¥15,000,000`` (cents only when there are some), plain digits when the book names
    no currency."""
    locale = number_locale(number_format)
    amount = Decimal(str(value))
    if currency is None:
        return format_decimal(amount, "#,##0.##", locale=locale)
    pattern = parse_pattern(locale.currency_formats["standard"])
    pattern.frac_prec = (0, 2)
    return str(pattern.apply(amount, locale, currency=currency, currency_digits=False))


@dataclass(frozen=True, slots=True)
class Conflict:
    """An amount whose marker disagrees with the ``currency`` written beside it;
    the amount's own validator reports it, so the error points at the amount."""

    marker: str
    declared: str


def split_currency(
    data: object, fields: tuple[str, ...], number_format: str | None, book: str | None = None
) -> object:
    """Before-validator of a model with amount ``fields`` and a ``currency`` field:
    the marker written on the amounts (``¥15,000,000``) becomes ``currency`` and the
    amounts their values.

    Amounts that do not parse are left for their own validator to report.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    given = out.get("currency")
    declared = given.strip().upper() if isinstance(given, str) and given.strip() else None
    for name in fields:
        raw = out.get(name)
        if not isinstance(raw, str) or _PLAIN.match(raw.strip()):
            continue  # no room for a marker
        try:
            amount = parse_amount(raw, number_format, book)
        except AmountError:
            continue
        marker = amount.currency
        out[name] = float(amount.value)  # read once: a book has thousands of amounts
        if marker is None:
            continue
        if declared is None:
            declared = marker
            out["currency"] = marker
        elif marker != declared:
            out[name] = Conflict(marker, declared)
    return out


def amount_value(value: object, number_format: str | None) -> object:
    """Field before-validator: an amount string -> float; numbers pass through."""
    if isinstance(value, Conflict):
        raise AmountError(
            f"written in {value.marker} but the currency here is {value.declared}; "
            "give every amount of one account or tier in one currency"
        )
    if isinstance(value, str):
        try:
            return float(parse_amount(value, number_format).value)
        except AmountError as exc:  # "got" is cut from CSV messages (rules.accounts)
            raise AmountError(f"{exc}, got {value!r}") from None
    return value


def arr_band(
    low: float, high: float | None, currency: str | None, number_format: str | None = None
) -> str:
    """A tier's ARR band in words and the book's currency: ``$25,000-$100,000``."""

    def shown(value: float) -> str:
        return format_amount(value, currency, number_format)

    if high is None:
        return "any ARR" if low <= 0 else f"{shown(low)} and up"
    if low <= 0:
        return f"under {shown(high)}"
    return f"{shown(low)}–{shown(high)}"
