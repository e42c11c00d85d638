"""Which team link the nav shows: "Team" to leads and admins, "What my lead sees" to
members (issue 20.5).

A pure ASGI middleware puts a lookup in :data:`blocker.web.html.NAV_ROLE` for the
request; :func:`blocker.web.html.page` calls it only when it renders a signed-in
page, so API calls and anonymous pages cost no store read. The context variable
reaches the threadpool that runs sync routes (anyio copies the context).
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from blocker.runtime import Runtime
from blocker.web.html import NAV_ROLE
from blocker.web.sessions import is_admin_session, session_user

__all__ = ["TeamNav", "nav_role"]


def nav_role(request: Request) -> str | None:
    """ "lead" for a lead, an admin or the API token's session; "member" otherwise."""
    runtime: Runtime = request.app.state.runtime
    who = session_user(request, runtime)
    if who is not None:
        return "lead" if who.user.role in ("lead", "admin") else "member"
    return "lead" if is_admin_session(request, runtime) else None


class TeamNav:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = NAV_ROLE.set(lambda: nav_role(request))
        try:
            await self.app(scope, receive, send)
        finally:
            NAV_ROLE.reset(token)
