"""Isolation (issue 20, part 7): Bob, signed in, holding another CSM's identifiers
(Cara's or the first admin Ann's: her calendar's store key, her rules or overlay
version, her block keys, her connection) gets a refusal on every route of the app
and learns nothing of hers.

The routes come from the app's route table, so a new route is covered without
touching this file: every request carries her identifiers in its path, query and
form, and must be refused, unless the route is listed in ``TAKES_NO_IDENTIFIER``,
where it must answer with Bob's own data only (none of hers in the body). The JSON
admin API (``/api/admin/``) is also called with Bob's own write token: 403 on every
route, and her invitation, allowed domain, team and role stay as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from blocker.auth.tokens import issue
from blocker.core.weeks import week_dates
from blocker.members import member_dir
from tests.members.conftest import WEEK, Person, Team

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
    ("POST", "/account/tokens"),  # makes a token of Bob's own
    ("GET", "/team/me"),  # what Bob's lead sees of Bob
    ("GET", "/api/team/me"),
}
"""Routes that name nothing of a user's: checked to show Bob's own data only."""

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
class Victim:
    """Whose identifiers Bob holds, where her calendar's file is, and what must never
    reach him."""

    identifiers: dict[str, str]
    secrets: list[str]
    key: str
    file: Path


def _sync_as(team: Team, person: Person, key: str) -> None:
    with team.browser(person) as browser:
        page = browser.get("/", params={"week": WEEK, "calendar": key})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        done = browser.post("/sync", data={"week": WEEK, "calendar": key, "csrf": csrf[1]})
        assert done.status_code == 303


@pytest.fixture(params=["cara", "ann"])
def victim(team: Team, request: pytest.FixtureRequest) -> Iterator[Victim]:
    """Cara, another member; or Ann, the first admin, whose calendar is the template's
    (bare id ``work``, the template's rules versions)."""
    store = team.service.store
    runtime = team.service.app.state.runtime
    if request.param == "cara":
        who, key = team.cara, team.cara.key
        overlay = store.current_overlay(who.user_id)
        assert overlay is not None
        version, file = overlay.id, member_dir(runtime, who.user_id) / "work.ics"
        secrets = [who.meeting, "Cara's deep work", "Cara&#39;s deep work", who.email]
    else:
        who, key = team.ann, "work"
        for edit in ("# two\n", "# three\n"):  # past the overlays' ids (another table)
            runtime.update_rules(runtime.rules_text + edit)
        template = store.current_rules()
        assert template is not None
        assert store.get_overlay_version(team.bob.user_id, template.id) is None
        version, file = template.id, team.folder / "team.ics"
        secrets = [who.meeting, who.email]
    _sync_as(team, who, key)
    blocks = store.mappings(key, WEEK)
    assert blocks, "her sync wrote blocks"
    token = store.create_api_token(
        who.user_id, "0123456789ab", "0" * 64, name="her-token-name", scope="read", expires_at=None
    )
    assert store.get_connection(key) is not None
    guest = f"guest-of-{request.param}@partner.example"  # an invitation only admins may cancel
    store.invite(guest, "member", runtime.now() + timedelta(days=3))
    store.allow_domain("partner.example", actor="cli")  # a domain only admins may stop allowing
    her_team = f"team-of-{request.param}"  # a team only admins may change or delete
    store.create_team(her_team, actor="cli")
    store.add_to_team(her_team, who.user_id, lead=False, actor="cli")
    yield Victim(
        identifiers={
            "calendar": key,
            "calendar_id": key,
            "version_id": str(version),
            "key": next(iter(blocks)),
            "week": WEEK,
            "day": str(week_dates(WEEK)[2]),
            "at": "10:00",
            "provider": "google",
            "name": "app.css",
            "format": "html",
            "text": "not: [valid",
            "token_id": str(token.id),
            "member": str(who.user_id),  # the lead's view of one member: /team/member/{id}
            "user_id": str(who.user_id),
            "invitation": store.user_key(guest),  # /admin/invitations/{key}/cancel
            "domain": "partner.example",  # /api/admin/domains/{domain}
            "team": her_team,  # /api/admin/teams/{team}
        },
        secrets=[*secrets, "her-token-name", "0123456789ab"],
        key=key,
        file=file,
    )


def _fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"{path}: say which of a user's identifiers {{{name}}} is"
        return ids[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", one, path)


def test_every_route_refuses_bob_her_identifiers(team: Team, victim: Victim) -> None:
    before = victim.file.read_text(encoding="utf-8")
    her_runs = len(team.service.store.runs(victim.key, 50))
    routes = app_routes(team)
    assert len(routes) > 30  # the table was read, not an empty list
    with team.browser(team.bob) as bob:
        own = bob.get("/rules")
        csrf = re.search(r'name="csrf" value="([^"]+)"', own.text)
        assert csrf is not None
        form = {**victim.identifiers, "csrf": csrf[1]}
        checked = []
        for route in routes:
            url = _fill(route.path, victim.identifiers)
            if route.method == "GET":
                answer = bob.get(url, params=victim.identifiers)
            else:
                answer = bob.request(route.method, url, params=victim.identifiers, data=form)
            where = f"{route.method} {route.path} -> {answer.status_code}"
            assert answer.status_code < 500, where
            for secret in victim.secrets:
                assert secret not in answer.text, f"{where} shows her {secret!r}"
            if (route.method, route.path) not in TAKES_NO_IDENTIFIER:
                assert answer.status_code in REFUSED, f"{where}: not refused"
            elif "~" in victim.key:  # not even her key (/metrics counts members as one)
                assert victim.key not in answer.text, f"{where} names her calendar"
            checked.append(route)
    assert len(checked) == len(routes)
    assert victim.file.read_text(encoding="utf-8") == before
    assert len(team.service.store.runs(victim.key, 50)) == her_runs
    _nothing_of_hers_changed(team, victim)


def _nothing_of_hers_changed(team: Team, victim: Victim) -> None:
    """Her invitation, domain, team and role as the fixture made them."""
    store = team.service.store
    open_keys = [i.key for i in store.open_invitations()]
    assert victim.identifiers["invitation"] in open_keys  # not cancelled by Bob
    assert store.allowed_domains() == [victim.identifiers["domain"]]
    her_team = store.team_group(victim.identifiers["team"])
    her_id = int(victim.identifiers["user_id"])
    assert her_team is not None and her_team.members == (her_id,) and her_team.leads == ()
    her = store.team_user_by_id(her_id)
    assert her is not None and not her.disabled
    assert her.role == ("admin" if her_id == team.ann.user_id else "member")


def test_the_admin_api_refuses_bobs_own_write_token(team: Team, victim: Victim) -> None:
    """Bob's token (his role: member) gets 403 on every /api/admin/ route, before
    anything of hers is looked up: the answer is the same whatever id he sends."""
    runtime = team.service.app.state.runtime
    token = issue(
        team.service.store, team.bob.user_id, scope="write", name="bob", days=30, now=runtime.now()
    )
    routes = [r for r in app_routes(team) if r.path.startswith("/api/admin/")]
    assert len(routes) >= 10
    with team.token_client() as client:
        client.headers["Authorization"] = f"Bearer {token.text}"
        for route in routes:
            url = _fill(route.path, victim.identifiers)
            answer = client.request(route.method, url, json={"email": team.bob.email})
            where = f"{route.method} {route.path} -> {answer.status_code}"
            assert answer.status_code == 403, where
            for secret in victim.secrets:
                assert secret not in answer.text, f"{where} shows her {secret!r}"
    _nothing_of_hers_changed(team, victim)


def test_routes_without_identifiers_show_bobs_own_data(team: Team, victim: Victim) -> None:
    with team.browser(team.bob) as bob:
        dashboard = bob.get("/", params={"week": WEEK})
        assert dashboard.status_code == 200
        assert team.bob.meeting in dashboard.text
        rules = bob.get("/rules").text
        assert "Bob&#39;s deep work" in rules or "Bob's deep work" in rules
        for secret in victim.secrets:
            assert secret not in dashboard.text and secret not in rules
        assert team.bob.key in dashboard.text and team.cara.key not in dashboard.text
