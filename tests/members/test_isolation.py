"""Isolation (issue 20, part 7): Bob, signed in, holding Cara's identifiers (her
calendar's store key, her overlay version, her block keys, her connection) gets a
refusal on every route of the app and learns nothing of hers.

The routes come from the app's route table, so a new route is covered without
touching this file: every request carries Cara's identifiers in its path, query and
form, and must be refused, unless the route is listed in ``TAKES_NO_IDENTIFIER``,
where it must answer with Bob's own data only (none of Cara's in the body).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts

from blocker.core.weeks import week_dates
from blocker.members import member_dir
from tests.members.conftest import WEEK, Team

TAKES_NO_IDENTIFIER = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/{name}"),
    ("GET", "/rules"),  # Bob's overlay
    ("POST", "/rules"),  # saves Bob's overlay (the text here is refused as invalid)
    ("GET", "/account"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/auth/{provider}/start"),
    ("GET", "/auth/{provider}/callback"),
    ("POST", "/logout"),
    ("POST", "/account/sign-out-everywhere"),
}
"""Routes that name nothing of a user's: checked to show Bob's own data only."""

OPERATOR_ONLY = {"/metrics"}
"""The scraper's counters are per store key (``u<id>~work``: no titles, no times);
they are the operator's, guarded by BLOCKER_METRICS_TOKEN when it is set."""

LAST = {"/logout", "/account/sign-out-everywhere"}
"""They end Bob's session: sent after every other route."""

REFUSED = {400, 401, 403, 404, 405, 409, 422}


@dataclass(frozen=True)
class Route:
    method: str
    path: str


def app_routes(team: Team) -> list[Route]:
    found = {
        Route(method, ctx.path)
        for ctx in iter_route_contexts(team.service.app.routes)
        for method in (getattr(ctx, "methods", None) or ())
        if method != "HEAD"
    }
    return sorted(found, key=lambda r: (r.path in LAST, r.path, r.method))


@dataclass
class Caras:
    """What Bob holds of Cara's, and what must never reach him."""

    identifiers: dict[str, str]
    secrets: list[str]


@pytest.fixture
def caras(team: Team) -> Iterator[Caras]:
    cara = team.cara
    with team.browser(cara) as browser:
        page = browser.get("/", params={"week": WEEK, "calendar": cara.key})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        done = browser.post("/sync", data={"week": WEEK, "calendar": cara.key, "csrf": csrf[1]})
        assert done.status_code == 303
    store = team.service.store
    blocks = store.mappings(cara.key, WEEK)
    assert blocks, "Cara's sync wrote blocks"
    version = store.current_overlay(cara.user_id)
    connection = store.get_connection(cara.key)
    assert version is not None and connection is not None
    yield Caras(
        identifiers={
            "calendar": cara.key,
            "calendar_id": cara.key,
            "version_id": str(version.id),
            "key": next(iter(blocks)),
            "week": WEEK,
            "day": str(week_dates(WEEK)[2]),
            "at": "10:00",
            "provider": "google",
            "name": "app.css",
            "format": "html",
            "text": "not: [valid",
        },
        secrets=[cara.meeting, "Cara's deep work", "Cara&#39;s deep work", cara.email],
    )


def _fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"{path}: say which of a user's identifiers {{{name}}} is"
        return ids[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", one, path)


def test_every_route_refuses_bob_caras_identifiers(team: Team, caras: Caras) -> None:
    cara_file = member_dir(team.service.app.state.runtime, team.cara.user_id) / "work.ics"
    before = cara_file.read_text(encoding="utf-8")
    cara_runs = len(team.service.store.runs(team.cara.key, 50))
    routes = app_routes(team)
    assert len(routes) > 30  # the table was read, not an empty list
    with team.browser(team.bob) as bob:
        own = bob.get("/rules")
        csrf = re.search(r'name="csrf" value="([^"]+)"', own.text)
        assert csrf is not None
        form = {**caras.identifiers, "csrf": csrf[1]}
        checked = []
        for route in routes:
            url = _fill(route.path, caras.identifiers)
            if route.method == "GET":
                answer = bob.get(url, params=caras.identifiers)
            else:
                answer = bob.request(route.method, url, params=caras.identifiers, data=form)
            where = f"{route.method} {route.path} -> {answer.status_code}"
            assert answer.status_code < 500, where
            for secret in caras.secrets:
                assert secret not in answer.text, f"{where} shows Cara's {secret!r}"
            if (route.method, route.path) not in TAKES_NO_IDENTIFIER:
                assert answer.status_code in REFUSED, f"{where}: not refused"
            elif route.path not in OPERATOR_ONLY:  # no echo of a request: not even her key
                assert team.cara.key not in answer.text, f"{where} names Cara's calendar"
            checked.append(route)
    assert len(checked) == len(routes)
    assert cara_file.read_text(encoding="utf-8") == before
    assert len(team.service.store.runs(team.cara.key, 50)) == cara_runs


def test_routes_without_identifiers_show_bobs_own_data(team: Team, caras: Caras) -> None:
    with team.browser(team.bob) as bob:
        dashboard = bob.get("/", params={"week": WEEK})
        assert dashboard.status_code == 200
        assert team.bob.meeting in dashboard.text
        rules = bob.get("/rules").text
        assert "Bob&#39;s deep work" in rules or "Bob's deep work" in rules
        for secret in caras.secrets:
            assert secret not in dashboard.text and secret not in rules
        assert team.bob.key in dashboard.text and team.cara.key not in dashboard.text
