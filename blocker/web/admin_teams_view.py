"""The admin's page of named teams: each team's leads and members, and the forms.

Shared by ``GET /admin/teams`` and the forms posting to it (which answer with the
page itself and the store's reason when a change was refused, so what was typed is
not lost). People are named as on the People page: address when the store knows
it, else domain and fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from blocker.runtime import Runtime
from blocker.store.team_groups import TeamGroup
from blocker.web.html import page
from blocker.web.sessions import csrf_of

__all__ = ["PICK_LIMIT", "TeamView", "teams_json", "teams_page"]

PICK_LIMIT = 1000
"""People offered in the "add" pickers: one roster query, a list still usable."""


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team as the page shows it: (user id, name) pairs, by name."""

    name: str
    leads: list[tuple[int, str]]
    members: list[tuple[int, str]]


def _label(email: str | None, fingerprint: str, domain: str) -> str:
    return email or f"user {fingerprint} at {domain}"


def _names(runtime: Runtime, groups: list[TeamGroup]) -> tuple[dict[int, str], list[Any]]:
    """Names of everyone offered or listed, and the picker's people (id, name, role)."""
    store = runtime.store
    roster = store.team_roster(limit=PICK_LIMIT)
    names = {r.user.id: _label(r.email, r.user.fingerprint, r.user.domain) for r in roster}
    for group in groups:  # someone past the picker's limit is still named in a team
        for user_id in (*group.leads, *group.members):
            if user_id not in names:
                found = store.team_user_by_id(user_id)
                names[user_id] = (
                    _label(store.user_email(user_id), found.fingerprint, found.domain)
                    if found is not None
                    else f"user #{user_id}"
                )
    people = sorted(
        ((r.user.id, names[r.user.id], r.user.role) for r in roster if not r.user.disabled),
        key=lambda p: p[1],
    )
    return names, people


def _views(groups: list[TeamGroup], names: dict[int, str]) -> list[TeamView]:
    def named(ids: tuple[int, ...]) -> list[tuple[int, str]]:
        return sorted(((i, names[i]) for i in ids), key=lambda p: p[1])

    return [TeamView(g.name, named(g.leads), named(g.members)) for g in groups]


def teams_page(
    runtime: Runtime,
    session: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; ``error`` (with what was typed in ``form``) when a change was refused."""
    groups = runtime.store.team_groups()
    names, people = _names(runtime, groups)
    return page(
        "admin_teams.html",
        status_code,
        page="admin-teams",
        admin_nav=True,
        csrf=csrf_of(runtime, session),
        teams=_views(groups, names),
        people=people,
        error=error,
        form=form or {},
    )


def teams_json(runtime: Runtime) -> dict[str, Any]:
    """The same list for API callers (the shared token, an admin's personal token)."""
    groups = runtime.store.team_groups()
    names, _ = _names(runtime, groups)
    return {
        "teams": [
            {
                "name": view.name,
                "leads": [{"id": i, "name": n} for i, n in view.leads],
                "members": [{"id": i, "name": n} for i, n in view.members],
            }
            for view in _views(groups, names)
        ]
    }
