"""Books of business: which of the file's accounts are the owner's own (issue 20.4).

A team's CRM export holds every CSM's accounts; each account's ``owner`` (an
address) says whose book it is in, and the rules' ``owner.email`` says who this
rules file plans for. Planning and the scorecard see only that book: the accounts
owned by one of ``owner.email``, plus those with no owner (so a file without the
column works as before). The other accounts are kept aside (``Rules.colleague_accounts``)
so a meeting with one is still known as customer time, attributed to nobody here,
and so account keys are assigned over the whole file and never move when an
account changes hands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from blocker.core.errors import Problem

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normal_address(raw: str) -> str:
    """``Me@Example.com`` / ``mailto:me@example.com`` -> ``me@example.com``; a
    ValueError for anything that is not one address."""
    address = raw.strip().lower().removeprefix("mailto:")
    if not _ADDRESS.match(address):
        raise ValueError("expected an email address like 'me@example.com'")
    return address


class Owned(Protocol):
    @property
    def owner(self) -> str | None: ...


def in_book(account: Owned, owner_emails: Sequence[str]) -> bool:
    """Whether ``account`` is in the book of the owner with these addresses.

    Without any address nothing tells books apart: every account is the owner's.
    """
    return account.owner is None or not owner_emails or account.owner in owner_emails


def owner_warnings(
    owners: Sequence[tuple[str | None, tuple[str, int, int]]],
    owner_emails: Sequence[str],
    owner_domains: Sequence[str],
    owner_at: tuple[str, int, int],
) -> list[Problem]:
    """What ``validate`` warns about (the file still loads and plans).

    ``owners``: each account's owner with where its owner cell (or row) is. An owner
    outside the company's domains is most likely a typo or a customer's contact
    pasted in the column: it silently puts the account in nobody's book, so it is
    named (a contractor's address is legitimate, hence a warning, not an error). The
    address is not quoted: the accounts file may be any file of the data directory.
    """
    out: list[Problem] = []
    domains = tuple(d.lower() for d in owner_domains)
    named = [(owner, where) for owner, where in owners if owner is not None]
    for owner, (file, line, column) in named:
        domain = owner.rpartition("@")[2]
        if domains and not any(domain == d or domain.endswith(f".{d}") for d in domains):
            out.append(
                Problem(
                    file,
                    line,
                    column,
                    "owner: the address is outside owner.email_domains; "
                    "a typo puts the account in nobody's book",
                )
            )
    file, line, column = owner_at
    if named and not owner_emails:
        out.append(
            Problem(
                file,
                line,
                column,
                f"{len(named)} account(s) name an owner but owner.email is not set: "
                "every account is planned as yours",
            )
        )
    elif named and not any(o is None or o in owner_emails for o, _ in owners):
        out.append(
            Problem(
                file,
                line,
                column,
                f"none of the {len(owners)} accounts is yours: no owner matches owner.email",
            )
        )
    return out


def tiers_outside_book(
    tiers: Sequence[str], book: Sequence[Any], others: Sequence[Any]
) -> list[str]:
    """The tiers none of the owner's accounts is in, when the file has accounts.

    The file's check (every tier has accounts) is the team's; a CSM's book may well
    hold no account of some tier, and then that tier's share cannot be the CSM's
    target: the scorecard's target for it is none of the time (``rules.engine``).
    """
    if not book and not others:
        return []
    held = {a.tier for a in book}
    return [name for name in tiers if name not in held]


def colleagues_goals(
    rules: Sequence[Any], positions: Sequence[int], book: Sequence[Any], others: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Where a goal names an account of someone else's book (after a handover, most
    likely): it is still planned, but counts toward no account of the owner's."""
    from rules.kinds.goals import Goals, find_account

    out: list[tuple[Any, ...]] = []
    for position, rule in zip(positions, rules, strict=False):
        if not isinstance(rule, Goals):
            continue
        for index, goal in enumerate(rule.goals):
            name = goal.account
            if name and find_account(book, name) is None and find_account(others, name):
                out.append(("rules", position, "goals", index, "account"))
    return out


__all__ = [
    "colleagues_goals",
    "in_book",
    "normal_address",
    "owner_warnings",
    "tiers_outside_book",
]
