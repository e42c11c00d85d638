"""Checks that need more than one field: overlaps, shares, tiers, duplicate ids.

Each check returns ``Issue``s carrying a ``loc`` path into the rules file; the
loader turns the path into ``file:line:col``. Checks take the pieces that did
validate, so they still run (and report) when another section is broken.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rules.accounts import tier_for_arr
from rules.keys import assign_keys, legacy_key, same_name
from rules.kinds.goals import Goal, Goals, find_account
from rules.money import format_amount
from rules.registry import KINDS
from rules.spec import Account, CalendarSpec, Categories, RuleSpec, Schedule, Tier, WorkingHours
from rules.timeparse import WEEKDAYS, minute_of_day


@dataclass(frozen=True, slots=True)
class Issue:
    loc: tuple[Any, ...]
    message: str
    at_key: bool = False


def duplicate_rule_ids(rules: Sequence[tuple[int, RuleSpec]]) -> list[Issue]:
    seen: dict[str, int] = {}
    out: list[Issue] = []
    for index, rule in rules:
        rid = rule.rule_id
        if rid in seen:
            where = "id" if rule.id else "kind"
            hint = "" if rule.id else " (give each one an 'id')"
            out.append(
                Issue(
                    ("rules", index, where),
                    f"duplicate rule id {rid!r}, first used by rule #{seen[rid] + 1}{hint}",
                )
            )
        else:
            seen[rid] = index
    return out


def fixed_windows(rules: Sequence[tuple[int, RuleSpec]], hours: WorkingHours) -> list[Issue]:
    """Fixed blocks that overlap each other on a weekday, or leave working hours.

    One issue per (rule, window, other rule), listing the weekdays, not one per day.
    """
    out: list[Issue] = []
    taken: dict[str, list[tuple[int, int, str]]] = {day: [] for day in WEEKDAYS}
    for index, rule in rules:
        info = KINDS.get(rule.kind)
        if info is None or info.fixed_slots is None:
            continue
        clashes: dict[tuple[str, str], list[str]] = {}
        for slot in info.fixed_slots(rule, hours):
            start, end = minute_of_day(slot.window.start), minute_of_day(slot.window.end)
            work = hours.for_day(slot.day)
            if work is None:
                clashes.setdefault(("", "has no working hours on"), []).append(slot.day)
                continue
            if start < minute_of_day(work.start) or end > minute_of_day(work.end):
                what = f"{slot.window} is outside working hours {work} on"
                clashes.setdefault(("", what), []).append(slot.day)
            for other_start, other_end, other in taken[slot.day]:
                if start < other_end and other_start < end:
                    what = f"fixed window {slot.window} overlaps {other!r} on"
                    days = clashes.setdefault((other, what), [])
                    if slot.day not in days:
                        days.append(slot.day)
            taken[slot.day].append((start, end, rule.rule_id))
        for (_, what), days in clashes.items():
            ordered = sorted(set(days), key=WEEKDAYS.index)
            out.append(Issue(("rules", index), f"{rule.rule_id}: {what} {', '.join(ordered)}"))
    return out


def tier_shares(tiers: Mapping[str, Tier]) -> list[Issue]:
    """The share ranges must be able to add up to 100 %."""
    if not tiers:
        return [Issue(("tiers",), "at least one tier is needed")]
    low = sum(t.share[0] for t in tiers.values())
    high = sum(t.share[1] for t in tiers.values())
    if low > 100 or high < 100:
        return [
            Issue(
                ("tiers",),
                f"tier shares cannot add up to 100 %: they range from {low:g} to {high:g} %",
            )
        ]
    return []


def categories_total(categories: Categories) -> list[Issue]:
    total = categories.proactive + categories.reactive + categories.admin
    if abs(total - 100) > 1e-9:
        return [Issue(("categories",), f"proactive + reactive + admin must be 100, got {total:g}")]
    return []


def account_tiers(
    accounts: Sequence[Account], tiers: Mapping[str, Tier], currency: str | None = None
) -> tuple[list[Account], list[Issue]]:
    """Resolve each account's tier, key and currency (the book's, ``currency``);
    report duplicates, unknown overrides, gaps and empty tiers."""
    resolved: list[Account] = []
    out: list[Issue] = []
    names: dict[str, int] = {}
    keys = assign_keys(a.name for a in accounts)
    for index, account in enumerate(accounts):
        # ASCII names that differ only in case and punctuation ("Acme Corp", "acme-corp")
        # are one account typed twice; a transliterated name that meets another is not.
        same = legacy_key(account.name) if account.name.isascii() else same_name(account.name)
        first = names.setdefault(same, index)
        if first != index:
            out.append(
                Issue(
                    ("accounts", index, "name"),
                    f"duplicate account {account.name!r}: the same name as account "
                    f"#{first + 1} apart from case and punctuation; merge the two rows",
                )
            )
        if account.tier is not None:
            if account.tier not in tiers:
                out.append(
                    Issue(
                        ("accounts", index, "tier"),
                        f"unknown tier {account.tier!r} (tiers: {', '.join(tiers)})",
                    )
                )
                continue
            resolved.append(account.with_key(keys[account.name], currency=currency))
            continue
        tier = tier_for_arr(tiers, account.arr)
        if tier is None:
            out.append(
                Issue(
                    ("accounts", index, "arr"),
                    f"ARR {format_amount(account.arr, account.currency)} of {account.name!r} "
                    "fits no tier's min_arr/max_arr",
                )
            )
            continue
        resolved.append(account.with_key(keys[account.name], tier=tier, currency=currency))
    if accounts:
        used = {a.tier for a in resolved}
        for name in tiers:
            if name not in used:
                out.append(Issue(("tiers", name), f"tier {name!r} has no accounts", at_key=True))
    return resolved, out


def book_currency(
    accounts: Sequence[Account], tiers: Mapping[str, Tier], declared: str | None
) -> tuple[str | None, list[Issue]]:
    """The one currency of the book: the declared one, else the one amounts are marked
    with. A book that mixes currencies is refused: no rates are declared, and a tier
    threshold in dollars cannot sort accounts in euros."""
    marked: list[tuple[tuple[Any, ...], str, str]] = [
        (("accounts", i, "arr"), a.currency, f"ARR of {a.name!r}")
        for i, a in enumerate(accounts)
        if a.currency is not None
    ]
    marked += [
        (("tiers", name, "min_arr"), tier.currency, f"tier {name!r}")
        for name, tier in tiers.items()
        if tier.currency is not None
    ]
    book = declared
    if book is None:
        counts = Counter(currency for _, currency, _ in marked)
        if not counts:
            return None, []
        book = min(counts, key=lambda c: (-counts[c], c))
        if len(counts) == 1:
            return book, []
    fix = (
        f"declare 'currency: {book}' and convert the others in the CRM export"
        if declared is None
        else "convert it in the CRM export (or change 'currency:')"
    )
    why = "the book is in" if declared is not None else "most amounts of the book are in"
    return book, [
        Issue(loc, f"{what} is in {currency} but {why} {book}; one book has one currency: {fix}")
        for loc, currency, what in marked
        if currency != book
    ]


def rule_tier_names(
    rules: Sequence[tuple[int, RuleSpec]], tiers: Mapping[str, Tier]
) -> list[Issue]:
    out: list[Issue] = []
    for index, rule in rules:
        wanted: Any = getattr(rule, "tiers", None)
        if not wanted:
            continue
        for name in wanted:
            if name not in tiers:
                out.append(
                    Issue(
                        ("rules", index, "tiers"),
                        f"unknown tier {name!r} (tiers: {', '.join(tiers)})",
                    )
                )
    return out


def goals(rules: Sequence[tuple[int, RuleSpec]], accounts: Sequence[Account]) -> list[Issue]:
    """Two goals of one rule with the same title would share a block key, and a
    goal's ``account`` must be one of the accounts (else its time counts nowhere)."""
    out: list[Issue] = []
    for index, rule in rules:
        if not isinstance(rule, Goals):
            continue
        seen: dict[str, list[int]] = {}
        for number, goal in enumerate(rule.goals):
            loc = ("rules", index, "goals", number)
            earlier = seen.setdefault(goal.slug, [])
            clash = next((i for i in earlier if _same_weeks(rule.goals[i], goal)), None)
            earlier.append(number)
            if clash is not None:
                out.append(
                    Issue(
                        (*loc, "title"),
                        f"duplicate goal {goal.title!r}, first used by goal #{clash + 1} "
                        "in the same weeks (block keys use the title; give each its own "
                        "week:, month: or quarter:, or another title)",
                    )
                )
            if goal.account is not None and find_account(accounts, goal.account) is None:
                out.append(Issue((*loc, "account"), _unknown_account(goal.account, accounts)))
    return out


def _same_weeks(a: Goal, b: Goal) -> bool:
    """Whether two goals of one title would ask for time under one block key: keys
    carry the week, and a month's or quarter's label, so only goals of the same
    period that are not pinned to different weeks, months or quarters collide."""
    if a.period != b.period:
        return False
    return a.pin is None or b.pin is None or a.pin == b.pin


def _unknown_account(name: str, accounts: Sequence[Account]) -> str:
    if not accounts:
        return f"unknown account {name!r} (no accounts are defined)"
    close = difflib.get_close_matches(name, [a.name for a in accounts], n=1, cutoff=0.6)
    if close:
        return f"unknown account {name!r} (did you mean {close[0]!r}?)"
    names = ", ".join(a.name for a in accounts[:5])
    return f"unknown account {name!r} (accounts: {names}{', ...' if len(accounts) > 5 else ''})"


def calendars(specs: Sequence[CalendarSpec]) -> list[Issue]:
    out: list[Issue] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.id in seen:
            out.append(Issue(("calendars", index, "id"), f"duplicate calendar id {spec.id!r}"))
        seen.add(spec.id)
        if spec.provider == "local" and not spec.path:
            out.append(Issue(("calendars", index), "a local calendar needs a 'path' (.ics file)"))
    return out


def schedule(spec: Schedule) -> list[Issue]:
    if spec.max_wait_seconds < spec.debounce_seconds:
        return [
            Issue(
                ("schedule", "max_wait_seconds"),
                "max_wait_seconds must be at least debounce_seconds",
            )
        ]
    return []
