"""Where ARR is printed, it is printed in the book's currency (issue 15.6): the tier
bands of the scorecard (CLI table, JSON, HTML) and ``blocker validate``."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from blocker.planner import plan_week
from blocker.render import scorecard_tables
from blocker.report import scorecard, scorecard_to_dict
from blocker.web.report_html import render_report_html
from rules import load_rules
from rules.engine import expand_week
from tests.rules.util import EXAMPLE, rules_from
from tests.support.clock import TEST_NOW, next_week

YEN = """\
timezone: Asia/Tokyo
tiers:
  high: {min_arr: "¥15,000,000", share: [50, 60]}
  low: {min_arr: 0, max_arr: "¥15,000,000", share: [40, 50]}
accounts:
  - {name: 株式会社テスト, arr: "¥20,000,000"}
  - {name: Small KK, arr: "¥1,000,000"}
rules:
  - kind: account_time
"""


def _card(text: str) -> dict[str, object]:
    rules = rules_from(text, base="")
    spec = expand_week(rules, next_week(), today=TEST_NOW.date())
    return scorecard_to_dict(scorecard(plan_week(spec, now=TEST_NOW), spec))


def test_the_scorecard_shows_tier_bands_in_yen() -> None:
    card = _card(YEN)
    tiers = card["tiers"]
    assert isinstance(tiers, dict)
    assert {name: row["arr"] for name, row in tiers.items()} == {
        "high": "¥15,000,000 and up",
        "low": "under ¥15,000,000",
    }
    out = StringIO()
    Console(file=out, width=120).print(scorecard_tables(card))
    assert "high (¥15,000,000 and up)" in out.getvalue()
    html = render_report_html(next_week(), card)
    assert "(ARR ¥15,000,000 and up)" in html


def test_a_european_book_is_shown_as_it_is_written() -> None:
    text = YEN.replace("¥15,000,000", "15.000.000 €").replace("Asia/Tokyo", "Europe/Berlin")
    text = text.replace('"¥20,000,000"', '"20.000.000 €"').replace('"¥1,000,000"', '"1.000 €"')
    card = _card("number_format: '1.234,56'\n" + text)
    tiers = card["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["high"]["arr"] == "15.000.000\u00a0€ and up"


def test_the_example_book_is_in_dollars() -> None:
    rules = load_rules(EXAMPLE)
    assert rules.currency == "USD"
    spec = expand_week(rules, next_week(), today=TEST_NOW.date())
    assert [(t.name, t.arr_band) for t in spec.tiers] == [
        ("high", "$100,000 and up"),
        ("mid", "$25,000–$100,000"),
        ("low", "under $25,000"),
    ]


def test_a_book_without_any_currency_shows_plain_amounts() -> None:
    card = _card(YEN.replace("¥", ""))
    tiers = card["tiers"]
    assert isinstance(tiers, dict)
    assert tiers["high"]["arr"] == "15,000,000 and up"
