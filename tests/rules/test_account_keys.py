"""Unicode-aware account keys (issue 19.5): transliterated, distinct, ASCII keys unchanged."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rules import expand_week, load_rules
from rules.keys import account_key, assign_keys, key_aliases, legacy_key
from tests.rules.util import EXAMPLE, rules_from
from tests.support.clock import TEST_NOW, next_week


def old_key(name: str) -> str:
    """The key as it was computed before this change (``Account.slug`` of 0.1.0),
    copied here so that the comparison cannot drift with the code under test."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "account"


def test_the_example_books_keys_do_not_change() -> None:
    """A user's existing calendar events are keyed by these: not one may move."""
    rules = load_rules(EXAMPLE)
    assert len(rules.accounts) >= 40
    changed = [
        (a.name, old_key(a.name), a.slug) for a in rules.accounts if a.slug != old_key(a.name)
    ]
    assert changed == []


def test_non_latin_names_get_readable_distinct_keys() -> None:
    rules = rules_from(
        """\
        timezone: UTC
        accounts:
          - {name: 株式会社テスト, arr: 500000}
          - {name: شركة الاختبار, arr: 400000}
          - {name: Ελληνική Εταιρεία, arr: 60000}
          - {name: ООО Тест, arr: 50000}
          - {name: Müller & Söhne GmbH, arr: 10000}
          - {name: "🚀🚀", arr: 5000}
        """,
        base="",
    )
    keys = {a.name: a.slug for a in rules.accounts}
    assert keys == {
        "株式会社テスト": "zhushihuishetesuto",
        "شركة الاختبار": "shrkh-lkhtbr",
        "Ελληνική Εταιρεία": "elliniki-etaireia",
        "ООО Тест": "ooo-test",
        "Müller & Söhne GmbH": "muller-sohne-gmbh",
        "🚀🚀": "rocket-rocket",
    }


def test_names_that_transliterate_alike_get_distinct_stable_keys_in_any_order() -> None:
    names = ["Muller & Sohne GmbH", "Müller & Söhne GmbH", "Mûller & Söhne GmbH", "ТЕСТ", "Test"]
    keys = assign_keys(names)
    assert keys["Muller & Sohne GmbH"] == "muller-sohne-gmbh"  # the ASCII one keeps its key
    assert keys["Test"] == "test"
    assert re.fullmatch(r"muller-sohne-gmbh-[0-9a-f]{8}", keys["Müller & Söhne GmbH"])
    assert re.fullmatch(r"muller-sohne-gmbh-[0-9a-f]{8}", keys["Mûller & Söhne GmbH"])
    assert re.fullmatch(r"test-[0-9a-f]{8}", keys["ТЕСТ"])
    assert len(set(keys.values())) == len(names)
    assert assign_keys(reversed(names)) == keys


def test_a_book_of_two_colliding_transliterations_loads_and_keeps_display_names() -> None:
    rules = rules_from(
        """\
        timezone: UTC
        accounts:
          - {name: Тест, arr: 500000}
          - {name: Τεστ, arr: 400000}
          - {name: Globex, arr: 60000}
          - {name: Initech, arr: 5000}
        """,
        base="",
    )
    by_name = {a.name: a.slug for a in rules.accounts}
    assert by_name["Тест"] != by_name["Τεστ"]
    assert by_name["Тест"].startswith("test-")
    assert by_name["Τεστ"].startswith("test-")
    assert [a.name for a in rules.accounts] == ["Тест", "Τεστ", "Globex", "Initech"]


def test_very_long_transliterations_are_cut_and_kept_unique() -> None:
    key = account_key("東" * 200)
    assert len(key) <= 60 + 9
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", key)
    assert account_key("東" * 200) != account_key("東" * 199)


def test_old_keys_that_changed_map_to_their_new_key() -> None:
    keys = assign_keys(["Acme Corp", "Müller & Söhne GmbH", "株式会社テスト"])
    assert key_aliases(keys) == {
        "m-ller-s-hne-gmbh": "muller-sohne-gmbh",
        "account": "zhushihuishetesuto",
    }
    # Two names once both "account" have no single heir: no alias is guessed.
    assert "account" not in key_aliases(assign_keys(["株式会社テスト", "ООО"]))


_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)


@given(names=st.lists(_names, min_size=1, max_size=8, unique=True), seed=st.randoms())
def test_keys_are_unique_key_safe_and_order_independent(names: list[str], seed: object) -> None:
    keys = assign_keys(names)
    shuffled = list(names)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert assign_keys(shuffled) == keys
    assert len(set(keys.values())) == len(names)
    for name, key in keys.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key), (name, key)
        if name.isascii() and sum(legacy_key(n) == legacy_key(name) for n in names) == 1:
            assert key == old_key(name)


def test_a_goal_finds_a_non_latin_account_by_name_or_key() -> None:
    rules = rules_from(
        """\
        timezone: UTC
        accounts:
          - {name: Müller & Söhne GmbH, arr: 500000}
          - {name: 株式会社テスト, arr: 60000}
          - {name: Initech, arr: 5000}
        rules:
          - kind: goals
            goals:
              - {title: Expansion, hours: 1, account: müller & söhne gmbh}
              - {title: Onboarding, hours: 1, account: muller sohne gmbh}
              - {title: Renewal, hours: 1, account: 株式会社テスト}
        """,
        base="",
    )
    spec = expand_week(rules, next_week(), today=TEST_NOW.date())
    accounts = [r.account for r in spec.requests if r.kind == "goals"]
    assert accounts == ["Müller & Söhne GmbH", "Müller & Söhne GmbH", "株式会社テスト"]
