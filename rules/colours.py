"""Colour collisions: two different things on the calendar drawn in the same colour.

The rules decide colours (a rule's ``color:``, its kind's default, a tier's colour);
when two rules -- or two tiers -- end up with one colour, a glance at the
calendar or the dashboard cannot tell them apart. ``blocker validate`` warns;
nothing is refused, because sharing a colour on purpose is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable

from blocker.core.models import BlockRequest

__all__ = ["colour_collisions"]


def colour_collisions(requests: Iterable[BlockRequest]) -> list[str]:
    """One warning per colour used by more than one rule.

    A rule drawn in one colour is named alone; a rule whose colour follows the
    tier (account time) is named per tier, so "high tier" and "renewal prep" in
    one red are told apart. A rule never collides with itself.
    """
    requests = list(requests)
    colours_of: dict[str, set[str]] = {}
    for r in requests:
        colours_of.setdefault(r.rule, set()).add(r.color.upper())
    users: dict[str, dict[str, str]] = {}  # colour -> rule -> how it is named
    for r in requests:
        per_tier = len(colours_of[r.rule]) > 1 and r.tier
        name = f"'{r.rule}' ({r.tier} tier)" if per_tier else f"'{r.rule}'"
        users.setdefault(r.color.upper(), {}).setdefault(r.rule, name)
    return [
        f"colour {colour} is shared by rules {' and '.join(names.values())}: they look "
        "the same on the calendar and the dashboard; give one its own `color:`"
        for colour, names in users.items()
        if len(names) > 1
    ]
